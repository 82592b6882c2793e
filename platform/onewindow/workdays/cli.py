"""``onewindow calendar``: import, show and check the working-day calendar."""

from __future__ import annotations

import datetime as dt
import getpass
from itertools import groupby

import click
from flask_babel import gettext

from onewindow.errors import ValidationError

WEEKDAYS_ZH = "一二三四五六日"


def special_days(year: int) -> list[tuple[dt.date, bool, str]]:
    """(date, is working day, note) of every date of ``year`` that is not an ordinary weekday/weekend."""
    from sqlalchemy import select

    from onewindow.app import db
    from onewindow.workdays.calendar import library_day, library_years
    from onewindow.workdays.models import CalendarDay
    from onewindow.workdays.store import get_calendar

    cal = get_calendar()
    notes = dict(
        db.session.execute(
            select(CalendarDay.date, CalendarDay.note).where(
                CalendarDay.date >= dt.date(year, 1, 1), CalendarDay.date <= dt.date(year, 12, 31)
            )
        ).all()
    )
    days, day = [], dt.date(year, 1, 1)
    while day.year == year:
        is_workday = cal.is_workday(day)
        if day in notes or is_workday != (day.weekday() < 5):
            note = notes.get(day) or (library_day(day)[1] if year in library_years() else "")
            days.append((day, is_workday, note or ("调休上班" if is_workday else "休息日")))
        day += dt.timedelta(days=1)
    return days


def _ranges(days: list[tuple[dt.date, bool, str]]) -> list[str]:
    """Group consecutive dates with the same kind and note: 10-01–10-07 国庆节."""
    parts: list[str] = []
    run: list[tuple[dt.date, bool, str]] = []
    for item in days + [None]:
        if run and (item is None or item[1:] != run[-1][1:] or (item[0] - run[-1][0]).days != 1):
            first, last = run[0][0], run[-1][0]
            span = first.strftime("%m-%d") + ("" if first == last else "–" + last.strftime("%m-%d"))
            parts.append(f"{span} {run[0][2]}")
            run = []
        if item is not None:
            run.append(item)
    return parts


def _confirmation(cal, year: int) -> str:
    from sqlalchemy import select

    from onewindow.app import db
    from onewindow.workdays.calendar import library_years
    from onewindow.workdays.models import CalendarYear

    row = db.session.scalar(select(CalendarYear).where(CalendarYear.year == year))
    if row is not None and row.confirmed:
        return (
            f"confirmed: {row.source or 'no notice named'} "
            f"(entered by {row.entered_by or '?'} on {row.entered_at:%Y-%m-%d})"
        )
    if year in library_years():
        return "confirmed: chinesecalendar (official arrangement built into the library)"
    return (
        f"NOT confirmed: weekends only until the official arrangement is entered; due dates that "
        f"run through {year} are flagged (onewindow calendar import FILE)"
    )


@click.group("calendar")
def calendar() -> None:
    """Working-day calendar: official holiday arrangements (节假日安排)."""


@calendar.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--actor", default=None, help="Who is importing (default: cli:<login name>).")
def import_command(file: str, actor: str | None) -> None:
    """Import an official holiday arrangement from a JSON file (all or nothing)."""
    from onewindow.cli import current_app_context
    from onewindow.workdays.arrangement import import_arrangement

    with current_app_context():
        result = import_arrangement(file, actor or f"cli:{getpass.getuser()}")
    click.echo(result.summary())
    for warning in result.warnings:
        click.echo(f"  note: {warning}")


@calendar.command("show")
@click.argument("year", type=int)
def show_command(year: int) -> None:
    """Show a year: working days per month, holidays, and whether it is confirmed."""
    from onewindow.cli import current_app_context
    from onewindow.workdays.store import get_calendar

    with current_app_context():
        cal = get_calendar()
        if not cal.first_day.year <= year <= cal.last_day.year:
            raise ValidationError(
                gettext(
                    "year %(year)s is outside the working-day calendar (%(first)s–%(last)s); give a year in that range",
                    year=year,
                    first=cal.first_day.year,
                    last=cal.last_day.year,
                )
            )
        click.echo(f"{year}: {_confirmation(cal, year)}")
        by_month = {m: list(g) for m, g in groupby(special_days(year), key=lambda d: d[0].month)}
        click.echo("month  working days  holidays and make-up working days")
        total = 0
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            count = cal.workdays_between(first - dt.timedelta(days=1), last)
            total += count
            click.echo(f"{month:02d}     {count:>12}  {'; '.join(_ranges(by_month.get(month, [])))}".rstrip())
        click.echo(f"total  {total:>12}")


@calendar.command("check")
@click.argument("date", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("n", type=int)
def check_command(date: dt.datetime, n: int) -> None:
    """Print the due date N working days after DATE (counting from the next day)."""
    from onewindow.cli import current_app_context
    from onewindow.workdays.store import get_calendar

    start = date.date()
    with current_app_context():
        cal = get_calendar()
        due, confirmed = cal.due_date_info(start, n)
    weekday = WEEKDAYS_ZH[due.weekday()]
    click.echo(f"{start.isoformat()} + {n} working day(s) → {due.isoformat()} (星期{weekday})")
    if confirmed:
        click.echo("confirmed: every day counted lies in a year with an official arrangement")
    else:
        years = sorted({y for y in range(start.year, due.year + 1) if not cal.is_confirmed(y)})
        click.echo(
            f"UNCONFIRMED: {', '.join(map(str, years))} counted with weekends only; "
            "import the official arrangement to confirm (onewindow calendar import FILE)"
        )
