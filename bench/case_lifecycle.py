"""Benchmark: full case lifecycles through the engine vs raw SQLAlchemy Core writes.

    python bench/case_lifecycle.py [--cases 400] [--rounds 3] [--workers 2] [--profile FILE]
                                   [--url postgresql+psycopg://postgres@127.0.0.1:55432/postgres]

A lifecycle = accept at the window → department approves → hand to the output window
→ pickup with signature: 4 transitions, each its own transaction (each is a separate
action of a separate person, and must be durable on its own), with state checks,
plugin hooks, hash-chained event and notice. The engine is timed twice: with one
session driving each case through its four transitions (a CLI, a job, a test), and with
the case read afresh before each transition (its row, then its steps, materials and
item as the transition needs them), as a web request does.

``--workers`` processes (default 2: the target is "on 2 cores", and the platform runs
one worker process per core) each drive their share of the lifecycles against the same
database, each with its own application, as web workers would.

Two baselines write the same rows (case, materials, step, events, notices) with Core
``executemany``, in the same run, on the same database, with the same worker count:

* per transition: the rows of each transition in its own transaction (4 per lifecycle,
  like the engine) — the target's baseline;
* per lifecycle: all rows of a lifecycle in one transaction (a lower bound no engine
  that commits each action can reach), printed for comparison.

The four sides run in ``--rounds`` rounds, interleaved (A B C D, then D C B A, …), each
with ``--cases`` lifecycles, and each ratio is taken within a round (``benchlib``), so a
change of load on a shared machine moves both sides of a ratio alike.

Targets (issue #4): ≥ 200 lifecycles/s on 2 cores and within 4× of the baseline.
Prints figures; asserts nothing. On SQLite two writers queue on the database lock;
a transition refused as a conflict is retried and counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PERSON, add_bench_item, describe, interleaved, pair_ratios, throwaway_database  # noqa: E402

DAY = dt.date(2026, 11, 23)
#: Lifecycles each worker runs before the clock starts (engine and baseline alike): a web
#: worker lives long, so the first requests' one-off costs (the working-day calendar
#: built, statements compiled and cached) are not part of its throughput.
WARMUP = 10


def _prepare(url: str, instance: Path) -> int:
    """Migrate, load the demo pack and add a 4-material, one-department item."""
    from onewindow.app import create_app, db
    from onewindow.models import Department
    from onewindow.setup import initialise

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    initialise(app, demo=True)
    with app.app_context():
        dept = db.session.query(Department).filter_by(credit_code="11369921102345608H").one()
        item = add_bench_item(dept)
        db.session.commit()
        item_id = item.id
        db.session.remove()
        db.engine.dispose()
    return item_id


def _engine_worker(url, instance, item_id, count, fresh, profile, ready, go, out):
    from onewindow.app import create_app, db
    from onewindow.cases import engine
    from onewindow.cases.clock import travel_to
    from onewindow.cases.errors import ConflictError
    from onewindow.cases.models import ApplicantType, Case, MaterialStatus
    from onewindow.models import Staff
    from onewindow.models.items import Item

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    retries = 0

    def attempt(fn, *args):
        nonlocal retries
        while True:
            try:
                return fn(*args)
            except ConflictError:  # SQLite: another worker held the write lock; act again
                retries += 1
                db.session.rollback()

    with app.app_context(), travel_to(DAY):
        actors = {
            u: engine.Actor.of(db.session.query(Staff).filter_by(username=u).one())
            for u in ("acceptor", "approver", "output_clerk")
        }
        item = db.session.get(Item, item_id)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        db.session.commit()

        def load(case):
            if not fresh:
                return case
            case_id = case.id  # like a new request: the case read afresh, nothing kept
            db.session.expunge_all()
            return db.session.get(Case, case_id)

        def lifecycles(n):
            item = db.session.get(Item, item_id)
            for _ in range(n):
                application = engine.Application(item, ApplicantType.person, "张三", PERSON)
                case = attempt(engine.accept, application, actors["acceptor"], statuses)
                case = load(case)
                attempt(engine.approve_step, case, case.steps[0].id, actors["approver"], "同意")
                case = load(case)
                attempt(engine.hand_to_output, case, actors["approver"], "许可证1份")
                case = load(case)
                attempt(engine.deliver_pickup, case, actors["output_clerk"], "张三", PERSON)
                db.session.expunge_all()  # the next case: nothing cached from the last one
                item = db.session.get(Item, item_id)

        lifecycles(WARMUP)
        ready.put(1)
        go.wait()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        lifecycles(count)
        seconds = time.perf_counter() - start
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        db.session.remove()
        db.engine.dispose()
    out.put((seconds, retries))


def _row_counts(url, instance) -> dict[str, int]:
    from onewindow.app import create_app, db
    from onewindow.cases.models import Case, CaseEvent, CaseMaterial, CaseStep, Notice

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    with app.app_context():
        counts = {
            t.__tablename__: db.session.query(t).count() for t in (Case, CaseMaterial, CaseStep, CaseEvent, Notice)
        }
        db.session.remove()
        db.engine.dispose()
    return counts


def _baseline_worker(url, item_id, material_ids, dept_id, count, offset, per_case, per_transition, ready, go, out):
    """The same rows with Core: in 4 transactions per lifecycle or in one."""
    from onewindow.cases.models import Case, CaseEvent, CaseMaterial, CaseStep, Notice
    from onewindow.db import sqlite_pragmas

    eng = create_engine(url)
    if eng.dialect.name == "sqlite":
        sqlite_pragmas(eng)
    now = dt.datetime.combine(DAY, dt.time(9, 30))
    cases, steps = Case.__table__, CaseStep.__table__
    events = per_case["ow_case_event"]
    notices = per_case["ow_case_notice"]

    def event_rows(case_id, seqs):
        return [
            {
                "case_id": case_id,
                "seq": s,
                "action": "x",
                "to_state": "delivered",
                "actor": "a",
                "at": now,
                "reason": "",
                "payload": {},
                "prev_hash": "0" * 64,
                "hash": "1" * 64,
            }
            for s in seqs
        ]

    def notice_rows(case_id, k):
        return [{"case_id": case_id, "kind": "k", "issued_at": now, "issued_by": "a", "content": {}} for _ in range(k)]

    # events/notices per transition: accept writes what is left after the other three
    tail = 3

    def lifecycles(numbers):
        for n in numbers:
            lifecycle(n)

    def lifecycle(n):
        conn = eng.connect()
        tx = conn.begin()
        case_id = conn.execute(
            insert(cases).values(
                number=f"B{n:042d}",
                query_code="ABCDEFGH",
                item_id=item_id,
                department_id=dept_id,
                state="in_review",
                channel="window",
                applicant_type="person",
                applicant_name="张三",
                applicant_id=PERSON,
                data={},
                received_at=now,
                due_confirmed=True,
                stopped_days=0,
                extended_days=0,
                simulated=False,
                corrections_issued=0,
                confidential=False,
                updated_at=now,
                version=1,
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(CaseMaterial.__table__),
            [
                {"case_id": case_id, "material_id": m, "position": i, "name": f"材料{i}", "status": "submitted"}
                for i, m in enumerate(material_ids[: per_case["ow_case_material"]])
            ],
        )
        step_id = conn.execute(
            insert(steps).values(
                case_id=case_id,
                position=1,
                department_id=dept_id,
                is_lead=True,
                parallel=False,
                task="",
                days=5,
                silence_consents=False,
                state="active",
            )
        ).inserted_primary_key[0]
        conn.execute(insert(CaseEvent.__table__), event_rows(case_id, range(1, events - tail + 1)))
        conn.execute(insert(Notice.__table__), notice_rows(case_id, notices - tail))
        for seq, state in enumerate(("approved", "at_output", "delivered"), start=events - tail + 1):
            if per_transition:
                tx.commit()
                tx = conn.begin()
            if state == "approved":
                conn.execute(update(steps).where(steps.c.id == step_id).values(state="approved"))
            conn.execute(update(cases).where(cases.c.id == case_id).values(state=state, updated_at=now))
            conn.execute(insert(CaseEvent.__table__), event_rows(case_id, [seq]))
            conn.execute(insert(Notice.__table__), notice_rows(case_id, 1))
        tx.commit()
        conn.close()

    lifecycles(range(-offset - WARMUP, -offset))  # numbers of their own, below the timed ones
    ready.put(1)
    go.wait()
    start = time.perf_counter()
    lifecycles(range(offset, offset + count))
    out.put((time.perf_counter() - start, 0))
    eng.dispose()


def _guarded(target, *args):
    """Run a worker; report a failure instead of leaving the parent waiting."""
    ready, out = args[-3], args[-1]
    try:
        target(*args)
    except BaseException:
        import traceback

        ready.put(1)
        out.put(("error", traceback.format_exc()))


def _run(target, workers: int, make_args) -> tuple[float, int]:
    """Start the workers, wait until each is ready, release them together; wall time."""
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_guarded, args=(target, *make_args(w), ready, go, out)) for w in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    start = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - start
    failed = [r[1] for r in results if r[0] == "error"]
    if failed:
        raise SystemExit("a worker failed:\n" + failed[0])
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a worker failed (exit code {p.exitcode})")
    return wall, sum(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400, help="lifecycles per side and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the first engine worker's loop into FILE")
    args = parser.parse_args()

    url, drop = throwaway_database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-inst-"))
    shares = [args.cases // args.workers + (1 if w < args.cases % args.workers else 0) for w in range(args.workers)]
    offsets = [sum(shares[:w]) for w in range(args.workers)]
    engine_runs = [0]  # engine lifecycles so far (warm-ups included): the rows per lifecycle come from them
    fixed = {}

    def engine_side(fresh):
        def run(r):
            result = _run(
                _engine_worker,
                args.workers,
                lambda w: (
                    url,
                    instance,
                    item_id,
                    shares[w],
                    fresh,
                    args.profile if w == 0 and not fresh and r == 0 else None,
                ),
            )
            engine_runs[0] += args.cases + args.workers * WARMUP
            return result

        return run

    def baseline_side(per_transition):
        def run(r):
            if not fixed:
                rows = _row_counts(url, instance)
                fixed["per_case"] = {t: c // engine_runs[0] for t, c in rows.items()}
                eng = create_engine(url)
                with eng.connect() as conn:
                    fixed["materials"] = [
                        row[0]
                        for row in conn.execute(
                            text("select id from ow_item_material where item_id = :i order by position"), {"i": item_id}
                        )
                    ]
                    fixed["dept"] = conn.execute(
                        text("select department_id from ow_item where id = :i"), {"i": item_id}
                    ).scalar()
                eng.dispose()
            base = (2 * r + (0 if per_transition else 1)) * (args.cases + args.workers * WARMUP)
            seconds, _ = _run(
                _baseline_worker,
                args.workers,
                lambda w: (
                    url,
                    item_id,
                    fixed["materials"],
                    fixed["dept"],
                    shares[w],
                    base + offsets[w],
                    fixed["per_case"],
                    per_transition,
                ),
            )
            return seconds, 0

        return run

    try:
        item_id = _prepare(url, instance)
        runs = interleaved(
            args.rounds,
            {
                "case kept": engine_side(False),
                "case reread": engine_side(True),
                "per transition": baseline_side(True),
                "per lifecycle": baseline_side(False),
            },
        )
    finally:
        drop()

    dialect = make_url(url).get_backend_name()
    print(
        f"database: {dialect}; workers: {args.workers}; rounds: {args.rounds}; lifecycles per side and round: "
        f"{args.cases}; rows per lifecycle: " + ", ".join(f"{t}={c}" for t, c in fixed["per_case"].items())
    )
    rates = {label: [args.cases / seconds for seconds, _ in results] for label, results in runs.items()}
    for label in ("case kept", "case reread"):
        how = (
            "one session drives the case through its 4 transitions"
            if label == "case kept"
            else "each transition reads the case afresh, as a web request does"
        )
        retries = sum(r for _, r in runs[label])
        print(
            f"engine   ({label}): {statistics.median(rates[label]):8.1f} lifecycles/s median "
            f"(rounds: {', '.join(f'{x:.1f}' for x in rates[label])}; conflicts retried: {retries}; {how})"
        )
    for label in ("per transition", "per lifecycle"):
        print(
            f"baseline ({label}): {statistics.median(rates[label]):8.1f} lifecycles/s median "
            f"(rounds: {', '.join(f'{x:.1f}' for x in rates[label])}; Core writes of the same rows, "
            f"one transaction {label})"
        )
    for label in ("case kept", "case reread"):
        ratios = pair_ratios(rates["per transition"], rates[label])
        print(
            f"ratio baseline (per transition)/engine ({label}), pair by pair: {describe(ratios)} (target ≤ 4x); "
            f"engine {statistics.median(rates[label]):.1f}/s (target ≥ 200/s on 2 cores)"
        )


if __name__ == "__main__":
    sys.exit(main())
