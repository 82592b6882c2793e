"""The app's working-day calendar, built from the arrangement tables and cached.

``get_calendar()`` reads the (small) arrangement tables and rebuilds the precomputed
:class:`WorkCalendar` only when they differ from what the cached one was built from.
Comparing the rows rather than trusting an in-process counter keeps every gunicorn
worker right after an import made by another process or the CLI. Within one request
(or app context) the calendar is read once; flushing a change to the tables drops that
per-context copy, so the code that just imported an arrangement sees it at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from onewindow.cases.clock import today as clock_today
from onewindow.workdays.calendar import FIRST_YEAR, WorkCalendar
from onewindow.workdays.models import CalendarDay, CalendarYear

_EXTENSION = "onewindow.workdays"
_G_KEY = "ow_work_calendar"

#: Years past the current one the clock covers, so a long limit accepted today fits.
YEARS_AHEAD = 10


@dataclass
class _Cache:
    key: tuple | None = None
    calendar: WorkCalendar | None = None
    builds: int = 0  # how many times the calendar was rebuilt (tests, diagnostics)


_lock = threading.Lock()


def _cache(app) -> _Cache:
    return app.extensions.setdefault(_EXTENSION, _Cache())


def _rows(session) -> tuple[tuple, tuple]:
    years = tuple(session.execute(select(CalendarYear.year, CalendarYear.confirmed).order_by(CalendarYear.year)).all())
    days = tuple(session.execute(select(CalendarDay.date, CalendarDay.is_workday).order_by(CalendarDay.date)).all())
    return years, days


def get_calendar() -> WorkCalendar:
    """The working-day calendar of the current app (inside an application context).

    Public API of the clock: ``cal.add_workdays(date, n)``, ``cal.workdays_between(a, b)``,
    ``cal.is_workday(d)``, ``cal.due_date_info(start, n) -> (due, confirmed)``.
    """
    cached = g.get(_G_KEY)
    if cached is not None:
        return cached
    from onewindow.app import db

    years, days = _rows(db.session)
    last_year = max([clock_today().year + YEARS_AHEAD, *(y for y, _ in years), *(d.year for d, _ in days)])
    key = (FIRST_YEAR, last_year, years, days)
    cache = _cache(current_app)
    with _lock:
        if cache.key != key:
            cache.calendar = WorkCalendar(
                FIRST_YEAR,
                last_year,
                overrides={d: bool(w) for d, w in days},
                confirmed_years=[y for y, confirmed in years if confirmed],
            )
            cache.key = key
            cache.builds += 1
        calendar = cache.calendar
    assert calendar is not None  # built above for this key
    g.setdefault(_G_KEY, calendar)
    return calendar


def invalidate_calendar() -> None:
    """Forget the calendar of this context; the next ``get_calendar()`` re-reads the tables."""
    if has_app_context():
        g.pop(_G_KEY, None)


def notify_calendar_changed(years) -> None:
    """Tell the case engine and plugins that ``years`` changed (after the commit)."""
    invalidate_calendar()
    years = sorted(set(years))
    if years:
        current_app.extensions["onewindow"].plugins.hook.calendar_changed(years=years)


@event.listens_for(Session, "after_flush")
def _drop_context_calendar(session, _flush_context):
    # Any write to the arrangement tables makes this context's calendar stale.
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (CalendarDay, CalendarYear)) for obj in touched):
        invalidate_calendar()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(_session, _previous_transaction):
    invalidate_calendar()
