"""Benchmark: the case list screen and API over a large table (default 1,000,000 cases).

    python bench/case_list.py [--cases 1000000] [--requests 40] [--rounds 4] [--url postgresql+psycopg://…] [--keep]
    python bench/case_list.py --seed-only [--cases 1000000] [--url …]   # seeds, keeps, prints --reuse …
    python bench/case_list.py --reuse DATABASE_URL --instance FOLDER [--requests 40] [--rounds 4]

Target (issue #4, performance 3): with 1,000,000 cases, p95 < 300 ms for the case list
screen (/caseview/list/) and the list API (/api/v1/cases/), both for an admin (every
case) and for a department approver (rows through the department scope), on SQLite
and on PostgreSQL (2 cores).

Cases are bulk-inserted with Core, not timed, as a county has them: spread over every
department of the demo organisation, a quarter each in review, approved, at the output
window and delivered; every case has its lead step, a third of them also a step of a
second department (active while the case is in review, approved after), and the events
of the transitions that brought it to its state (accept, approve_step, decide,
hand_to_output, deliver_pickup). On PostgreSQL the tables are then vacuumed and analysed,
as autovacuum would. Each endpoint is requested once untimed (templates compile), then
``--requests`` times per role, split over ``--rounds`` rounds; in every round each
endpoint's requests alternate with the baseline's (the bare ``SELECT … ORDER BY id DESC
LIMIT 20`` a list page needs), and ratios are taken round by round (``benchlib``).
Prints p50/p95 per endpoint and role against the target (also for a state filter, the
department inbox of the approver and the output window of the admin), each screen's
p95 against the same list through the API (target ≤ 2×, issue #22) and against the
baseline. Asserts nothing (a script that prints figures, not a timed test); ``--keep``
keeps the database for inspection.

Seeding 1,000,000 cases takes minutes: ``--seed-only`` seeds, keeps the database and
prints the ``--reuse … --instance …`` arguments that time it later (migrated to the
current schema first, as ``onewindow init`` would), as often as needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PERSON, describe, pair_ratios, percentile, throwaway_database  # noqa: E402

#: (state, events that brought a case there) — a quarter of the cases each
STATES = [
    ("in_review", ["accept"]),
    ("approved", ["accept", "approve_step", "decide"]),
    ("delivered", ["accept", "approve_step", "decide", "hand_to_output", "deliver_pickup"]),
    ("at_output", ["accept", "approve_step", "decide", "hand_to_output"]),
]
#: vacuumed and analysed on PostgreSQL after the seed, as autovacuum would
TABLES = ("ow_case", "ow_case_step", "ow_case_event", "ow_case_department")
#: screen → the same list through the API (issue #22: screen p95 ≤ 2× the API's)
SAME_LIST = {"screen": "api", "screen state=": "api state=", "inbox": "api state=", "output": "api at_output"}


def _percentiles(samples):
    return statistics.median(samples) * 1000, percentile(samples, 0.95) * 1000


def seed(cases: int) -> float:
    """Bulk-insert ``cases`` cases with their steps and events (module docstring); seconds."""
    from onewindow.app import db
    from onewindow.cases.models import Case
    from onewindow.models import Department
    from onewindow.models.items import HandlingType, Item, ItemType, ServiceMode

    depts = db.session.query(Department).order_by(Department.id).all()
    item_type = db.session.query(ItemType).first() or ItemType(code="01", name="行政许可")
    item = Item(
        basic_code="999000000002",
        implementation_code=f"{depts[0].credit_code}3999000000002",
        name="基准测试事项",
        item_type=item_type,
        department=depts[0],
        legal_days=20,
        promised_days=5,
        handling_type=HandlingType.promised,
        service_mode=ServiceMode.window_post,
    )
    db.session.add(item)
    db.session.commit()
    item_id = item.id
    start = time.perf_counter()
    now = dt.datetime(2026, 11, 23, 9, 30)
    batch = 20_000
    with db.engine.begin() as conn:
        for base in range(0, cases, batch):
            rows = []
            for n in range(base, min(cases, base + batch)):
                dept = depts[n % len(depts)]
                rows.append(
                    {
                        "number": f"{n:043d}",
                        "query_code": "ABCDEFGH",
                        "item_id": item_id,
                        "department_id": dept.id,
                        "state": STATES[n % 4][0],
                        "channel": "window",
                        "applicant_type": "person",
                        "applicant_name": "张三",
                        "applicant_id": PERSON,
                        "data": {},
                        "received_at": now,
                        "due_date": dt.date(2026, 12, 1) + dt.timedelta(days=n % 60),
                        "due_confirmed": True,
                        "stopped_days": 0,
                        "extended_days": 0,
                        "simulated": False,
                        "corrections_issued": 0,
                        "confidential": False,
                        "updated_at": now,
                        "version": 1,
                        "chain_seq": len(STATES[n % 4][1]),
                        "accepted_by": "acceptor",
                    }
                )
            conn.execute(insert(Case.__table__), rows)
        step = (
            "INSERT INTO ow_case_step (case_id, position, department_id, is_lead, parallel, task, days, "
            "silence_consents, state, started_on, due_date) SELECT id, {pos}, {dept}, {lead}, false, '', 5, "
            "false, CASE WHEN state = 'in_review' THEN 'active' ELSE 'approved' END, :day, due_date "
            "FROM ow_case{where}"
        )
        conn.execute(
            text(step.format(pos=1, dept="department_id", lead="true", where="")),
            {"day": dt.date(2026, 11, 23)},
        )
        # a third of the cases also need a second department (联合审批): the next one in the list
        ids = [d.id for d in depts]
        second = (
            "CASE " + " ".join(f"WHEN department_id = {a} THEN {b}" for a, b in zip(ids, ids[1:] + ids[:1])) + " END"
        )
        conn.execute(
            text(step.format(pos=2, dept=second, lead="false", where=" WHERE id % 3 = 0")),
            {"day": dt.date(2026, 11, 23)},
        )
        for seq, action in enumerate(STATES[2][1], start=1):
            states = [state for state, actions in STATES if len(actions) >= seq]
            conn.execute(
                text(
                    "INSERT INTO ow_case_event (case_id, seq, action, to_state, actor, at, reason, payload, "
                    "prev_hash, hash) SELECT id, :seq, :action, state, 'acceptor', :at, '', '{}', :h0, :h1 "
                    "FROM ow_case WHERE state IN (" + ", ".join(f"'{x}'" for x in states) + ")"
                ),
                {"seq": seq, "action": action, "at": now, "h0": "0" * 64, "h1": "1" * 64},
            )
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--url")
    parser.add_argument("--keep", action="store_true", help="keep the database and print where it is")
    parser.add_argument("--seed-only", action="store_true", help="seed, keep, and print the --reuse arguments")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="an earlier --seed-only database: no seeding")
    parser.add_argument("--instance", help="with --reuse: the instance folder --seed-only printed")
    args = parser.parse_args()
    if args.reuse and not args.instance:
        parser.error("--reuse needs --instance (both printed by --seed-only)")
    if args.seed_only:
        args.keep = True

    from onewindow.app import create_app, db
    from onewindow.setup import initialise

    if args.reuse:
        url, drop, instance = args.reuse, (lambda: None), Path(args.instance)
    else:
        url, drop = throwaway_database(args.url)
        instance = Path(tempfile.mkdtemp(prefix="ow-bench-inst-"))
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False}, instance_path=instance)
    report = initialise(app, demo=True, history=False)  # the million below are the history
    logins = {u: p for u, p, _r in report.logins}
    try:
        with app.app_context():
            load_seconds = 0.0
            if not args.reuse:
                load_seconds = seed(args.cases)
            if db.engine.dialect.name == "postgresql":
                db.session.remove()  # no open transaction, so VACUUM can mark the pages all-visible
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    # ow_case_department (migration 0020) when the code measured has it
                    tables = [t for t in TABLES if inspect(conn).has_table(t)]
                    for table in tables:
                        conn.execute(text(f"VACUUM ANALYZE {table}"))
                    visible = conn.execute(
                        text(
                            "SELECT min(relallvisible::float / greatest(relpages, 1)) FROM pg_class "
                            "WHERE relname IN (" + ", ".join(f"'{t}'" for t in tables) + ")"
                        )
                    ).scalar()
                if visible < 0.9:
                    print(
                        f"warning: only {visible:.0%} of the pages are all-visible after VACUUM "
                        "(a long transaction elsewhere?): index-only scans will read the heap"
                    )
        if args.seed_only:
            print(f"seeded {args.cases:,} cases in {load_seconds:.1f} s; time them with:")
            print(f"  python bench/case_list.py --reuse {url} --instance {instance}")
            return

        def baseline():
            t = time.perf_counter()
            with db.engine.connect() as conn:
                conn.execute(text("SELECT * FROM ow_case ORDER BY id DESC LIMIT 20")).fetchall()
            return time.perf_counter() - t

        results, counts, ratios = {}, {}, {}
        endpoints = {
            "admin": (
                ("screen", "/caseview/list/"),
                ("api", "/api/v1/cases/"),
                ("screen state=", "/caseview/list/?_flt_0_state=in_review"),
                ("api state=", "/api/v1/cases/?state=in_review"),
                ("output", "/output/"),
                ("api at_output", "/api/v1/cases/?state=at_output&page_size=100"),
            ),
            "approver": (
                ("screen", "/caseview/list/"),
                ("api", "/api/v1/cases/"),
                ("screen state=", "/caseview/list/?_flt_0_state=in_review"),
                ("api state=", "/api/v1/cases/?state=in_review&page_size=100"),
                ("inbox", "/inbox/"),
            ),
        }
        per_round = max(1, args.requests // args.rounds)
        base_all = []
        for user, paths in endpoints.items():
            client = app.test_client()
            client.post("/login/", data={"username": user, "password": logins[user]})
            samples = {label: [] for label, _ in paths}
            p95s = {label: [] for label, _ in paths}
            base_p95 = []
            for _label, path in paths:
                client.get(path)  # warm-up, not timed: compiles the templates once
            for r in range(args.rounds):
                base = []
                for label, path in paths if r % 2 == 0 else paths[::-1]:
                    round_samples = []
                    for _ in range(per_round):  # the endpoint and the baseline, request by request
                        t = time.perf_counter()
                        response = client.get(path)
                        round_samples.append(time.perf_counter() - t)
                        assert response.status_code == 200, (path, response.status_code)
                        with app.app_context():
                            base.append(baseline())
                    samples[label] += round_samples
                    p95s[label].append(percentile(round_samples, 0.95))
                base_p95.append(percentile(base, 0.95))
                base_all += base
            for label, _ in paths:
                results[f"{label} as {user}"] = _percentiles(samples[label])
                ratios[f"{label} as {user} / baseline"] = pair_ratios(p95s[label], base_p95)
            for screen, api in SAME_LIST.items():
                if screen in p95s and api in p95s:
                    ratios[f"{screen} p95 / {api} p95 as {user} (target ≤ 2x)"] = pair_ratios(p95s[screen], p95s[api])
            body = client.get("/api/v1/cases/").get_json()
            counts[user] = (body["count"], body.get("count_exact"))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            drop()
        elif not args.seed_only:
            print(f"kept: --url {url}  instance {instance}")

    print(
        f"database: {make_url(url).get_backend_name()}; cases: {args.cases:,} (bulk load {load_seconds:.1f} s); "
        f"requests per endpoint: {per_round * args.rounds} in {args.rounds} rounds"
    )
    b50, b95 = _percentiles(base_all)
    print(f"baseline  SELECT … ORDER BY id DESC LIMIT 20: p50 {b50:7.1f} ms  p95 {b95:7.1f} ms")
    for label, (p50, p95) in results.items():
        verdict = "meets" if p95 < 300 else "MISSES"
        print(
            f"{label:<28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({verdict} p95 < 300 ms; "
            f"p95 / baseline p95 by round: {describe(ratios[label + ' / baseline'])})"
        )
    for label, values in ratios.items():
        if "target" in label:
            verdict = "meets" if statistics.median(values) <= 2 else "MISSES"
            print(f"{label}: {describe(values)} {verdict}")
    for user, (count, exact) in counts.items():
        print(f"list count as {user}: {'' if exact else 'more than '}{count:,}")


if __name__ == "__main__":
    main()
