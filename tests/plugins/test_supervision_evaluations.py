"""好差评, rectification with callback, appeals, and 12345-style complaints, end to end."""

import datetime as dt

import pytest
from onewindow_supervision import service
from onewindow_supervision.models import (
    AppealState,
    ComplaintState,
    ComplaintTarget,
    Rectification,
    RectificationState,
)
from supervision_helpers import PERSON, RE, accepted, ctx, scan_on  # noqa: F401 (fixtures)

from onewindow import unit_of_work
from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import PermissionDenied
from onewindow.errors import ValidationError

TUE = dt.date(2026, 11, 24)


@pytest.fixture
def delivered(ctx, make_item, accepted, actor):
    case = accepted(make_item(promised=1))
    with travel_to(TUE):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.hand_to_output(case, actor("approver"), "许可证1份")
        engine.deliver_pickup(case, actor("output_clerk"), "张三", PERSON)
    return case


def evaluate(case, actor, level, comment=""):
    with travel_to(TUE), unit_of_work():
        return service.record_evaluation(case, actor("acceptor"), level, "window", comment)


def test_only_finished_cases_are_evaluated_once(ctx, make_item, accepted, delivered, actor):
    running = accepted(make_item())
    with pytest.raises(ValidationError, match="尚未办结"):
        evaluate(running, actor, "satisfied")
    ev = evaluate(delivered, actor, "very_satisfied")
    assert (ev.department_id, ev.window.code, ev.staff) == (delivered.department_id, "A01", "acceptor")
    with pytest.raises(ValidationError, match="已评价"):
        evaluate(delivered, actor, "satisfied")


def test_good_review_opens_no_rectification(delivered, actor):
    evaluate(delivered, actor, "fair")
    assert db.session.query(Rectification).count() == 0


def test_bad_review_opens_a_rectification_due_in_15_working_days(delivered, actor):
    with pytest.raises(ValidationError, match="具体意见"):
        evaluate(delivered, actor, "dissatisfied")
    ev = evaluate(delivered, actor, "dissatisfied", "窗口人员态度差")
    rect = db.session.query(Rectification).one()
    assert rect.evaluation_id == ev.id and rect.state == RectificationState.open
    assert rect.deadline == dt.date(2026, 12, 15)  # 15 working days after Tue 24 Nov


def test_rectification_days_are_configurable(make_app, actor, make_item):
    app = make_app(config={}, sync=False)
    app.extensions["onewindow"].plugins.plugin_sections["supervision"] = {"rectification_days": 5}
    assert app.extensions["onewindow"].plugin_config("supervision")["rectification_days"] == 5


def test_rectification_measures_then_callback_closes_it(delivered, actor):
    evaluate(delivered, actor, "very_dissatisfied", "多次往返")
    rect = db.session.query(Rectification).one()
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            service.submit_measures(rect, actor("approver_re"), "另一部门")  # not its department
    with pytest.raises(ValidationError, match="提交整改措施后"):
        with unit_of_work():
            service.record_callback(rect, actor("supervisor"), "回访", True)
    with unit_of_work():
        service.submit_measures(rect, actor("approver"), "开展服务规范培训，实行一次性告知")
    with unit_of_work():
        service.record_callback(rect, actor("supervisor"), "申请人表示不满意", False)
    assert rect.state == RectificationState.open  # back to the department
    with unit_of_work():
        service.submit_measures(rect, actor("approver"), "约谈窗口负责人，专人回访")
        service.record_callback(rect, actor("supervisor"), "申请人表示满意", True)
    assert rect.state == RectificationState.closed and rect.closed_at and rect.callback_satisfied


def test_upheld_appeal_excludes_the_review_and_cancels_the_rectification(delivered, actor):
    ev = evaluate(delivered, actor, "very_dissatisfied", "恶意差评")
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            service.appeal_evaluation(ev, actor("acceptor"), "误评")
    with unit_of_work():
        service.appeal_evaluation(ev, actor("chief_rep"), "申请人承认误操作")
    with pytest.raises(ValidationError, match="重复"):
        with unit_of_work():
            service.appeal_evaluation(ev, actor("chief_rep"), "再次")
    with unit_of_work():
        service.decide_appeal(ev, actor("supervisor"), True, "经核实属误评")
    rect = db.session.query(Rectification).one()
    assert ev.appeal_state == AppealState.upheld and ev.excluded
    assert rect.state == RectificationState.cancelled


def test_rejected_appeal_keeps_the_rectification(delivered, actor):
    ev = evaluate(delivered, actor, "dissatisfied", "等待时间长")
    with unit_of_work():
        service.appeal_evaluation(ev, actor("approver"), "高峰期")
        service.decide_appeal(ev, actor("supervisor"), False, "理由不成立")
    assert not ev.excluded and db.session.query(Rectification).one().state == RectificationState.open


def test_complaint_is_assigned_handled_and_closed_with_a_reply(delivered, actor):
    with unit_of_work():
        complaint = service.file_complaint(
            actor("acceptor"),
            channel="hotline",
            complainant="李四",
            content="办理时要求提供清单外材料",
            case=delivered,
            phone="12345",
        )
    assert complaint.target == ComplaintTarget.case and complaint.department_id == delivered.department_id
    assert complaint.number.startswith("TS") and complaint.state == ComplaintState.received
    with pytest.raises(ValidationError, match="交办后"):
        with unit_of_work():
            service.handle_complaint(complaint, actor("approver"), "核查", "答复")
    with unit_of_work():
        service.assign_complaint(complaint, actor("supervisor"), delivered.department_id)
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            service.handle_complaint(complaint, actor("approver_re"), "核查", "答复")
    with unit_of_work():
        service.handle_complaint(complaint, actor("approver"), "经核查属实，已批评教育", "已整改，感谢监督")
        service.close_complaint(complaint, actor("supervisor"))
    assert complaint.state == ComplaintState.closed and complaint.reply == "已整改，感谢监督"


def test_complaint_against_a_window_or_a_department(ctx, actor):
    from onewindow.models import Department, Window

    window = db.session.query(Window).filter_by(code="B01").one()
    dept = db.session.query(Department).filter_by(credit_code=RE).one()
    with unit_of_work():
        w = service.file_complaint(
            actor("supervisor"), channel="online", complainant="王五", content="窗口无人", window=window
        )
        d = service.file_complaint(
            actor("supervisor"), channel="letter", complainant="赵六", content="推诿", department_id=dept.id
        )
    assert (w.target, d.target) == (ComplaintTarget.window, ComplaintTarget.department)
    assert w.number != d.number
    with pytest.raises(ValidationError, match="指向"):
        with unit_of_work():
            service.file_complaint(actor("supervisor"), channel="online", complainant="x", content="y")
