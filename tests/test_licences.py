"""The e-licence library (电子证照库) [003 §四(六), §六(四)]: a decided case issues a licence,
the department's seal administrator seals it, anyone verifies it, and a later
application by the same holder gets it from the library instead of from the applicant."""

import datetime as dt
import threading
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from flask import g
from sqlalchemy import text

from onewindow.app import db
from onewindow.cases import clock
from onewindow.errors import ValidationError
from onewindow.licences import library, seals
from onewindow.licences.cli import licence_cli
from onewindow.licences.identifier import parse
from onewindow.licences.models import Licence, LicenceEvent, LicenceSerial, LicenceStatus, Seal
from onewindow.licences.types import install_pack_types
from onewindow.licences.verification import verify_licence, verify_url
from onewindow.models import Department, Staff
from onewindow.models.items import (
    HandlingType,
    Item,
    ItemType,
    Material,
    MaterialForm,
    MaterialSource,
    Necessity,
    ServiceMode,
)
from onewindow.qr import qr_svg

MARKET = "11369921102345608H"  # 云溪县市场监督管理局 (demo seal_admin, approver, chief_rep belong here)
REAL_ESTATE = "113699211024247953"
COMPANY = "91440300MA5G7K2L82"
PERSON = "440304200002291236"
BASE_URL = "https://zwfw.yunxi.example.cn"

PLUGIN = """
from onewindow.plugins import hookimpl

@hookimpl
def register_licence_types(register):
    register("test.food", name="食品经营许可证", type_oid="13100", validity_years=5, fields=[
        {"name": "business_name", "label": "经营者名称", "required": True, "mask": "none"},
        {"name": "address", "label": "经营场所", "mask": "address"},
        {"name": "legal_rep_id", "label": "法定代表人身份证号", "type": "id_number", "mask": "id"},
        {"name": "inspection_note", "label": "现场核查意见", "sensitive": True},
    ])

@hookimpl
def licence_data(case, licence_type):
    if licence_type.code == "test.food":
        return {"inspection_note": "现场核查符合要求", "scope": "预包装食品销售"}
"""

BUSINESS_LICENCE = {
    "code": "test.bizlicence",
    "name": "营业执照",
    "type_oid": "11100",
    "fields": [
        {"name": "business_name", "label": "名称", "required": True, "mask": "none"},
        {"name": "address", "label": "住所", "mask": "address"},
    ],
}


