"""Messages to the citizen when their case changes (办件状态通知): accepted, correction
requested, pre-review passed / not passed, approved / denied, ready at the output window,
delivered — exactly one message per change, in Chinese, with the case number and the link
to 我的办件, to the applicant's hall account and to nobody else; through the platform's
notifications (the outbox by default), in the transition's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_hall_apply import OTHER, _case, _citizen, _number, _submit, citizen  # noqa: F401 (fixture)

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import CaseState, MaterialStatus
from onewindow.notify.models import Notification

MINE = "13800138000"  # the mobile of the ``citizen`` fixture's account
THEIRS = "13900139000"


def messages(app) -> list[Notification]:
    with app.app_context():
        return list(db.session.execute(select(Notification).where(Notification.kind == "hall.case_changed")).scalars())


@pytest.fixture
def other_citizen(app):
    return _citizen(app, OTHER, "李四", THEIRS)


def new_message(app, before: int, number: str, phrase: str) -> Notification:
    """The one message sent since ``before``: to the applicant, naming the case, its link, ``phrase``."""
    sent = messages(app)[before:]
    assert len(sent) == 1, [m.body for m in sent]
    [message] = sent
    assert message.recipient == MINE and message.channel.name == "sms"
    assert number in message.body and f"/hall/my/cases/{number}" in message.body
    assert phrase in message.body and message.body.startswith("【网上办事大厅】")
    assert message.status.name == "stored"  # the outbox backend: stored for the admin to read
    return message


def test_pre_review_passed_accepted_approved_ready_and_delivered_each_send_one_message(
    app, client, citizen, other_citizen, make_item, actor
):
    number = _number(_submit(client, app, make_item(name="状态通知测试许可")))
    assert messages(app) == []  # the applicant submitted it themself: no news
    with app.app_context():
        steps = [
            (lambda c: engine.pre_review(c, actor("approver"), True, "材料齐全"), "已通过网上预审"),
            (
                lambda c: engine.accept(
                    c, actor("acceptor"), {m.material_id: MaterialStatus.submitted for m in c.materials}
                ),
                "已受理",
            ),
            (lambda c: engine.approve_step(c, c.steps[0].id, actor("approver"), "同意"), "已准予许可"),
            (lambda c: engine.hand_to_output(c, actor("approver"), "许可证1份"), "请到统一出件窗口领取"),
            (lambda c: engine.deliver_pickup(c, actor("output_clerk"), "张三丰", "440304200002291236"), "已送达"),
        ]
        for change, phrase in steps:
            before = len(messages(app))
            change(_case(app, number))
            new_message(app, before, number, phrase)
        assert _case(app, number).state == CaseState.delivered
    assert all(m.recipient == MINE for m in messages(app))


def test_pre_review_not_passed_and_a_correction_request_each_send_one_message(
    app, client, citizen, other_citizen, make_item, actor
):
    failed = _number(_submit(client, app, make_item(name="预审不通过通知测试")))
    with app.app_context():
        case = _case(app, failed)
        engine.pre_review(case, actor("approver"), False, "", {case.materials[0].material_id: "申请书未签字"})
    new_message(app, 0, failed, "网上预审未通过")
    corrected = _number(_submit(client, app, make_item(name="补正通知测试")))
    with app.app_context():
        engine.pre_review(_case(app, corrected), actor("approver"), True, "")
        before = len(messages(app))
        case = _case(app, corrected)
        engine.request_correction(case, actor("acceptor"), {case.materials[0].material_id: "复印件不清晰"})
    new_message(app, before, corrected, "需要补齐补正")


def test_a_denial_sends_one_message(app, client, citizen, other_citizen, make_item, actor):
    number = _number(_submit(client, app, make_item(name="不予许可通知测试", visits=0)))
    with app.app_context():
        engine.pre_review(_case(app, number), actor("approver"), True, "")
        before = len(messages(app))
        case = _case(app, number)
        engine.deny_step(case, case.steps[0].id, actor("approver"), "不符合条件")
    new_message(app, before, number, "不予许可")


def test_a_refused_transition_sends_nothing(app, client, citizen, make_item, actor):
    number = _number(_submit(client, app, make_item(name="拒绝的转换测试")))
    with app.app_context(), pytest.raises(TransitionError):
        engine.pre_review(_case(app, number), actor("approver"), False, "")  # no reason: refused
    assert messages(app) == []


def test_an_applicant_without_a_hall_account_gets_nothing(app, make_item, actor):
    item_id = make_item(name="窗口受理无账户测试")
    with app.app_context():
        from onewindow.cases.models import ApplicantType, Channel
        from onewindow.models.items import Item

        item = db.session.get(Item, item_id)
        application = engine.Application(item, ApplicantType.person, "王五", OTHER, Channel.online)
        case = engine.submit(application, engine.applicant_actor(OTHER))
        engine.pre_review(case, actor("approver"), True, "")
    assert messages(app) == []
