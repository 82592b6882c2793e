"""The deadline scan: yellow and red cards, set-based [004 §二(八)1; 000 §三(十)].

Each rule is a SELECT over the indexed due-date column of its table, giving per
subject: the subject id, case, step, department, window, staff, due date and the
yellow threshold in working days. One scan is one transaction of a few statements
per rule, whatever the number of open cases:

1. cards whose subject no longer qualifies at their level are cleared: one ``UPDATE``
   per rule (one anti-join on the subject, the level a join filter), reason
   ``escalated`` for a yellow card whose subject became overdue, ``resolved`` otherwise;
2. missing cards are raised with ``INSERT … SELECT … ON CONFLICT DO NOTHING``
   against the partial unique index of open cards — on PostgreSQL both levels in one
   statement that also counts them (``RETURNING`` in a CTE), and in a full scan after
   a hash anti-join against the open cards, so that the subjects that have their card
   already cost no failed insert each.

On PostgreSQL an incremental scan first reads the candidates of each big rule (the
subjects of changed cases and those due in the moving window) into a temporary table
that both statements then read (``_candidates``): one pass over the subject table per
rule instead of one per statement.
A full scan on PostgreSQL that raises the two big rules from nothing (the backfill) runs
the step rule's insert on a second connection alongside (``_SideBackfill``).

Working days enter as parameters, never as per-row Python: "at most N working days
left" is ``today <= due < add_workdays(today, N + 1)`` with one threshold date per
distinct N (a ``CASE`` over the few distinct ``warning_days`` of the items), and
"overdue" is ``due < today`` (the due date itself is the last day allowed).
"""

from __future__ import annotations

import datetime as dt
import threading
import zlib
from dataclasses import dataclass, replace
from typing import Any, Callable

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    text,
    true,
    type_coerce,
    union,
    union_all,
    update,
)
from sqlalchemy import (
    case as sql_case,
)
from sqlalchemy.dialects import postgresql, sqlite

