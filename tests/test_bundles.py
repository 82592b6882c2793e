"""Bundles (一件事一次办): the pack format, its validation, the derived limit, form, materials and fees."""

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from onewindow.app import db
from onewindow.cases import clock
from onewindow.catalogue.bundles import (
    applicable_members,
    critical_path,
    derive,
    derive_installed,
    due_dates,
    split_answers,
)
from onewindow.catalogue.install import PackRefused, install
from onewindow.catalogue.packs import load_pack, normalised_item
from onewindow.demo import DEMO_DIR
from onewindow.models.bundles import Bundle, BundleMember

KAIBAN = "kaiban-canyin"  # 开办餐饮店
ESTABLISH, FOOD, FIRE, DRAIN = "011001000000", "011006000000", "010626000000", "010627000000"
MARKET, FIRE_BRIGADE, HOUSING = "11369921102345608H", "11369921102899934R", "11369921102662363Q"


def copy_demo(tmp_path: Path, version: str | None = None) -> Path:
    target = tmp_path / "demo-county"
    shutil.copytree(DEMO_DIR, target)
    if version:
        path = target / "pack.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["version"] = version
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def edit_bundle(pack_dir: Path, code: str, change) -> None:
    path = pack_dir / "bundles.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(b for b in data["bundles"] if b["code"] == code))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def demo_items() -> dict:
    return {n["basic_code"]: n for n in load_pack(DEMO_DIR).normalised()}


def demo_bundle(code: str) -> dict:
    return next(b for _f, b in load_pack(DEMO_DIR).bundles if b["code"] == code)


def item(code: str, days: list[int], mode: str = "sequential", **extra) -> dict:
    """A minimal normalised item whose routing takes ``days`` per step."""
    steps = [{"department": MARKET, "lead": i == 0, "days": d} for i, d in enumerate(days)]
    return normalised_item(
        {
            "basic_code": code,
            "name": f"事项{code}",
            "department": extra.pop("department", MARKET),
            "handling_type": "promised",
            "promised_days": sum(days),
            "routing": {"mode": mode, "steps": steps},
            **extra,
        }
    )


# ------------------------------------------------------------------ install and validation


def test_demo_bundles_are_installed_with_their_members(app):
    with app.app_context():
        bundles = {b.code: b for b in db.session.query(Bundle).filter_by(pack_key="demo-county")}
        assert set(bundles) == {KAIBAN, "xinshenger-chusheng", "ershoufang-guohu", "qiye-biangeng", "tuixiu"}
        kaiban = bundles[KAIBAN]
        assert kaiban.name == "开办餐饮店" and kaiban.lead_department.credit_code == MARKET
        assert kaiban.output_window.code == "F09"
        assert [m.basic_code for m in kaiban.members] == [ESTABLISH, FOOD, FIRE, DRAIN]
        assert kaiban.members[3].condition == {"discharges_wastewater": True}
        # 设立登记 1 day, then the fire safety check (10) as the longest of the three that wait for it
        assert kaiban.computed_days == kaiban.promised_days == 11


def test_installing_bundles_again_changes_nothing(app, tmp_path):
    """An upgrade that leaves a bundle and its members alone does not rewrite the bundle."""
    pack_dir = copy_demo(tmp_path, version="1.0.1")
    path = pack_dir / "items" / "comprehensive.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["items"][0]["guide"] += "（更新）"  # 医疗机构执业登记: in no bundle
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with app.app_context():
        before = {(b.code, b.updated_on, b.content_hash) for b in db.session.query(Bundle)}
        members = sorted(m.id for m in db.session.query(BundleMember))
        result = install(load_pack(pack_dir), app, db.session, "admin")
        assert result.plan.mode == "upgrade" and len(result.plan.changed) == 1
        assert {(b.code, b.updated_on, b.content_hash) for b in db.session.query(Bundle)} == before
        assert sorted(m.id for m in db.session.query(BundleMember)) == members


def test_a_changed_member_rederives_the_bundle_on_upgrade(app, tmp_path):
    pack_dir = copy_demo(tmp_path, version="1.0.1")
    path = pack_dir / "items" / "linked.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fire = next(it for it in data["items"] if it["basic_code"] == FIRE)
    fire["promised_days"], fire["routing"]["steps"][0]["days"] = 5, 5
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with app.app_context():
        install(load_pack(pack_dir), app, db.session, "admin")
        kaiban = db.session.query(Bundle).filter_by(code=KAIBAN).one()
        assert kaiban.computed_days == 1 + 7  # now the food licence (7) is the longest after 设立登记
        assert derive_installed(kaiban, db.session).computed_days == 8


