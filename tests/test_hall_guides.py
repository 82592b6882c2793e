"""Online hall guides (办事指南): the public home on ``/``, browsing by audience, theme and
department, search by name, code, keyword and pinyin initials, and one printable page per item
with everything its pack holds."""

import re

import pytest

from onewindow.app import db
from onewindow.catalogue.packs import load_pack
from onewindow.models.items import Item


def _codes(body: str) -> list[str]:
    return re.findall(r'<li data-code="(\w+)"', body)


def _names(body: str) -> list[str]:
    return re.findall(r'<li data-code="\w+">\s*<a href="[^"]+">([^<]+)</a>', body)


def test_anonymous_visitor_gets_the_hall_home_with_search_browse_and_lookups(client):
    body = client.get("/").get_data(as_text=True)
    assert 'id="hall-home"' in body
    assert 'id="hall-q"' in body and '<label for="hall-q"' in body
    assert 'data-audience="person"' in body and 'data-audience="legal_person"' in body
    assert "企业开办" in body and "不动产登记" in body  # themes of the demo pack
    assert "云溪县市场监督管理局" in body  # departments
    assert 'href="/progress"' in body and 'id="hall-licence-id"' in body
    assert 'id="hall-staff-login"' in body and 'href="/login/' in body


def test_signed_in_staff_keep_their_workspace_on_the_home(client, login):
    login(client, "acceptor")
    body = client.get("/").get_data(as_text=True)
    assert 'id="ow-workspace"' in body and 'id="hall-home"' not in body


def test_public_home_without_the_hall_plugin_is_the_staff_sign_in(make_app, monkeypatch):
    monkeypatch.setenv("ONEWINDOW_PLUGINS_DISABLED", "hall")
    app = make_app()
    body = app.test_client().get("/").get_data(as_text=True)
    assert 'id="ow-home"' in body and 'id="hall-home"' not in body


def test_search_by_pinyin_initials_finds_the_item(client):
    body = client.get("/hall/items?q=gtgsh").get_data(as_text=True)
    assert _names(body) == ["个体工商户设立登记", "个体工商户注销登记"]
    assert _names(client.get("/hall/items?q=GTGSHSL").get_data(as_text=True)) == ["个体工商户设立登记"]


def test_search_by_full_pinyin_name_code_and_keyword(client):
    assert "个体工商户设立登记" in _names(client.get("/hall/items?q=getigongshanghu").get_data(as_text=True))
    assert _names(client.get("/hall/items?q=护照").get_data(as_text=True)) == ["普通护照签发"]
    assert _names(client.get("/hall/items?q=011004000000").get_data(as_text=True)) == ["个体工商户设立登记"]
    assert _names(client.get("/hall/items?q=二手房").get_data(as_text=True)) == ["不动产转移登记（存量房买卖）"]


def test_browse_by_audience_theme_and_department(app, client):
    companies = _names(client.get("/hall/items?audience=legal_person").get_data(as_text=True))
    people = _names(client.get("/hall/items?audience=person").get_data(as_text=True))
    assert "企业设立登记" in companies and "企业设立登记" not in people
    assert "居民身份证换领" in people and "居民身份证换领" not in companies
    for audience in ("person", "legal_person"):  # listed for both
        found = client.get(f"/hall/items?audience={audience}&q=gtgsh").get_data(as_text=True)
        assert "个体工商户设立登记" in _names(found)
    assert 'id="hall-total" data-total="' in client.get("/hall/items?audience=person").get_data(as_text=True)
    theme = _names(client.get("/hall/items?theme=出入境").get_data(as_text=True))
    assert theme == ["普通护照签发", "往来港澳通行证签发", "往来港澳通行证签注", "往来台湾通行证签发"]
    with app.app_context():
        item = db.session.query(Item).filter_by(basic_code="010301000000", is_current=True).one()
        dept_id, dept = item.department_id, item.department.name
    body = client.get(f"/hall/items?department={dept_id}").get_data(as_text=True)
    assert "普通护照签发" in _names(body) and "企业设立登记" not in _names(body) and dept in body


def test_search_filters_reject_bad_input_with_a_clear_message(client):
    response = client.get("/hall/items?department=abc")
    assert response.status_code == 400
    assert "department" in response.get_data(as_text=True)
    assert client.get("/hall/items?audience=alien").status_code == 400


def test_item_guide_shows_everything_the_pack_holds(app, client):
    with app.app_context():
        item = db.session.query(Item).filter_by(basic_code="011001000000", is_current=True).one()
        code = item.implementation_code
    response = client.get(f"/hall/items/{code}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for expected in (
        "企业设立登记",
        "申请人为拟设立公司的全体股东或其指定代表",  # conditions
        "公司登记（备案）申请书",  # materials …
        "市场监管总局统一格式",  # … with the sample
        'data-necessity="deferrable"',  # 容缺后补 material
        "《中华人民共和国市场主体登记管理条例》第三条",  # legal basis
        "A01",  # window
        "注册资本需要实缴吗？",  # FAQ
    ):
        assert expected in body, expected
    assert re.search(r'id="hall-legal-days">15\b', body) and re.search(r'id="hall-promised-days">1\b', body)
    assert 'id="hall-visits">' in body and 'id="hall-print"' in body
    assert client.get("/hall/items/011001000000").status_code == 200  # by basic code too


def test_item_guide_of_an_unknown_code_answers_404(client):
    assert client.get("/hall/items/999999999999").status_code == 404
    assert client.get("/hall/items/../../etc").status_code == 404


def test_guide_stylesheet_is_served_locally_and_has_print_rules(client):
    css = client.get("/hall/static/hall/hall.css").get_data(as_text=True)
    assert "@media print" in css and "hall-large" in css
    body = client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', body)  # nothing from outside (政务外网)


def test_pack_install_precomputes_pinyin_initials_of_every_item(app):
    from onewindow_hall.tables import ItemProfile

    with app.app_context():
        profiles = {p.basic_code: p for p in db.session.query(ItemProfile).filter_by(pack_key="demo-county")}
        items = db.session.query(Item).filter_by(pack_key="demo-county", is_current=True).count()
        assert len(profiles) == items
        assert profiles["011004000000"].initials == "gtgshsldj"
        assert profiles["011001000000"].audiences == ["legal_person"]


def test_guide_index_is_rebuilt_when_an_item_changes(app, client, make_item):
    assert _names(client.get("/hall/items?q=ycxcs").get_data(as_text=True)) == []
    with app.app_context():
        make_item(name="一次性测试许可")
    assert _names(client.get("/hall/items?q=ycxcs").get_data(as_text=True)) == ["一次性测试许可"]


@pytest.mark.parametrize(
    "section, where",
    [
        ({"audiences": {"alien": ["011001000000"]}}, "hall.audiences"),
        ({"themes": {"企业开办": ["99999"]}}, "hall.themes.企业开办"),
        ({"themes": {"企业开办": [11001000000]}}, "hall.themes.企业开办"),  # unquoted: YAML ate the 0
        ({"keywords": {"011001000000": "开公司"}}, "hall.keywords.011001000000"),
        ({"colours": {}}, "hall"),
    ],
)
def test_hall_pack_section_problems_name_where_to_fix(app, section, where):
    from pathlib import Path

    from onewindow_hall.profiles import validate_section

    pack = load_pack(Path(__file__).resolve().parents[1] / "item_packs" / "demo-county")
    pack.sections["hall"] = section
    problems = []
    validate_section(pack, lambda file, w, fld, message: problems.append((file, w, fld, message)))
    assert problems and problems[0][1] == where and problems[0][0].endswith("hall.yaml")