from onewindow import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseState,
    CaseStep,
    Item,
    MaterialStatus,
    StepState,
    deemed_bounds,
    deemed_due,
    yellow_threshold,
)
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
    table: Any = None  # incremental rules: the subject table (its ``due_date`` is indexed)


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
    part: str | None = None  # PostgreSQL, incremental: "window" or "changed" (see ``_candidates``)

    def restrict(self, table, case: str = "case_id", due: str = "due_date") -> Any:
        """Full scan: everything. Incremental: rows of cases with a new event (any
        transition, due-date recomputation included) or with a due date inside the
        moving window. PostgreSQL reads the two apart (``part``): the window as one
        bitmap over the due-date index (the ranges OR-ed), the changed cases outside it
        by case. SQLite: ``id IN (UNION of the index range reads)`` over an alias of the
        table: an OR would defeat the indexes, the alias keeps the subquery uncorrelated,
        and the outer query then reads rows by primary key."""
        if self.floor is None:
            return true()
        if self.part is not None:
            window = [and_(table.c[due] >= lo, table.c[due] < hi) for lo, hi in self.windows or []]
            if self.part == "window":
                return or_(*window)
            changed = table.c[case].in_(self._changed())
            return and_(changed, not_(or_(*window))) if window else changed
        t = table.alias()
        reads = [select(t.c.id).where(t.c[case].in_(self._changed()))]
        for lo, hi in self.windows or []:
            reads.append(select(t.c.id).where(t.c[due] >= lo, t.c[due] < hi))
        return table.c.id.in_(union(*reads))

    def _changed(self) -> Any:
        return select(CaseEvent.case_id).where(CaseEvent.id > self.floor)

    def card_scope(self, rule: "Rule", candidates=None) -> Any:
        """The cards an incremental scan re-checks: the open cards of changed cases and
        those of subjects whose due date lies in the moving window. Case cards are
        found by subject (the case) through the unique index of open cards (``rule,
        subject_id``), step cards of changed cases by subject too, the changed cases'
        steps read through the steps' case index (a step deleted by a return for
        correction has its card cleared in that transition: the ``steps_removed`` hook);
        the window through the subject table's due-date index and then the unique
        index. A card's due date is its subject's unless the subject changed, and a
        change is an event: the same cards as a window over the cards'
        own due dates, without an index on them that every raised card would pay for.
        The rule is written as a literal, so that the partial index's predicate applies.
        ``candidates`` (PostgreSQL: the table of the rule's candidate subjects, which holds
        every subject due in the window that still has a source row; one that lost it
        changed, and its case's subjects are read anyway) replaces the window read, and
        the cards are then one semi-join on the subject (the candidates and the changed
        cases' subjects) on the updated table itself: no second pass over the card
        table to find them by id."""
        t = card.alias()
        open_ = [t.c.rule == literal_column(f"'{rule.rule.name}'"), t.c.cleared_at.is_(None)]
        if rule.table is Case.__table__:
            of_changed = self._changed()
        else:
            of_changed = select(CaseStep.id).where(CaseStep.case_id.in_(self._changed()))
        changed = select(t.c.id).where(*open_, t.c.subject_id.in_(of_changed))
        if candidates is not None:
            return and_(
                card.c.rule == literal_column(f"'{rule.rule.name}'"),
                card.c.cleared_at.is_(None),
                card.c.subject_id.in_(union_all(select(candidates.c.subject_id), of_changed)),
            )
        reads = [changed]
        if self.windows:
            s = rule.table.alias()
            subjects = union(*[select(s.c.id).where(s.c.due_date >= lo, s.c.due_date < hi) for lo, hi in self.windows])
            reads.append(select(t.c.id).where(*open_, t.c.subject_id.in_(subjects)))
        return card.c.id.in_(union(*reads))

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

    def top_level(self, parent_col) -> Any:
        """``parent_id IS NULL`` (a single case or a bundle's parent). On SQLite written so
        that the parent index cannot serve it: nearly every case has no parent, and without
        statistics SQLite walks that index over the whole table and reads each case by
        rowid, where a full scan reads the table itself (figures: bench/RESULTS.md)."""
        return (parent_col + 0 if self.sqlite else parent_col).is_(None)

    def yellow_limit(self, warn_col) -> Any:
        """The first due date that is NOT yellow for a subject warned ``warn_col`` days ahead."""
        whens = [(warn_col == n, literal(d)) for n, d in sorted(self.thresholds.items())]
        return sql_case(*whens, else_=literal(self.thresholds[self.default_warn]))

    @property
    def max_limit(self) -> dt.date:
        return max(self.thresholds.values())


def _case_due(p: Params):
    # The staff is the case's acceptor (Case.accepted_by, set by the engine at acceptance):
    # reading it from the acceptance events cost a full scan a pass over every event.
    return (
        select(
            Case.id.label("subject_id"),
            Case.id.label("case_id"),
            _NULL_INT.label("step_id"),
            Case.department_id.label("department_id"),
            Case.window_id.label("window_id"),
            Case.accepted_by.label("staff"),
            p.unindexed(Case.due_date).label("due"),
            Item.warning_days.label("warn"),
        )
        .join(Item, Item.id == Case.item_id)
        .where(
            p.state_in(Case.state, CLOCK_RUNNING),
            p.unindexed(Case.due_date).isnot(None),
            # 一件事: the bundle's limit is watched on its parent; a member's on its own steps
            p.top_level(Case.parent_id),
            p.restrict(Case.__table__, case="id"),
        )
    )


