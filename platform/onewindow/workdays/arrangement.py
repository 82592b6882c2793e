"""Import an official holiday arrangement (国务院办公厅关于…年部分节假日安排的通知) from JSON.

Format (one year per file)::

    {"year": 2027,
     "source": "国务院办公厅关于2027年部分节假日安排的通知",
     "holidays": [["2027-01-01", "2027-01-03", "元旦"], ...],   # first day, last day, name
     "workdays": [["2027-02-07", "调休上班"], ...]}              # make-up working days

Everything is checked before anything is written, and every problem is reported at
once with the file and the entry. The year's earlier arrangement rows are replaced
and the year marked confirmed in one transaction; then ``calendar_changed`` runs so
open cases get their due dates recomputed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from onewindow.errors import ValidationError
from onewindow.faults import pause_point
from onewindow.workdays.calendar import library_day, library_years
from onewindow.workdays.models import CalendarDay, CalendarYear, _now, year_problem
from onewindow.workdays.store import notify_calendar_changed

KEYS = {"year", "source", "holidays", "workdays"}
WEEKDAYS_ZH = "一二三四五六日"


class ArrangementError(ValidationError):
    """The arrangement was refused; ``problems`` lists every problem found."""

    def __init__(self, where: str, problems: list[str]):
        self.where = where
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{where}: {len(problems)} problem(s), nothing was imported:\n{lines}")


@dataclass
class Arrangement:
    year: int
    source: str
    holidays: dict[dt.date, str] = field(default_factory=dict)  # every day off, with its holiday
    workdays: dict[dt.date, str] = field(default_factory=dict)  # make-up working days


@dataclass
class ImportResult:
    year: int
    holidays: int
    workdays: int
    replaced: bool  # an earlier arrangement of the year was replaced
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "replaced" if self.replaced else "imported"
        return (
            f"{verb} the {self.year} arrangement: {self.holidays} holiday date(s), "
            f"{self.workdays} make-up working day(s); {self.year} is confirmed"
        )


def _date(value: Any, what: str, year: int | None, problems: list[str]) -> dt.date | None:
    if not isinstance(value, str):
        problems.append(f"{what}: expected a date written YYYY-MM-DD, got {value!r}")
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{what}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01")
        return None
    if isinstance(year, int) and day.year != year:
        problems.append(f"{what}: {value} is not in {year}; an arrangement covers its own year only")
        return None
    return day


def _name(value: Any, what: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{what}: the name must be text, e.g. 春节 or 调休上班, got {value!r}")
        return None
    if len(value.strip()) > 60:
        problems.append(f"{what}: the name {value!r} is longer than 60 characters")
        return None
    return value.strip()


def parse_arrangement(data: Any, where: str = "arrangement") -> Arrangement:
    """Validate an arrangement (already decoded JSON); raise :class:`ArrangementError` with every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ArrangementError(where, [f"expected a JSON object with keys {', '.join(sorted(KEYS))}"])
    for key in sorted(set(data) - KEYS):
        problems.append(f"unknown key {key!r}; known keys: {', '.join(sorted(KEYS))}")
    for key in sorted(KEYS - set(data)):
        problems.append(f"missing key {key!r}")
    year = data.get("year")
    if "year" in data and (problem := year_problem(year)):
        problems.append(f"year: {problem}")
        year = None
    source = data.get("source")
    if "source" in data and (not isinstance(source, str) or not source.strip()):
        problems.append("source: name the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知")

    holidays: dict[dt.date, str] = {}
    first_seen: dict[dt.date, str] = {}
    entries = data.get("holidays", [])
    if not isinstance(entries, list):
        problems.append('holidays: expected a list of ["first day", "last day", "name"]')
        entries = []
    for n, entry in enumerate(entries, start=1):
        what = f"holidays entry {n}"
        if not isinstance(entry, list) or len(entry) != 3:
            problems.append(f'{what}: expected ["first day", "last day", "name"], got {entry!r}')
            continue
        what = f"{what} ({entry[2]})" if isinstance(entry[2], str) else what
        first, last = _date(entry[0], what, None, problems), _date(entry[1], what, None, problems)
        name = _name(entry[2], what, problems)
        if first is None or last is None or name is None:
            continue
        if isinstance(year, int) and not first.year == last.year == year:
            problems.append(f"{what}: {first}–{last} is not in {year}; an arrangement covers its own year only")
            continue
        if last < first:
            problems.append(f"{what}: last day {last} is before first day {first}; swap them")
            continue
        day = first
        while day <= last:
            if day in first_seen:
                problems.append(f"{what}: {day} is already a holiday in {first_seen[day]}; ranges must not overlap")
            else:
                holidays[day], first_seen[day] = name, what
            day += dt.timedelta(days=1)

    workdays: dict[dt.date, str] = {}
    entries = data.get("workdays", [])
    if not isinstance(entries, list):
        problems.append('workdays: expected a list of ["date", "note"]')
        entries = []
    for n, entry in enumerate(entries, start=1):
        what = f"workdays entry {n}"
        if not isinstance(entry, list) or len(entry) != 2:
            problems.append(f'{what}: expected ["date", "note"], e.g. ["2027-02-07", "调休上班"], got {entry!r}')
            continue
        workday, note = _date(entry[0], what, year, problems), _name(entry[1], what, problems)
        if workday is None or note is None:
            continue
        if workday in holidays:
            problems.append(
                f"{what}: {workday} is also a holiday in {first_seen[workday]}; a date is either one or the other"
            )
        elif workday in workdays:
            problems.append(f"{what}: {workday} is listed twice")
        elif workday.weekday() < 5:
            problems.append(
                f"{what}: {workday} is a weekday (星期{WEEKDAYS_ZH[workday.weekday()]}); make-up working days "
                "(调休上班) fall on a Saturday or Sunday — check the date against the notice"
            )
        else:
            workdays[workday] = note
    if problems:
        raise ArrangementError(where, problems)
    return Arrangement(year=year, source=source.strip(), holidays=holidays, workdays=workdays)


