"""Benchmark: precomputed working-day additions vs a naive day-by-day loop (same run, same data).

    .venv/bin/python bench/workdays.py [--samples 20000] [--max-days 60]

Prints both rates, the ratio (target: at least 50x) and, for reference, the rate of
chinese_calendar.find_workday (itself a loop, and it counts the start day when that is
a day off). Not a test: figures vary with the machine; the ratio is what matters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

import chinese_calendar  # noqa: E402

from onewindow.workdays.calendar import WorkCalendar  # noqa: E402


def naive_add(cal: WorkCalendar, start: dt.date, n: int) -> dt.date:
    """What one writes first: step one day at a time and ask whether it is a working day."""
    day = start
    while n:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            n -= 1
    return day


def _time(fn, cases) -> float:
    begin = time.perf_counter()
    for start, n in cases:
        fn(start, n)
    return time.perf_counter() - begin


def rates(fns, cases, rounds: int = 7) -> list[float]:
    """Additions per second of each function: best of ``rounds``, the functions interleaved
    in every round so that a busy machine slows both sides alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], _time(fn, cases))
    return [len(cases) / b for b in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--max-days", type=int, default=60, help="limits drawn from 1..MAX (statutory limits: 1–60)")
    args = parser.parse_args()

    begin = time.perf_counter()
    cal = WorkCalendar(2004, dt.date.today().year + 10)
    build = time.perf_counter() - begin
    rng = random.Random(82)  # 行政许可法 §82
    first = dt.date(2004, 1, 1).toordinal()
    cases = [
        (dt.date.fromordinal(first + rng.randrange(0, 365 * 22)), rng.randint(1, args.max_days))
        for _ in range(args.samples)
    ]
    assert all(cal.add_workdays(s, n) == naive_add(cal, s, n) for s, n in cases[:2000]), "results differ"

    fast, slow = rates([cal.add_workdays, lambda s, n: naive_add(cal, s, n)], cases)
    (lib,) = rates([lambda s, n: chinese_calendar.find_workday(n, s)], cases[:1000], rounds=1)
    print(f"calendar build ({cal.first_day.year}–{cal.last_day.year}): {build * 1000:.1f} ms")
    print(f"samples: {len(cases)}, limits 1–{args.max_days} working days, starts 2004–2025")
    print(f"precomputed add_workdays : {fast:>12,.0f} additions/s")
    print(f"naive day-by-day loop    : {slow:>12,.0f} additions/s")
    print(f"chinese_calendar.find_workday (reference): {lib:,.0f} additions/s")
    ratio = fast / slow
    print(f"ratio: {ratio:.1f}x (target >= 50x) {'OK' if ratio >= 50 else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