def _step_due(p: Params):
    # SQLite: only ow_case_step in FROM; the case's values come from correlated look-ups, so
    # that the planner cannot start from ow_case's state index (without statistics it
    # guesses that ten cases are in review); in rowid order those look-ups are sequential.
    # PostgreSQL: plain joins (hash joins; a look-up per step was two thirds of the time).
    of_case = Case.id == CaseStep.case_id
    if not p.sqlite:
        return (
            select(
                CaseStep.id.label("subject_id"),
                CaseStep.case_id.label("case_id"),
                CaseStep.id.label("step_id"),
                CaseStep.department_id.label("department_id"),
                Case.window_id.label("window_id"),
                _NULL_STR.label("staff"),
                CaseStep.due_date.label("due"),
                Item.warning_days.label("warn"),
            )
            .join(Case, of_case)
            .join(Item, Item.id == Case.item_id)
            .where(
                CaseStep.state == StepState.active.name,
                CaseStep.due_date.isnot(None),
                Case.state == CaseState.in_review.name,
                p.restrict(CaseStep.__table__),
            )
        )
    return select(
        CaseStep.id.label("subject_id"),
        CaseStep.case_id.label("case_id"),
        CaseStep.id.label("step_id"),
        CaseStep.department_id.label("department_id"),
        select(Case.window_id).where(of_case).scalar_subquery().label("window_id"),
        _NULL_STR.label("staff"),
        p.unindexed(CaseStep.due_date).label("due"),
        select(Item.warning_days).join(Case, Case.item_id == Item.id).where(of_case).scalar_subquery().label("warn"),
    ).where(
        p.state_in(CaseStep.state, [StepState.active.name]),
        p.unindexed(CaseStep.due_date).isnot(None),
        exists().where(of_case, Case.state == CaseState.in_review.name),
        p.restrict(CaseStep.__table__),
    )


def _pre_review_due(p: Params):
    return (
        select(
            Case.id.label("subject_id"),
            Case.id.label("case_id"),
            _NULL_INT.label("step_id"),
            Case.department_id.label("department_id"),
            Case.window_id.label("window_id"),
            _NULL_STR.label("staff"),
            Case.pre_review_due.label("due"),
            Item.warning_days.label("warn"),
        )
        .join(Item, Item.id == Case.item_id)
        .where(Case.state == CaseState.submitted.name, Case.pre_review_due.isnot(None))
    )


def _supply_due(p: Params):
    deferred = exists().where(CaseMaterial.case_id == Case.id, CaseMaterial.status == MaterialStatus.deferred.name)
    return (
        select(
            Case.id.label("subject_id"),
            Case.id.label("case_id"),
            _NULL_INT.label("step_id"),
            Case.department_id.label("department_id"),
            Case.window_id.label("window_id"),
            Case.accepted_by.label("staff"),
            Case.supply_deadline.label("due"),
            Item.warning_days.label("warn"),
        )
        .join(Item, Item.id == Case.item_id)
        .where(
            Case.supply_deadline.isnot(None),
            Case.simulated.is_(True),
            Case.state.notin_(
                [CaseState.rejected.name, CaseState.denied.name, CaseState.delivered.name, CaseState.withdrawn.name]
            ),
            deferred,
        )
    )


def _deemed_acceptance(p: Params):
    """行政许可法 §32; 003 §四(五): no correction notice within the limit after receipt → the
    application counts as accepted from the receipt date. Red at once, no yellow (the
    job ``deemed_acceptance`` then applies the engine's ``deem_accepted``). The card's
    due date is the receipt day (the day acceptance is deemed to date from)."""
    return (
        select(
            Case.id.label("subject_id"),
            Case.id.label("case_id"),
            _NULL_INT.label("step_id"),
            Case.department_id.label("department_id"),
            Case.window_id.label("window_id"),
            _NULL_STR.label("staff"),
            func.date(Case.received_at).label("due"),
            literal(0).label("warn"),
        )
        .join(Item, Item.id == Case.item_id)
        .where(*deemed_due(p.deemed))
    )


def _rectification_due(p: Params):
    return select(
        Rectification.id.label("subject_id"),
        Rectification.case_id.label("case_id"),
        _NULL_INT.label("step_id"),
        Rectification.department_id.label("department_id"),
        _NULL_INT.label("window_id"),
        _NULL_STR.label("staff"),
        Rectification.deadline.label("due"),
        literal(p.default_warn).label("warn"),
    ).where(Rectification.state == RectificationState.open.name)


