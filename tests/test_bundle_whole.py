"""一件事 not yet accepted is handled as ONE application: refused (不予受理) as a whole with one
notice naming every member, deemed accepted as a whole when the lead department let the
correction-notice limit pass (行政许可法 §32), withdrawn as a whole; a member never alone."""

from __future__ import annotations

import datetime as dt

import pytest
from test_bundle_cases import MONDAY, REP, approver_of, counts, kaiban
from test_bundle_online import lead_approver, submit

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import PermissionDenied, TransitionError
from onewindow.cases.legal_clock import deemed_acceptance
from onewindow.cases.models import Case, CaseState, MaterialStatus, Notice
from onewindow.cases.transitions import run_transition
from onewindow.workdays import get_calendar


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def fresh(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def notices(parent: Case, kind: str) -> list[Notice]:
    return [n for c in [parent, *parent.children] for n in c.notices if n.kind == kind]


# --------------------------------------------------------------------------- 不予受理


def test_refusing_an_online_bundle_refuses_every_member_with_one_notice_naming_them(ctx, actor):
    parent = submit()
    with travel_to(MONDAY):
        run_transition(fresh(parent), "reject", actor("acceptor"), {"reasons": "申请事项依法不需要取得行政许可"})
    parent = fresh(parent)
    assert parent.state == CaseState.rejected and parent.closed_at is not None
    assert {c.state for c in parent.children} == {CaseState.rejected}
    assert all(not c.steps for c in parent.children)  # nobody was routed anything
    [notice] = notices(parent, "rejection")
    assert notice.case_id == parent.id
    assert [m["number"] for m in notice.content["members"]] == [c.number for c in parent.children]
    assert "行政复议" in notice.content["remedy"]


def test_the_bundles_rejection_notice_lists_every_member_in_its_pdf(app, actor, tmp_path):
    import subprocess

    from onewindow.documents.render import render_notice_pdf

    with app.app_context():
        parent = submit()
        with travel_to(MONDAY):
            engine.reject(fresh(parent), actor("acceptor"), "申请人不具备申请资格")
        parent = fresh(parent)
        [notice] = notices(parent, "rejection")
        path = tmp_path / "rejection.pdf"
        path.write_bytes(render_notice_pdf(notice))
        members = [c.item.name for c in parent.children]
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "一并不予受理" in flat and "申请人不具备申请资格" in flat
    assert all(name in flat for name in members)


def test_a_bundle_is_refused_only_with_reasons_and_only_by_the_window(ctx, actor):
    parent = submit()
    before = counts()
    with pytest.raises(TransitionError, match="理由"):
        engine.reject(fresh(parent), actor("acceptor"), "  ")
    db.session.rollback()
    with pytest.raises(PermissionDenied, match="acceptor"):
        engine.reject(fresh(parent), lead_approver(actor), "不符合条件")
    db.session.rollback()
    assert counts() == before and fresh(parent).state == CaseState.submitted


def test_a_bundle_in_correction_can_be_refused_and_an_accepted_one_cannot(ctx, actor):
    parent = submit()
    with travel_to(MONDAY):
        engine.pre_review(fresh(parent), lead_approver(actor), False, "请补正营业执照")
        engine.reject(fresh(parent), actor("acceptor"), "逾期未补正且申请人放弃")
    assert {c.state for c in [fresh(parent), *fresh(parent).children]} == {CaseState.rejected}

    other = submit()
    with travel_to(MONDAY):
        engine.pre_review(fresh(other), lead_approver(actor), True, "材料齐全")
        with pytest.raises(TransitionError):
            engine.reject(fresh(other), actor("acceptor"), "不符合条件")
    db.session.rollback()
    assert fresh(other).state == CaseState.in_review


# --------------------------------------------------------------------------- 视为受理 (§32)


def limit_end(parent: Case) -> dt.date:
    return get_calendar().add_workdays(parent.received_at.date(), parent.item.correction_limit_days)


def test_a_bundle_left_past_the_correction_limit_is_deemed_accepted_as_a_whole(ctx):
    parent = submit()
    end = limit_end(fresh(parent))
    with travel_to(dt.datetime.combine(end, dt.time(10))):  # the limit's last day: not yet
        assert deemed_acceptance() == 0
    assert fresh(parent).state == CaseState.submitted
    with travel_to(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(10))):
        assert deemed_acceptance() == 1  # the parent; its members with it, none on its own
    parent = fresh(parent)
    received = parent.received_at.date()
    assert parent.state == CaseState.in_review and parent.accepted_on == received
    assert {c.state for c in parent.children} == {CaseState.in_review}
    assert all(c.accepted_on == received and c.steps for c in parent.children)
    assert all(m.status == MaterialStatus.submitted for c in parent.children for m in c.materials if m.files)
    [notice] = notices(parent, "acceptance")
    assert notice.case_id == parent.id and notice.content["deemed"] is True
    assert "第三十二条" in notice.content["basis"]
    assert {m["number"] for m in notice.content["members"]} == {c.number for c in parent.children}
    assert parent.due_date >= max(c.due_date for c in parent.children)


