"""The cases REST API (/api/v1/cases): JWT login, the whole lifecycle, the same role and
department checks as the screens, and every transition documented in /api/v1/_openapi."""

import json

import pytest
from click.testing import CliRunner

from onewindow.app import db
from onewindow.models.items import Item

PERSON = "440304200002291236"
OTHER_PERSON = "11010519491231002X"
AMR = "11369921102345608H"  # 市场监管局: users approver and chief_rep
TRANSITION_NAMES = [
    "pre_review",
    "accept",
    "accept_deferred",
    "request_correction",
    "reject",
    "supply_material",
    "approve_step",
    "deny_step",
    "return_for_correction",
    "decide_on_the_spot",
    "suspend",
    "resume",
    "extend",
    "hand_to_output",
    "refuse_at_output",
    "deliver_pickup",
    "deliver_post",
    "confirm_post_delivery",
    "withdraw",
]


@pytest.fixture
def jwt(client, demo_logins):
    """``jwt("acceptor")`` → Authorization headers of a fresh access token."""
    tokens = {}

    def _headers(username):
        if username not in tokens:
            response = client.post(
                "/api/v1/security/login",
                json={"username": username, "password": demo_logins[username], "provider": "db", "refresh": True},
            )
            assert response.status_code == 200, response.get_data(as_text=True)
            tokens[username] = response.get_json()["access_token"]
        return {"Authorization": f"Bearer {tokens[username]}"}

    return _headers


@pytest.fixture
def api(client, jwt):
    """``api("post", "/api/v1/cases/", "acceptor", json=...)`` → (status, JSON body)."""

    def _call(method, url, username, **kw):
        response = getattr(client, method)(url, headers=jwt(username), **kw)
        return response.status_code, response.get_json()

    return _call


def item_info(app, item_id):
    with app.app_context():
        item = db.session.get(Item, item_id)
        return item.implementation_code, [m.id for m in item.materials]


def application(code, material_ids, **kw):
    body = {
        "item_code": code,
        "channel": "window",
        "outcome": "accept",
        "applicant": {"type": "person", "name": "张三", "id": PERSON, "phone": "13800000000"},
        "materials": {str(m): "submitted" for m in material_ids},
    }
    body.update(kw)
    return body


@pytest.fixture
def accepted(app, api, make_item):
    """A case accepted through the API by the acceptor: returns its JSON."""

    def _accepted(**item_kw):
        code, materials = item_info(app, make_item(**item_kw))
        status, case = api("post", "/api/v1/cases/", "acceptor", json=application(code, materials))
        assert status == 201, case
        return case

    return _accepted


def test_full_lifecycle_through_the_api(api, accepted):
    case = accepted()
    number = case["number"]
    assert case["state"] == "in_review" and len(number) == 43
    assert "acceptance" in [n["kind"] for n in case["notices"]]
    status, case = api("post", f"/api/v1/cases/{number}/approve_step", "approver", json={"opinion": "同意"})
    assert status == 200, case
    assert case["state"] == "approved" and case["steps"][0]["decided_by"] == "approver"
    status, case = api(
        "post", f"/api/v1/cases/{number}/hand_to_output", "approver", json={"result_description": "许可证正本1份"}
    )
    assert status == 200 and case["state"] == "at_output"
    status, case = api(
        "post",
        f"/api/v1/cases/{number}/deliver_pickup",
        "output_clerk",
        json={"signee_name": "张三", "signee_id": PERSON},
    )
    assert status == 200, case
    assert case["state"] == "delivered"
    assert "receipt_sheet" in [n["kind"] for n in case["notices"]]
    status, case = api("get", f"/api/v1/cases/{number}", "output_clerk")
    actions = [e["action"] for e in case["events"]]
    assert actions == ["accept", "approve_step", "decide", "hand_to_output", "deliver_pickup"]


def test_transition_answers_only_the_events_it_appended(api, accepted):
    """A transition's answer does not grow with the timeline; the detail has all of it."""
    number = accepted()["number"]
    status, case = api("post", f"/api/v1/cases/{number}/approve_step", "approver", json={"opinion": "同意"})
    assert status == 200, case
    assert "events" not in case and "data" not in case
    assert [(e["seq"], e["action"]) for e in case["new_events"]] == [(2, "approve_step"), (3, "decide")]
    assert case["state"] == "approved" and case["steps"][0]["state"] == "approved"
    status, case = api(
        "post", f"/api/v1/cases/{number}/hand_to_output", "approver", json={"result_description": "许可证正本1份"}
    )
    assert [e["action"] for e in case["new_events"]] == ["hand_to_output"]
    status, detail = api("get", f"/api/v1/cases/{number}", "approver")
    assert [e["seq"] for e in detail["events"]] == [1, 2, 3, 4]


