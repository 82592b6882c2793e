"""Enterprise registration through the REST API and the plugin's screens; disabling the
plugin leaves the core and the other plugins working."""

import pytest
from area1_helpers import AMR, PERSON
from onewindow_enterprise import service
from onewindow_enterprise.models import Enterprise
from test_enterprise_registration import NAME, establishment

from onewindow.app import db
from onewindow.cases.models import Case
from onewindow.models.items import Item
from onewindow.models.org import Window


@pytest.fixture
def api(client, demo_logins):
    tokens = {}

    def _call(method, url, username, **kw):
        if username not in tokens:
            response = client.post(
                "/api/v1/security/login",
                json={"username": username, "password": demo_logins[username], "provider": "db", "refresh": True},
            )
            tokens[username] = response.get_json()["access_token"]
        response = getattr(client, method)(url, headers={"Authorization": f"Bearer {tokens[username]}"}, **kw)
        return response.status_code, response.get_json()

    return _call


def establishment_body(app, **kw):
    with app.app_context():
        item = db.session.query(Item).filter_by(form_key=service.ESTABLISH, is_current=True).one()
        code, materials = item.implementation_code, [m.id for m in item.materials]
    return {
        "item_code": code,
        "channel": "window",
        "outcome": "accept",
        "applicant": {"type": "person", "name": "王五", "id": PERSON, "phone": "13800000000"},
        "materials": {str(m): "submitted" for m in materials},
        "data": establishment(**kw),
    }


def test_establishment_lifecycle_through_the_api(app, api):
    status, case = api("post", "/api/v1/cases/", "acceptor", json=establishment_body(app))
    assert status == 201, case
    number = case["number"]
    assert len(case["steps"]) == 3
    status, case = api("post", f"/api/v1/cases/{number}/approve_step", "approver", json={"opinion": "同意"})
    assert status == 200, case
    for step in [s for s in case["steps"] if s["state"] == "active"]:
        status, case = api(
            "post", f"/api/v1/cases/{number}/approve_step", "admin", json={"opinion": "同意", "step_id": step["id"]}
        )
        assert status == 200, case
    assert case["state"] == "approved" and case["licence_identifier"]
    status, case = api(
        "post",
        f"/api/v1/cases/{number}/hand_to_output",
        "approver",
        json={"result_description": "营业执照正本1份、副本1份"},
    )
    with app.app_context():
        from area1_helpers import seal_result

        from onewindow.cases.models import Case as _Case

        seal_result(db.session.query(_Case).filter_by(number=number).one())
    status, case = api(
        "post",
        f"/api/v1/cases/{number}/deliver_pickup",
        "output_clerk",
        json={"signee_name": "王五", "signee_id": PERSON},
    )
    assert status == 200 and case["state"] == "delivered"
    with app.app_context():
        assert db.session.query(Enterprise).filter_by(case_number=number).one().name == NAME


def test_api_refuses_shares_not_adding_up_with_the_field_named(app, api):
    status, body = api("post", "/api/v1/cases/", "acceptor", json=establishment_body(app, shares=("50", "20")))
    assert status == 422
    assert {"field": "股东出资比例", "message": "各股东出资比例合计为 70%，须等于 100%"} in body["problems"]


