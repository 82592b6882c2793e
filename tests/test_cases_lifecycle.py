"""Back office, decision, output and the clock [003 §四(五)–(七); 行政许可法 §32 §42 §45]."""

import contextlib
import datetime as dt
import threading

import pytest
from flask import current_app
from sqlalchemy import select, text

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.audit import verify_all
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import ConflictError, PermissionDenied, TransitionError
from onewindow.cases.models import (
    ApplicantType,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseState,
    CaseStep,
    Channel,
    MaterialStatus,
    StepState,
)
from onewindow.environ import getenv
from onewindow.models import Staff
from onewindow.models.items import Item
from onewindow.plugins import hookimpl

PERSON = "440304200002291236"
AMR = "11369921102345608H"  # 市场监管局
RE = "113699211024247953"  # 不动产登记中心
TAX = "11369921102820747H"  # 税务局
HOUSING = "11369921102662363Q"  # 住建局


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@contextlib.contextmanager
def registered(plugin):
    """``plugin``'s hooks take part for the duration."""
    plugins = current_app.extensions["onewindow"].plugins.pm
    plugins.register(plugin)
    try:
        yield plugin
    finally:
        plugins.unregister(plugin)


def accepted(item_id, acceptor, when=dt.date(2026, 11, 23)):
    item = db.session.get(Item, item_id)
    app_ = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id=PERSON,
        channel=Channel.window,
    )
    with travel_to(when):
        return engine.accept(app_, acceptor, {m.id: MaterialStatus.submitted for m in item.materials})


def test_sequential_routing_goes_to_the_lead_then_on_in_order(ctx, make_item, actor):
    item_id = make_item(steps=[(TAX, 2, False, False), (AMR, 3, True, False)])
    case = accepted(item_id, actor("acceptor"))
    lead, second = case.steps
    assert lead.department.credit_code == AMR and lead.is_lead and lead.state == StepState.active
    assert second.state == StepState.waiting
    with travel_to(dt.date(2026, 11, 24)):
        engine.approve_step(case, lead.id, actor("approver"), "同意")
    assert second.state == StepState.active and second.started_on == dt.date(2026, 11, 24)
    handovers = [n for n in case.notices if n.kind == "handover"]
    assert [n.department_id for n in handovers] == [lead.department_id, second.department_id]


def test_parallel_routing_fans_out_at_once(ctx, make_item, actor):
    item_id = make_item(
        routing="parallel",
        department=RE,
        steps=[(RE, 3, True, False), (TAX, 2, False, True), (HOUSING, 2, False, True)],
    )
    case = accepted(item_id, actor("acceptor"))
    assert [s.state for s in case.steps] == [StepState.active] * 3
    assert len([n for n in case.notices if n.kind == "handover"]) == 3


def test_silent_parallel_step_counts_as_consent_at_its_deadline(ctx, make_item, actor):
    item_id = make_item(routing="parallel", department=RE, steps=[(RE, 3, True, False), (TAX, 2, False, True)])
    case = accepted(item_id, actor("acceptor"))  # Mon 23 Nov; tax step due Wed 25 Nov
    lead, tax = case.steps
    with travel_to(dt.date(2026, 11, 24)):
        engine.approve_step(case, lead.id, actor("approver_re"), "登记审核通过")
        assert not engine.apply_silence_consent(case)  # not yet past the deadline
    with travel_to(dt.date(2026, 11, 26)):
        assert engine.apply_silence_consent(case)
        assert not engine.apply_silence_consent(case)  # idempotent
    assert tax.state == StepState.consented
    assert case.state == CaseState.approved


def test_step_without_silence_rule_never_consents_by_itself(ctx, make_item, actor):
    item_id = make_item(routing="parallel", department=RE, steps=[(RE, 3, True, False), (TAX, 2, False, False)])
    case = accepted(item_id, actor("acceptor"))
    with travel_to(dt.date(2026, 12, 30)):
        assert not engine.apply_silence_consent(case)
    assert case.steps[1].state == StepState.active