def test_approver_of_another_department_neither_sees_nor_approves(api, accepted):
    number = accepted()["number"]
    status, body = api("get", f"/api/v1/cases/{number}", "approver_re")
    assert status == 404 and number in body["message"]
    status, body = api("post", f"/api/v1/cases/{number}/approve_step", "approver_re", json={"opinion": "同意"})
    assert status in (403, 404)
    status, listing = api("get", "/api/v1/cases/", "approver_re")
    assert status == 200 and number not in [c["number"] for c in listing["result"]]
    status, listing = api("get", "/api/v1/cases/", "approver")  # the case's own department sees it
    assert number in [c["number"] for c in listing["result"]]


def test_engine_role_check_answers_403(api, accepted):
    number = accepted()["number"]
    status, body = api(
        "post", f"/api/v1/cases/{number}/approve_step", "output_clerk", json={"opinion": "同意", "step_id": 1}
    )
    assert status == 403 and "无权" in body["message"]


def test_supervisor_reads_but_cannot_change(api, accepted):
    number = accepted()["number"]
    status, case = api("get", f"/api/v1/cases/{number}", "supervisor")
    assert status == 200 and case["applicant_id"] == "440304********1236"
    status, _ = api("post", f"/api/v1/cases/{number}/withdraw", "supervisor", json={"reason": "x"})
    assert status == 403


def test_wrong_state_is_422_with_the_engine_message(api, accepted):
    number = accepted()["number"]
    status, body = api(
        "post", f"/api/v1/cases/{number}/hand_to_output", "approver", json={"result_description": "许可证1份"}
    )
    assert status == 422
    assert "当前状态为" in body["message"] and body["problems"][0]["message"] == body["message"]


def test_stale_version_is_a_409_conflict(api, accepted):
    case = accepted()
    number, version = case["number"], case["version"]
    status, _ = api("post", f"/api/v1/cases/{number}/approve_step", "approver", json={"opinion": "同意"})
    assert status == 200
    status, body = api(
        "post",
        f"/api/v1/cases/{number}/hand_to_output",
        "approver",
        json={"result_description": "许可证1份", "version": version},
    )
    assert status == 409 and "刷新" in body["message"]


def test_invalid_resident_id_is_422_naming_the_field(app, api, make_item):
    code, materials = item_info(app, make_item())
    body = application(code, materials)
    body["applicant"]["id"] = "440304200002291237"
    status, answer = api("post", "/api/v1/cases/", "acceptor", json=body)
    assert status == 422
    assert {"field": "身份证号码", "message": answer["problems"][0]["message"]} in answer["problems"]
    assert "最后一位应为 6" in answer["problems"][0]["message"]


def test_malformed_body_is_400_naming_each_field(app, api, make_item):
    code, materials = item_info(app, make_item())
    body = application(code, materials)
    body["materials"][str(materials[0])] = "lost"
    del body["applicant"]["id"]
    status, answer = api("post", "/api/v1/cases/", "acceptor", json=body)
    assert status == 400
    assert {p["field"] for p in answer["problems"]} == {"applicant.id", f"materials.{materials[0]}.value"}
    assert "applicant.id" in answer["message"]
    status, answer = api(
        "post", "/api/v1/cases/", "acceptor", json=application(code, materials, outcome="accept_deferred")
    )
    assert status == 400
    assert {p["field"] for p in answer["problems"]} == {"commitment", "supply_deadline"}


def test_unknown_item_code_and_unknown_case(api):
    status, answer = api(
        "post",
        "/api/v1/cases/",
        "acceptor",
        json=application("1" * 31, [], applicant={"type": "person", "name": "张三", "id": PERSON}),
    )
    assert status == 422 and answer["problems"][0]["field"] == "item_code"
    status, _ = api("get", "/api/v1/cases/" + "0" * 43, "acceptor")
    assert status == 404


