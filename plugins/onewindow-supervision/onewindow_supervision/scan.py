"""The deadline scan: yellow and red cards, set-based [004 §二(八)1; 000 §三(十)].

Each rule is a SELECT over the indexed due-date column of its table, giving per
subject: the subject id, case, step, department, window, staff, due date and the
yellow threshold in working days. One scan is one transaction of a few statements
per rule, whatever the number of open cases:

1. cards whose subject no longer qualifies at their level are cleared (``UPDATE``),
   a yellow card whose subject became overdue with reason ``escalated``;
2. missing cards are raised with ``INSERT … SELECT … ON CONFLICT DO NOTHING``
   against the partial unique index of open cards.

Working days enter as parameters, never as per-row Python: "at most N working days
left" is ``today <= due < add_workdays(today, N + 1)`` with one threshold date per
distinct N (a ``CASE`` over the few distinct ``warning_days`` of the items), and
"overdue" is ``due < today`` (the due date itself is the last day allowed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Callable

from sqlalchemy import (
    Date, Integer, String, and_, case as sql_case, cast, exists, func, literal, not_, null, select, true, type_coerce,
    union, update,
)
from sqlalchemy.dialects import postgresql, sqlite

from onewindow.cases.models import Case, CaseEvent, CaseMaterial, CaseState, CaseStep, MaterialStatus, StepState
from onewindow.models.items import Item
from onewindow_supervision.models import Card, CardLevel, CardRule, Rectification, RectificationState, ScanState

#: States in which the case's own clock runs (suspended: §45 stops it; correction: the
#: applicant has the ball; at the output window the result is ready).
CLOCK_RUNNING = [CaseState.in_review.name, CaseState.approved.name]
YELLOW_TO = "department"
RED_TO = "department_head,supervisor"  # 红牌 escalates to the department head and the supervisor
card = Card.__table__
_NULL_INT = cast(null(), Integer)  # typed: PostgreSQL reads a bare NULL in a subquery as text
_NULL_STR = cast(null(), String)


@dataclass
class Rule:
    rule: CardRule
    build: Callable[["Params"], Any]  # → select(subject_id, case_id, step_id, department_id, window_id,
    #                                             staff, due, warn) with a sargable bound on ``due``
    yellow: bool = True
    incremental: bool = False  # between full scans, look only at changed cases and the date window


@dataclass
class Params:
    today: dt.date
    now: dt.datetime
    thresholds: dict[int, dt.date]  # N → add_workdays(today, N + 1)
    default_warn: int
    deemed: dict[int, dt.datetime]  # correction limit N → start of add_workdays(today, -N)
    floor: int | None = None  # incremental scan: events after this id mark changed cases
    windows: list[tuple[dt.date, dt.date]] | None = None  # incremental: due dates whose level may move
    sqlite: bool = False
    by_due: bool = False  # SQLite: let a narrow due-date range (yellow) use its index


    def restrict(self, table, case: str = "case_id", due: str = "due_date", rule: CardRule | None = None) -> Any:
        """Full scan: everything. Incremental: rows of cases with a new event (any
        transition, due-date recomputation included) or with a due date inside the
        moving window — ``id IN (UNION of two index range reads)`` over an alias of the
        table: an OR would defeat the indexes, the alias keeps the subquery uncorrelated,
        and the outer query then reads rows by primary key."""
        if self.floor is None:
            return true()
        changed = select(CaseEvent.case_id).where(CaseEvent.id > self.floor)
        t = table.alias()
        reads = [select(t.c.id).where(t.c[case].in_(changed))]
        for lo, hi in self.windows or []:
            in_window = [t.c[due] >= lo, t.c[due] < hi]
            if rule is not None:  # cards: (rule, due_date) is the index of the window read
                in_window.insert(0, t.c.rule == rule.name)
            reads.append(select(t.c.id).where(*in_window))
        return table.c.id.in_(union(*reads))

    def state_in(self, column, states: list[str]) -> Any:
        """``state IN (…)``; on SQLite written so that no index can serve it. SQLite has no
        statistics: an incremental scan would otherwise walk a million in-review cases
        from the state index instead of the few candidates' primary keys, and a full scan
        would read half the table through an index in due-date order (random pages)
        where reading it in rowid order is several times faster. PostgreSQL plans from
        statistics and keeps its indexes."""
        if not self.sqlite:
            return column.in_(states)
        return func.trim(column).in_(states)

    def unindexed(self, column) -> Any:
        """A date column as SQLite may not read it through its index (see ``state_in``)."""
        return type_coerce(func.date(column), Date) if self.sqlite and not self.by_due else column

    def yellow_limit(self, warn_col) -> Any:
        """The first due date that is NOT yellow for a subject warned ``warn_col`` days ahead."""
        whens = [(warn_col == n, literal(d)) for n, d in sorted(self.thresholds.items())]
        return sql_case(*whens, else_=literal(self.thresholds[self.default_warn]))

    @property
    def max_limit(self) -> dt.date:
        return max(self.thresholds.values())


def _acceptor(case_id_col) -> Any:
    """The window staff who accepted the case (the last acceptance event)."""
    return (select(CaseEvent.actor).where(CaseEvent.case_id == case_id_col,
                                          CaseEvent.action.in_(("accept", "accept_deferred")))
            .order_by(CaseEvent.seq.desc()).limit(1).scalar_subquery())


def _case_due(p: Params):
    return (select(Case.id.label("subject_id"), Case.id.label("case_id"), _NULL_INT.label("step_id"),
                   Case.department_id.label("department_id"), Case.window_id.label("window_id"),
                   _acceptor(Case.id).label("staff"), p.unindexed(Case.due_date).label("due"),
                   Item.warning_days.label("warn"))
            .join(Item, Item.id == Case.item_id)
            .where(p.state_in(Case.state, CLOCK_RUNNING), p.unindexed(Case.due_date).isnot(None),
                   p.restrict(Case.__table__, case="id")))


def _step_due(p: Params):
    # SQLite: only ow_case_step in FROM; the case's values come from correlated look-ups, so
    # that the planner cannot start from ow_case's state index (without statistics it
    # guesses that ten cases are in review); in rowid order those look-ups are sequential.
    # PostgreSQL: plain joins (hash joins; a look-up per step was two thirds of the time).
    of_case = Case.id == CaseStep.case_id
    if not p.sqlite:
        return (select(CaseStep.id.label("subject_id"), CaseStep.case_id.label("case_id"),
                       CaseStep.id.label("step_id"), CaseStep.department_id.label("department_id"),
                       Case.window_id.label("window_id"), _NULL_STR.label("staff"), CaseStep.due_date.label("due"),
                       Item.warning_days.label("warn"))
                .join(Case, of_case).join(Item, Item.id == Case.item_id)
                .where(CaseStep.state == StepState.active.name, CaseStep.due_date.isnot(None),
                       Case.state == CaseState.in_review.name, p.restrict(CaseStep.__table__)))
    return (select(CaseStep.id.label("subject_id"), CaseStep.case_id.label("case_id"),
                   CaseStep.id.label("step_id"), CaseStep.department_id.label("department_id"),
                   select(Case.window_id).where(of_case).scalar_subquery().label("window_id"),
                   _NULL_STR.label("staff"), p.unindexed(CaseStep.due_date).label("due"),
                   select(Item.warning_days).join(Case, Case.item_id == Item.id).where(of_case)
                   .scalar_subquery().label("warn"))
            .where(p.state_in(CaseStep.state, [StepState.active.name]), p.unindexed(CaseStep.due_date).isnot(None),
                   exists().where(of_case, Case.state == CaseState.in_review.name),
                   p.restrict(CaseStep.__table__)))


def _pre_review_due(p: Params):
    return (select(Case.id.label("subject_id"), Case.id.label("case_id"), _NULL_INT.label("step_id"),
                   Case.department_id.label("department_id"), Case.window_id.label("window_id"),
                   _NULL_STR.label("staff"), Case.pre_review_due.label("due"), Item.warning_days.label("warn"))
            .join(Item, Item.id == Case.item_id)
            .where(Case.state == CaseState.submitted.name, Case.pre_review_due.isnot(None)))


def _supply_due(p: Params):
    deferred = exists().where(CaseMaterial.case_id == Case.id, CaseMaterial.status == MaterialStatus.deferred.name)
    return (select(Case.id.label("subject_id"), Case.id.label("case_id"), _NULL_INT.label("step_id"),
                   Case.department_id.label("department_id"), Case.window_id.label("window_id"),
                   _acceptor(Case.id).label("staff"), Case.supply_deadline.label("due"),
                   Item.warning_days.label("warn"))
            .join(Item, Item.id == Case.item_id)
            .where(Case.supply_deadline.isnot(None), Case.simulated.is_(True),
                   Case.state.notin_([CaseState.rejected.name, CaseState.denied.name, CaseState.delivered.name,
                                      CaseState.withdrawn.name]), deferred))


def deemed_bounds(conn, today: dt.date, calendar) -> dict[int, dt.datetime]:
    """Correction limit N (of any item) → start of ``add_workdays(today, -N)``: the limit
    ``add_workdays(received, N)`` has passed when the receipt is before that moment
    (N working days back from yesterday)."""
    limits = {n for n in conn.execute(select(Item.correction_limit_days).distinct()).scalars() if n} or {3}
    return {n: dt.datetime.combine(calendar.add_workdays(today, -n), dt.time.min) for n in limits}


def deemed_due(bounds: dict[int, dt.datetime]) -> list:
    """Conditions on ``Case`` joined with ``Item``: submitted, no correction notice, the
    correction-notice limit passed (the scan's red card; the job's ``deem_accepted``)."""
    by_limit = sql_case(*[(Item.correction_limit_days == n, literal(b)) for n, b in sorted(bounds.items())],
                        else_=literal(min(bounds.values())))
    return [Case.state == CaseState.submitted.name, Case.corrections_issued == 0,
            Case.received_at < max(bounds.values()), Case.received_at < by_limit]


def _deemed_acceptance(p: Params):
    """行政许可法 §32; 003 §四(五): no correction notice within the limit after receipt → the
    application counts as accepted from the receipt date. Red at once, no yellow (the
    job ``deemed_acceptance`` then applies the engine's ``deem_accepted``). The card's
    due date is the receipt day (the day acceptance is deemed to date from)."""
    return (select(Case.id.label("subject_id"), Case.id.label("case_id"), _NULL_INT.label("step_id"),
                   Case.department_id.label("department_id"), Case.window_id.label("window_id"),
                   _NULL_STR.label("staff"), func.date(Case.received_at).label("due"),
                   literal(0).label("warn"))
            .join(Item, Item.id == Case.item_id)
            .where(*deemed_due(p.deemed)))


def _rectification_due(p: Params):
    return (select(Rectification.id.label("subject_id"), Rectification.case_id.label("case_id"),
                   _NULL_INT.label("step_id"), Rectification.department_id.label("department_id"),
                   _NULL_INT.label("window_id"), _NULL_STR.label("staff"),
                   Rectification.deadline.label("due"), literal(p.default_warn).label("warn"))
            .where(Rectification.state == RectificationState.open.name))


RULES = [
    Rule(CardRule.case_due, _case_due, incremental=True),
    Rule(CardRule.step_due, _step_due, incremental=True),
    Rule(CardRule.pre_review_due, _pre_review_due),
    Rule(CardRule.supply_due, _supply_due),
    Rule(CardRule.rectification_due, _rectification_due),
]


def _qualifies(src, level: CardLevel, p: Params):
    if level == CardLevel.red:
        return src.c.due < p.today
    return and_(src.c.due >= p.today, src.c.due < p.max_limit, src.c.due < p.yellow_limit(src.c.warn))


def _open(rule: CardRule):
    return and_(card.c.rule == rule.name, card.c.cleared_at.is_(None))


def _clear(conn, rule: CardRule, src, p: Params, counts: dict, incremental: bool = False) -> None:
    subject = src.c.subject_id == card.c.subject_id
    if incremental:  # the open cards of the rule are picked inside the id list (see Params.restrict)
        scope = and_(p.restrict(card, "case_id", "due_date", rule), p.state_in(card.c.rule, [rule.name]))
    else:
        scope = _open(rule)
    # a yellow card whose subject is now overdue: escalated (the red card follows below)
    escalate = (update(card).where(scope, card.c.cleared_at.is_(None), card.c.level == CardLevel.yellow.name,
                                   exists(select(1).select_from(src).where(subject, _qualifies(src, CardLevel.red, p))))
                .values(cleared_at=p.now, cleared_reason="escalated"))
    counts["escalated"] += conn.execute(escalate).rowcount
    for level in (CardLevel.yellow, CardLevel.red):
        still = exists(select(1).select_from(src).where(subject, _qualifies(src, level, p)))
        stmt = (update(card).where(scope, card.c.cleared_at.is_(None), card.c.level == level.name,
                                   card.c.subject_id.isnot(None), not_(still))
                .values(cleared_at=p.now, cleared_reason="resolved"))
        counts["cleared"] += conn.execute(stmt).rowcount


def _raise(conn, rule: CardRule, src, level: CardLevel, p: Params, counts: dict, fresh: bool = False) -> None:
    """Insert the missing cards of one level. ``fresh``: the rule had no open card when
    this scan (which holds the card table's write lock) began: plain inserts, no
    conflict check per row (the unique index still guards)."""
    columns = ["rule", "level", "subject_id", "case_id", "step_id", "department_id", "window_id", "staff",
               "due_date", "raised_at", "escalated_to"]

    def rows(*extra):
        return select(
            literal(rule.name), literal(level.name), src.c.subject_id, src.c.case_id, src.c.step_id,
            src.c.department_id, src.c.window_id, src.c.staff, src.c.due, literal(p.now),
            literal(RED_TO if level == CardLevel.red else YELLOW_TO),
        ).where(_qualifies(src, level, p), *extra)

    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.dialect.name)
    if fresh:
        stmt = card.insert().from_select(columns, rows())
    elif dialect is None:  # other databases: NOT EXISTS, and the leader lock against races
        already = exists().where(_open(rule), card.c.subject_id == src.c.subject_id)
        stmt = card.insert().from_select(columns, rows(not_(already)))
    else:
        # The unique index of open cards decides alone. A NOT EXISTS over the card table in
        # the same statement made PostgreSQL re-read every row this INSERT had just added,
        # for each subject (quadratic: 40,000 cards took 8 s).
        stmt = (dialect.insert(card).from_select(columns, rows())
                .on_conflict_do_nothing(index_elements=["rule", "subject_id"],
                                        index_where=card.c.cleared_at.is_(None)))
    # rowcount of an INSERT is kept only on request (SQLAlchemy 2: preserve_rowcount)
    counts[level.name] += conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount


#: Event ids are taken from a sequence; on PostgreSQL a transaction may commit an event
#: with a lower id after a later one. Re-reading this many ids back costs little and
#: closes that gap (a nightly full scan is the final safety net).
EVENT_OVERLAP = 1000
STATE = "deadline"


def scan(conn, today: dt.date, now: dt.datetime, calendar, default_warn: int = 1,
         rules: list[Rule] | None = None, full: bool = False) -> dict[str, int]:
    """Run every rule on ``conn`` (inside the caller's transaction); returns counts.

    The first scan, a scan after the clock went back and ``full=True`` (the nightly job)
    check every open subject. Other scans are incremental for the big rules (case and
    step limits): only cases with a transition since the last scan, and subjects whose
    due date lies between the last scan's day and the furthest yellow threshold, can
    change level — everything else is as the last scan left it.
    """
    warns = {default_warn, *conn.execute(select(Item.warning_days).distinct()).scalars()}
    p = Params(today, now, {n: calendar.add_workdays(today, max(n, 0) + 1) for n in warns if n is not None},
               default_warn, deemed_bounds(conn, today, calendar))
    if conn.dialect.name == "postgresql":
        # One scan at a time (the scheduler's leader, `onewindow supervision scan`): what
        # lets a rule without open cards be raised with plain inserts. SQLite: the caller
        # took the database's write lock already.
        conn.exec_driver_sql("LOCK TABLE supervision_card IN SHARE ROW EXCLUSIVE MODE")
    last = conn.execute(select(ScanState).where(ScanState.name == STATE)).first()
    top_event = conn.execute(select(func.max(CaseEvent.id))).scalar() or 0
    full = full or last is None or last.day is None or today < last.day
    if not full:
        p.floor = max(0, (last.event_id or 0) - EVENT_OVERLAP)
        p.windows = _windows(last, p)
    counts = {"yellow": 0, "red": 0, "cleared": 0, "escalated": 0, "full": int(full)}
    p.sqlite = conn.dialect.name == "sqlite"
    for rule in rules or RULES:
        src = rule.build(p if rule.incremental else _full(p)).subquery(f"src_{rule.rule.name}")
        fresh = conn.execute(select(card.c.id).where(_open(rule.rule)).limit(1)).first() is None
        if not fresh:  # clearing checks each open card's own subject by key: no candidate list needed
            every = rule.build(_full(p)).subquery(f"all_{rule.rule.name}")
            _clear(conn, rule.rule, every, p, counts, incremental=rule.incremental and not full)
        _raise(conn, rule.rule, src, CardLevel.red, p, counts, fresh)
        if rule.yellow:
            narrow = replace(p if rule.incremental else _full(p), by_due=True)
            _raise(conn, rule.rule, rule.build(narrow).subquery(f"near_{rule.rule.name}"), CardLevel.yellow, p,
                   counts, fresh)
    deemed = _deemed_acceptance(p).subquery("src_deemed")
    _clear(conn, CardRule.deemed_acceptance, deemed, p, counts)
    _raise(conn, CardRule.deemed_acceptance, deemed, CardLevel.red, p, counts)
    _save_state(conn, last is not None, today, top_event, p.max_limit, min(p.thresholds.values()),
                now if full else None)
    if conn.dialect.name == "postgresql" and counts["yellow"] + counts["red"] + counts["cleared"] > 10_000:
        # Statistics from before a mass insert make the planner take the card table for
        # tiny and nest loops over it in the next scan; autovacuum would come too late.
        conn.exec_driver_sql("ANALYZE supervision_card")
    return counts


def _windows(last, p: Params) -> list[tuple[dt.date, dt.date]]:
    """Due dates whose level can differ from the last scan's: newly overdue ones
    ``[last day, today)``, and those that crossed a yellow threshold, between the
    last scan's smallest threshold and the larger of its and today's largest."""
    if last.day == p.today and last.upper == p.max_limit and last.lower == min(p.thresholds.values()):
        return []  # same day, same thresholds: only transitions can change a level
    lower = min(last.lower or p.today, min(p.thresholds.values()))
    return [(last.day, p.today), (lower, max(last.upper or p.max_limit, p.max_limit))]


def _full(p: Params) -> Params:
    return Params(p.today, p.now, p.thresholds, p.default_warn, p.deemed, sqlite=p.sqlite)


def _save_state(conn, exists_: bool, today, event_id, upper, lower, full_at) -> None:
    table = ScanState.__table__
    values = {"day": today, "event_id": event_id, "upper": upper, "lower": lower}
    if full_at is not None:
        values["full_at"] = full_at
    if exists_:
        conn.execute(update(table).where(table.c.name == STATE).values(**values))
        return
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    conn.execute(dialect.insert(table).values(name=STATE, **values).on_conflict_do_update(
        index_elements=["name"], set_=values))
