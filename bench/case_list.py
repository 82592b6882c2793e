"""Benchmark: the case list screen and API over a large table (default 1,000,000 cases).

    python bench/case_list.py [--cases 1000000] [--requests 40] [--url postgresql+psycopg://…] [--keep]

Target (issue #4, performance 3): with 1,000,000 cases, p95 < 300 ms for the case list
screen (/caseview/list/) and the list API (/api/v1/cases/), both for an admin (every
case) and for a department approver (rows through the department scope), on SQLite
and on PostgreSQL (2 cores).

Cases (one step each, 15 departments) are bulk-inserted with Core, not timed; on
PostgreSQL the tables are then vacuumed and analysed, as autovacuum would. Each
endpoint is requested once untimed (templates compile), then ``--requests`` times per
role. Prints p50/p95 per endpoint and role against the target (also for a state
filter, the department inbox of the approver and the output window of the admin) and
a baseline from the same run: the bare ``SELECT … ORDER BY id DESC LIMIT 20`` a list
page needs. Asserts nothing (a script that prints figures, not a timed test);
``--keep`` keeps the database for inspection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

PERSON = "440304200002291236"


def _database(url):
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="ow-bench-"))
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    name = f"ow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def _percentiles(samples):
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples) * 1000, p95 * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--url")
    parser.add_argument("--keep", action="store_true", help="keep the database and print where it is")
    args = parser.parse_args()

    from onewindow.app import create_app, db
    from onewindow.cases.models import Case, CaseStep
    from onewindow.models import Department
    from onewindow.models.items import HandlingType, Item, ItemType, ServiceMode
    from onewindow.setup import initialise

    url, drop = _database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-inst-"))
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False}, instance_path=instance)
    report = initialise(app, demo=True)
    logins = {u: p for u, p, _r in report.logins}
    try:
        with app.app_context():
            depts = db.session.query(Department).order_by(Department.id).all()
            item_type = db.session.query(ItemType).first() or ItemType(code="01", name="行政许可")
            item = Item(basic_code="999000000002", implementation_code=f"{depts[0].credit_code}3999000000002",
                        name="基准测试事项", item_type=item_type, department=depts[0], legal_days=20,
                        promised_days=5, handling_type=HandlingType.promised, service_mode=ServiceMode.window_post)
            db.session.add(item)
            db.session.commit()
            item_id = item.id
            start = time.perf_counter()
            now = dt.datetime(2026, 11, 23, 9, 30)
            batch = 20_000
            states = ["in_review", "approved", "delivered", "at_output"]
            with db.engine.begin() as conn:
                for base in range(0, args.cases, batch):
                    rows = []
                    for n in range(base, min(args.cases, base + batch)):
                        dept = depts[n % len(depts)]
                        rows.append({
                            "number": f"{n:043d}", "query_code": "ABCDEFGH", "item_id": item_id,
                            "department_id": dept.id, "state": states[n % 4], "channel": "window",
                            "applicant_type": "person", "applicant_name": "张三", "applicant_id": PERSON, "data": {},
                            "received_at": now, "due_date": dt.date(2026, 12, 1) + dt.timedelta(days=n % 60),
                            "due_confirmed": True, "stopped_days": 0, "extended_days": 0, "simulated": False,
                            "corrections_issued": 0, "confidential": False, "updated_at": now, "version": 1,
                        })
                    conn.execute(insert(Case.__table__), rows)
                conn.execute(text(
                    "INSERT INTO ow_case_step (case_id, position, department_id, is_lead, parallel, task, days, "
                    "silence_consents, state) SELECT id, 1, department_id, true, false, '', 5, false, 'approved' "
                    "FROM ow_case"))
            load_seconds = time.perf_counter() - start
            if db.engine.dialect.name == "postgresql":
                db.session.remove()  # no open transaction, so VACUUM can mark the pages all-visible
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    for table in ("ow_case", "ow_case_step"):
                        conn.execute(text(f"VACUUM ANALYZE {table}"))
                    visible = conn.execute(text(
                        "SELECT min(relallvisible::float / greatest(relpages, 1)) FROM pg_class "
                        "WHERE relname IN ('ow_case', 'ow_case_step')")).scalar()
                if visible < 0.9:
                    print(f"warning: only {visible:.0%} of the pages are all-visible after VACUUM "
                          "(a long transaction elsewhere?): index-only scans will read the heap")

            def baseline():
                t = time.perf_counter()
                with db.engine.connect() as conn:
                    conn.execute(text("SELECT * FROM ow_case ORDER BY id DESC LIMIT 20")).fetchall()
                return time.perf_counter() - t

            base = [baseline() for _ in range(args.requests)]

        results, counts = {}, {}
        endpoints = {
            "admin": (("screen", "/caseview/list/"), ("api", "/api/v1/cases/"),
                      ("screen state=", "/caseview/list/?_flt_0_state=in_review"),
                      ("api state=", "/api/v1/cases/?state=in_review"), ("output", "/output/")),
            "approver": (("screen", "/caseview/list/"), ("api", "/api/v1/cases/"),
                         ("screen state=", "/caseview/list/?_flt_0_state=in_review"),
                         ("api state=", "/api/v1/cases/?state=in_review"), ("inbox", "/inbox/")),
        }
        for user, paths in endpoints.items():
            client = app.test_client()
            client.post("/login/", data={"username": user, "password": logins[user]})
            for label, path in paths:
                client.get(path)  # warm-up, not timed: compiles the templates once
                samples = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    response = client.get(path)
                    samples.append(time.perf_counter() - t)
                    assert response.status_code == 200, (path, response.status_code)
                results[f"{label} as {user}"] = _percentiles(samples)
            body = client.get("/api/v1/cases/").get_json()
            counts[user] = (body["count"], body.get("count_exact"))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if args.keep:
            print(f"kept: --url {url}  instance {instance}")
        else:
            drop()

    print(f"database: {make_url(url).get_backend_name()}; cases: {args.cases:,} (bulk load {load_seconds:.1f} s); "
          f"requests per endpoint: {args.requests}")
    b50, b95 = _percentiles(base)
    print(f"baseline  SELECT … ORDER BY id DESC LIMIT 20: p50 {b50:7.1f} ms  p95 {b95:7.1f} ms")
    for label, (p50, p95) in results.items():
        verdict = "meets" if p95 < 300 else "MISSES"
        print(f"{label:<28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({verdict} p95 < 300 ms; "
              f"{p95 / max(b95, 1e-6):.0f}x baseline p95)")
    for user, (count, exact) in counts.items():
        print(f"list count as {user}: {'' if exact else 'more than '}{count:,}")


if __name__ == "__main__":
    main()
