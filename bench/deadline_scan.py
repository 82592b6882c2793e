"""Benchmark: the e-supervision deadline scan over N open cases (default 1,000,000).

    .venv/bin/python bench/deadline_scan.py [--cases N] [--url postgresql+psycopg://…/db]

Builds a fresh database through the migrations (SQLite in a temporary folder; with
--url a throwaway database ``ow_bench_<pid>`` created on that server and dropped at the
end), bulk-inserts synthetic open cases, each with one active department step and its
acceptance event (SQLAlchemy Core, executemany in chunks), then times

1. the first scan (full: raises every card, the backfill after installing the plugin),
2. a steady-state scan (incremental, nothing changed: what runs every few minutes),
3. the scan one working day later (incremental: cards escalate, new ones are raised),
4. the nightly full scan (re-checks every open subject),

and checks after each that the open cards equal a naive per-case recomputation with
the working-day calendar (``workdays_between``), printing MATCH or MISMATCH.

Each scan is paired with a baseline timed right before it and right after it on the same
database: the bare reads any scan must make (counting the open cases and active steps
due within the warning window, one range query each). A scan's ratio is its time over
the mean of its two baselines, so a load change on a shared machine moves both sides
(the scans themselves cannot be repeated: each changes the cards the next one sees).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

TODAY = dt.date(2026, 11, 23)  # a Monday; the calendar knows 2026 officially
NOW = dt.datetime(2026, 11, 23, 8, 0)
CHUNK = 50_000


def build_app(url: str | None):
    from onewindow.app import create_app
    from onewindow.setup import initialise

    folder = Path(tempfile.mkdtemp(prefix="ow-bench-"))
    url = url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True}, instance_path=folder / "instance")
    initialise(app)
    return app


def seed(app, n: int, seed_value: int = 8) -> None:
    from onewindow.app import db
    from onewindow.cases.models import Case, CaseEvent, CaseStep
    from onewindow.models.items import Item, ItemType
    from onewindow.models.org import Department, Region

    rnd = random.Random(seed_value)
    with app.app_context():
        region = Region(code="369921", name="云溪县", level="county")
        db.session.add(region)
        db.session.flush()
        dept = Department(name="基准测试局", credit_code="11369921102345608H", region_id=region.id)
        item_type = ItemType(code="01", name="行政许可")
        db.session.add_all([dept, item_type])
        db.session.flush()
        items = []
        for warn in (1, 2, 3):
            item = Item(
                basic_code=f"90000000000{warn}",
                implementation_code=f"{dept.credit_code}39000000000{warn}",
                name=f"基准事项{warn}",
                item_type=item_type,
                department=dept,
                legal_days=20,
                promised_days=10,
                handling_type="promised",
                correction_limit_days=5,
                extension_days=0,
                service_mode="window_post",
                visits_required=1,
                postal_delivery=True,
                in_person_required=False,
                routing_mode="sequential",
                warning_days=warn,
                legal_basis="基准",
            )
            db.session.add(item)
            items.append(item)
        db.session.commit()
        item_ids, dept_id = [i.id for i in items], dept.id
        case_t, step_t, event_t = Case.__table__, CaseStep.__table__, CaseEvent.__table__
        started = time.perf_counter()
        for base in range(0, n, CHUNK):
            cases, steps, events = [], [], []
            for i in range(base, min(base + CHUNK, n)):
                due = TODAY + dt.timedelta(days=rnd.randint(-40, 40))
                acceptor, link = f"acceptor{i % 40:02d}", f"{i:064x}"  # 40 window staff; a stand-in hash
                cases.append(
                    dict(
                        id=i + 1,
                        number=f"B{i:042d}",
                        query_code="ABCD1234",
                        item_id=item_ids[i % 3],
                        department_id=dept_id,
                        state="in_review",
                        channel="window",
                        applicant_type="person",
                        applicant_name="张三",
                        applicant_id="440304200002291236",
                        data={},
                        received_at=NOW,
                        accepted_on=due - dt.timedelta(days=14),
                        due_date=due,
                        due_confirmed=True,
                        stopped_days=0,
                        extended_days=0,
                        simulated=False,
                        corrections_issued=0,
                        confidential=False,
                        updated_at=NOW,
                        accepted_by=acceptor,
                        chain_seq=1,
                        chain_hash=link,
                        version=1,
                    )
                )
                events.append(
                    dict(
                        id=i + 1,
                        case_id=i + 1,
                        seq=1,
                        action="accept",
                        from_state=None,
                        to_state="in_review",
                        actor=acceptor,
                        at=NOW,
                        reason="",
                        payload={},
                        prev_hash="0" * 64,
                        hash=link,
                    )
                )
                steps.append(
                    dict(
                        id=i + 1,
                        case_id=i + 1,
                        position=1,
                        department_id=dept_id,
                        is_lead=True,
                        parallel=False,
                        task="审批",
                        days=8,
                        silence_consents=False,
                        state="active",
                        started_on=due - dt.timedelta(days=14),
                        due_date=due - dt.timedelta(days=rnd.randint(0, 3)),
                    )
                )
            with db.engine.begin() as conn:
                conn.execute(case_t.insert(), cases)
                conn.execute(step_t.insert(), steps)
                conn.execute(event_t.insert(), events)
        if db.engine.dialect.name == "postgresql":
            # VACUUM as well: a database that has gathered a million open cases has been
            # vacuumed (hint bits, visibility map); freshly bulk-loaded tables would make the
            # first scan set the hint bits of two million rows and autovacuum start mid-run.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        print(
            f"seeded {n:,} open cases + {n:,} active steps + {n:,} acceptance events "
            f"in {time.perf_counter() - started:.1f} s"
        )


def run_scan(app, today: dt.date, full: bool = False) -> tuple[float, dict]:
    from onewindow_supervision.jobs import deadline_scan

    from onewindow.cases.clock import travel_to

    with app.app_context(), travel_to(dt.datetime.combine(today, dt.time(8, 0))):
        started = time.perf_counter()
        counts = deadline_scan(full=full)
        return time.perf_counter() - started, counts


def baseline(app, today: dt.date) -> float:
    """Seconds of the bare range reads a scan cannot avoid (see the module docstring)."""
    from sqlalchemy import text

    from onewindow.app import db

    horizon = today + dt.timedelta(days=5)
    with app.app_context():
        started = time.perf_counter()
        with db.engine.connect() as conn:
            conn.execute(
                text("SELECT count(*) FROM ow_case WHERE state = 'in_review' AND due_date <= :h"), {"h": horizon}
            ).scalar()
            conn.execute(
                text("SELECT count(*) FROM ow_case_step WHERE state = 'active' AND due_date <= :h"), {"h": horizon}
            ).scalar()
        return time.perf_counter() - started


def naive_check(app, today: dt.date) -> tuple[bool, int, int]:
    """Recompute every case's and step's card in Python; compare with the open cards."""
    from onewindow_supervision.models import Card
    from sqlalchemy import select

    from onewindow.app import db
    from onewindow.cases.models import Case, CaseStep
    from onewindow.models.items import Item
    from onewindow.workdays import get_calendar

    with app.app_context():
        cal = get_calendar()

        def level(due, warn):
            if due < today:
                return "red"
            return "yellow" if cal.workdays_between(today, due) <= warn else None

        expected = set()
        rows = db.session.execute(select(Case.id, Case.due_date, Item.warning_days).join(Item, Item.id == Case.item_id))
        for cid, due, warn in rows:
            if (lv := level(due, warn)) is not None:
                expected.add(("case_due", cid, lv))
        rows = db.session.execute(
            select(CaseStep.id, CaseStep.due_date, Item.warning_days)
            .join(Case, Case.id == CaseStep.case_id)
            .join(Item, Item.id == Case.item_id)
        )
        for sid, due, warn in rows:
            if (lv := level(due, warn)) is not None:
                expected.add(("step_due", sid, lv))
        actual = {
            (r.name, s, lv.name)
            for r, s, lv in db.session.execute(
                select(Card.rule, Card.subject_id, Card.level).where(Card.cleared_at.is_(None))
            )
        }
        return expected == actual, len(expected), len(actual)


@contextlib.contextmanager
def throwaway_database(url: str | None):
    """A fresh database on the server of ``url`` (PostgreSQL), dropped afterwards."""
    if url is None:
        yield None
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = make_url(url)
    name = f"ow_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument(
        "--url", default=None, help="a PostgreSQL server (any database on it; the benchmark creates and drops its own)"
    )
    args = parser.parse_args(argv)
    with throwaway_database(args.url) as url:
        return run(url, args.cases)


def run(url: str | None, cases: int) -> int:
    app = build_app(url)
    with app.app_context():
        from onewindow.app import db

        print(f"database: {db.engine.dialect.name}")
    seed(app, cases)
    ok_all = True
    next_day = TODAY + dt.timedelta(days=1)
    runs = [
        ("first scan (full backfill)", TODAY, False),
        ("steady-state scan", TODAY, False),
        ("next working day", next_day, False),
        ("nightly full scan", next_day, True),
    ]
    baseline(app, TODAY)  # warm the pages once, as the scans' own first reads would
    for label, day, full in runs:
        before = baseline(app, day)
        seconds, counts = run_scan(app, day, full)
        after = baseline(app, day)
        ok, expected, actual = naive_check(app, day)
        ok_all &= ok
        ratio = seconds / max((before + after) / 2, 1e-6)
        print(
            f"{label:<27} {seconds:6.2f} s  (baseline before/after {before:.2f}/{after:.2f} s, ratio {ratio:.1f}x; "
            f"target < 5 s)  {counts}  open cards {actual:,} vs naive {expected:,}: "
            f"{'MATCH' if ok else 'MISMATCH'}"
        )
    with app.app_context():
        from onewindow.app import db

        db.engine.dispose()
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
