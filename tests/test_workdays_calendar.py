"""The working-day clock's rules (行政许可法 §82), on the pure calendar (no database)."""

import datetime as dt
import json
import random
from pathlib import Path

import chinese_calendar
import pytest

from onewindow.workdays.arrangement import load_arrangement
from onewindow.workdays.calendar import CalendarRangeError, WorkCalendar

D = dt.date
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar(2004, 2036)


def naive_add(cal, start, n):
    """The day-by-day loop the precomputed arithmetic must agree with."""
    day, step, left = start, (1 if n > 0 else -1), abs(n)
    while left:
        day += dt.timedelta(days=step)
        if cal.is_workday(day):
            left -= 1
    return day


def test_counting_starts_the_day_after_acceptance_friday_plus_one_is_monday(cal):
    assert cal.add_workdays(D(2026, 3, 6), 1) == D(2026, 3, 9)  # Friday → Monday


def test_acceptance_day_never_counts_even_when_it_is_a_workday(cal):
    assert cal.add_workdays(D(2026, 3, 9), 1) == D(2026, 3, 10)


def test_national_day_2026_holidays_are_skipped(cal):
    # 10/1–10/7 off: accepted Wednesday 9/30, the first working day is Thursday 10/8.
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert all(not cal.is_workday(D(2026, 10, d)) for d in range(1, 8))


def test_make_up_saturday_counts_as_a_workday(cal):
    # 10/10/2026 is a Saturday worked in lieu (调休上班): 9/30 + 3 → 10/8, 10/9, 10/10.
    assert D(2026, 10, 10).weekday() == 5 and cal.is_workday(D(2026, 10, 10))
    assert cal.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_spring_festival_2026(cal):
    # 2/14 (Saturday) is worked, 2/15–2/23 are off, 2/28 (Saturday) is worked.
    assert cal.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal.add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert cal.workdays_between(D(2026, 2, 13), D(2026, 2, 28)) == 1 + 4 + 1  # 2/14, 2/24–27, 2/28


def test_acceptance_on_a_holiday_counts_from_the_next_day_unlike_find_workday(cal):
    # Pitfall: chinese_calendar.find_workday(1, d) counts d itself when d is a day off.
    assert chinese_calendar.find_workday(1, D(2026, 10, 3)) == D(2026, 10, 9)
    assert cal.add_workdays(D(2026, 10, 3), 1) == D(2026, 10, 8)


def test_zero_days_returns_the_start_and_negative_counts_backwards(cal):
    assert cal.add_workdays(D(2026, 10, 3), 0) == D(2026, 10, 3)
    assert cal.add_workdays(D(2026, 10, 8), -1) == D(2026, 9, 30)  # warning "1 working day before"
    assert cal.add_workdays(D(2026, 10, 12), -2) == D(2026, 10, 9)


def test_year_without_arrangement_falls_back_to_weekends_and_is_unconfirmed(cal):
    # 2026-12-15 + 20 working days runs into 2027, which chinesecalendar 1.11 does not know.
    due, confirmed = cal.due_date_info(D(2026, 12, 15), 20)
    assert due == D(2027, 1, 12)  # 1/1/2027, a Friday, counted as a working day (weekends only)
    assert confirmed is False
    assert cal.due_date_info(D(2026, 12, 1), 10) == (D(2026, 12, 15), True)


def test_admin_confirmed_arrangement_overrides_the_fallback():
    holidays = {D(2027, 1, 1): False}
    cal = WorkCalendar(2004, 2036, overrides=holidays, confirmed_years=[2027])
    assert cal.due_date_info(D(2026, 12, 15), 20) == (D(2027, 1, 13), True)


def test_table_overrides_chinesecalendar_on_its_dates():
    cal = WorkCalendar(2004, 2036, overrides={D(2026, 10, 8): False, D(2026, 10, 11): True})
    assert not cal.is_workday(D(2026, 10, 8)) and cal.is_workday(D(2026, 10, 11))
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 9)


def test_years_known_to_chinesecalendar_are_confirmed_and_later_ones_not(cal):
    assert cal.is_confirmed(2004) and cal.is_confirmed(D(2026, 12, 31))
    assert not cal.is_confirmed(2027) and not cal.is_confirmed(D(2027, 1, 1))


def test_calendar_agrees_with_chinesecalendar_on_every_day_it_knows(cal):
    day = D(2004, 1, 1)
    while day.year <= 2026:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_shipped_2026_arrangement_is_the_official_one(cal):
    arrangement = load_arrangement(ROOT / "item_packs/calendar/2026.json")
    data = json.loads((ROOT / "item_packs/calendar/2026.json").read_text(encoding="utf-8"))
    assert [h[:2] for h in data["holidays"]] == [
        ["2026-01-01", "2026-01-03"],
        ["2026-02-15", "2026-02-23"],
        ["2026-04-04", "2026-04-06"],
        ["2026-05-01", "2026-05-05"],
        ["2026-06-19", "2026-06-21"],
        ["2026-09-25", "2026-09-27"],
        ["2026-10-01", "2026-10-07"],
    ]
    assert sorted(arrangement.workdays) == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    assert all(not chinese_calendar.is_workday(d) for d in arrangement.holidays)
    assert all(chinese_calendar.is_workday(d) for d in arrangement.workdays)


def test_precomputed_arithmetic_equals_the_day_by_day_loop_on_random_samples(cal):
    rng = random.Random(20260930)
    overrides = {D(2027, 1, 1): False, D(2027, 2, 6): True, D(2030, 5, 1): False}
    cals = [cal, WorkCalendar(2004, 2036, overrides=overrides, confirmed_years=[2027])]
    for _ in range(3000):
        c = rng.choice(cals)
        start = D(2004, 9, 1) + dt.timedelta(days=rng.randrange(0, 365 * 31))
        n = rng.randint(-60, 120)
        due = c.add_workdays(start, n)
        assert due == naive_add(c, start, n), (start, n)
        if n >= 0:
            assert c.workdays_between(start, due) == n
        end = start + dt.timedelta(days=rng.randrange(-200, 200))
        lo, hi = sorted([start, end])
        expected = sum(c.is_workday(lo + dt.timedelta(days=k)) for k in range(1, (hi - lo).days + 1))
        assert c.workdays_between(start, end) == (expected if end >= start else -expected)


def test_dates_outside_the_calendar_are_refused_with_the_range(cal):
    with pytest.raises(CalendarRangeError, match="2003-12-31 is outside the working-day calendar"):
        cal.add_workdays(D(2003, 12, 31), 1)
    with pytest.raises(CalendarRangeError, match="runs outside"):
        cal.add_workdays(D(2036, 12, 1), 100)
