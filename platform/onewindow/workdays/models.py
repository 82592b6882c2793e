"""Official holiday arrangements (节假日安排) maintained by the centre admin.

``ow_calendar_day`` rows override chinesecalendar (and the weekends-only fallback) on
their dates; ``ow_calendar_year`` records whether a year's arrangement is confirmed,
from which notice, and who entered it. See :mod:`onewindow.workdays.calendar`.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from onewindow.errors import ValidationError
from onewindow.workdays.calendar import FIRST_YEAR


def _now() -> dt.datetime:
    """Beijing local time, naive: every stored timestamp follows the one clock (``onewindow.clock``)."""
    from onewindow.cases.clock import now

    return now()


def last_allowed_year() -> int:
    """Arrangements are published a year ahead; ten years leaves room without inviting typos."""
    from onewindow.cases.clock import today

    return today().year + 10


def year_problem(year) -> str | None:
    if not isinstance(year, int) or isinstance(year, bool):
        return f"year must be a whole number such as 2027, not {year!r}"
    if not FIRST_YEAR <= year <= last_allowed_year():
        return f"year {year} is outside {FIRST_YEAR}–{last_allowed_year()}; check the year of the notice"
    return None


class CalendarYear(Model):
    """A year's holiday arrangement: confirmed or not, and the notice it comes from."""

    __tablename__ = "ow_calendar_year"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    # Confirmed: the official notice has been entered; due dates in this year are final.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    source: Mapped[Optional[str]] = mapped_column(Text)  # e.g. 国务院办公厅关于2027年部分节假日安排的通知
    entered_by: Mapped[Optional[str]] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)

    @validates("year")
    def _check_year(self, _key, value):
        problem = year_problem(value)
        if problem:
            raise ValidationError(f"节假日安排年度: {problem}")
        return value

    def __repr__(self) -> str:
        return str(self.year)


class CalendarDay(Model):
    """One date of an official arrangement: a holiday (放假) or a make-up working day (调休上班)."""

    __tablename__ = "ow_calendar_day"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, unique=True, nullable=False)
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[Optional[str]] = mapped_column(String(60))  # 春节 / 调休上班

    @validates("date")
    def _check_date(self, _key, value):
        if isinstance(value, dt.date):
            problem = year_problem(value.year)
            if problem:
                raise ValidationError(f"节假日安排日期 {value.isoformat()}: {problem}")
        return value

    @property
    def weekday(self) -> str:
        """星期几, for the list screen."""
        return f"星期{'一二三四五六日'[self.date.weekday()]}" if self.date else ""

    def __repr__(self) -> str:
        return f"{self.date.isoformat()} {self.note or ''}".strip()
