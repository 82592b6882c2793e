"""The working-day clock (工作日): O(1) arithmetic over a precomputed span of years.

行政许可法 §82: the Law's periods are counted in working days, statutory holidays
excluded. Which day is a working day comes, per date, from

1. the admin-maintained table of official holiday arrangements (``ow_calendar_day``),
   whose rows override everything else on their dates;
2. ``chinesecalendar`` for the years it knows (2004–2026 in 1.11.0);
3. otherwise weekends only — a year nobody has confirmed. Due dates that run through
   such a year are flagged as unconfirmed until the State Council's arrangement for
   it is entered (``onewindow calendar import``), which recomputes them.

A year is *confirmed* when ``chinesecalendar`` knows it or an admin marked its
``ow_calendar_year`` row confirmed.

Counting starts the day after the start date (the acceptance day never counts): this
is where ``chinese_calendar.find_workday(n, d)`` goes wrong, since it counts ``d``
itself when ``d`` is not a working day.

This module is pure (no database): :class:`WorkCalendar` is built from plain data;
:mod:`onewindow.workdays.store` builds it from the tables and caches it per app.
"""

from __future__ import annotations

import datetime as dt
import functools
from itertools import accumulate
from typing import Iterable, Mapping

import chinese_calendar
from flask_babel import gettext

from onewindow.errors import OneWindowError

#: The first year the clock covers (chinesecalendar's first year).
FIRST_YEAR = 2004

#: chinesecalendar's English holiday names → the names used in official notices.
HOLIDAY_NAMES_ZH = {h.value: h.chinese for h in chinese_calendar.constants.Holiday}


class CalendarRangeError(OneWindowError, ValueError):
    """A date or count runs outside the precomputed span of the calendar."""


@functools.cache
def library_years() -> frozenset[int]:
    """Years ``chinesecalendar`` has official data for (it raises NotImplementedError otherwise)."""
    years = set()
    for year in range(1990, 2101):
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


def weekend_rule(day: dt.date) -> bool:
    """The fallback for unconfirmed years: Monday to Friday are working days."""
    return day.weekday() < 5


@functools.cache
def _year_flags(year: int) -> bytes:
    """One byte per day of ``year``: 1 for a working day, from chinesecalendar or the weekend rule."""
    day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rule = chinese_calendar.is_workday if year in library_years() else weekend_rule
    flags = bytearray()
    while day <= end:
        flags.append(1 if rule(day) else 0)
        day += dt.timedelta(days=1)
    return bytes(flags)


def library_day(day: dt.date) -> tuple[bool, str]:
    """(is working day, note) according to chinesecalendar alone; the year must be known."""
    if day in chinese_calendar.workdays:  # the library's make-up working days only
        return True, "调休上班"
    holiday, name = chinese_calendar.get_holiday_detail(day)
    if holiday and name:
        return False, HOLIDAY_NAMES_ZH.get(name, name)
    return not holiday, ""


