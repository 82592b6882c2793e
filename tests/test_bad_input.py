"""Bad input answers 400 (naming the parameter and what is allowed) or 404, never 500.

Each case here was a 500 before ``onewindow.request_checks`` (issue #21, findings).
The test client re-raises server errors (TESTING), so a regression fails loudly.
"""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.fixture
def admin(client, login):
    login(client, "admin")
    return client


def _page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, parameter, allowed",
    [
        (f"page_CaseView={HUGE}", "page_CaseView", "0 到 100000"),
        ("page_CaseView=abc", "page_CaseView", "0 到 100000"),
        ("page_CaseView=-1", "page_CaseView", "0 到 100000"),
        ("psize_CaseView=abc", "psize_CaseView", "1 到 100"),
        ("psize_CaseView=0", "psize_CaseView", "1 到 100"),
        ("_oc_CaseView=nope&_od_CaseView=asc", "_oc_CaseView", "number"),
        ("_oc_CaseView=number&_od_CaseView=sideways", "_od_CaseView", "asc"),
        ("_flt_0_state=x", "_flt_0_state", "submitted"),
        ("_flt_9_state=submitted", "_flt_9_state", "0 到"),
    ],
)
def test_case_list_refuses_bad_list_parameters_with_400_naming_them(admin, query, parameter, allowed):
    response = admin.get(f"/caseview/list/?{query}")
    assert response.status_code == 400
    text = _page_text(response)
    assert "请求有误" in text and parameter in text and allowed in text


def test_case_list_still_answers_good_parameters(admin):
    response = admin.get(
        "/caseview/list/?page_CaseView=0&psize_CaseView=25&_oc_CaseView=number&_od_CaseView=desc&_flt_0_state=submitted"
    )
    assert response.status_code == 200


def test_every_list_screen_refuses_a_huge_page_and_an_unknown_sort_column(app, admin):
    """The check is central: it holds for every FAB list, not only the case list."""
    lists = {r.endpoint.split(".")[0]: r.rule for r in app.url_map.iter_rules() if r.endpoint.endswith(".list")}
    assert len(lists) > 20
    for name, route in lists.items():
        for query in (f"page_{name}={HUGE}", f"_oc_{name}=no_such_column&_od_{name}=asc"):
            response = admin.get(f"{route}?{query}")
            assert response.status_code == 400, (route, query, response.status_code)


def test_a_huge_id_in_a_path_is_not_found(admin):
    # a 43-digit case number is a number, not an id: the case API looks it up (404 from it, with its message)
    assert "办件" in admin.get(f"/api/v1/cases/{'1' * 43}").get_json()["message"]
    assert admin.get(f"/caseview/show/{HUGE}").status_code == 404
    response = admin.get(f"/api/v1/departments/{HUGE}")
    assert response.status_code == 404
    assert set(response.get_json()) == {"message", "problems"}
    # one past PostgreSQL's INTEGER: the ids are 32-bit there, a larger one would be a 500
    assert admin.put("/api/v1/departments/2147483648", json={"name": "x"}).status_code == 404
    assert admin.get("/departmentview/show/2147483648").status_code == 404


def test_a_json_array_to_put_department_is_400_in_the_api_error_shape(admin):
    response = admin.put("/api/v1/departments/1", json=[1, 2])
    assert response.status_code == 400
    body = response.get_json()
    assert body["problems"] == [{"field": "body", "message": body["message"]}]
    assert "JSON 对象" in body["message"] and "数组" in body["message"]


@pytest.mark.parametrize("payload", ['"text"', "3", "null", "true"])
def test_any_json_body_that_is_not_an_object_is_400(admin, payload):
    response = admin.post("/api/v1/departments/", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["problems"][0]["field"] == "body"


def test_malformed_json_is_400_in_the_api_error_shape(admin):
    response = admin.put("/api/v1/departments/1", data="{bad", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["problems"][0]["field"] == "body"


def test_rest_list_page_beyond_the_limit_is_400_naming_q_page(admin):
    response = admin.get(f"/api/v1/departments/?q=(page:{HUGE},page_size:10)")
    assert response.status_code == 400
    assert response.get_json()["problems"][0]["field"] == "q.page"


def test_case_api_page_beyond_the_limit_is_400(admin):
    response = admin.get(f"/api/v1/cases/?page={HUGE}")
    assert response.status_code == 400
    assert response.get_json()["problems"][0]["field"] == "page"


def test_fab_api_errors_get_the_documented_shape(admin):
    response = admin.get("/api/v1/departments/?q=(order_column:nope,order_direction:asc)")
    assert response.status_code == 400
    body = response.get_json()
    assert isinstance(body["message"], str) and body["problems"] == []
    response = admin.post("/api/v1/departments/", json={"name": 3})
    assert response.status_code == 422
    body = response.get_json()
    assert isinstance(body["message"], str)
    assert any(p["field"] == "name" for p in body["problems"])


def test_anonymous_bad_list_parameters_go_to_login_and_reveal_no_columns(client):
    response = client.get("/caseview/list/?_oc_CaseView=nope&_od_CaseView=asc")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _user_form(**extra):
    data = {
        "first_name": "测",
        "last_name": "试",
        "username": "norole",
        "email": "norole@example.cn",
        "active": "y",
        "password": "Zq7!long-enough-pw",
        "conf_password": "Zq7!long-enough-pw",
    }
    data.update(extra)
    return data


def test_adding_a_user_without_a_role_is_refused_with_a_message(app, admin):
    response = admin.post("/users/add", data=_user_form())
    assert response.status_code == 200
    assert "请至少选择一个角色" in _page_text(response)
    from onewindow.app import db
    from onewindow.models import Staff

    with app.app_context():
        assert db.session.query(Staff).filter_by(username="norole").count() == 0


def test_editing_a_user_to_have_no_role_is_refused_with_a_message(app, admin):
    from onewindow.app import db
    from onewindow.models import Staff

    with app.app_context():
        user = db.session.query(Staff).filter_by(username="acceptor").one()
        user_id, roles_before = user.id, [r.name for r in user.roles]
    response = admin.post(
        f"/users/edit/{user_id}", data=_user_form(username="acceptor", email="acceptor-new@example.cn")
    )
    assert response.status_code == 200
    assert "请至少选择一个角色" in _page_text(response)
    with app.app_context():
        assert [r.name for r in db.session.get(Staff, user_id).roles] == roles_before


def test_fab_download_and_chart_paths_that_cannot_exist_are_not_found(admin):
    assert admin.get("/users/download/NONE.txt").status_code == 404
    assert admin.get("/departmentview/download/..%2Fonewindow.toml").status_code == 404
    assert admin.get("/userstatschartview/chart/NONE").status_code == 404
    assert admin.get("/userstatschartview/chart/99").status_code == 404
    assert admin.get("/userstatschartview/chart/0").status_code == 200


def test_a_department_the_model_refuses_is_422_not_500(admin):
    """Found by the OpenAPI fuzz run: the credit-code validator raised through FAB (500)."""
    response = admin.post("/api/v1/departments/", json={"name": "某局", "credit_code": "JOINT", "region": 1})
    assert response.status_code == 422
    body = response.get_json()
    assert "统一社会信用代码" in body["message"] and body["problems"][0]["message"] == body["message"]
    response = admin.put("/api/v1/departments/1", json={"credit_code": "JOINT"})
    assert response.status_code == 422
