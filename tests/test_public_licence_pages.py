"""Public licence pages show only what verification needs (issue #21 item 2).

Identifiers are sequential with a computable check character, so anyone can guess the
next one: the anonymous page says valid / revoked / tampered and shows every field
masked as its licence type declares; the full content needs the random verification
code printed on the licence (and in its QR link) or the holder's login.
"""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from onewindow.app import db
from onewindow.errors import StartupError
from onewindow.licences import identifier as ids
from onewindow.licences import library, seals
from onewindow.licences.models import Licence
from onewindow.licences.pdf import render_licence_html
from onewindow.licences.types import MASKS, PERSONAL_FIELD, plugin_types, spec_problems
from onewindow.models import Department, Staff
from onewindow.models.items import HandlingType, Item, ItemType, ServiceMode

MARKET = "11369921102345608H"
OWNER_ID = "440304200002291236"
OWNER = "赵六"
ADDRESS = "云溪县城关镇解放路18号3栋201室"
CERTIFICATE = "realestate_property_certificate"  # declared by the real-estate plugin
BASE_URL = "https://zwfw.yunxi.example.cn"


def certificate_item() -> Item:
    """A seal for 市场监管局 and its item that yields a real-estate certificate (committed)."""
    dept = db.session.query(Department).filter_by(credit_code=MARKET).one()
    seals.create_seal(db.session, dept, "admin")
    item_type = db.session.query(ItemType).filter_by(code="T1").one_or_none() or ItemType(code="T1", name="行政许可")
    item = Item(
        basic_code="000301001000",
        implementation_code=f"{MARKET}3000301001000",
        name="不动产登记",
        item_type=item_type,
        department=dept,
        legal_days=20,
        promised_days=5,
        handling_type=HandlingType.promised,
        service_mode=ServiceMode.window_post,
        licence_type_code=CERTIFICATE,
    )
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def pages(make_app, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_SEAL_KEK", raising=False)
    monkeypatch.delenv("OW_SEAL_KEK", raising=False)  # its old name, still read
    app = make_app(config={"PUBLIC_BASE_URL": BASE_URL})
    with app.app_context():
        item = certificate_item()
        yield SimpleNamespace(app=app, client=app.test_client(), item=item)


def _certificate(pages, n=1) -> Licence:
    case = SimpleNamespace(
        number=f"3699212026120200000{n}",
        item=pages.item,
        applicant_name=OWNER,
        applicant_type="person",
        applicant_id=OWNER_ID,
        data={
            "holder": OWNER,
            "location": ADDRESS,
            "unit_number": "369921001001GB00001F00010001",
            "area": "89.50",
            "use": "住宅",
            "right_type": "国有建设用地使用权/房屋所有权",
        },
    )
    licence = library.issue_for_case(case)
    seal_admin = db.session.query(Staff).filter_by(username="seal_admin").one()
    seals.seal_licence(db.session, licence, seal_admin)
    db.session.commit()
    return licence


def test_anonymous_page_does_not_show_the_owner_or_the_full_address(pages):
    licence = _certificate(pages)
    html = pages.client.get(f"/licences/verify/{licence.identifier}").get_data(as_text=True)
    assert 'data-status="valid"' in html
    assert OWNER not in html and ADDRESS not in html and "解放路" not in html
    assert "赵*" in html and "云溪县****" in html  # masked, still enough to compare with the paper
    assert OWNER_ID not in html and "369921001001GB00001F00010001" not in html  # hidden field
    assert "89.50" in html  # a public field stays


def test_right_verification_code_shows_the_full_content(pages):
    licence = _certificate(pages)
    html = pages.client.get(f"/licences/verify/{licence.identifier}?code={licence.verify_code}").get_data(as_text=True)
    assert 'id="full-content"' in html
    assert OWNER in html and ADDRESS in html and OWNER_ID in html and "369921001001GB00001F00010001" in html
    answer = pages.client.get(f"/api/v1/public/licences/{licence.identifier}/verify?code={licence.verify_code.lower()}")
    body = answer.get_json()
    assert body["full"] is True and body["licence"]["holder"] == OWNER
    assert {f["name"]: f["value"] for f in body["licence"]["fields"]}["location"] == ADDRESS


def test_wrong_verification_code_keeps_the_page_masked(pages):
    licence = _certificate(pages)
    wrong = "".join(reversed(licence.verify_code))
    html = pages.client.get(f"/licences/verify/{licence.identifier}?code={wrong}").get_data(as_text=True)
    assert 'id="wrong-code"' in html and OWNER not in html and ADDRESS not in html
    body = pages.client.get(f"/api/v1/public/licences/{licence.identifier}/verify?code={wrong}").get_json()
    assert body["full"] is False and body["code_accepted"] is False and body["licence"]["holder"] == "赵*"


def test_guessing_the_next_serial_without_the_code_gets_only_the_masked_page(pages):
    first = _certificate(pages, 1)
    second = _certificate(pages, 2)
    parsed = ids.parse(first.identifier)
    guessed = ids.build(parsed.type_oid, parsed.issuer, parsed.serial + 1, 1)  # computable check character
    assert guessed == second.identifier
    for code in ("", first.verify_code):  # no code, or the code of the licence one owns
        html = pages.client.get(f"/licences/verify/{guessed}?code={code}").get_data(as_text=True)
        assert 'data-status="valid"' in html and OWNER not in html and ADDRESS not in html
    assert first.verify_code != second.verify_code


def test_verification_code_is_random_not_derived_from_the_serial(pages):
    codes = [_certificate(pages, n).verify_code for n in range(1, 4)]
    assert len(set(codes)) == 3
    assert all(re.fullmatch(r"[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{10}", c) for c in codes)


def test_holder_login_shows_the_full_content(pages):
    licence = _certificate(pages)
    pages.client.post("/licences/holder", data={"holder_id": OWNER_ID, "access_code": licence.access_code})
    html = pages.client.get(f"/licences/verify/{licence.identifier}").get_data(as_text=True)
    assert OWNER in html and ADDRESS in html


def test_printed_licence_carries_the_verification_code_and_its_qr_link(pages):
    licence = _certificate(pages)
    with pages.app.test_request_context():
        html = render_licence_html(licence)
    assert licence.verify_code in html
    assert f"{BASE_URL}/licences/verify/{licence.identifier}?code={licence.verify_code}" in html


def test_every_registered_licence_type_declares_the_mask_of_every_field(pages):
    from onewindow.catalogue.packs import load_pack  # the demo pack's types as a county installs them

    types = {code: spec.fields for code, spec in plugin_types().items()}
    assert CERTIFICATE in types and "enterprise_business_licence" in types
    pack = load_pack(Path(__file__).resolve().parents[1] / "item_packs" / "demo-county")
    for raw in pack.sections["core.licences"]["types"]:
        types[raw["code"]] = raw.get("fields") or []
    for code, fields in types.items():
        for f in fields:
            assert f.get("mask") in MASKS, f"{code}.{f['name']}: no mask declared"
            if PERSONAL_FIELD.search(f"{f['name']} {f['label']}") or f.get("type") == "id_number":
                assert f["mask"] != "none", f"{code}.{f['name']} ({f['label']}) is personal but declared public"


def test_a_type_with_an_undeclared_or_public_personal_field_is_refused():
    base = {"code": "t.x", "name": "测试证", "type_oid": "99"}
    undeclared = spec_problems({**base, "fields": [{"name": "scope", "label": "范围"}]})
    assert any("declare how the public verification page shows it" in m for _f, m in undeclared)
    public_owner = spec_problems({**base, "fields": [{"name": "owner", "label": "权利人", "mask": "none"}]})
    assert any("cannot be public" in m for _f, m in public_owner)
    public_address = spec_problems({**base, "fields": [{"name": "site", "label": "经营场所", "mask": "none"}]})
    assert any("cannot be public" in m for _f, m in public_address)
    assert spec_problems({**base, "fields": [{"name": "owner", "label": "权利人", "mask": "name"}]}) == []


def test_a_plugin_type_without_masks_stops_startup(make_app, throwaway_plugin):
    plugin = throwaway_plugin(
        """
from onewindow.plugins import hookimpl

@hookimpl
def register_licence_types(register):
    register("t.leaky", name="泄露证", type_oid="99", fields=[{"name": "owner", "label": "权利人"}])
""",
        key="leaky",
    )
    with pytest.raises(StartupError, match="owner"):
        make_app(plugins=[("leaky", plugin)], sync=False)


def test_verify_code_migration_gives_every_existing_licence_its_own_random_code(tmp_path):
    """0010 backfills a verification code for licences issued before it (foreign keys off)."""
    import sqlite3

    from onewindow.app import create_app
    from onewindow.migrate import upgrade

    path = tmp_path / "ow.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"}, instance_path=tmp_path)
    upgrade(app, "0009_case_accepted_by")
    raw = sqlite3.connect(path)
    for table in ("ow_region", "ow_department", "ow_licence_type"):  # the rows licences refer to
        _bare_row(raw, table)
    for n in (1, 2, 3):
        raw.execute(
            "INSERT INTO ow_licence (id, identifier, type_id, serial, version, name, number, holder, holder_id, "
            "holder_id_type, issuer, issuer_code, department_id, issue_date, region, region_code, valid_from, data, "
            "status, access_code, created_at) VALUES (?, ?, 1, ?, 1, '不动产权证书', ?, '赵六', ?, 'resident_id', "
            "'云溪县', ?, 1, '2026-11-01', '云溪县', '369921', '2026-11-01', '{}', 'active', 'ACCESS2345', "
            "'2026-11-01 09:00:00')",
            (n, f"ident-{n}", n, f"N{n}", OWNER_ID, MARKET),
        )
    raw.commit()
    raw.close()
    upgrade(app)
    raw = sqlite3.connect(path)
    codes = [c for (c,) in raw.execute("SELECT verify_code FROM ow_licence ORDER BY id")]
    nullable = [row[3] for row in raw.execute("PRAGMA table_info(ow_licence)") if row[1] == "verify_code"]
    raw.close()
    assert len(set(codes)) == 3 and all(re.fullmatch(r"[23456789A-HJ-NP-Z]{10}", c) for c in codes)
    assert nullable == [1]  # NOT NULL once backfilled


def _bare_row(raw, table: str) -> None:
    """Row id 1 of ``table`` with a placeholder in every required column."""
    required = [
        (name, kind)
        for _cid, name, kind, notnull, default, pk in raw.execute(f"PRAGMA table_info({table})")
        if (notnull or pk) and default is None
    ]
    values = [
        1
        if name == "id" or "INT" in kind.upper() or "BOOL" in kind.upper()
        else "{}"
        if "JSON" in kind.upper()
        else "2026-11-01"
        if "DATE" in kind.upper()
        else f"x{name}"[:8]
        for name, kind in required
    ]
    raw.execute(
        f"INSERT INTO {table} ({', '.join(n for n, _k in required)}) VALUES ({', '.join('?' * len(values))})", values
    )