@pytest.mark.parametrize(
    "change, field, words",
    [
        (lambda b: b["members"][1].update(item="019999000000"), "members[2] 019999000000: item", "not an item"),
        (lambda b: b["members"].append({"item": FOOD}), f"members[5] {FOOD}: item", "a member twice"),
        (
            lambda b: b["members"][3].update(when={"sells_alcohol": True}),
            f"members[4] {DRAIN}: when.sells_alcohol",
            "no declared question",
        ),
        (
            lambda b: b.update(lead_department="11369921102979125H"),
            "lead_department",
            "serves none of the members",
        ),
        (lambda b: b.update(output_window="Z99"), "output_window", "not declared"),
        (lambda b: b["members"][0].update(after=[FOOD]), "members.after", "in a circle"),
        (lambda b: b.update(audience="everyone"), "audience", "choose one of"),
    ],
)
def test_a_broken_bundle_is_refused_naming_file_bundle_member_and_field(app, tmp_path, change, field, words):
    pack_dir = copy_demo(tmp_path, version="1.0.1")
    edit_bundle(pack_dir, KAIBAN, change)
    with app.app_context():
        count = db.session.query(BundleMember).count()
        with pytest.raises(PackRefused) as refused:
            install(load_pack(pack_dir), app, db.session, "admin")
        lines = [line for line in refused.value.report.lines() if "bundles.yaml" in line]
        assert len(lines) == 1, lines
        assert f"bundles.yaml: bundle {KAIBAN} 开办餐饮店: {field}: " in lines[0] and words in lines[0]
        assert db.session.query(BundleMember).count() == count


def test_a_declared_limit_shorter_than_computed_is_refused_with_both_numbers(app, tmp_path):
    pack_dir = copy_demo(tmp_path, version="1.0.1")
    edit_bundle(pack_dir, KAIBAN, lambda b: b.update(promised_days=8))
    with app.app_context():
        with pytest.raises(PackRefused) as refused:
            install(load_pack(pack_dir), app, db.session, "admin")
    (line,) = [x for x in refused.value.report.lines() if "promised_days" in x]
    assert "8 working days" in line and "the 11 the members' routing needs" in line
    assert f"{ESTABLISH} → {FIRE}" in line


def test_a_declared_limit_longer_than_computed_is_allowed(app, tmp_path):
    pack_dir = copy_demo(tmp_path, version="1.0.1")
    edit_bundle(pack_dir, KAIBAN, lambda b: b.update(promised_days=15))
    with app.app_context():
        install(load_pack(pack_dir), app, db.session, "admin")
        kaiban = db.session.query(Bundle).filter_by(code=KAIBAN).one()
        assert (kaiban.declared_days, kaiban.computed_days, kaiban.promised_days) == (15, 11, 15)


# ------------------------------------------------------------------ derived limit and fees


def test_computed_limit_is_the_critical_path_of_sequential_and_parallel_members(app):
    items = {
        "A": item("A", [2, 3]),  # sequential steps: 5
        "B": item("B", [4, 6], mode="parallel"),  # parallel steps: 6
        "C": item("C", [2]),
        "D": item("D", [1]),
    }
    members = [{"item": "A"}, {"item": "B", "after": ["A"]}, {"item": "C"}, {"item": "D", "after": ["B", "C"]}]
    cp = critical_path(members, items)
    assert (cp.days, cp.path) == (5 + 6 + 1, ["A", "B", "D"])

    # count the working days as the engine does, step by step across the National Day holiday
    accepted = dt.date(2026, 9, 24)
    with app.app_context():
        a_done = clock.add_workdays(clock.add_workdays(accepted, 2)[0], 3)[0]
        b_done = max(clock.add_workdays(a_done, 4)[0], clock.add_workdays(a_done, 6)[0])
        c_done = clock.add_workdays(accepted, 2)[0]
        d_done = clock.add_workdays(max(b_done, c_done), 1)[0]
        dates = due_dates(accepted, cp)
        assert dates == {"A": a_done, "B": b_done, "C": c_done, "D": d_done}
        assert (
            dates["D"] == clock.add_workdays(accepted, cp.days)[0] == dt.date(2026, 10, 19)
        )  # 10/10 is a make-up workday


