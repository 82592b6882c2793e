"""The working-day clock (工作日): chinesecalendar + official arrangements + weekends-only fallback.

Public API (the case engine and plugins import these)::

    from onewindow.workdays import get_calendar
    cal = get_calendar()                    # inside an application context
    cal.add_workdays(accepted_on, 20)       # counting starts the day after (行政许可法 §82)
    cal.workdays_between(accepted_on, today)
    cal.is_workday(day)
    due, confirmed = cal.due_date_info(accepted_on, 20)
"""

from onewindow.workdays.calendar import CalendarRangeError, WorkCalendar  # noqa: F401
from onewindow.workdays.store import get_calendar, invalidate_calendar  # noqa: F401


def import_arrangement(source, actor, *, where=None):
    """Import one year's official holiday arrangement; see :mod:`onewindow.workdays.arrangement`."""
    from onewindow.workdays.arrangement import import_arrangement as _import

    return _import(source, actor, where=where)