class WorkCalendar:
    """Working days of ``first_year``…``last_year``, with O(1) counting.

    Precomputed: ``_rank[i]`` is the number of working days strictly before day ``i``
    of the span and ``_workdays`` the ordinals of all working days in order, so adding
    ``n`` working days is two list look-ups instead of a day-by-day loop.

    :param overrides: date → is working day, from the official arrangements table.
    :param confirmed_years: years an admin confirmed (chinesecalendar's years always are).
    """

    def __init__(
        self,
        first_year: int,
        last_year: int,
        overrides: Mapping[dt.date, bool] | None = None,
        confirmed_years: Iterable[int] = (),
    ):
        if last_year < first_year:
            raise ValueError(f"calendar span {first_year}–{last_year} is empty")
        self.first_day = dt.date(first_year, 1, 1)
        self.last_day = dt.date(last_year, 12, 31)
        self._origin = self.first_day.toordinal()
        flags = bytearray(b"".join(_year_flags(y) for y in range(first_year, last_year + 1)))
        self.overrides = dict(overrides or {})
        for day, is_workday in self.overrides.items():
            if self.first_day <= day <= self.last_day:
                flags[day.toordinal() - self._origin] = 1 if is_workday else 0
        self._flags = bytes(flags)
        self._rank = [0, *accumulate(self._flags)]
        self._workdays = [self._origin + i for i, f in enumerate(self._flags) if f]
        self.confirmed_years = frozenset(
            y for y in range(first_year, last_year + 1) if y in library_years() or y in set(confirmed_years)
        )

    # --- look-ups ---------------------------------------------------------

    def _index(self, day: dt.date) -> int:
        i = day.toordinal() - self._origin
        if not 0 <= i < len(self._flags):
            raise CalendarRangeError(
                gettext(
                    "%(day)s is outside the working-day calendar (%(first)s … %(last)s); "
                    "check the date, or enter the arrangement of that year to extend the calendar",
                    day=day.isoformat(),
                    first=self.first_day.isoformat(),
                    last=self.last_day.isoformat(),
                )
            )
        return i

    def is_workday(self, day: dt.date) -> bool:
        """工作日: True for a working day (make-up Saturdays included, holidays excluded)."""
        return bool(self._flags[self._index(day)])

    def is_confirmed(self, day_or_year: dt.date | int) -> bool:
        """True when the year's working days are official (chinesecalendar or an admin-confirmed arrangement)."""
        year = day_or_year if isinstance(day_or_year, int) else day_or_year.year
        return year in self.confirmed_years

    # --- arithmetic -------------------------------------------------------

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start``; the start day itself never counts.

        # 行政许可法 §82: periods are working days; counting starts the day after
        # acceptance, so accepting on a Friday with 1 working day gives the Monday.
        ``n == 0`` returns ``start`` unchanged. ``n < 0`` counts backwards from the day
        before ``start`` (``add_workdays(due, -2)`` is two working days before ``due``).
        """
        i = start.toordinal() - self._origin  # inlined _index(): this is the hot path
        if not 0 <= i < len(self._flags):
            self._index(start)  # raises with the message
        if n == 0:
            return start
        rank = self._rank[i + 1] + n - 1 if n > 0 else self._rank[i] + n
        if not 0 <= rank < len(self._workdays):
            raise CalendarRangeError(
                gettext(
                    "%(start)s %(sign)s %(days)s working days runs outside the working-day calendar "
                    "(%(first)s … %(last)s); check the number of days",
                    start=start.isoformat(),
                    sign="+" if n > 0 else "-",
                    days=abs(n),
                    first=self.first_day.isoformat(),
                    last=self.last_day.isoformat(),
                )
            )
        return dt.date.fromordinal(self._workdays[rank])

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier).

        ``workdays_between(d, add_workdays(d, n)) == n`` for every ``n >= 0``: the
        number of working days used so far of a limit that started on ``start``.
        """
        return self._rank[self._index(end) + 1] - self._rank[self._index(start) + 1]

    def due_date_info(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        """(due date of ``n`` working days after ``start``, whether it is confirmed).

        Unconfirmed when any day counted — after ``start`` up to the due date — lies in a
        year nobody has confirmed: the weekends-only fallback may be wrong there, so the
        UI flags the date and it is recomputed once the arrangement is entered.
        """
        due = self.add_workdays(start, n)
        if n > 0:
            first, last = start + dt.timedelta(days=1), due
        elif n < 0:
            first, last = due, start - dt.timedelta(days=1)
        else:
            first = last = start
        return due, all(y in self.confirmed_years for y in range(first.year, last.year + 1))

    def unconfirmed_years(self) -> list[int]:
        return [y for y in range(self.first_day.year, self.last_day.year + 1) if y not in self.confirmed_years]

    def __repr__(self) -> str:
        return (
            f"<WorkCalendar {self.first_day.year}–{self.last_day.year}, "
            f"{len(self.overrides)} override(s), unconfirmed from {min(self.unconfirmed_years(), default='-')}>"
        )