def test_fees_are_summed_per_payee():
    items = {
        "A": item(
            "A", [1], fees=[{"name": "工本费", "standard": "10元/本"}, {"name": "登记费", "standard": "80元/件"}]
        ),
        "B": item("B", [1], fees=[{"name": "工本费", "standard": "5元/本"}]),
        "C": item("C", [1], department=FIRE_BRIGADE, fees=[{"name": "检测费", "standard": "按面积收取"}]),
    }
    fees = derive({"members": [{"item": "A"}, {"item": "B"}, {"item": "C"}]}, items).fees
    assert fees[MARKET].total == Decimal(95) and len(fees[MARKET].fees) == 3
    assert fees[FIRE_BRIGADE].total == 0 and fees[FIRE_BRIGADE].unpriced == ["事项C: 检测费 按面积收取"]


# ------------------------------------------------------------------ merged form and materials


def test_a_shared_field_is_asked_once_and_each_member_gets_it():
    derived = derive(demo_bundle(KAIBAN), demo_items())
    asked = [f for f in derived.form if f.key == "company_name"]
    assert len(asked) == 1 and {code for code, _name in asked[0].targets} == {ESTABLISH, FOOD, FIRE, DRAIN}
    answers = split_answers(derived.form, {"company_name": "云溪县好味餐饮有限公司", "legal_rep_name": "张三"})
    assert {code: a["company_name"] for code, a in answers.items()} == dict.fromkeys(
        [ESTABLISH, FOOD, FIRE, DRAIN], "云溪县好味餐饮有限公司"
    )
    assert "legal_rep_name" in answers[ESTABLISH] and "legal_rep_name" not in answers[FOOD]


def test_a_field_mapped_to_a_common_key_is_asked_once():
    bundle = demo_bundle("xinshenger-chusheng")
    derived = derive(bundle, demo_items())
    child = next(f for f in derived.form if f.key == "child_name")
    assert [code for code, _ in child.targets] == ["070305000000", "200633000000", "200632000000", "200623000000"]
    assert not any(f.key == "applicant_name" for f in derived.form)
    answers = split_answers(derived.form, {"child_name": "李小宝"})
    assert answers["070305000000"] == {"child_name": "李小宝"} and answers["200623000000"] == {
        "applicant_name": "李小宝"
    }


def test_a_material_shared_by_three_members_is_asked_once():
    derived = derive(demo_bundle(KAIBAN), demo_items())
    licence = [m for m in derived.materials if m.licence_type_code == "business_licence"]
    assert len(licence) == 1
    assert [code for code, _ in licence[0].targets] == [FOOD, FIRE, DRAIN]
    assert licence[0].from_library  # pulled from the e-licence library, not asked of the applicant
    asked = sum(
        len(items_["materials"]) for code, items_ in demo_items().items() if code in (ESTABLISH, FOOD, FIRE, DRAIN)
    )
    assert len(derived.materials) == asked - 2


def test_materials_declared_the_same_are_asked_once():
    items = {
        "A": item(
            "A",
            [1],
            materials=[{"name": "出生医学证明", "necessity": "optional", "form": "copy", "source": "applicant"}],
        ),
        "B": item(
            "B",
            [1],
            materials=[
                {"name": "新生儿出生医学证明", "necessity": "required", "form": "original", "source": "applicant"}
            ],
        ),
    }
    members = [{"item": "A"}, {"item": "B"}]
    assert len(derive({"members": members}, items).materials) == 2
    (merged,) = derive(
        {"members": members, "same_materials": [["出生医学证明", "新生儿出生医学证明"]]}, items
    ).materials
    assert (merged.name, merged.necessity, merged.form) == ("出生医学证明", "required", "original")


def test_a_member_with_a_condition_applies_only_when_the_answers_meet_it():
    bundle = demo_bundle(KAIBAN)
    assert [m["item"] for m in applicable_members(bundle, {"discharges_wastewater": False})] == [ESTABLISH, FOOD, FIRE]
    assert [m["item"] for m in applicable_members(bundle, {"discharges_wastewater": True})][-1] == DRAIN


# ------------------------------------------------------------------ screens


