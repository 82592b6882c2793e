"""The time limits of a case, each formula written once (行政许可法 §42, §45, §82).

All periods are working days counted from the day after the event (``clock.add_workdays``).
Acceptance, the deemed acceptance and the recomputation after a holiday arrangement
changes all call these, so a due date never depends on which path set it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from onewindow.cases import clock
from onewindow.cases.models import Case, CaseStep
from onewindow.models.items import HandlingType, Item


def limit_days(case: Case) -> int:
    """The promised limit: none for an item decided on the spot (即办件)."""
    return 0 if case.item.handling_type == HandlingType.immediate else case.item.promised_days


def due_date(case: Case) -> tuple[dt.date, bool]:
    """(due date, confirmed): accepted_on + promised + stopped (§45) + extended (§42) working days."""
    return clock.add_workdays(case.accepted_on, limit_days(case) + case.stopped_days + case.extended_days)


def correction_deadline(case: Case) -> dt.date:
    """Last day for a correction notice (补正告知): the item's limit after receipt."""
    return clock.add_workdays(case.received_at.date(), case.item.correction_limit_days)[0]


#: Working days the applicant has to supply what a correction notice lists, when the
#: installation does not set ``CORRECTION_SUPPLY_WORKDAYS`` (neither 行政许可法 nor the
#: State Council's rules fix this period; centres set it locally).
CORRECTION_SUPPLY_WORKDAYS = 10


def correction_supply_workdays() -> int:
    from flask import current_app, has_app_context

    if not has_app_context():
        return CORRECTION_SUPPLY_WORKDAYS
    return int(
        current_app.extensions["onewindow"].settings.get("CORRECTION_SUPPLY_WORKDAYS", CORRECTION_SUPPLY_WORKDAYS)
    )


def correction_supply_deadline(issued_on: dt.date) -> dt.date:
    """The date the correction notice gives the applicant to supply by (补正期限): the
    configured working days after the day of issue (Asia/Shanghai, as ``clock.today``)."""
    return clock.add_workdays(issued_on, correction_supply_workdays())[0]


def pre_review_due(case: Case) -> dt.date:
    """Last day of the online pre-review (网上预审): the item's limit after receipt."""
    return clock.add_workdays(case.received_at.date(), case.item.pre_review_days)[0]


def step_due_date(step: CaseStep) -> dt.date:
    """A department's step is due its days after it started."""
    return clock.add_workdays(step.started_on, step.days)[0]


def bundle_due_date(accepted_on: dt.date, days: int) -> tuple[dt.date, bool]:
    """(due date, confirmed) of a bundle (一件事): its promised working days after acceptance."""
    return clock.add_workdays(accepted_on, days)


def member_chain_end(accepted_on: dt.date, finish_days: int) -> dt.date:
    """Last day of a bundle member that waits for others: the end of its chain of working
    days from the bundle's acceptance (the critical path)."""
    return clock.add_workdays(accepted_on, finish_days)[0]


def yellow_threshold(today: dt.date, warning_days: int | None, calendar=None) -> dt.date:
    """The first due date that is no longer yellow: a limit is yellow (黄牌预警) while at
    most ``warning_days`` working days are left, i.e. ``today <= due < this date``. The
    workspace's colours and the supervision plugin's deadline scan both use it."""
    if calendar is None:
        from onewindow.workdays import get_calendar

        calendar = get_calendar()
    return calendar.add_workdays(today, max(warning_days or 0, 0) + 1)


def deadline_level(due: dt.date | None, warning_days: int | None, today: dt.date) -> str:
    """``"red"`` once the due date has passed (the due date itself is the last day
    allowed, 红牌), ``"yellow"`` while at most ``warning_days`` working days are left, else
    ``""``."""
    if due is None:
        return ""
    if due < today:
        return "red"
    return "yellow" if due < yellow_threshold(today, warning_days) else ""


def deemed_bounds(conn, today: dt.date, calendar) -> dict[int, dt.datetime]:
    """Correction limit N (of any item) → start of ``add_workdays(today, -N)``: the limit
    ``add_workdays(received, N)`` has passed when the receipt is before that moment
    (N working days back from yesterday)."""
    limits = {n for n in conn.execute(select(Item.correction_limit_days).distinct()).scalars() if n} or {3}
    return {n: dt.datetime.combine(calendar.add_workdays(today, -n), dt.time.min) for n in limits}