RULES = [
    Rule(CardRule.case_due, _case_due, incremental=True, table=Case.__table__),
    Rule(CardRule.step_due, _step_due, incremental=True, table=CaseStep.__table__),
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


def _clear(conn, rule: Rule | CardRule, src, p: Params, counts: dict, incremental: bool = False) -> None:
    """One ``UPDATE`` per rule: an open card whose subject no longer qualifies at the
    card's level is cleared — ``escalated`` for a yellow card whose subject is now
    overdue (the red card follows in ``_raise``), ``resolved`` otherwise. The test is
    one anti-join on the subject, the level a join filter; the reason is looked up
    only for the cards that go."""
    rule_ = rule.rule if isinstance(rule, Rule) else rule
    subject = src.c.subject_id == card.c.subject_id
    if incremental:  # the open cards of the rule are picked inside the id list (see Params.card_scope)
        scope = and_(
            p.card_scope(rule, src if conn.dialect.name == "postgresql" else None),
            p.state_in(card.c.rule, [rule_.name]),
        )
    else:
        scope = _open(rule_)
    is_yellow = card.c.level == CardLevel.yellow.name
    still = exists(
        select(1)
        .select_from(src)
        .where(
            subject,
            or_(
                and_(card.c.level == CardLevel.red.name, _qualifies(src, CardLevel.red, p)),
                and_(is_yellow, _qualifies(src, CardLevel.yellow, p)),
            ),
        )
    )
    overdue = exists(select(1).select_from(src).where(subject, _qualifies(src, CardLevel.red, p)))
    reason = sql_case((and_(is_yellow, overdue), literal("escalated")), else_=literal("resolved"))
    stmt = (
        update(card)
        .where(scope, card.c.cleared_at.is_(None), card.c.subject_id.isnot(None), not_(still))
        .values(cleared_at=p.now, cleared_reason=reason)
        .returning(card.c.cleared_reason)
    )
    for (why,) in conn.execute(stmt):
        counts["escalated" if why == "escalated" else "cleared"] += 1


def _raise(
    conn, rule: CardRule, src, levels: list[CardLevel], p: Params, counts: dict, fresh: bool = False, full: bool = False
) -> None:
    """Insert the missing cards of the given levels (both at once: one read of the
    source, the level by a ``CASE`` on the due date). ``fresh``: the rule had no open
    card when this scan (one at a time: the scan lock) began: plain
    inserts, no conflict check per row (the unique index still guards). ``full``
    (PostgreSQL): the subjects that have their card already — nearly all of them in a
    nightly scan — are left out by one hash anti-join over the open cards of the rule
    before the insert, instead of a failed insert (an arbiter-index probe) per subject."""
    columns = [
        "rule",
        "level",
        "subject_id",
        "case_id",
        "step_id",
        "department_id",
        "window_id",
        "staff",
        "due_date",
        "raised_at",
        "escalated_to",
    ]
    overdue = _qualifies(src, CardLevel.red, p)
    if len(levels) == 1:
        level_col, to_col = literal(levels[0].name), literal(RED_TO if levels[0] == CardLevel.red else YELLOW_TO)
        qualifies = _qualifies(src, levels[0], p)
    else:
        level_col = sql_case((overdue, literal(CardLevel.red.name)), else_=literal(CardLevel.yellow.name))
        to_col = sql_case((overdue, literal(RED_TO)), else_=literal(YELLOW_TO))
        qualifies = or_(*[_qualifies(src, level, p) for level in levels])

    def rows(*extra):
        return select(
            literal(rule.name),
            level_col,
            src.c.subject_id,
            src.c.case_id,
            src.c.step_id,
            src.c.department_id,
            src.c.window_id,
            src.c.staff,
            src.c.due,
            literal(p.now),
            to_col,
        ).where(qualifies, *extra)

    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.dialect.name)
    if fresh:
        stmt = card.insert().from_select(columns, rows())
    elif dialect is None:  # other databases: NOT EXISTS, and the leader lock against races
        already = exists().where(_open(rule), card.c.subject_id == src.c.subject_id)
        stmt = card.insert().from_select(columns, rows(not_(already)))
    else:
        # The unique index of open cards decides. A NOT EXISTS over the card table in the
        # same statement made PostgreSQL re-read every row this INSERT had just added, for
        # each subject (quadratic in the cards raised, through an index on the rule and due
        # date, since dropped); only full scans add it, where it is a hash anti-join.
        extra = [not_(exists().where(_open(rule), card.c.subject_id == src.c.subject_id))] if full else []
        stmt = (
            dialect.insert(card)
            .from_select(columns, rows(*extra))
            .on_conflict_do_nothing(index_elements=["rule", "subject_id"], index_where=card.c.cleared_at.is_(None))
        )
    if len(levels) == 1:
        # rowcount of an INSERT is kept only on request (SQLAlchemy 2: preserve_rowcount)
        counts[levels[0].name] += conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount
        return
    # PostgreSQL: the new cards counted by level in the same statement (a count of the ids
    # above the last one afterwards read the whole table on stale statistics)
    raised = stmt.returning(card.c.level).cte("raised")
    for level, n in conn.execute(select(raised.c.level, func.count()).group_by(raised.c.level)):
        counts[getattr(level, "name", level)] += n