def test_the_upload_preview_shows_each_bundles_derived_form_materials_and_limit(client, login, tmp_path):
    import io
    import zipfile

    login(client, "admin")
    pack_dir = copy_demo(tmp_path, version="1.1.0")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in pack_dir.rglob("*"):
            zf.write(path, Path(pack_dir.name) / path.relative_to(pack_dir))
    buffer.seek(0)
    page = client.post(
        "/packs/upload/", data={"archive": (buffer, "pack.zip")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert 'id="bundle-kaiban-canyin"' in page and "apply-pack" in page
    section = page.split('id="bundle-kaiban-canyin"')[1].split('class="bundle-derived"')[0]
    assert "<strong>11</strong>" in section  # the computed limit
    assert "企业设立登记 → 公众聚集场所投入使用、营业前消防安全检查" in section  # the critical path
    # the business licence: one row, pulled from the library, needed by three members
    (row,) = [r for r in section.split("<tr") if "营业执照</td>" in r]
    assert "merged" in row and "电子证照库" in row
    assert all(name in row for name in ("食品经营许可证核发", "营业前消防安全检查", "城镇污水排入排水管网许可"))


def test_the_bundle_page_shows_what_was_merged_after_install(client, login, app):
    login(client, "acceptor")
    with app.app_context():
        bundle_id = db.session.query(Bundle.id).filter_by(code=KAIBAN).scalar()
    listing = client.get("/bundles/").get_data(as_text=True)
    assert "开办餐饮店" in listing and f"/bundles/{bundle_id}" in listing
    page = client.get(f"/bundles/{bundle_id}").get_data(as_text=True)
    assert "是否向城镇排水管网排放污水" in page and "<strong>11</strong>" in page
    (row,) = [r for r in page.split("<tr") if "<code>company_name</code>" in r]
    assert "merged" in row and all(
        name in row for name in ("企业设立登记", "食品经营许可证核发", "城镇污水排入排水管网许可")
    )
    assert client.get("/bundles/999999").status_code == 404
    from test_crawl_chinese import data_codes, page_problems

    assert page_problems(page, data_codes(app)) == []  # Chinese throughout: no raw keys, types or booleans
    assert "排放污水：是" in page


def test_pack_diff_lists_the_bundles_installing_would_add_change_or_remove(app, tmp_path):
    from onewindow.catalogue.install import plan

    pack_dir = copy_demo(tmp_path, version="1.0.1")
    edit_bundle(pack_dir, KAIBAN, lambda b: b.update(promised_days=15))
    path = pack_dir / "bundles.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["bundles"] = [b for b in data["bundles"] if b["code"] != "tuixiu"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with app.app_context():
        lines = plan(load_pack(pack_dir), db.session).lines(load_pack(pack_dir))
    bundle_lines = [line.strip() for line in lines if " bundle " in line]
    assert bundle_lines == [f"~ bundle {KAIBAN} 开办餐饮店: 4 member(s), limit 15", "- bundle tuixiu: removed"]


def test_uninstalling_a_pack_removes_its_bundles(app):
    from onewindow.catalogue.install import uninstall

    with app.app_context():
        assert db.session.query(Bundle).filter_by(pack_key="demo-county").count() == 5
        uninstall("demo-county", db.session, "admin")
        assert db.session.query(Bundle).count() == 0 and db.session.query(BundleMember).count() == 0


def test_a_shared_material_the_library_holds_is_pulled_not_asked(app):
    from types import SimpleNamespace

    from onewindow.catalogue.bundles import library_supplies
    from onewindow.licences import library, seals
    from onewindow.models import Department, Staff
    from onewindow.staff import create_staff

    company, other = "91440300MA5G7K2L82", "11330100002502135H"
    materials = derive(demo_bundle(KAIBAN), demo_items()).materials
    with app.app_context():
        market = db.session.query(Department).filter_by(credit_code=MARKET).one()
        seals.create_seal(db.session, market, "admin")
        sealer = create_staff(username="seal_b", password="s3cret-pass", roles=["seal_admin"], department_code=MARKET)
        licence = library.issue_for_case(
            SimpleNamespace(
                number="bundle-licence",
                item=SimpleNamespace(licence_type_code="business_licence", department=market),
                applicant_name="云溪县好味餐饮有限公司",
                applicant_id=company,
                applicant_type="company",
                data={"company_name": "云溪县好味餐饮有限公司"},
            )
        )
        seals.seal_licence(db.session, licence, db.session.query(Staff).filter_by(id=sealer.id).one())
        db.session.commit()
        pulled = library_supplies(materials, company)
        assert list(pulled) == ["营业执照"] and pulled["营业执照"].identifier == licence.identifier
        assert library_supplies(materials, other) == {}  # another applicant hands it in
