"""Yellow and red cards raised and cleared by the scheduler's deadline scan [004 §二(八)1]."""

import datetime as dt
import threading

import pytest
from flask import current_app
from onewindow_supervision import service
from onewindow_supervision.models import CardLevel, CardRule
from supervision_helpers import accepted, all_cards, ctx, open_cards, scan_on  # noqa: F401 (fixtures)

from onewindow import unit_of_work
from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import Case, Channel
from onewindow.environ import getenv
from onewindow.plugins import hookimpl

MON, TUE, WED, THU, FRI, SAT = (dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27, 28))
DUE = dt.date(2026, 11, 30)  # 5 working days after Mon 23 Nov
AFTER = dt.date(2026, 12, 1)


def test_no_card_while_more_than_warning_days_are_left(ctx, make_item, accepted, scan_on):
    accepted(make_item(promised=5))
    scan_on(THU)  # Fri 27 and Mon 30 left: 2 working days > 1
    assert open_cards() == []


def test_yellow_card_when_at_most_n_working_days_are_left(ctx, make_item, accepted, scan_on):
    case = accepted(make_item(promised=5))
    counts = scan_on(FRI)  # only Mon 30 left
    cards = open_cards()
    assert counts["yellow"] == 2
    assert {(c.rule, c.level) for c in cards} == {
        (CardRule.case_due, CardLevel.yellow),
        (CardRule.step_due, CardLevel.yellow),
    }
    case_card = next(c for c in cards if c.rule == CardRule.case_due)
    assert case_card.case_id == case.id and case_card.due_date == DUE and case_card.staff == "acceptor"
    assert case_card.window.code == "A01" and case_card.raised_at == dt.datetime(2026, 11, 27, 8, 0)
    assert case_card.escalated_to == "department"


def test_items_warning_days_set_the_yellow_threshold(ctx, make_item, accepted, scan_on):
    accepted(make_item(promised=5, warning_days=3))
    scan_on(WED)  # Thu, Fri, Mon left: 3 working days
    assert {c.level for c in open_cards()} == {CardLevel.yellow}
    scan_on(TUE)  # 4 left: the item's threshold is 3 → the yellow card is cleared again
    assert open_cards() == []


def test_red_card_when_overdue_escalates_and_the_yellow_card_is_cleared(ctx, make_item, accepted, scan_on):
    accepted(make_item(promised=5))
    scan_on(FRI)
    scan_on(DUE)  # the due date itself is still within the limit
    assert {c.level for c in open_cards()} == {CardLevel.yellow}
    counts = scan_on(AFTER)
    assert counts["red"] == 2 and counts["escalated"] == 2
    red = open_cards()
    assert {c.level for c in red} == {CardLevel.red}
    assert all(c.escalated_to == "department_head,supervisor" for c in red)
    yellow = [c for c in all_cards() if c.level == CardLevel.yellow]
    assert all(c.cleared_at == dt.datetime(2026, 12, 1, 8, 0) and c.cleared_reason == "escalated" for c in yellow)


def test_a_double_run_raises_no_card_twice(ctx, make_item, accepted, scan_on):
    accepted(make_item(promised=5))
    scan_on(AFTER)
    again = scan_on(AFTER)
    assert again == {"yellow": 0, "red": 0, "cleared": 0, "escalated": 0, "full": 0}
    assert len(all_cards()) == 2


def test_two_schedulers_scanning_at_once_raise_each_card_once(app, make_item, accepted, scan_on):
    with app.app_context():
        for _ in range(5):
            accepted(make_item(promised=5))
    errors = []

    def worker():
        with app.app_context():
            try:
                scan_on(AFTER)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    # travel_to is one global: without this outer freeze the thread that leaves first would
    # put the real clock back under the other one's feet
    with travel_to(dt.datetime.combine(AFTER, dt.time(8, 0))):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors
    with app.app_context():
        cards = all_cards()
        assert len(cards) == 10  # 5 cases × (case + step)
        assert len({(c.rule, c.subject_id) for c in cards}) == 10


def test_the_first_scan_raises_the_card_of_every_overdue_case_and_step_once(ctx, make_item, accepted, scan_on):
    """The first scan raises every card from nothing (the backfill; on PostgreSQL half of
    the cases, by id, on a second connection): a red card for each overdue case and each
    overdue step, none missing, none twice."""
    cases = [accepted(make_item(promised=5)) for _ in range(7)]
    counts = scan_on(AFTER)
    assert counts["full"] == 1 and counts["red"] == 14 and counts["yellow"] == 0
    cards = all_cards()
    assert sorted((c.rule.name, c.subject_id, c.level.name) for c in cards) == sorted(
        [("case_due", c.id, "red") for c in cases] + [("step_due", c.steps[0].id, "red") for c in cases]
    )
    assert {c.case_id for c in cards} == {c.id for c in cases}
    assert scan_on(AFTER)["red"] == 0  # nothing left to raise