@pytest.fixture
def lic_app(make_app, throwaway_plugin, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_SEAL_KEK", raising=False)
    monkeypatch.delenv("OW_SEAL_KEK", raising=False)  # its old name, still read
    app = make_app(
        plugins=[("testlicences", throwaway_plugin(PLUGIN, key="testlicences"))], config={"PUBLIC_BASE_URL": BASE_URL}
    )
    with app.app_context():
        yield app


def _department(code=MARKET) -> Department:
    return db.session.query(Department).filter_by(credit_code=code).one()


def _user(name) -> Staff:
    return db.session.query(Staff).filter_by(username=name).one()


def _item(basic_code, name, licence_type_code, materials=()) -> Item:
    item_type = db.session.query(ItemType).filter_by(code="T1").one_or_none() or ItemType(code="T1", name="行政许可")
    dept = _department()
    item = Item(
        basic_code=basic_code,
        implementation_code=f"{dept.credit_code}3{basic_code}",
        name=name,
        item_type=item_type,
        department=dept,
        legal_days=20,
        promised_days=5,
        handling_type=HandlingType.promised,
        service_mode=ServiceMode.window_post,
        licence_type_code=licence_type_code,
    )
    for n, (mname, code) in enumerate(materials, start=1):
        item.materials.append(
            Material(
                position=n,
                name=mname,
                necessity=Necessity.required,
                form=MaterialForm.original,
                source=MaterialSource.government if code else MaterialSource.applicant,
                licence_type_code=code,
            )
        )
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def world(lic_app):
    """市场监管局 with a seal, the business-licence type from a pack, two items."""
    install_pack_types(
        SimpleNamespace(key="demo-county", sections={"core.licences": {"types": [BUSINESS_LICENCE]}}), db.session
    )
    seals.create_seal(db.session, _department(), "admin")
    db.session.commit()
    register = _item("000201001000", "企业设立登记", "test.bizlicence")
    food = _item(
        "000201002000",
        "食品经营许可",
        "test.food",
        materials=[("营业执照", "test.bizlicence"), ("食品安全管理制度", None)],
    )
    return SimpleNamespace(register=register, food=food)


def _case(item, number="36992120261125000001", applicant_id=COMPANY, applicant_type="company", **data):
    return SimpleNamespace(
        number=number,
        item=item,
        applicant_name="云溪县好味餐饮有限公司",
        applicant_type=applicant_type,
        applicant_id=applicant_id,
        data={"business_name": "云溪县好味餐饮有限公司", "address": "云溪县城南街道行政中心路8号", **data},
    )


def _issue_and_seal(case) -> Licence:
    licence = library.issue_for_case(case)
    seals.seal_licence(db.session, licence, _user("seal_admin"))
    db.session.commit()
    return licence


# --- issuing -------------------------------------------------------------------------


def test_decision_issues_licence_with_gbt_36904_identifier_and_gbt_36903_metadata(world):
    licence = library.issue_for_case(_case(world.register))
    db.session.commit()
    ident = parse(licence.identifier)
    assert (ident.type_oid, ident.issuer, ident.serial, ident.version) == ("11100", MARKET, 1, 1)
    meta = licence.metadata_fields()
    assert meta["name"] == "营业执照" and meta["holder_id"] == COMPANY and meta["holder_id_type"] == "credit_code"
    assert meta["issuer"] == "云溪县市场监督管理局" and meta["issuer_code"] == MARKET
    assert meta["region"] == "云溪县" and meta["issue_date"] == clock.today().isoformat()
    assert licence.data == {"business_name": "云溪县好味餐饮有限公司", "address": "云溪县城南街道行政中心路8号"}
    assert [e.action.name for e in licence.events] == ["issued"]


def test_licence_has_no_legal_effect_until_sealed(world):
    licence = library.issue_for_case(_case(world.register))
    assert licence.status == LicenceStatus.pending_seal
    assert verify_licence(licence).status == "unsealed"
    assert library.find_valid_licence(COMPANY, "test.bizlicence") is None


def test_plugin_types_and_licence_data_fill_the_licence(world):
    licence = library.issue_for_case(_case(world.food, legal_rep_id=PERSON))
    assert licence.licence_type.source == "plugin:testlicences"
    assert licence.data["inspection_note"] == "现场核查符合要求" and licence.data["scope"] == "预包装食品销售"
    assert licence.valid_until == licence.valid_from.replace(year=licence.valid_from.year + 5) - dt.timedelta(days=1)


def test_issuing_twice_for_the_same_case_returns_the_same_licence(world):
    case = _case(world.register)
    assert library.issue_for_case(case).id == library.issue_for_case(case).id


def test_missing_required_field_refuses_issuing_and_writes_nothing(world):
    case = _case(world.register)
    case.data = {"address": "某地"}
    with pytest.raises(ValidationError, match="缺少必填项 名称"):
        library.issue_for_case(case)
    db.session.rollback()
    assert db.session.query(Licence).count() == 0
    assert db.session.query(LicenceSerial).count() == 0


def test_applicant_id_with_a_wrong_checksum_is_refused(world):
    with pytest.raises(ValidationError, match="校验码错误"):
        library.issue_for_case(_case(world.register, applicant_id="91440300MA5G7K2L83"))


def test_serials_are_unique_under_concurrent_issuing(world, lic_app):
    from sqlalchemy.exc import OperationalError

    item_id, results, errors = world.register.id, [], []

    def issue(n):
        with lic_app.app_context():
            try:
                item = db.session.get(Item, item_id)
                for k in range(3):
                    for _attempt in range(50):
                        try:
                            lic = library.issue_for_case(_case(item, number=f"C{n}-{k}"))
                            db.session.commit()
                            results.append(lic.serial)
                            break
                        except OperationalError:
                            # SQLite: a writer whose snapshot went stale must retry its whole
                            # transaction ("database is locked"); PostgreSQL queues on the row lock.
                            # Back off as a caller would: on a loaded machine the lock holder may
                            # not run for a while, and fifty instant retries all fail.
                            db.session.rollback()
                            time.sleep(0.005 * (_attempt + 1))
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert sorted(results) == list(range(1, 10))


# --- sealing -------------------------------------------------------------------------


def test_only_the_departments_seal_admin_can_seal(world):
    from onewindow.staff import create_staff

    licence = library.issue_for_case(_case(world.register))
    other = create_staff(username="seal_re", password="s3cret-pass", roles=["seal_admin"], department_code=REAL_ESTATE)
    for user, message in [
        (_user("admin"), "只有.*的印章管理员才能加盖其电子印章"),
        (_user("approver"), "只有.*的印章管理员才能加盖其电子印章"),
        (other, "是其他部门的印章管理员"),
    ]:
        with pytest.raises(seals.SealRefused, match=message):
            seals.seal_licence(db.session, licence, user)
        assert licence.status == LicenceStatus.pending_seal and licence.signature is None
    seals.seal_licence(db.session, licence, _user("seal_admin"))
    assert licence.status == LicenceStatus.active
    assert licence.sealed_by.username == "seal_admin" and licence.sealed_at is not None


def test_sealing_without_a_seal_key_is_refused_clearly(world):
    licence = library.issue_for_case(_case(world.register))
    db.session.query(Seal).update({"active": False})
    with pytest.raises(seals.SealRefused, match="还没有电子印章密钥.*seal-create --department " + MARKET):
        seals.seal_licence(db.session, licence, _user("seal_admin"))


def test_sealing_under_another_key_encryption_key_is_refused(world, monkeypatch):
    licence = library.issue_for_case(_case(world.register))
    monkeypatch.setenv("ONEWINDOW_SEAL_KEK", "ab" * 32)
    with pytest.raises(ValidationError, match="无法用所配置的密钥加密密钥"):
        seals.seal_licence(db.session, licence, _user("seal_admin"))


def test_private_key_is_stored_encrypted_and_never_shown(world, lic_app, login):
    seal = db.session.query(Seal).one()
    private = seals.crypto.decrypt_private_key(seal.private_key_enc, seals.current_kek(), seal.key_id)
    assert private not in seal.private_key_enc and private not in repr(seal)
    client = lic_app.test_client()
    login(client, "admin")
    pages = client.get("/sealview/list/").get_data(as_text=True) + client.get(f"/sealview/show/{seal.id}").get_data(
        as_text=True
    )
    assert seal.key_id in pages
    assert private not in pages and seal.private_key_enc[20:60] not in pages


def test_sealed_licence_verifies_as_valid(world):
    licence = _issue_and_seal(_case(world.register))
    result = verify_licence(licence)
    assert result.status == "valid", result.reason


def test_changing_one_byte_of_sealed_licence_fails_verification(world, lic_app):
    licence = _issue_and_seal(_case(world.register))
    raw = db.session.execute(
        text("select CAST(data AS TEXT) from ow_licence where id = :id"), {"id": licence.id}
    ).scalar()
    # "…路8号" → "…路9号": one byte of the stored JSON (escaped or not) changes
    tampered = raw.replace("8\\u53f7", "9\\u53f7").replace("8号", "9号")
    assert len(tampered) == len(raw) and sum(a != b for a, b in zip(raw, tampered)) == 1
    value = "CAST(:d AS json)" if db.engine.dialect.name == "postgresql" else ":d"
    db.session.execute(text(f"update ow_licence set data = {value} where id = :id"), {"d": tampered, "id": licence.id})
    db.session.commit()
    db.session.expire_all()
    assert verify_licence(db.session.get(Licence, licence.id)).status == "tampered"
    answer = lic_app.test_client().get(f"/api/v1/public/licences/{licence.identifier}/verify").get_json()
    assert answer["status"] == "tampered" and not answer["valid"]
    assert library.find_valid_licence(COMPANY, "test.bizlicence") is None  # never shared


def test_key_rotation_keeps_old_licences_verifiable(world):
    old = _issue_and_seal(_case(world.register, number="N1"))
    new_seal = seals.rotate_seal(db.session, _department(), "admin")
    db.session.commit()
    newer = _issue_and_seal(_case(world.register, number="N2"))
    assert newer.seal.key_id == new_seal.key_id != old.seal.key_id
    assert verify_licence(old).status == "valid" and verify_licence(newer).status == "valid"
    assert old.seal.rotated_at is not None and not old.seal.active


# --- lifecycle ---------------------------------------------------------------------------


def test_revoked_licence_reports_revoked_with_the_reason(world, lic_app):
    licence = _issue_and_seal(_case(world.register))
    with pytest.raises(ValidationError, match="须写明理由"):
        library.revoke_licence(db.session, licence, _user("chief_rep"), " ")
    with pytest.raises(ValidationError, match="不能撤销"):
        library.revoke_licence(db.session, licence, _user("approver"), "违法经营")
    library.revoke_licence(db.session, licence, _user("chief_rep"), "以欺骗手段取得许可，依法撤销")
    db.session.commit()
    answer = lic_app.test_client().get(f"/api/v1/public/licences/{licence.identifier}/verify").get_json()
    assert answer["status"] == "revoked" and "依法撤销" in answer["message"]
    assert [e.action.name for e in licence.events] == ["issued", "sealed", "revoked"]


def test_expired_licence_reports_expired_and_expiry_is_recorded(world):
    licence = _issue_and_seal(_case(world.food))
    later = licence.valid_until + dt.timedelta(days=1)
    assert verify_licence(licence, on=later).status == "expired"
    assert library.expire_due_licences(db.session, on=later) == 1
    assert library.expire_due_licences(db.session, on=later) == 0  # idempotent
    assert licence.status == LicenceStatus.expired and licence.events[-1].action.name == "expired"


def test_update_issues_a_new_version_that_supersedes_the_old_once_sealed(world):
    old = _issue_and_seal(_case(world.register))
    new = library.update_licence(db.session, old, _user("chief_rep"), {"address": "云溪县云溪镇新街1号"}, "住所变更")
    assert parse(new.identifier).version == 2 and parse(new.identifier).serial == parse(old.identifier).serial
    assert old.status == LicenceStatus.active  # still in force until the new version is sealed
    with pytest.raises(ValidationError, match="已有待盖章的新版本"):
        library.update_licence(db.session, old, _user("chief_rep"), {"address": "x"}, "again")
    seals.seal_licence(db.session, new, _user("seal_admin"))
    db.session.commit()
    assert old.status == LicenceStatus.superseded and verify_licence(old).status == "superseded"
    assert verify_licence(new).status == "valid"
    assert library.find_valid_licence(COMPANY, "test.bizlicence").id == new.id


def test_lifecycle_events_are_append_only(world):
    licence = library.issue_for_case(_case(world.register))
    db.session.commit()
    event = db.session.query(LicenceEvent).filter_by(licence_id=licence.id).one()
    event.reason = "rewritten"
    with pytest.raises(ValidationError, match="append-only"):
        db.session.flush()
    db.session.rollback()


# --- sharing -------------------------------------------------------------------------------


def test_valid_licence_satisfies_government_material_of_a_later_application(world):
    licence = _issue_and_seal(_case(world.register))
    found = library.matching_licences_for_materials(world.food, COMPANY)
    licence_material = next(m for m in world.food.materials if m.licence_type_code)
    assert found == {licence_material.id: licence}  # the applicant's own material is not matched
    assert library.matching_licences_for_materials(world.food, "91350100M000100Y43") == {}
    library.revoke_licence(db.session, licence, _user("admin"), "注销登记")
    assert library.matching_licences_for_materials(world.food, COMPANY) == {}


# --- public verification -------------------------------------------------------------------


def test_public_verify_page_needs_no_login_and_masks_personal_data(world, lic_app):
    licence = _issue_and_seal(
        _case(world.food, number="P1", applicant_id=PERSON, applicant_type="person", legal_rep_id=PERSON)
    )
    client = lic_app.test_client()
    page = client.get(f"/licences/verify/{licence.identifier}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "证照有效" in html and "食品经营许可证" in html
    assert PERSON not in html and "440304********1236" in html
    assert "现场核查符合要求" not in html and "预包装食品销售" not in html  # sensitive / undeclared
    answer = client.get(f"/api/v1/public/licences/{licence.identifier}/verify").get_json()
    assert answer["status"] == "valid" and answer["licence"]["holder_id"] == "440304********1236"
    assert answer["licence"]["holder"].startswith("云") and "*" in answer["licence"]["holder"]


def test_malformed_identifier_answers_400_naming_the_check_character(world, lic_app):
    licence = _issue_and_seal(_case(world.register))
    wrong = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    client = lic_app.test_client()
    response = client.get(f"/api/v1/public/licences/{wrong}/verify")
    assert response.status_code == 400 and "校验码错误" in response.get_json()["message"]
    assert client.get(f"/licences/verify/{wrong}").status_code == 400


def test_unknown_identifier_answers_404(world, lic_app):
    from onewindow.licences.identifier import build

    unknown = build("11100", MARKET, 999, 1)
    assert lic_app.test_client().get(f"/api/v1/public/licences/{unknown}/verify").status_code == 404
    assert lic_app.test_client().get(f"/licences/verify/{unknown}").status_code == 404


def test_qr_code_points_at_the_public_verify_page(world, lic_app):
    licence = _issue_and_seal(_case(world.register))
    assert verify_url(licence.identifier) == f"{BASE_URL}/licences/verify/{licence.identifier}"
    response = lic_app.test_client().get(f"/licences/verify/{licence.identifier}/qr.svg")
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True) == qr_svg(verify_url(licence.identifier))


def test_holder_lists_and_downloads_licences_only_with_id_and_access_code(world, lic_app):
    licence = _issue_and_seal(_case(world.register))
    client = lic_app.test_client()
    refused = client.post("/licences/holder", data={"holder_id": COMPANY, "access_code": "WRONGCODE2"})
    assert licence.identifier not in refused.get_data(as_text=True)
    assert client.get(f"/licences/holder/{licence.identifier}.pdf").status_code == 403
    listed = client.post("/licences/holder", data={"holder_id": COMPANY, "access_code": licence.access_code})
    assert licence.identifier in listed.get_data(as_text=True)
    pdf = client.get(f"/licences/holder/{licence.identifier}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert b"NotoSansCJK" in _pdf_objects(pdf.data)  # Chinese drawn with the CJK font, not boxes


def _pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed object streams inflated (font names live there)."""
    import re
    import zlib

    parts = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            pass
    return b"".join(parts)


# --- staff screens and commands ---------------------------------------------------------------


def _signed_in(login, client, username):
    # Requests in these tests run inside the test's app context, so Flask-Login's cached
    # user (g._login_user) would carry over from the previous client: forget it first.
    g.pop("_login_user", None)
    g.pop("user", None)
    login(client, username)
    return client


def test_seal_admin_seals_from_the_licence_screen_and_others_cannot(world, lic_app, login):
    licence = library.issue_for_case(_case(world.register))
    db.session.commit()
    approver = _signed_in(login, lic_app.test_client(), "approver")
    page = approver.get(f"/licenceview/show/{licence.id}").get_data(as_text=True)
    assert licence.identifier in page and 'id="licence-seal"' not in page
    approver.post(f"/licenceview/seal/{licence.id}")
    db.session.expire_all()
    assert db.session.get(Licence, licence.id).status == LicenceStatus.pending_seal
    other = _signed_in(login, lic_app.test_client(), "approver_re")
    assert other.get(f"/licenceview/show/{licence.id}").status_code == 404  # another department's row
    sealer = _signed_in(login, lic_app.test_client(), "seal_admin")
    assert 'id="licence-seal"' in sealer.get(f"/licenceview/show/{licence.id}").get_data(as_text=True)
    sealer.post(f"/licenceview/seal/{licence.id}")
    db.session.expire_all()
    assert db.session.get(Licence, licence.id).status == LicenceStatus.active


def test_a_seal_admin_sees_only_the_own_departments_seal(world, lic_app, login):
    own = db.session.query(Seal).one()
    other = seals.create_seal(
        db.session, db.session.query(Department).filter(Department.id != own.department_id).first(), "admin"
    )
    db.session.commit()
    other_id = other.id
    sealer = _signed_in(login, lic_app.test_client(), "seal_admin")
    assert own.key_id in sealer.get(f"/sealview/show/{own.id}").get_data(as_text=True)  # FAB's detail table
    assert sealer.get(f"/sealview/show/{other_id}").status_code == 404  # another department's seal


def test_revoking_from_the_screen_needs_a_reason(world, lic_app, login):
    licence = _issue_and_seal(_case(world.register))
    chief = _signed_in(login, lic_app.test_client(), "chief_rep")
    chief.post(f"/licenceview/revoke/{licence.id}", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Licence, licence.id).status == LicenceStatus.active
    chief.post(f"/licenceview/revoke/{licence.id}", data={"reason": "申请人申请注销"})
    db.session.expire_all()
    assert db.session.get(Licence, licence.id).status == LicenceStatus.revoked


def test_cli_exports_and_verifies_offline_and_detects_one_changed_byte(world, lic_app, tmp_path):
    from onewindow.cli import State

    licence = _issue_and_seal(_case(world.register))
    state = State(None)
    state._app = lic_app
    exported = tmp_path / "licence.json"
    result = CliRunner().invoke(licence_cli, ["export", licence.identifier, str(exported)], obj=state)
    assert result.exit_code == 0, result.output
    ok = CliRunner().invoke(licence_cli, ["verify", str(exported)])
    assert ok.exit_code == 0 and ok.output.startswith("valid:"), ok.output
    exported.write_text(exported.read_text(encoding="utf-8").replace("8号", "9号"), encoding="utf-8")
    bad = CliRunner().invoke(licence_cli, ["verify", str(exported)])
    assert bad.exit_code == 1 and bad.output.startswith("tampered:"), bad.output


def test_cli_creates_and_rotates_a_departments_seal(lic_app):
    from onewindow.cli import State

    state = State(None)
    state._app = lic_app
    created = CliRunner().invoke(licence_cli, ["seal-create", "--department", REAL_ESTATE], obj=state)
    assert created.exit_code == 0, created.output
    again = CliRunner().invoke(licence_cli, ["seal-create", "--department", REAL_ESTATE], obj=state)
    assert again.exit_code != 0 and "已有启用中的电子印章" in str(again.exception)
    rotated = CliRunner().invoke(licence_cli, ["seal-rotate", "--department", REAL_ESTATE], obj=state)
    assert rotated.exit_code == 0, rotated.output
    db.session.expire_all()
    assert db.session.query(Seal).filter_by(department_id=_department(REAL_ESTATE).id, active=True).count() == 1


# --- the demo county, end to end -------------------------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
# The demo pack's licence types; until the proposal is merged into the pack, read it from handoff/.
DEMO_TYPES = [
    ROOT / "item_packs/demo-county/licence_types.yaml",
    ROOT / "handoff/licences-demo-pack-licence_types.yaml",
]


def test_demo_decision_yields_sealed_licence_that_verifies_fails_tampered_revokes_and_is_shared(lic_app):
    import yaml

    from onewindow.licences.types import SECTION

    register = (
        db.session.query(Item)
        .filter_by(licence_type_code="business_licence", is_current=True)
        .order_by(Item.id)
        .first()
    )
    later = next(
        (
            m.item
            for m in db.session.query(Material).filter_by(licence_type_code="business_licence")
            if m.source == MaterialSource.government and m.item.is_current
        ),
        None,
    )
    if register is None or later is None:
        pytest.skip("the demo pack has no item issuing a business licence and another needing it")
    path = next(p for p in DEMO_TYPES if p.exists())
    section = yaml.safe_load(path.read_text(encoding="utf-8"))[SECTION]
    if not db.session.query(Licence.id).first():
        install_pack_types(SimpleNamespace(key="demo-county", sections={SECTION: section}), db.session)
    seals.create_seal(db.session, _department(MARKET), "admin")
    db.session.commit()
    case = _case(register, company_name="云溪县好味餐饮有限公司", legal_rep_name="王五", business_scope="餐饮服务")
    licence = _issue_and_seal(case)
    client = lic_app.test_client()
    assert client.get(f"/api/v1/public/licences/{licence.identifier}/verify").get_json()["status"] == "valid"
    material = next(m for m in later.materials if m.licence_type_code == "business_licence")
    assert library.matching_licences_for_materials(later, COMPANY) == {material.id: licence}

    number = licence.number  # change one character of the sealed metadata, then put it back
    for value, expected in ((number[:-1] + ("9" if number[-1] != "9" else "8"), "tampered"), (number, "valid")):
        db.session.execute(text("update ow_licence set number = :n where id = :id"), {"n": value, "id": licence.id})
        db.session.commit()
        db.session.expire_all()
        assert client.get(f"/api/v1/public/licences/{licence.identifier}/verify").get_json()["status"] == expected
    db.session.expire_all()
    licence = db.session.get(Licence, licence.id)
    library.revoke_licence(db.session, licence, _user("chief_rep"), "企业申请注销")
    db.session.commit()
    assert client.get(f"/api/v1/public/licences/{licence.identifier}/verify").get_json()["status"] == "revoked"
    assert library.matching_licences_for_materials(later, COMPANY) == {}


def test_a_plugin_can_name_the_holder_of_a_new_company(make_app, throwaway_plugin, world):
    plugin = throwaway_plugin(
        f'''
        from onewindow.plugins import hookimpl

        @hookimpl
        def licence_data(case, licence_type):
            return {{"_holder": {{"name": "云溪县新设有限公司", "id": "{COMPANY}", "id_type": "credit_code"}}}}
    ''',
        key="holderplugin",
    )
    app = make_app(plugins=[("holderplugin", plugin)])
    with app.app_context():
        item = db.session.get(Item, world.register.id)
        licence = library.issue_for_case(_case(item, applicant_id=PERSON, applicant_type="person"))
        assert (licence.holder, licence.holder_id, licence.holder_id_type.name) == (
            "云溪县新设有限公司",
            COMPANY,
            "credit_code",
        )
