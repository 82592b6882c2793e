"""The case clock (the one clock): the centre's business time and working-day due dates.

The zone is the ``TIMEZONE`` setting (default Asia/Shanghai, Beijing time); stored engine
timestamps are naive times of that zone. ``now()`` is the only source of "now" for the
engine, so tests can move time
(``monkeypatch.setattr(onewindow.cases.clock, "_fixed", ...)`` via ``travel_to``).
Due dates count working days from the day AFTER acceptance (行政许可法 §82: periods
are working days; the day of the event is not counted).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")  # the default zone
_fixed: dt.datetime | None = None


@functools.lru_cache(maxsize=8)
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The configured zone of the centre (``TIMEZONE``); Beijing time outside an application."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return BEIJING
    return _zone_named(current_app.extensions["onewindow"].settings.get("TIMEZONE") or "Asia/Shanghai")


def now() -> dt.datetime:
    if _fixed is not None:
        return _fixed
    return dt.datetime.now(zone()).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    return now().date()


@contextlib.contextmanager
def travel_to(moment: dt.datetime | dt.date):
    """Freeze the engine's clock (tests, replays)."""
    global _fixed
    previous = _fixed
    _fixed = moment if isinstance(moment, dt.datetime) else dt.datetime.combine(moment, dt.time(9, 30))
    try:
        yield
    finally:
        _fixed = previous


def add_workdays(start: dt.date, days: int) -> tuple[dt.date, bool]:
    """(due date, confirmed) for ``days`` working days after ``start``."""
    from onewindow.workdays import get_calendar

    return get_calendar().due_date_info(start, days)


def workdays_between(start: dt.date, end: dt.date) -> int:
    from onewindow.workdays import get_calendar

    return get_calendar().workdays_between(start, end)