def test_one_form_screen_accepts_an_establishment(app, client, login):
    login(client, "acceptor")
    page = client.get("/enterprise/establish/")
    assert page.status_code == 200 and "shareholders-0-share" in page.get_data(as_text=True)
    with app.app_context():
        item = db.session.query(Item).filter_by(form_key=service.ESTABLISH, is_current=True).one()
        materials = {f"m{m.id}": "submitted" for m in item.materials}
    data = establishment()
    form = {k: v for k, v in data.items() if k != "shareholders"}
    for n, row in enumerate(data["shareholders"]):
        form.update({f"shareholders-{n}-{k}": v for k, v in row.items()})
    form.update({"shareholders-4-name": "", "applicant_name": "王五", "applicant_id": PERSON, **materials})
    response = client.post("/enterprise/establish/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        case = db.session.query(Case).one()
        assert [r["share"] for r in case.data["shareholders"]] == ["60", "40"]
        assert case.state.name == "in_review"


def test_one_form_screen_shows_every_problem(client, login):
    login(client, "acceptor")
    response = client.post(
        "/enterprise/establish/",
        data={
            "applicant_name": "王五",
            "applicant_id": PERSON,
            "company_name": "云溪县青山科技有限公司",
            "legal_rep_id": "440304200002291237",
            "shareholders-0-name": "甲",
            "shareholders-0-id_number": PERSON,
            "shareholders-0-share": "70",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "合计为 70%" in text and "法定代表人身份证号码" in text


def test_name_pre_check_page_names_the_conflict(app, client, login, actor):
    from area1_helpers import accept, application, approve_all, item_by_form

    with app.app_context():
        case = accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), establishment()))
        approver, admin = actor("approver"), actor("admin")
        approve_all(case, lambda code: approver if code == AMR else admin)
        code = db.session.query(Enterprise).one().uscc
    login(client, "acceptor")
    taken = client.get("/enterprise/name-check/", query_string={"name": "云溪县青山科技有限公司", "region": "369921"})
    assert code in taken.get_data(as_text=True)
    free = client.get("/enterprise/name-check/", query_string={"name": "云溪县绿水农业有限公司", "region": "369921"})
    assert "ow-name-free" in free.get_data(as_text=True)
    listing = client.get("/enterpriseview/list/")
    assert listing.status_code == 200 and code in listing.get_data(as_text=True)


@pytest.mark.parametrize("key", ["enterprise", "realestate", "public_security"])
def test_disabling_one_area_plugin_leaves_the_core_and_the_others_working(make_app, make_item, actor, login, key):
    from importlib.metadata import entry_points

    from area1_helpers import accept, application

    installed = {ep.name for ep in entry_points(group="onewindow.plugins")}
    if key not in installed:
        pytest.skip(f"plugin {key} is not installed")
    app = make_app(config={"PLUGINS_DISABLED": [key]})
    host = app.extensions["onewindow"].plugins
    loaded = {p.key for p in host.plugins if p.status == "loaded"}
    assert key not in loaded and (installed - {key}) <= loaded
    with app.app_context():
        item_id = make_item(name="停用插件后的事项")
        case = accept(actor("acceptor"), application(db.session.get(Item, item_id), {}))
        assert case.state.name == "in_review"
    client = app.test_client()
    login(client, "acceptor")
    assert client.get("/workbench/").status_code == 200
    urls = {
        "enterprise": "/enterprise/name-check/",
        "realestate": "/realestate/deed-tax/",
        "public_security": "/publicsecuritycaptureview/list/",
    }
    for other, url in urls.items():
        if other in installed:
            assert client.get(url).status_code == (404 if other == key else 200), url


def test_acceptance_workbench_renders_the_plugin_form_with_its_rows(app, client, login):
    """An item whose form a plugin supplies is entered at the generic workbench in that
    form (rows and all); the case keeps the rows as structured data, blank rows dropped."""
    login(client, "acceptor")
    with app.app_context():
        item = db.session.query(Item).filter_by(form_key=service.ESTABLISH, is_current=True).one()
        item_id, materials = item.id, {f"m{m.id}": "submitted" for m in item.materials}
        window_id = str(db.session.query(Window).filter_by(code="A01").one().id)
    page = client.get(f"/workbench/new/{item_id}").get_data(as_text=True)
    assert 'name="f_company_name"' in page and 'name="f_shareholders-0-id_number"' in page
    assert 'name="f_shareholders-2-share"' in page  # one required row and two blank ones
    data = establishment()
    form = {f"f_{k}": v for k, v in data.items() if k != "shareholders"}
    for n, row in enumerate(data["shareholders"]):
        form.update({f"f_shareholders-{n}-{k}": v for k, v in row.items()})
    form.update(
        {
            "f_shareholders-2-name": "",
            "f_shareholders-2-share": "",
            "applicant_type": "person",
            "applicant_name": "王五",
            "applicant_id": PERSON,
            "channel": "window",
            "outcome": "accept",
            "window_id": window_id,
            **materials,
        }
    )
    response = client.post(f"/workbench/new/{item_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        case = db.session.query(Case).one()
        assert case.data["shareholders"] == data["shareholders"]
        assert case.data["company_name"] == NAME and case.state.name == "in_review"