def test_cards_clear_when_the_work_is_done(ctx, make_item, accepted, scan_on, actor):
    case = accepted(make_item(promised=5))
    scan_on(AFTER)
    with travel_to(AFTER):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    scan_on(AFTER)
    assert [c.rule for c in open_cards()] == [CardRule.case_due]  # decided, result not yet handed over
    with travel_to(AFTER):
        engine.hand_to_output(case, actor("approver"), "许可证1份")
    scan_on(AFTER)
    assert open_cards() == []
    assert all(c.cleared_reason == "resolved" for c in all_cards())


def test_special_procedure_stops_the_clock_and_clears_the_card(ctx, make_item, accepted, scan_on, actor):
    case = accepted(make_item(promised=5))
    scan_on(FRI)
    with travel_to(FRI):
        engine.suspend(case, actor("approver"), "检测", "委托第三方检测")
    scan_on(AFTER)
    assert open_cards() == []  # 行政许可法 §45: the time does not count


def test_deferred_material_supply_deadline(ctx, make_item, accepted, scan_on, actor):
    case = accepted(make_item(promised=10), supply_deadline=THU)
    scan_on(WED)
    assert [(c.rule, c.level) for c in open_cards(CardRule.supply_due)] == [(CardRule.supply_due, CardLevel.yellow)]
    scan_on(FRI)
    assert [c.level for c in open_cards(CardRule.supply_due)] == [CardLevel.red]
    deferred = case.outstanding_deferred[0]
    with travel_to(FRI):
        engine.supply_material(case, actor("acceptor"), deferred.material_id)
    scan_on(FRI)
    assert open_cards(CardRule.supply_due) == []


def test_correction_limit_passed_without_notice_counts_as_accepted(ctx, make_item, accepted, scan_on):
    """行政许可法 §32: no correction notice within the limit → accepted from the receipt date."""
    case = accepted(make_item(correction_limit=3), channel=Channel.online)  # limit ends Thu 26
    scan_on(THU)
    assert open_cards(CardRule.deemed_acceptance) == []
    scan_on(FRI)
    deemed = open_cards(CardRule.deemed_acceptance)
    assert [(c.case_id, c.level, c.due_date) for c in deemed] == [(case.id, CardLevel.red, MON)]
    # the pre-review limit (2 working days) ran out too
    assert [c.level for c in open_cards(CardRule.pre_review_due)] == [CardLevel.red]


def test_rectification_deadline_cards(ctx, make_item, accepted, scan_on, actor):
    from onewindow_supervision.models import Rectification

    case = accepted(make_item(promised=1))
    with travel_to(TUE):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.hand_to_output(case, actor("approver"), "许可证1份")
        engine.deliver_pickup(case, actor("output_clerk"), "张三", "440304200002291236")
        with unit_of_work():
            service.record_evaluation(case, actor("acceptor"), "very_dissatisfied", "window", "态度差")
    rect = db.session.query(Rectification).one()
    scan_on(rect.deadline + dt.timedelta(days=1))
    assert [(c.subject_id, c.level) for c in open_cards(CardRule.rectification_due)] == [(rect.id, CardLevel.red)]


def test_silence_consent_job_consents_overdue_parallel_steps(ctx, make_item, accepted, actor):
    from supervision_helpers import RE, TAX

    from onewindow.cases.legal_clock import silence_consent
    from onewindow.cases.models import CaseState, StepState

    case = accepted(make_item(routing="parallel", department=RE, steps=[(RE, 3, True, False), (TAX, 2, False, True)]))
    with travel_to(TUE):
        engine.approve_step(case, case.steps[0].id, actor("approver_re"), "登记审核通过")
        assert silence_consent() == 0
    with travel_to(THU):
        assert silence_consent() == 1
        assert silence_consent() == 0  # idempotent
    db.session.refresh(case)
    assert case.steps[1].state == StepState.consented and case.state == CaseState.approved


def test_material_demanded_outside_the_list_gets_a_red_card(ctx, make_item, accepted, actor):
    case = accepted(make_item())
    with unit_of_work():
        card = service.record_material_demand(case, actor("acceptor"), "要求提供无犯罪记录证明")
    assert (card.rule, card.level, card.escalated_to) == (
        CardRule.material_demand,
        CardLevel.red,
        "department_head,supervisor",
    )
    with unit_of_work():
        service.review_card(card, actor("supervisor"), "已约谈窗口负责人")
    assert card.cleared_reason == "reviewed" and card.cleared_at is not None


def test_incremental_scan_sees_transitions_and_the_passing_days(ctx, make_item, accepted, scan_on, actor):
    first = accepted(make_item(promised=5))
    assert scan_on(MON)["full"] == 1  # the first scan checks everything
    second = accepted(make_item(promised=5), when=TUE)  # due Tue 1 Dec
    assert scan_on(FRI) == {"yellow": 2, "red": 0, "cleared": 0, "escalated": 0, "full": 0}
    with travel_to(FRI):
        engine.extend(first, actor("chief_rep"), 5, "需现场核查", "局长王某")  # an event: due moves to 7 Dec
    counts = scan_on(FRI)
    assert counts["cleared"] == 1 and counts["full"] == 0  # the case card; its step keeps its own limit
    assert {(c.rule, c.case_id) for c in open_cards()} == {(CardRule.step_due, first.id)}
    assert scan_on(dt.date(2026, 12, 1))["red"] == 1 and {c.case_id for c in open_cards(CardRule.case_due)} == {
        second.id
    }


