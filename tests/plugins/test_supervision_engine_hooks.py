"""The engine reports to e-supervision: demands for materials outside the item's list
(``demand_refused`` hook → red card) and deemed acceptance (行政许可法 §32, the job applies
the engine's ``deem_accepted``)."""

import datetime as dt

import pytest
from onewindow_supervision.models import CardLevel, CardRule
from sqlalchemy import func, select
from supervision_helpers import accepted, all_cards, ctx, open_cards, scan_on  # noqa: F401 (fixtures)

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import ApplicantType, Case, CaseEvent, CaseState, Channel, Notice

MON, THU, FRI = dt.date(2026, 11, 23), dt.date(2026, 11, 26), dt.date(2026, 11, 27)
UNLISTED = 987654  # no material of any item has this id


def _snapshot(case):
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
    notices = db.session.scalar(select(func.count()).select_from(Notice).where(Notice.case_id == case.id))
    return (
        case.state,
        case.version,
        case.corrections_issued,
        case.accepted_on,
        events,
        notices,
        sorted((m.material_id, m.status, m.problem) for m in case.materials),
    )


def test_acceptors_out_of_list_demand_yields_one_red_card_and_leaves_the_case_unchanged(
    ctx, make_item, accepted, actor
):
    case = accepted(make_item(), channel=Channel.online)  # submitted, waiting for the window
    listed = case.materials[0].material_id
    before = _snapshot(case)
    with travel_to(MON), pytest.raises(TransitionError, match="不得要求清单外材料"):
        engine.request_correction(case, actor("acceptor"), {listed: "复印件不清晰", UNLISTED: "无犯罪记录证明"})
    assert _snapshot(case) == before
    cards = all_cards(CardRule.material_demand)
    assert [(c.level, c.case_id, c.staff, c.cleared_at, c.escalated_to) for c in cards] == [
        (CardLevel.red, case.id, "acceptor", None, "department_head,supervisor")
    ]
    assert str(UNLISTED) in cards[0].note and "出具补正通知" in cards[0].note
    assert cards[0].department_id == case.department_id and cards[0].window_id == case.window_id


def test_unknown_material_when_accepting_a_new_application_is_reported_too(ctx, make_item, actor):
    from onewindow.models import Window
    from onewindow.models.items import Item

    item = db.session.get(Item, make_item())
    window = db.session.query(Window).filter_by(code="A01").one()
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id="440304200002291236",
        window=window,
    )
    cases_before = db.session.scalar(select(func.count()).select_from(Case))
    statuses = {m.id: "submitted" for m in item.materials} | {UNLISTED: "submitted"}
    with travel_to(MON), pytest.raises(TransitionError, match="清单外的材料不得要求申请人提交"):
        engine.accept(application, actor("acceptor"), statuses)
    assert db.session.scalar(select(func.count()).select_from(Case)) == cases_before  # nothing stored
    cards = all_cards(CardRule.material_demand)
    assert [(c.case_id, c.department_id, c.window_id, c.staff) for c in cards] == [
        (None, item.department_id, window.id, "acceptor")
    ]
    assert "受理" in cards[0].note


def test_deemed_acceptance_job_accepts_as_of_the_receipt_date_once(ctx, make_item, accepted, scan_on, actor):
    from onewindow.cases.legal_clock import deemed_acceptance

    case = accepted(make_item(correction_limit=3, promised=5), channel=Channel.online)  # limit ends Thu 26
    with travel_to(THU):
        assert deemed_acceptance() == 0  # the limit has not passed yet
        with pytest.raises(TransitionError, match="尚未届满"):
            engine.deem_accepted(case, engine.SYSTEM)
    scan_on(FRI)
    assert [c.case_id for c in open_cards(CardRule.deemed_acceptance)] == [case.id]
    with travel_to(FRI):
        assert deemed_acceptance() == 1
        assert deemed_acceptance() == 0  # idempotent: the case is no longer submitted
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == CaseState.in_review
    assert case.accepted_on == case.received_at.date() == MON
    assert case.due_date == dt.date(2026, 11, 30)  # 5 working days counted from the receipt date
    assert [s.state.name for s in case.steps] == ["active"]
    events = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)).all()
    assert events.count("deem_accepted") == 1 and events[-1] == "deem_accepted"
    notice = db.session.scalars(select(Notice).where(Notice.case_id == case.id, Notice.kind == "acceptance")).one()
    assert notice.content["deemed"] is True and notice.content["accepted_on"] == MON.isoformat()
    with travel_to(FRI), pytest.raises(TransitionError):
        engine.deem_accepted(case, engine.SYSTEM)
    scan_on(FRI)
    assert open_cards(CardRule.deemed_acceptance) == []  # the case left `submitted`
