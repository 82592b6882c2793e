"""Indicators to publish [004 §二(八)2], per department and per window, for a period.

- 即办率 immediate rate: accepted cases of 即办件 items / accepted cases
- 网上办理率 online rate: cases received online / cases received
- 联合办理率 joint rate: accepted cases routed to more than one department / accepted cases
- on-time rate: decided cases decided on or before their due date / decided cases
- average working days from acceptance to decision (行政许可法 §82 counting)
- satisfaction rate: 非常满意 + 满意 + 基本满意 / evaluations not excluded by an upheld appeal
- open yellow and red cards (now)

Counts are grouped in SQL; only the average needs the calendar, over two date columns.

一件事 (a bundle) counts once: its members (child cases) count in their own departments'
and windows' rows, each with its own item's figures, and never its parent; the total row
counts the parent instead of its members — one application, accepted once, 即办 when
every member is 即办件, 联办 when its members (or their steps) involve more than one
department, decided (and on time or not) once when its last member is decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from onewindow import Case, CaseStep, Channel, Department, HandlingType, Item, Window, db
from onewindow_supervision.models import BAD_LEVELS, Card, CardLevel, Evaluation


@dataclass
class Row:
    key: int | None
    name: str
    received: int = 0
    online: int = 0
    accepted: int = 0
    immediate: int = 0
    joint: int = 0
    decided: int = 0
    on_time: int = 0
    workdays: list[int] = field(default_factory=list)
    evaluations: int = 0
    satisfied: int = 0
    yellow: int = 0
    red: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def immediate_rate(self):
        return self._rate(self.immediate, self.accepted)

    @property
    def online_rate(self):
        return self._rate(self.online, self.received)

    @property
    def joint_rate(self):
        return self._rate(self.joint, self.accepted)

    @property
    def on_time_rate(self):
        return self._rate(self.on_time, self.decided)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.evaluations)

    @property
    def average_workdays(self) -> float | None:
        return round(sum(self.workdays) / len(self.workdays), 1) if self.workdays else None


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(start, dt.time.min), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)


def indicators(start: dt.date, end: dt.date, by: str = "department") -> list[Row]:
    """One row per department (``by="department"``) or window (``by="window"``), plus a total row."""
    from onewindow import get_calendar

    lo, hi = _bounds(start, end)
    group = Case.department_id if by == "department" else Case.window_id
    names = _names(by)
    rows: dict[int | None, Row] = {}

    def row(key):
        return rows.setdefault(key, Row(key, names.get(key, "—")))

    joint = (
        select(CaseStep.case_id)
        .group_by(CaseStep.case_id)
        .having(func.count(func.distinct(CaseStep.department_id)) > 1)
        .subquery()
    )
    whole = Row(None, "合计")  # the centre counts a bundle once: its parent, not its members
    kind = sql_case((Case.parent_id.isnot(None), MEMBER), (Case.bundle_id.isnot(None), BUNDLE), else_=PLAIN)

    received = db.session.execute(
        select(group, kind, func.count(Case.id), func.sum(sql_case((Case.channel == Channel.online, 1), else_=0)))
        .where(Case.received_at >= lo, Case.received_at < hi)
        .group_by(group, kind)
    ).all()
    for key, kind_, count, online in received:
        for r in _targets(row, key, kind_, whole):
            r.received, r.online = r.received + count, r.online + int(online or 0)
    accepted = db.session.execute(
        select(
            group,
            kind,
            func.count(Case.id),
            func.sum(sql_case((Item.handling_type == HandlingType.immediate, 1), else_=0)),
            func.count(joint.c.case_id),
        )
        .join(Item, Item.id == Case.item_id)
        .outerjoin(joint, joint.c.case_id == Case.id)
        .where(Case.accepted_on >= start, Case.accepted_on <= end)
        .group_by(group, kind)
    ).all()
    for key, kind_, count, immediate, joint_count in accepted:
        for r in _targets(row, key, kind_, whole):
            r.accepted += count
            if kind_ != BUNDLE:  # a bundle's own: from its members (_bundles_accepted)
                r.immediate, r.joint = r.immediate + int(immediate or 0), r.joint + joint_count
    bundle_immediate, bundle_joint = _bundles_accepted(start, end)
    whole.immediate += bundle_immediate
    whole.joint += bundle_joint
    calendar = get_calendar()
    decided = db.session.execute(
        select(group, kind, Case.accepted_on, Case.decided_at, Case.due_date).where(
            Case.decided_at >= lo, Case.decided_at < hi, Case.accepted_on.isnot(None)
        )
    ).all()
    for key, kind_, accepted_on, decided_at, due in decided:
        for r in _targets(row, key, kind_, whole):
            r.decided += 1
            r.on_time += bool(due is None or decided_at.date() <= due)
            r.workdays.append(max(0, calendar.workdays_between(accepted_on, decided_at.date())))
    egroup = Evaluation.department_id if by == "department" else Evaluation.window_id
    evaluations = db.session.execute(
        select(
            egroup, func.count(Evaluation.id), func.sum(sql_case((Evaluation.level.in_(list(BAD_LEVELS)), 0), else_=1))
        )
        .where(Evaluation.evaluated_at >= lo, Evaluation.evaluated_at < hi, Evaluation.excluded.is_(False))
        .group_by(egroup)
    ).all()
    for key, count, good in evaluations:
        row(key).evaluations, row(key).satisfied = count, int(good or 0)
    cgroup = Card.department_id if by == "department" else Card.window_id
    cards = db.session.execute(
        select(cgroup, Card.level, func.count(Card.id)).where(Card.cleared_at.is_(None)).group_by(cgroup, Card.level)
    ).all()
    for key, level, count in cards:
        setattr(row(key), CardLevel[level].name if isinstance(level, str) else level.name, count)
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.name))
    return ordered + [_total(ordered, whole)]


PLAIN, MEMBER, BUNDLE = "plain", "member", "bundle"


def _targets(row, key, kind: str, whole: Row) -> list[Row]:
    """Where a case counts: a member in its own row only, a bundle's parent in the total
    only, any other case in both."""
    if kind == MEMBER:
        return [row(key)]
    if kind == BUNDLE:
        return [whole]
    return [row(key), whole]


def _bundles_accepted(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Of the bundles accepted in the period: how many are 即办 (every member a 即办件)
    and how many 联办 (their members' departments and steps more than one department)."""
    parent = Case.__table__.alias("parent")
    members = db.session.execute(
        select(Case.parent_id, Item.handling_type, Case.department_id, CaseStep.department_id)
        .join(parent, parent.c.id == Case.parent_id)
        .join(Item, Item.id == Case.item_id)
        .outerjoin(CaseStep, CaseStep.case_id == Case.id)
        .where(parent.c.accepted_on >= start, parent.c.accepted_on <= end)
    ).all()
    handling: dict[int, set] = {}
    departments: dict[int, set] = {}
    for parent_id, handling_type, department_id, step_department_id in members:
        handling.setdefault(parent_id, set()).add(handling_type)
        departments.setdefault(parent_id, set()).update({department_id, step_department_id} - {None})
    immediate = sum(1 for kinds in handling.values() if kinds == {HandlingType.immediate})
    joint = sum(1 for ids in departments.values() if len(ids) > 1)
    return immediate, joint