def test_correction_at_the_window_then_acceptance(app, api, make_item):
    code, materials = item_info(app, make_item())
    status, case = api(
        "post",
        "/api/v1/cases/",
        "acceptor",
        json=application(
            code, materials, outcome="request_correction", materials={}, problems={str(materials[0]): "未签名"}
        ),
    )
    assert status == 201 and case["state"] == "correction"
    status, case = api(
        "post",
        f"/api/v1/cases/{case['number']}/accept",
        "acceptor",
        json={"materials": {str(m): "submitted" for m in materials}},
    )
    assert status == 200 and case["state"] == "in_review"


def test_correction_notice_through_the_api_lists_only_what_the_window_marked(app, api, make_item):
    code, materials = item_info(app, make_item())
    marks = {str(materials[0]): "submitted", str(materials[1]): "faulty", str(materials[2]): "missing"}
    status, case = api(
        "post",
        "/api/v1/cases/",
        "acceptor",
        json=application(
            code,
            materials,
            outcome="request_correction",
            materials=marks,
            problems={str(materials[1]): "身份证复印件不清晰"},
        ),
    )
    assert status == 201 and case["state"] == "correction"
    with app.app_context():
        from onewindow.cases.models import Case as CaseRow

        stored = db.session.query(CaseRow).filter_by(number=case["number"]).one()
        notice = next(n for n in stored.notices if n.kind == "correction")
        listed = {entry["material"]: entry["problem"] for entry in notice.content["items"]}
    assert listed == {"身份证明": "身份证复印件不清晰", "场所使用证明": "未提交"}


def test_list_masks_resident_ids_filters_and_pages(api, accepted):
    first, second = accepted(), accepted()
    status, listing = api("get", "/api/v1/cases/?state=in_review&page_size=1", "acceptor")
    assert status == 200 and listing["count"] == 2 and len(listing["result"]) == 1
    assert listing["result"][0]["number"] == second["number"]  # newest first
    assert listing["result"][0]["applicant_id"] == "440304********1236"
    assert PERSON not in json.dumps(listing)
    status, listing = api("get", f"/api/v1/cases/?department={AMR}&item_code={first['item_code']}", "chief_rep")
    assert [c["number"] for c in listing["result"]] == [first["number"]]
    status, listing = api("get", "/api/v1/cases/?state=delivered", "acceptor")
    assert listing["count"] == 0
    status, body = api("get", "/api/v1/cases/?page_size=500", "acceptor")
    assert status == 400 and body["problems"][0]["field"] == "page_size"
    status, case = api("get", f"/api/v1/cases/{first['number']}", "acceptor")
    assert case["applicant_id"] == PERSON  # the acceptance window sees the full number


def test_without_a_token_the_api_answers_401(client, login):
    assert client.get("/api/v1/cases/").status_code == 401
    assert client.post("/api/v1/cases/", json={}).status_code == 401
    login(client, "acceptor")  # the screens' session may read, but changes need the JWT
    assert client.get("/api/v1/cases/").status_code == 200
    assert client.post("/api/v1/cases/", json={}).status_code == 401


def test_every_transition_is_documented_in_openapi(client, jwt):
    response = client.get("/api/v1/_openapi", headers=jwt("acceptor"))
    assert response.status_code == 200
    spec = response.get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/cases/"])
    assert "get" in paths["/api/v1/cases/{number}"]
    for name in TRANSITION_NAMES:
        operation = paths[f"/api/v1/cases/{{number}}/{name}"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], name
        assert {"200", "403", "404", "409", "422"} <= {str(code) for code in operation["responses"]}
    assert "applicant" in spec["components"]["schemas"]["CaseCreateInput"]["properties"]


def test_cli_runs_the_same_transitions(app, accepted):
    from onewindow.api.case_cli import case_cli
    from onewindow.cli import State

    number = accepted()["number"]
    state = State(None)
    state._app = app

    def run(*args):
        return CliRunner().invoke(case_cli, list(args), obj=state)

    result = run("transition", number, "approve_step", "--as", "approver_re", "--json", '{"opinion": "同意"}')
    assert result.exit_code == 1 and "不在approver_re 的可见范围内" in str(result.exception)
    result = run("transition", number, "approve_step", "--as", "approver", "--json", '{"opinion": "同意"}')
    assert result.exit_code == 0, result.output
    assert "state approved" in result.output
    result = run("show", number, "--as", "supervisor")
    shown = json.loads(result.output)
    assert shown["state"] == "approved" and shown["applicant_id"] == "440304********1236"
    result = run("transition", number, "hand_to_output", "--as", "output_clerk", "--json", "{}")
    assert result.exit_code == 1 and "result_description" in str(result.exception)