def test_card_of_a_step_deleted_by_a_return_for_correction_is_cleared(ctx, make_item, accepted, scan_on, actor):
    """A department's return for correction deletes the case's steps (the case will be
    routed afresh after acceptance): the open card of the vanished step is cleared in
    that transition (no scan could find it by its step any more); the next scan clears
    the case's card (the clock stopped for the correction)."""
    case = accepted(make_item(promised=5))
    scan_on(FRI)
    assert {c.rule for c in open_cards()} == {CardRule.case_due, CardRule.step_due}
    step_card = open_cards(CardRule.step_due)[0]
    at = dt.datetime.combine(FRI, dt.time(10, 30))
    with travel_to(at):
        engine.return_for_correction(
            case, case.steps[0].id, actor("approver"), {case.materials[0].material_id: "复印件不清晰，请补交原件"}
        )
    db.session.expire_all()
    assert {c.rule for c in open_cards()} == {CardRule.case_due}
    cleared = db.session.get(type(step_card), step_card.id)
    assert (cleared.cleared_reason, cleared.cleared_at) == ("resolved", at) and cleared.step_id is not None
    counts = scan_on(FRI)
    assert counts["full"] == 0 and counts["cleared"] == 1 and open_cards() == []


@pytest.mark.skipif(not getenv("TEST_DATABASE_URL"), reason="PostgreSQL: the scan's advisory lock")
def test_a_return_for_correction_waits_for_a_running_scan_and_clears_the_card_it_raised(
    app, make_item, accepted, actor
):
    """A scan in progress has raised the step's card and not committed it: the return for
    correction waits for the scan (its lock, shared) and then clears that card as well."""
    from onewindow_supervision.scan import scan

    from onewindow.workdays import get_calendar

    with app.app_context():
        case_id = accepted(make_item(promised=5)).id
        calendar = get_calendar()
    approver, done, errors = actor("approver"), [], []

    def returner():
        with app.app_context():
            try:
                case = db.session.get(Case, case_id)
                engine.return_for_correction(
                    case, case.steps[0].id, approver, {case.materials[0].material_id: "复印件不清晰，请补交原件"}
                )
                done.append(True)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    at = dt.datetime.combine(FRI, dt.time(10, 30))
    with travel_to(at), app.app_context():  # one frozen clock for both threads
        conn = db.engine.connect()
        tx = conn.begin()
        assert scan(conn, FRI, at, calendar)["yellow"] == 2  # the case's and the step's, not committed
        thread = threading.Thread(target=returner)
        thread.start()
        thread.join(timeout=1.5)
        waited = thread.is_alive() and not done
        tx.commit()
        conn.close()
        thread.join(timeout=60)
    assert waited and done and not errors
    with app.app_context():
        assert {c.rule for c in open_cards()} == {CardRule.case_due}
        step_card = all_cards(CardRule.step_due)[0]
        assert (step_card.cleared_reason, step_card.cleared_at) == ("resolved", at)


class _RefusesStepRemoval:
    """A plugin whose ``steps_removed`` runs after the others' and refuses."""

    @hookimpl(trylast=True)
    def steps_removed(self, case, steps):
        raise TransitionError("另一插件拒绝本次退回补正")


def test_a_refused_return_for_correction_keeps_the_step_card(ctx, make_item, accepted, scan_on, actor):
    """The card is cleared inside the return's transaction: when the return is refused
    after the card's update (another plugin's hook), step and card stay as they were."""
    case = accepted(make_item(promised=5))
    scan_on(FRI)
    plugins = current_app.extensions["onewindow"].plugins.pm
    refuser = _RefusesStepRemoval()
    plugins.register(refuser)
    try:
        with travel_to(FRI), pytest.raises(TransitionError, match="另一插件拒绝"):
            engine.return_for_correction(
                case, case.steps[0].id, actor("approver"), {case.materials[0].material_id: "复印件不清晰，请补交原件"}
            )
    finally:
        plugins.unregister(refuser)
    db.session.expire_all()
    assert {c.rule for c in open_cards()} == {CardRule.case_due, CardRule.step_due}
    assert len(db.session.get(type(case), case.id).steps) == 1


def test_the_full_scan_of_case_limits_reads_the_case_table_in_order_on_sqlite(ctx):
    """The first scan and the nightly one check every open case against its limit: on
    SQLite (no statistics) the condition "not a bundle's member" must not send the planner
    through the parent index, which every case but the members is in (``parent_id`` NULL),
    looking up each case by rowid; the cases are read in table order. The query's rows are
    what the other tests of this file check."""
    from onewindow_supervision.scan import RULES, Params

    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    rule = next(r for r in RULES if r.rule == CardRule.case_due)
    query = rule.build(Params(MON, dt.datetime(2026, 11, 23, 8), {1: TUE}, 1, {}, sqlite=True))
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    plan = " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "SCAN ow_case" in plan and "parent" not in plan, plan