def _total(rows: list[Row], whole: Row) -> Row:
    """The centre's row: cases counted once (``whole``), evaluations and cards summed."""
    for r in rows:
        for name in ("evaluations", "satisfied", "yellow", "red"):
            setattr(whole, name, getattr(whole, name) + getattr(r, name))
    return whole


def _names(by: str) -> dict[int, str]:
    if by == "department":
        return {
            i: s or n for i, n, s in db.session.execute(select(Department.id, Department.name, Department.short_name))
        }
    return {i: f"{c} {n}" for i, c, n in db.session.execute(select(Window.id, Window.code, Window.name))}


def open_cards_by(column: str) -> list[tuple[str, int, int]]:
    """Open cards grouped by department, window or staff: (name, yellow, red)."""
    col = {"department": Card.department_id, "window": Card.window_id, "staff": Card.staff}[column]
    names = _names(column) if column != "staff" else {}
    counts: dict = {}
    for key, level, count in db.session.execute(
        select(col, Card.level, func.count(Card.id)).where(Card.cleared_at.is_(None)).group_by(col, Card.level)
    ):
        entry = counts.setdefault(key, [0, 0])
        entry[0 if getattr(level, "name", level) == "yellow" else 1] += count
    out = [(names.get(k, k) if k is not None else "—", y, r) for k, (y, r) in counts.items()]
    return sorted(out, key=lambda t: (-t[2], -t[1], str(t[0])))


__all__ = ["indicators", "open_cards_by", "Row"]