def test_a_bundle_that_got_its_correction_notice_in_time_is_not_deemed_accepted(ctx, actor):
    parent = submit()
    with travel_to(MONDAY):
        engine.pre_review(fresh(parent), lead_approver(actor), False, "请补正")
    with travel_to(MONDAY + dt.timedelta(days=40)):
        assert deemed_acceptance() == 0
        with pytest.raises(TransitionError, match="不能视为受理"):
            run_transition(fresh(parent), "deem_accepted", actor("acceptor"), {})
    db.session.rollback()
    assert fresh(parent).state == CaseState.correction


# --------------------------------------------------------------------------- 撤回


def test_a_bundle_not_yet_accepted_is_withdrawn_as_a_whole_and_never_member_by_member(ctx, actor):
    parent = submit()
    child = fresh(parent).children[0]
    before = counts()
    with pytest.raises(TransitionError, match="整件撤回"):
        engine.withdraw(db.session.get(Case, child.id), actor("acceptor"), "不办了")
    db.session.rollback()
    assert counts() == before
    engine.withdraw(fresh(parent), engine.applicant_actor(REP), "不办了")
    parent = fresh(parent)
    assert parent.state == CaseState.withdrawn
    assert {c.state for c in parent.children} == {CaseState.withdrawn}


def test_an_accepted_bundle_still_withdraws_member_by_member(ctx, actor):
    parent = submit()
    with travel_to(MONDAY):
        engine.pre_review(fresh(parent), lead_approver(actor), True, "材料齐全")
        with pytest.raises(TransitionError, match="逐项撤回"):
            engine.withdraw(fresh(parent), actor("acceptor"), "不办了")
    db.session.rollback()
    assert fresh(parent).state == CaseState.in_review


# --------------------------------------------------------------------------- on the case page


def test_the_window_refuses_a_bundle_on_its_page_and_the_department_is_not_offered_it(app, login, actor):
    with app.app_context():
        parent = submit()
        pid, number = parent.id, parent.number
        lead = approver_of(kaiban().lead_department_id)
    window = app.test_client()
    login(window, "acceptor")
    page = window.get(f"/caseview/show/{pid}").get_data(as_text=True)
    assert f"/caseview/act/{pid}/reject" in page and f"/caseview/act/{pid}/withdraw" in page
    approver = app.test_client()
    login(approver, lead)
    assert f"/caseview/act/{pid}/reject" not in approver.get(f"/caseview/show/{pid}").get_data(as_text=True)
    with app.app_context():
        version = db.session.get(Case, pid).version
    response = window.post(
        f"/caseview/act/{pid}/reject",
        data={"version": version, "reasons": "申请事项不属于本中心受理范围", "basis": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        parent = db.session.get(Case, pid)
        assert parent.number == number and parent.state == CaseState.rejected
        assert {c.state for c in parent.children} == {CaseState.rejected}


def test_the_citizens_list_shows_no_date_for_a_refused_bundle(app, actor):
    """我的办件: a bundle waiting for pre-review shows the pre-review's last day; once refused it
    has no date to wait for."""
    from test_hall_bundle_browser import MOBILE, _citizen_with_company

    from tests.plugins.test_hall_accounts import login_password

    _citizen_with_company(app)
    with app.app_context():
        parent = submit()
        due = parent.pre_review_due.isoformat()
        pid = parent.id
    me = app.test_client()
    assert login_password(me, MOBILE).status_code in (302, 303)
    row = lambda: next(r for r in me.get("/hall/my/").get_data(as_text=True).split("<tr") if parent.number in r)  # noqa: E731
    assert due in row()
    with app.app_context():
        engine.reject(db.session.get(Case, pid), actor("acceptor"), "申请事项不属于本中心受理范围")
    assert due not in row()