#: The scan's advisory lock key (PostgreSQL): fixed, derived from a name, distinct from
#: the scheduler leader's key.
SCAN_LOCK_KEY = zlib.crc32(b"onewindow.supervision.scan") + (1 << 32)
#: Event ids are taken from a sequence; on PostgreSQL a transaction may commit an event
#: with a lower id after a later one. Re-reading this many ids back costs little and
#: closes that gap (a nightly full scan is the final safety net).
EVENT_OVERLAP = 1000
STATE = "deadline"


def scan(
    conn,
    today: dt.date,
    now: dt.datetime,
    calendar,
    default_warn: int = 1,
    rules: list[Rule] | None = None,
    full: bool = False,
) -> dict[str, int]:
    """Run every rule on ``conn`` (inside the caller's transaction); returns counts.

    The first scan, a scan after the clock went back and ``full=True`` (the nightly job)
    check every open subject. Other scans are incremental for the big rules (case and
    step limits): only cases with a transition since the last scan, and subjects whose
    due date lies between the last scan's day and the furthest yellow threshold, can
    change level — everything else is as the last scan left it.
    """
    warns = {default_warn, *conn.execute(select(Item.warning_days).distinct()).scalars()}
    p = Params(
        today,
        now,
        {n: yellow_threshold(today, n, calendar) for n in warns if n is not None},
        default_warn,
        deemed_bounds(conn, today, calendar),
    )
    if conn.dialect.name == "postgresql":
        # One scan at a time (the scheduler's leader, `onewindow supervision scan`): what
        # lets a rule without open cards be raised with plain inserts (only scans raise
        # the cards of these rules). A transaction-level advisory lock, not a table lock:
        # autovacuum's lock on the card table conflicts with every self-excluding table
        # lock mode, so a scan queued behind it for deadlock_timeout (1 s) until the
        # autovacuum worker was cancelled, and scans every few minutes kept cancelling it.
        # SQLite: the caller took the database's write lock already.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCAN_LOCK_KEY})
        _pg_settings(conn)
    last = conn.execute(select(ScanState).where(ScanState.name == STATE)).first()
    top_event = conn.execute(select(func.max(CaseEvent.id))).scalar() or 0
    full = full or last is None or last.day is None or today < last.day
    if not full:
        p.floor = max(0, (last.event_id or 0) - EVENT_OVERLAP)
        p.windows = _windows(last, p)
    counts = {"yellow": 0, "red": 0, "cleared": 0, "escalated": 0, "full": int(full)}
    p.sqlite = conn.dialect.name == "sqlite"
    todo = list(rules or RULES)
    side = None
    if conn.dialect.name == "postgresql" and full:
        backfill = [r for r in todo if r.incremental and _fresh(conn, r.rule)]
        if len(backfill) > 1:  # the backfill: the last (the steps) on a second connection
            todo.remove(backfill[-1])
            side = _SideBackfill(conn, backfill[-1], _full(p))
            side.start()
    try:
        _run_rules(conn, todo, p, full, counts)
        deemed = _deemed_acceptance(p).subquery("src_deemed")
        _clear(conn, CardRule.deemed_acceptance, deemed, p, counts)
        _raise(conn, CardRule.deemed_acceptance, deemed, [CardLevel.red], p, counts)
        if side is not None:
            side.commit_into(counts)  # before this transaction records the scan (see _SideBackfill)
        _save_state(
            conn, last is not None, today, top_event, p.max_limit, min(p.thresholds.values()), now if full else None
        )
    finally:
        if side is not None:
            side.close()
    if conn.dialect.name == "postgresql" and counts["yellow"] + counts["red"] + counts["cleared"] > 10_000:
        # Statistics from before a mass insert make the planner take the card table for
        # tiny and nest loops over it in the next scan; autovacuum would come too late.
        # A sample of 3,000 rows (statistics target 10) gives what the scans' plans need —
        # the row count, the shares of rules and levels, the open fraction, distinct
        # subjects — in a fraction of the time the default 30,000 rows take at a million cards.
        conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
        conn.exec_driver_sql("ANALYZE supervision_card")
        conn.exec_driver_sql("RESET default_statistics_target")
    return counts