def load_arrangement(path: str | Path) -> Arrangement:
    """Read and validate an arrangement file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArrangementError(str(path), ["file not found; give the path of the arrangement JSON"]) from None
    except UnicodeDecodeError:
        raise ArrangementError(str(path), ["the file is not UTF-8 text; save it as UTF-8"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArrangementError(str(path), [f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"]) from None
    return parse_arrangement(data, str(path))


def library_differences(arrangement: Arrangement) -> list[str]:
    """Dates on which chinesecalendar disagrees with the arrangement and the arrangement is silent."""
    if arrangement.year not in library_years():
        return []
    listed = arrangement.holidays.keys() | arrangement.workdays.keys()
    notes = []
    day = dt.date(arrangement.year, 1, 1)
    while day.year == arrangement.year:
        if day not in listed:
            is_workday, note = library_day(day)
            if is_workday != (day.weekday() < 5):
                notes.append(
                    f"{day}: chinesecalendar has {note or ('a working day' if is_workday else 'a day off')} "
                    "which the arrangement does not list; chinesecalendar still applies on that date"
                )
        day += dt.timedelta(days=1)
    return notes


def import_arrangement(source: str | Path | dict, actor: str, *, where: str | None = None) -> ImportResult:
    """Validate and write one year's arrangement (all or nothing), then call ``calendar_changed``.

    :param source: a JSON file path or an already decoded dict.
    :param actor: who imports it (user name, or ``cli:<login>``), kept on the year.
    :param where: how errors name a dict's origin (e.g. the uploaded file name).
    """
    from onewindow.app import db

    arrangement = (
        parse_arrangement(source, where or "arrangement") if isinstance(source, dict) else load_arrangement(source)
    )
    session = db.session
    year = arrangement.year
    try:
        row = session.scalar(select(CalendarYear).where(CalendarYear.year == year))
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        old_days = session.scalar(
            select(CalendarDay.id).where(CalendarDay.date >= first, CalendarDay.date <= last).limit(1)
        )
        replaced = bool(row is not None and row.confirmed) or old_days is not None
        if row is None:
            row = CalendarYear(year=year)
            session.add(row)
        row.confirmed, row.source, row.entered_by, row.entered_at = True, arrangement.source, actor, _now()
        session.execute(delete(CalendarDay).where(CalendarDay.date >= first, CalendarDay.date <= last))
        session.add_all(CalendarDay(date=d, is_workday=False, note=n) for d, n in sorted(arrangement.holidays.items()))
        session.add_all(CalendarDay(date=d, is_workday=True, note=n) for d, n in sorted(arrangement.workdays.items()))
        session.flush()
        pause_point("calendar.import.before_commit")  # kill -9 tests: the old year deleted, the new one not committed
        session.commit()
    except Exception:
        session.rollback()
        raise
    result = ImportResult(
        year, len(arrangement.holidays), len(arrangement.workdays), replaced, library_differences(arrangement)
    )
    notify_calendar_changed([year])
    return result
