"""Organisation model rules: checksums, the region tree, the eight zones, window kinds."""

import pytest

from onewindow.app import db
from onewindow.errors import ValidationError
from onewindow.models import Department, Region, Window, Zone
from onewindow.models.org import RegionLevel, WindowKind, ZoneKind
from onewindow.validators import mask_resident_id, resident_id_problem, uscc_problem


def test_credit_code_checksum_is_validated():
    assert uscc_problem("91440300MA5G7K2L82") is None
    assert uscc_problem("11330100002502135H") is None
    assert "最后一位应为 2" in uscc_problem("91440300MA5G7K2L83")
    assert "I、O、S、V、Z" in uscc_problem("91440300MA5G7K2LO2")


def test_resident_id_checksum_and_birth_date():
    assert resident_id_problem("440304200002291236") is None
    assert resident_id_problem("11010519491231002X") is None
    assert "校验码" in resident_id_problem("440304200002291237")
    assert "出生日期" in resident_id_problem("440304200102291236")  # 2001-02-29 does not exist


def test_resident_id_is_masked_for_lists_and_public_pages():
    assert mask_resident_id("440304200002291236") == "440304********1236"


def test_department_with_bad_credit_code_is_refused_by_the_model(app):
    with app.app_context():
        region = db.session.query(Region).filter_by(code="369921").one()
        with pytest.raises(ValidationError, match="校验码错误"):
            Department(name="x", credit_code="91440300MA5G7K2L83", region=region)


def test_department_form_shows_checksum_error(client, login, app):
    login(client, "admin")
    with app.app_context():
        region_id = db.session.query(Region).filter_by(code="369921").one().id
        before = db.session.query(Department).count()
    page = client.post(
        "/departmentview/add",
        data={
            "name": "云溪县审计局",
            "credit_code": "91440300MA5G7K2L83",
            "region": str(region_id),
        },
    ).get_data(as_text=True)
    assert "最后一位应为 2" in page
    with app.app_context():
        assert db.session.query(Department).count() == before


def test_region_tree_has_five_levels_with_division_codes(app):
    with app.app_context():
        village = db.session.query(Region).filter_by(code="369921001001").one()
        chain = []
        node = village
        while node:
            chain.append(node.level)
            node = node.parent
    assert chain == [RegionLevel.village, RegionLevel.town, RegionLevel.county, RegionLevel.city, RegionLevel.province]


def test_region_must_sit_one_level_below_its_parent(app):
    with app.app_context():
        province = db.session.query(Region).filter_by(code="360000").one()
        town = Region(code="369921009", name="新镇", level=RegionLevel.town, parent=province)
        with pytest.raises(ValidationError, match="不能直接隶属于"):
            town.check_parent()
        db.session.rollback()


def test_bad_division_code_is_refused():
    with pytest.raises(ValidationError, match="6位"):
        Region(code="36992", name="x", level=RegionLevel.county)


def test_demo_centre_has_the_eight_shangrao_zones(app):
    with app.app_context():
        kinds = [z.kind for z in db.session.query(Zone).order_by(Zone.number)]
    assert kinds == list(ZoneKind)


def test_specialised_window_needs_the_centres_approval(app):
    with app.app_context():
        zone = db.session.query(Zone).filter_by(number=3).one()
        window = Window(zone=zone, code="C09", name="临时专业窗口", kind=WindowKind.specialised)
        with pytest.raises(ValidationError, match="批准文号"):
            window.check_kind_rules()
        db.session.rollback()


def test_window_serves_departments(app):
    with app.app_context():
        window = db.session.query(Window).filter_by(code="B01").one()
        names = {d.short_name for d in window.departments}
    assert names == {"不动产登记中心", "税务局", "住建局"}


def test_region_form_with_the_level_left_empty_or_unknown_is_a_form_error_not_a_500(client, login, app):
    """Bad input on an enum select of a generated form: the form again with the error
    beside the field, nothing stored (FAB's own EnumField answered 500)."""
    login(client, "admin")
    with app.app_context():
        before = db.session.query(Region).count()
    for level in ("", "galaxy"):
        response = client.post("/regionview/add", data={"code": "369921001", "name": "新城街道", "level": level})
        assert response.status_code == 200, level
        page = response.get_data(as_text=True)
        assert ("该字段是必填字段" if level == "" else "不是有效的选择") in page, level
    with app.app_context():
        assert db.session.query(Region).count() == before