def _pg_settings(conn) -> None:
    # For this transaction only: a full scan hashes half a million subjects per
    # statement (with the default 4 MB the hashes spilled to disk in 8 batches), and
    # JIT spent longer compiling each big statement than it saved.
    conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    conn.exec_driver_sql("SET LOCAL jit = off")
    # Cards are derived records: a crash that loses this commit (never half of it)
    # only means that the next scan raises them again; no wait for the WAL flush.
    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")


def _fresh(conn, rule: CardRule) -> bool:
    """No open card of the rule: its missing cards can be raised with plain inserts."""
    return conn.execute(select(card.c.id).where(_open(rule)).limit(1)).first() is None


class _SideBackfill(threading.Thread):
    """PostgreSQL, a full scan that raises two big rules from nothing (the backfill after
    the plugin is installed on a centre with open cases): the second rule's INSERT runs
    on a second connection at the same time, on the second core, instead of after the
    first rule's (a million cards in all). Its transaction commits just before
    the scan's own, which records the scan: if the scan then fails, the next scan is
    again a full one and finds these cards (its anti-join skips them), so nothing is
    lost or raised twice. Other scans wait for the scan's advisory lock, and no one
    else raises cards of these rules: the plain inserts meet no conflict."""

    def __init__(self, conn, rule: Rule, p: Params):
        super().__init__(name=f"deadline-scan-{rule.rule.name}", daemon=True)
        self.rule, self.p, self.error = rule, p, None
        self.counts = {"yellow": 0, "red": 0, "cleared": 0, "escalated": 0}
        self.conn = conn.engine.connect()
        self.tx = self.conn.begin()
        _pg_settings(self.conn)

    def run(self) -> None:
        try:
            _run_rules(self.conn, [self.rule], self.p, True, self.counts)  # the same full-scan path
        except BaseException as exc:  # noqa: BLE001 - re-raised in the scan's thread
            self.error = exc

    def commit_into(self, counts: dict) -> None:
        self.join()
        if self.error is not None:
            raise self.error
        self.tx.commit()
        for level, n in self.counts.items():
            counts[level] += n

    def close(self) -> None:
        self.join()
        if self.tx.is_active:
            self.tx.rollback()
        self.conn.close()


