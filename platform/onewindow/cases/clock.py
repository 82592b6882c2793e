"""The case clock: Beijing business time and working-day due dates.

``now()`` is the only source of "now" for the engine, so tests can move time
(``monkeypatch.setattr(onewindow.cases.clock, "_fixed", ...)`` via ``travel_to``).
Due dates count working days from the day AFTER acceptance (行政许可法 §82: periods
are working days; the day of the event is not counted).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    if _fixed is not None:
        return _fixed
    return dt.datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)


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
