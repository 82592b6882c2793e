"""Public security (公安): exit-entry items in their own sub-zone, in-person items refused
on zero-visit channels, results at the output window or by post."""

import datetime as dt

import pytest
from area1_helpers import BAD_ID, PERSON, POLICE, accept, application, approve_all, item_by_form, seal_result
from onewindow_public_security import service
from onewindow_public_security.models import Capture
from test_enterprise_screens import api  # noqa: F401  (the JWT client fixture)

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import ApplicationInvalid, TransitionError
from onewindow.cases.models import Case, Channel

PASSPORT_DATA = {
    "applicant_name": "王五",
    "id_number": PERSON,
    "phone": "13800000000",
    "address": "云溪县人民路1号",
    "gender": "男",
    "birth_date": "2000-02-29",
}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def passport(w="C05", **kw):
    return application(item_by_form(service.PASSPORT), {**PASSPORT_DATA, **kw}, window_code=w)


def test_passport_runs_from_the_exit_entry_window_to_postal_delivery(ctx, actor):
    case = accept(actor("acceptor"), passport())
    capture = db.session.query(Capture).filter_by(case_number=case.number).one()
    assert capture.window.code == "C05" and capture.captured_by == "acceptor"
    approve_all(case, lambda code: actor("admin"))
    assert case.state.name == "approved" and case.licence_identifier
    seal_result(case)
    with travel_to(dt.date(2026, 11, 24)):
        engine.hand_to_output(case, actor("admin"), "普通护照1本")
        engine.deliver_post(case, actor("output_clerk"), "EMS1234567890")
    with travel_to(dt.date(2026, 11, 25)):
        engine.confirm_post_delivery(case, actor("output_clerk"), "王五", dt.date(2026, 11, 25))
    assert case.state.name == "delivered" and case.delivery_method == "post"


@pytest.mark.parametrize("channel", [Channel.online, Channel.post, Channel.terminal])
def test_in_person_item_is_refused_for_zero_visit_channels(ctx, actor, channel):
    app_ = application(item_by_form(service.PASSPORT), PASSPORT_DATA, channel=channel)
    with pytest.raises(ApplicationInvalid) as excinfo:
        engine.submit(app_, actor("acceptor"))
    assert "须申请人本人到窗口办理" in dict(excinfo.value.problems)["渠道"]
    assert db.session.query(Case).count() == 0


def test_exit_entry_is_accepted_only_in_its_sub_zone(ctx, actor):
    with pytest.raises(ApplicationInvalid, match="F01"):  # the core: F01 does not serve 公安局
        accept(actor("acceptor"), passport(w="F01"))
    elsewhere = passport(w="F01")
    elsewhere.window_override = "C05 窗口暂停服务"  # the plugin's own rule holds even then
    with pytest.raises(TransitionError, match="出入境分区窗口（C05）"):
        accept(actor("acceptor"), elsewhere)
    assert db.session.query(Case).count() == 0 and db.session.query(Capture).count() == 0


def test_birth_date_sex_and_id_checksum_must_agree(ctx, actor):
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), passport(birth_date="2000-03-01", gender="女"))
    problems = dict(excinfo.value.problems)
    assert "第7至14位（20000229）" in problems["出生日期"] and "第17位" in problems["性别"]
    with pytest.raises(ApplicationInvalid, match="公民身份号码"):
        accept(actor("acceptor"), passport(id_number=BAD_ID))


def test_first_endorsement_needs_the_window_and_a_later_one_may_go_online(ctx, actor):
    item = item_by_form(service.ENDORSEMENT)
    data = {"applicant_name": "王五", "id_number": PERSON, "phone": "13800000000", "endorsement_type": "个人旅游"}
    with pytest.raises(ApplicationInvalid, match="首次申请往来港澳通行证签注须本人到出入境窗口办理"):
        engine.submit(application(item, data, channel=Channel.online), actor("acceptor"))
    first = accept(actor("acceptor"), application(item, data, window_code="C05"))
    approve_all(first, lambda code: actor("admin"))
    again = engine.submit(application(item, data, channel=Channel.online), actor("acceptor"))
    assert again.state.name == "submitted" and again.department.credit_code == POLICE


@pytest.fixture
def passport_body(app):
    with app.app_context():
        item = item_by_form(service.PASSPORT)
        code, materials = item.implementation_code, {str(m.id): "submitted" for m in item.materials}
    return lambda **kw: {
        "item_code": code,
        "data": PASSPORT_DATA,
        "materials": materials,
        "applicant": {"type": "person", "name": "王五", "id": PERSON},
        **kw,
    }


def test_passport_through_the_api_and_refused_online(app, api, passport_body):
    status, answer = api("post", "/api/v1/cases/", "acceptor", json=passport_body(outcome="submit", channel="online"))
    assert status == 422 and any(p["field"] == "渠道" and "本人到窗口" in p["message"] for p in answer["problems"])
    status, case = api("post", "/api/v1/cases/", "acceptor", json=passport_body(outcome="accept"))
    assert status == 201, case
    number = case["number"]
    status, case = api(
        "post",
        f"/api/v1/cases/{number}/approve_step",
        "admin",
        json={"opinion": "同意", "step_id": case["steps"][0]["id"]},
    )
    status, case = api(
        "post", f"/api/v1/cases/{number}/hand_to_output", "admin", json={"result_description": "护照1本"}
    )
    with app.app_context():
        seal_result(db.session.query(Case).filter_by(number=number).one())
    status, case = api(
        "post", f"/api/v1/cases/{number}/deliver_post", "output_clerk", json={"tracking_number": "EMS1234567890"}
    )
    assert status == 200 and case["state"] == "posted"