def _run_rules(conn, rules: list[Rule], p: Params, full: bool, counts: dict) -> None:
    for rule in rules:
        fresh = _fresh(conn, rule.rule)
        incremental = rule.incremental and not full
        if incremental and conn.dialect.name == "postgresql":
            # The candidates are read once into a temporary table, for the clearing UPDATE
            # (scope, anti-join, reasons) and for the INSERT (see ``_candidates``).
            candidates = _candidates(conn, rule, p)
            if not fresh:
                _clear(conn, rule, candidates, p, counts, incremental=True)
            _raise(conn, rule.rule, candidates, [CardLevel.red, CardLevel.yellow], p, counts, fresh)
            candidates.drop(conn)
            continue
        src = rule.build(p if rule.incremental else _full(p)).subquery(f"src_{rule.rule.name}")
        if not fresh:
            # The cards an incremental scan re-checks (Params.card_scope) are those of changed
            # cases and of subjects due in the window: their subjects, if they still exist,
            # are all among the candidates, so the anti-join needs no more than those.
            every = src if incremental else rule.build(_full(p)).subquery(f"all_{rule.rule.name}")
            _clear(conn, rule, every, p, counts, incremental=incremental)
        anti = not fresh and (full or not rule.incremental) and conn.dialect.name == "postgresql"
        if rule.yellow and conn.dialect.name == "postgresql":  # one read of the source for both levels
            _raise(conn, rule.rule, src, [CardLevel.red, CardLevel.yellow], p, counts, fresh, anti)
            continue
        _raise(conn, rule.rule, src, [CardLevel.red], p, counts, fresh, anti)
        if rule.yellow:  # SQLite: the yellow read goes through the due-date index (``by_due``)
            narrow = replace(p if rule.incremental else _full(p), by_due=True)
            _raise(
                conn,
                rule.rule,
                rule.build(narrow).subquery(f"near_{rule.rule.name}"),
                [CardLevel.yellow],
                p,
                counts,
                fresh,
                anti,
            )


#: The columns of a rule's source (``Rule.build``), as kept in the candidates table.
CANDIDATE_COLUMNS = [
    ("subject_id", Integer),
    ("case_id", Integer),
    ("step_id", Integer),
    ("department_id", Integer),
    ("window_id", Integer),
    ("staff", String(128)),
    ("due", Date),
    ("warn", Integer),
]


def _candidates(conn, rule: Rule, p: Params) -> Table:
    """PostgreSQL, incremental scan: the rule's candidate subjects (see ``Params.restrict``)
    in a temporary table, dropped at the latest when the scan commits. The clearing
    UPDATE and the INSERT both need them; as a subquery or CTE each statement read them
    afresh, and PostgreSQL joined the candidates' ids back to a full pass over the case
    table. Here they are read once, in two parts that each use one index: the due-date
    window (its ranges OR-ed into one bitmap) and the changed cases outside it. A
    temporary table is local to the session and writes no WAL."""
    table = Table(
        f"scan_candidates_{rule.rule.name}",
        MetaData(),
        *[Column(name, type_) for name, type_ in CANDIDATE_COLUMNS],
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    table.create(conn)
    names = [name for name, _type in CANDIDATE_COLUMNS]
    for part in ("window", "changed") if p.windows else ("changed",):
        conn.execute(table.insert().from_select(names, rule.build(replace(p, part=part))))
    return table


def _windows(last, p: Params) -> list[tuple[dt.date, dt.date]]:
    """Due dates whose level can differ from the last scan's: newly overdue ones
    ``[last day, today)``, and those that crossed a yellow threshold, between the
    last scan's smallest threshold and the larger of its and today's largest."""
    if last.day == p.today and last.upper == p.max_limit and last.lower == min(p.thresholds.values()):
        return []  # same day, same thresholds: only transitions can change a level
    lower = min(last.lower or p.today, min(p.thresholds.values()))
    return [(last.day, p.today), (lower, max(last.upper or p.max_limit, p.max_limit))]


def _full(p: Params) -> Params:
    """The same scan parameters without the incremental restriction."""
    return replace(p, floor=None, windows=None, by_due=False, part=None)


def _save_state(conn, exists_: bool, today, event_id, upper, lower, full_at) -> None:
    table = ScanState.__table__
    values = {"day": today, "event_id": event_id, "upper": upper, "lower": lower}
    if full_at is not None:
        values["full_at"] = full_at
    if exists_:
        conn.execute(update(table).where(table.c.name == STATE).values(**values))
        return
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    conn.execute(
        dialect.insert(table).values(name=STATE, **values).on_conflict_do_update(index_elements=["name"], set_=values)
    )