def test_department_acts_only_on_its_own_steps(ctx, make_item, actor):
    item_id = make_item()
    case = accepted(item_id, actor("acceptor"))
    with pytest.raises(PermissionDenied, match="不属于"):
        engine.approve_step(case, case.steps[0].id, actor("approver_re"), "同意")


def test_denial_closes_the_case_with_reasons(ctx, make_item, actor):
    item_id = make_item()
    case = accepted(item_id, actor("acceptor"))
    engine.deny_step(case, case.steps[0].id, actor("approver"), "经营场所不符合安全要求（依据…）")
    assert case.state == CaseState.denied and case.decision == "denied"


def test_chief_representative_decides_immediate_items_on_the_spot(ctx, make_item, actor):
    item_id = make_item(handling="immediate", promised=0)
    case = accepted(item_id, actor("acceptor"))
    assert case.due_date == dt.date(2026, 11, 23)  # 即办件: same day
    with pytest.raises(PermissionDenied):
        engine.decide_on_the_spot(case, actor("approver"), True, "当场办结")
    engine.decide_on_the_spot(case, actor("chief_rep"), True, "材料齐全，当场办结")
    assert case.state == CaseState.approved


def test_promised_item_cannot_be_decided_on_the_spot(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    with pytest.raises(TransitionError, match="不是即办件"):
        engine.decide_on_the_spot(case, actor("chief_rep"), True, "当场办结")


def test_department_correction_after_the_limit_is_refused(ctx, make_item, actor):
    item_id = make_item(correction_limit=3)
    case = accepted(item_id, actor("acceptor"))  # received Mon 23 Nov → limit Thu 26 Nov
    material = case.materials[0].material_id
    with travel_to(dt.date(2026, 11, 27)):
        with pytest.raises(TransitionError, match="视为|即为受理"):
            engine.return_for_correction(case, case.steps[0].id, actor("approver"), {material: "复印件不清"})
    with travel_to(dt.date(2026, 11, 26)):
        engine.return_for_correction(case, case.steps[0].id, actor("approver"), {material: "复印件不清"})
    assert case.state == CaseState.correction


def test_special_procedure_stops_the_clock(ctx, make_item, actor):
    item_id = make_item(promised=5)
    case = accepted(item_id, actor("acceptor"))  # due Mon 30 Nov
    assert case.due_date == dt.date(2026, 11, 30)
    with travel_to(dt.date(2026, 11, 24)):
        with pytest.raises(TransitionError, match="不是法定特别程序"):
            engine.suspend(case, actor("approver"), "开会研究", "需要研究")
        engine.suspend(case, actor("approver"), "检测", "委托第三方检测设备")
    assert any(n.kind == "special_procedure" for n in case.notices)
    with travel_to(dt.date(2026, 11, 27)):  # Wed, Thu, Fri do not count
        engine.resume(case, actor("approver"), "检测合格")
    assert case.stopped_days == 3
    assert case.due_date == dt.date(2026, 12, 3)


def test_extension_needs_approval_and_respects_the_items_limit(ctx, make_item, actor):
    item_id = make_item(promised=5, extension_days=10)
    case = accepted(item_id, actor("acceptor"))
    with pytest.raises(TransitionError, match="1 至 10"):
        engine.extend(case, actor("chief_rep"), 15, "情况复杂", "局长王某")
    with pytest.raises(PermissionDenied):
        engine.extend(case, actor("approver"), 5, "情况复杂", "局长王某")
    engine.extend(case, actor("chief_rep"), 5, "需现场核查", "局长王某")
    assert case.due_date == dt.date(2026, 12, 7)
    with pytest.raises(TransitionError, match="已延期一次"):
        engine.extend(case, actor("chief_rep"), 2, "再延", "局长王某")


def test_output_window_refuses_mismatch_then_hands_out_with_signature(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    engine.hand_to_output(case, actor("approver"), "许可证正本1份")
    engine.refuse_at_output(case, actor("output_clerk"), "许可证上申请人姓名与受理信息不符")
    assert case.state == CaseState.approved
    engine.hand_to_output(case, actor("approver"), "更正后的许可证正本1份")
    with pytest.raises(TransitionError, match="与申请人不一致"):
        engine.deliver_pickup(case, actor("output_clerk"), "李四", "11010519491231002X")
    engine.deliver_pickup(case, actor("output_clerk"), "张三", PERSON)
    sheet = next(n for n in case.notices if n.kind == "receipt_sheet")
    assert case.state == CaseState.delivered and sheet.content["signee"] == "张三"


def test_postal_delivery_records_tracking_number_and_signee(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    engine.hand_to_output(case, actor("approver"), "许可证1份")
    with travel_to(dt.date(2026, 11, 24)):
        engine.deliver_post(case, actor("output_clerk"), "EMS1234567890CN")
    with travel_to(dt.date(2026, 11, 25)):
        engine.confirm_post_delivery(case, actor("output_clerk"), "张三", dt.date(2026, 11, 25))
    assert (case.state, case.tracking_number, case.signee) == (CaseState.delivered, "EMS1234567890CN", "张三")


def test_result_of_item_without_postal_delivery_cannot_be_posted(ctx, make_item, actor):
    case = accepted(make_item(postal=False), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    engine.hand_to_output(case, actor("approver"), "证件1本")
    with pytest.raises(TransitionError, match="不能邮寄"):
        engine.deliver_post(case, actor("output_clerk"), "EMS1")


def test_applicant_may_withdraw_before_the_decision(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    engine.withdraw(case, engine.applicant_actor(case), "不再需要")
    assert case.state == CaseState.withdrawn
    with pytest.raises(TransitionError):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")


def test_wrong_state_says_what_the_state_is(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    with pytest.raises(TransitionError, match="当前状态为“"):
        engine.hand_to_output(case, actor("approver"), "x")


def test_every_transition_is_an_event_in_an_intact_hash_chain(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    actions = [e.action for e in case.events]
    assert actions == ["accept", "approve_step", "decide"]
    assert [e.seq for e in case.events] == [1, 2, 3]
    assert verify_all() == (1, [])


def test_tampering_with_an_event_is_detected(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    event_id = case.events[1].id
    db.session.execute(text("UPDATE ow_case_event SET reason = '不同意' WHERE id = :i"), {"i": event_id})
    db.session.commit()
    db.session.expire_all()
    checked, broken = verify_all()
    assert checked == 1 and len(broken) >= 1
    assert broken[0].seq == 2 and "篡改" in broken[0].problem


def test_events_cut_from_the_end_of_a_timeline_are_detected(ctx, make_item, actor):
    """Deleting the last events leaves every remaining link intact; the chain head kept
    on the case row still shows that the timeline was cut."""
    case = accepted(make_item(), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    assert (case.chain_seq, case.chain_hash) == (3, case.events[-1].hash)
    db.session.execute(text("DELETE FROM ow_case_event WHERE case_id = :c AND seq = 3"), {"c": case.id})
    db.session.commit()
    db.session.expire_all()
    checked, broken = verify_all()
    assert checked == 1 and len(broken) == 1
    assert broken[0].seq == 3 and "时间线却止于 #2" in broken[0].problem


def test_a_transition_shows_its_event_and_reads_other_rows_afresh_after_its_commit(ctx, make_item, actor):
    """Events are written apart from the unit of work: the timeline loaded before shows the
    new event, hooks see ``event.case``; after the commit rows outside the case and the
    reference data (here a user) are read afresh, as after any commit, while the case
    keeps what it just wrote."""
    seen = []

    class Spy:
        @hookimpl
        def case_transition(self, case, event):
            seen.append((event.case is case, event.action))

    item_id = make_item()
    case = accepted(item_id, actor("acceptor"))
    before = list(case.events)  # the timeline is loaded
    approver = db.session.query(Staff).filter_by(username="approver").one()
    approver_id = approver.id
    with registered(Spy()):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    with db.engine.begin() as other:  # an administrator edits the user right after the commit
        other.execute(text("update ab_user set phone = '0791-12345678' where id = :i"), {"i": approver_id})
    assert approver.phone == "0791-12345678"
    assert (True, "approve_step") in seen
    assert [e.action for e in case.events][len(before) :] == ["approve_step", "decide"]
    assert all(e.id is not None and e.case_id == case.id for e in case.events)
    assert case.state == CaseState.approved and case.version == 2


def test_a_transition_read_before_another_workers_commit_is_not_a_conflict(app, make_item, actor):
    """Two workers acting on different cases: the one that read its case before the other
    committed still gets through (on SQLite its write lock is taken on a fresh snapshot at
    the commit; its version check still guards its own case)."""
    with app.app_context():
        item_id = make_item()
        first, second = accepted(item_id, actor("acceptor")), accepted(item_id, actor("acceptor"))
        targets = {"a": (first.number, first.steps[0].id), "b": (second.number, second.steps[0].id)}
    approver = actor("approver")
    read, written = threading.Event(), threading.Event()
    outcomes = {}

    def act(key, before, after):
        number, step_id = targets[key]
        with app.app_context():
            try:
                before.wait(10) if before else None
                target = db.session.query(Case).filter_by(number=number).one()
                _ = target.steps, target.materials
                if after is read:  # keep this read snapshot open while the other worker commits
                    read.set()
                    written.wait(10)
                engine.approve_step(target, step_id, approver, "同意")
                outcomes[key] = "ok"
            except Exception as exc:  # noqa: BLE001 - the outcome is the assertion
                outcomes[key] = repr(exc)
            finally:
                db.session.remove()
                if after is written:
                    written.set()

    threads = [
        threading.Thread(target=act, args=("a", None, read)),
        threading.Thread(target=act, args=("b", read, written)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {"a": "ok", "b": "ok"}
    with app.app_context():
        for number, _ in targets.values():
            case = db.session.query(Case).filter_by(number=number).one()
            assert case.state == CaseState.approved
        assert verify_all()[1] == []


def test_concurrent_double_approval_yields_exactly_one_transition(app, make_item, actor):
    with app.app_context():
        item_id = make_item()
        case = accepted(item_id, actor("acceptor"))
        number, step_id = case.number, case.steps[0].id
    approver = actor("approver")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        with app.app_context():
            target = db.session.query(Case).filter_by(number=number).one()
            _ = target.steps, target.events, target.materials  # loaded before both act
            barrier.wait()
            try:
                engine.approve_step(target, step_id, approver, "同意")
                outcomes.append("ok")
            except (ConflictError, TransitionError) as exc:
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ConflictError", "ok"]
    with app.app_context():
        case = db.session.query(Case).filter_by(number=number).one()
        assert [e.action for e in case.events].count("approve_step") == 1


def test_a_transitions_rows_read_back_from_another_connection_as_the_case_holds_them(ctx, make_item, actor):
    """A transition writes its case, materials and steps with Core statements, not the
    ORM's unit of work: every value (defaults, foreign keys from relationships, the
    version counting one per transition) is in the rows, and the session holds them as
    stored — nothing pending, nothing left to flush."""
    item_id = make_item(steps=[(TAX, 2, False, False), (AMR, 3, True, False)])
    case = accepted(item_id, actor("acceptor"))
    assert not db.session.new and not db.session.dirty
    cases, materials_t, steps_t = Case.__table__, CaseMaterial.__table__, CaseStep.__table__

    def stored():  # the rows as another connection reads them (typed by the tables' columns)
        with db.engine.connect() as other:
            row = other.execute(select(cases).where(cases.c.id == case.id)).one()
            materials = other.execute(
                select(materials_t).where(materials_t.c.case_id == case.id).order_by(materials_t.c.position)
            ).all()
            steps = other.execute(
                select(steps_t).where(steps_t.c.case_id == case.id).order_by(steps_t.c.position)
            ).all()
        return row, materials, steps

    row, materials, steps = stored()
    assert row.state == CaseState.in_review and row.version == case.version == 1
    assert (row.item_id, row.department_id) == (item_id, case.item.department_id)
    assert (row.stopped_days, row.extended_days, row.corrections_issued) == (0, 0, 0)
    assert not row.simulated and not row.confidential and row.due_confirmed
    assert (row.chain_seq, row.chain_hash) == (case.events[-1].seq, case.events[-1].hash)
    assert (row.received_at, row.due_date, row.number) == (case.received_at, case.due_date, case.number)
    assert [(m.id, m.case_id, m.material_id, m.status) for m in materials] == [
        (m.id, case.id, m.material_id, m.status) for m in case.materials
    ]
    assert [(s.id, s.case_id, s.department_id, s.state, s.due_date) for s in steps] == [
        (s.id, case.id, s.department_id, s.state, s.due_date) for s in case.steps
    ]
    lead = next(s for s in case.steps if s.is_lead)
    with travel_to(dt.date(2026, 11, 24)):
        engine.approve_step(case, lead.id, actor("approver"), "同意")
    row, _, steps = stored()
    assert row.version == case.version == 2
    assert [s.state for s in steps] == [s.state for s in case.steps] == [StepState.approved, StepState.active]
    assert not db.session.dirty


def test_a_transition_failing_after_its_rows_are_written_leaves_case_and_session_as_stored(ctx, make_item, actor):
    """All or nothing: the case and step rows are written before the event; when the event
    cannot be written (another worker appended the same link of the chain first) the
    transition is a conflict, no row changes, and the case reads as stored again."""
    item_id = make_item()
    case = accepted(item_id, actor("acceptor"))
    step_id, seq = case.steps[0].id, case.chain_seq
    with db.engine.begin() as other:
        other.execute(
            text(
                "insert into ow_case_event (case_id, seq, action, to_state, actor, at, reason, payload, "
                "prev_hash, hash) values (:c, :s, 'approve_step', 'approved', 'someone', :at, '', '{}', :h, :h)"
            ),
            {"c": case.id, "s": seq + 1, "at": dt.datetime(2026, 11, 24, 9), "h": "f" * 64},
        )
    with pytest.raises(ConflictError):
        with travel_to(dt.date(2026, 11, 24)):
            engine.approve_step(case, step_id, actor("approver"), "同意")
    assert case.state == CaseState.in_review and case.version == 1
    assert case.steps[0].state == StepState.active and case.steps[0].decided_by is None
    with db.engine.connect() as other:
        assert other.execute(text("select state, version from ow_case where id = :i"), {"i": case.id}).one() == (
            "in_review",
            1,
        )
        assert other.execute(text("select state from ow_case_step where id = :i"), {"i": step_id}).scalar() == "active"


def test_an_acceptance_failing_at_its_commit_leaves_no_case_in_the_session(ctx, make_item, actor):
    """All or nothing for a new case: its rows, event and notice are written, then the
    commit fails (the database refuses it); the transaction rolls back, and the new
    case, its materials, step and event are not left in the session as if stored: they
    are transient again, as after a failed ORM flush."""
    from sqlalchemy import event as sa_event
    from sqlalchemy import inspect

    class Witness:  # keeps the objects the failed acceptance made
        seen: list = []

        @hookimpl
        def case_transition(self, case, event):
            self.seen += [case, event, *case.materials, *case.steps]

    item_id = make_item()

    def refuse_commit(conn):
        raise RuntimeError("the database refuses the commit")

    sa_event.listen(db.engine, "commit", refuse_commit)
    try:
        with registered(Witness()), pytest.raises(RuntimeError, match="refuses"):
            accepted(item_id, actor("acceptor"))
    finally:
        sa_event.remove(db.engine, "commit", refuse_commit)
    assert len(Witness.seen) >= 2 + 3  # the case, its event, its three materials (steps come after)
    assert all(inspect(o).transient for o in Witness.seen), [inspect(o) for o in Witness.seen]
    assert not any(isinstance(o, (Case, CaseEvent)) for o in db.session.identity_map.values())
    with db.engine.connect() as other:
        assert other.execute(text("select count(*) from ow_case")).scalar() == 0
    case = accepted(item_id, actor("acceptor"))  # and the next acceptance goes through
    assert db.session.get(Case, case.id) is case and case.events[-1].action == "accept"


def test_a_transition_that_also_writes_another_table_is_flushed_by_the_orm_whole(ctx, make_item, actor):
    """A plugin that adds a row of its own in a transition: the whole transition goes
    through the ORM's unit of work, and its row, the case and the step are all written."""
    from onewindow.cases.models import CaseSerial

    class Writer:
        @hookimpl
        def case_transition(self, case, event):
            if event.action == "approve_step":
                db.session.add(CaseSerial(prefix=f"plugin-{case.id}", last=7))

    item_id = make_item()
    case = accepted(item_id, actor("acceptor"))
    with registered(Writer()):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    with db.engine.connect() as other:
        assert (
            other.execute(
                text("select last from ow_case_serial where prefix = :p"), {"p": f"plugin-{case.id}"}
            ).scalar()
            == 7
        )
        assert other.execute(text("select state, version from ow_case where id = :i"), {"i": case.id}).one() == (
            "approved",
            2,
        )
        assert (
            other.execute(text("select state from ow_case_step where case_id = :i"), {"i": case.id}).scalar()
            == "approved"
        )


@pytest.mark.skipif(not getenv("TEST_DATABASE_URL"), reason="PostgreSQL row locks")
def test_two_transitions_deadlocked_on_a_plugins_rows_give_one_success_and_one_conflict(app, make_item, actor):
    """Two transitions whose plugin hooks lock the same two rows in opposite orders:
    PostgreSQL ends one as deadlocked; the staff member gets the conflict message (act
    again), nothing of that transition is written, and the other one goes through."""
    from onewindow.cases.models import CaseSerial

    with app.app_context():
        item_id = make_item()
        first, second = accepted(item_id, actor("acceptor")), accepted(item_id, actor("acceptor"))
        db.session.add_all([CaseSerial(prefix="lock-x", last=0), CaseSerial(prefix="lock-y", last=0)])
        db.session.commit()
        order = {first.id: ("lock-x", "lock-y"), second.id: ("lock-y", "lock-x")}
        targets = [(c.number, c.steps[0].id) for c in (first, second)]
    both_hold_one = threading.Barrier(2, timeout=10)
    serial = CaseSerial.__table__

    class Locker:
        @hookimpl
        def case_transition(self, case, event):
            if event.action != "approve_step":
                return
            mine, theirs = order[case.id]
            bump = serial.update().values(last=serial.c.last + 1)
            db.session.execute(bump.where(serial.c.prefix == mine))
            both_hold_one.wait()
            db.session.execute(bump.where(serial.c.prefix == theirs))

    outcomes = {}

    def approve(number, step_id):
        with app.app_context():
            try:
                case = db.session.query(Case).filter_by(number=number).one()
                engine.approve_step(case, step_id, actor("approver"), "同意")
                outcomes[number] = "ok"
            except ConflictError:
                outcomes[number] = "conflict"
            finally:
                db.session.remove()

    with app.app_context(), registered(Locker()):
        threads = [threading.Thread(target=approve, args=target) for target in targets]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    with app.app_context():
        for number, _ in targets:
            case = db.session.query(Case).filter_by(number=number).one()
            approved = outcomes[number] == "ok"
            assert case.state == (CaseState.approved if approved else CaseState.in_review)
            assert [e.action for e in case.events].count("approve_step") == int(approved)
        bumps = db.session.query(CaseSerial.last).filter(CaseSerial.prefix.in_(["lock-x", "lock-y"])).all()
        assert sorted(b.last for b in bumps) == [1, 1]  # the deadlocked transition's bumps rolled back


def test_a_result_whose_licence_is_unsealed_is_neither_handed_out_nor_posted(ctx, make_item, actor):
    """An e-licence without the department's electronic seal has no legal effect."""
    from onewindow.licences import seals
    from onewindow.licences.models import Licence
    from onewindow.models import Department, Staff

    case = accepted(make_item(licence_type_code="food_business_licence"), actor("acceptor"))
    engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    assert case.licence_identifier, "the decision issues the e-licence"
    engine.hand_to_output(case, actor("approver"), "食品经营许可证1份")
    for deliver in (
        lambda: engine.deliver_pickup(case, actor("output_clerk"), "张三", PERSON),
        lambda: engine.deliver_post(case, actor("output_clerk"), "EMS1234567890CN"),
    ):
        with pytest.raises(TransitionError, match="尚未加盖电子印章"):
            deliver()
        assert case.state == CaseState.at_output
    licence = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one()
    seals.create_seal(db.session, db.session.get(Department, case.department_id), "admin")
    seals.seal_licence(db.session, licence, db.session.query(Staff).filter_by(username="seal_admin").one())
    db.session.commit()
    engine.deliver_pickup(case, actor("output_clerk"), "张三", PERSON)
    assert case.state == CaseState.delivered


def test_postal_signing_date_is_not_in_the_future_and_recorded_within_one_working_day(ctx, make_item, actor):
    """[003 §四(七)]: the window records the signature within 1 working day; later needs a reason."""
    case = accepted(make_item(), actor("acceptor"))
    with travel_to(dt.date(2026, 11, 24)):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.hand_to_output(case, actor("approver"), "许可证1份")
        engine.deliver_post(case, actor("output_clerk"), "EMS1234567890CN")
    with travel_to(dt.date(2026, 11, 26)):
        with pytest.raises(TransitionError, match="晚于今天"):
            engine.confirm_post_delivery(case, actor("output_clerk"), "张三", dt.date(2026, 11, 27))
        with pytest.raises(TransitionError, match="早于邮寄日期"):
            engine.confirm_post_delivery(case, actor("output_clerk"), "张三", dt.date(2026, 11, 23))
        with pytest.raises(TransitionError, match="超过1个工作日"):
            engine.confirm_post_delivery(case, actor("output_clerk"), "张三", dt.date(2026, 11, 24))
        assert case.state == CaseState.posted
        engine.confirm_post_delivery(
            case, actor("output_clerk"), "张三", dt.date(2026, 11, 24), late_reason="邮政回执于今日才送达中心"
        )
    event = case.events[-1]
    assert case.state == CaseState.delivered
    assert event.payload["late"] is True and event.reason == "邮政回执于今日才送达中心"


def test_postal_signature_recorded_the_next_working_day_needs_no_reason(ctx, make_item, actor):
    case = accepted(make_item(), actor("acceptor"))
    with travel_to(dt.date(2026, 11, 27)):  # Friday
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.hand_to_output(case, actor("approver"), "许可证1份")
        engine.deliver_post(case, actor("output_clerk"), "EMS1234567890CN")
    with travel_to(dt.date(2026, 11, 30)):  # Monday: one working day after Friday
        engine.confirm_post_delivery(case, actor("output_clerk"), "张三", dt.date(2026, 11, 27))
    assert case.state == CaseState.delivered and "late" not in case.events[-1].payload
