"""Benchmark: what one transition request costs in the process, against the engine alone.

    python bench/request_cost.py [--rounds 5] [--transitions 30] [--background 200]
                                 [--url postgresql+psycopg://postgres@127.0.0.1:55432/postgres]

Seeds a fresh database as ``bench/http_load.py`` does (the demo, a 4-material item,
``--background`` cases waiting), then in one process, in interleaved rounds (A B, B A, …):

* ``engine``: ``--transitions`` approvals through the engine, the case read afresh before
  each one as a web request does;
* ``api``: as many ``POST /api/v1/cases/<number>/approve_step`` through Flask's test client
  (JWT, permission checks, input and answer schemas; no sockets, no server).

Prints per side the CPU milliseconds (``time.process_time``: what load on a shared machine
moves least) and the wall milliseconds per transition, the ratio API / engine of each
round's pair, and the SQL statements of one API request. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PERSON, describe, interleaved, pair_ratios, throwaway_database  # noqa: E402
from http_load import prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--transitions", type=int, default=30, help="per side and round")
    parser.add_argument("--background", type=int, default=200, help="cases waiting in the inbox")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created)")
    args = parser.parse_args()

    from sqlalchemy import event

    from onewindow.app import create_app, db
    from onewindow.cases import engine
    from onewindow.cases.models import ApplicantType, Case, MaterialStatus
    from onewindow.models import Staff
    from onewindow.models.items import Item

    url, drop = throwaway_database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-instance-"))
    try:
        item_id, _code, materials, logins = prepare(url, instance, args.background)
        app = create_app({"DATABASE_URL": url}, instance_path=instance)
        client = app.test_client()
        token = client.post(
            "/api/v1/security/login",
            json={"username": "approver", "password": logins["approver"], "provider": "db"},
        ).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with app.app_context():
            actors = {u: engine.Actor.of(db.session.query(Staff).filter_by(username=u).one()) for u in USERS}
            db.session.remove()

        def waiting(n: int) -> list[tuple[int, str, int]]:
            """``n`` new accepted cases: ``(id, number, active step id)`` (not timed)."""
            with app.app_context():
                item = db.session.get(Item, item_id)
                statuses = {m: MaterialStatus.submitted for m in materials}
                out = []
                for _ in range(n):
                    case = engine.accept(
                        engine.Application(item, ApplicantType.person, "张三", PERSON), actors["acceptor"], statuses
                    )
                    out.append((case.id, case.number, case.steps[0].id))
                db.session.remove()
            return out

        def engine_side(cases):
            with app.app_context():
                for case_id, _number, step_id in cases:
                    db.session.expunge_all()  # a new request: nothing kept from the last one
                    engine.approve_step(db.session.get(Case, case_id), step_id, actors["approver"], "同意")
                db.session.remove()

        def api_side(cases):
            for _id, number, step_id in cases:
                response = client.post(
                    f"/api/v1/cases/{number}/approve_step",
                    json={"step_id": step_id, "opinion": "同意"},
                    headers=headers,
                )
                assert response.status_code == 200, response.get_json()

        def timed(side):
            def run(_round):
                cases = waiting(args.transitions)
                cpu, wall = time.process_time(), time.perf_counter()
                side(cases)
                n = len(cases)
                return (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n

            return run

        engine_side(waiting(5))  # warm-up: caches, compiled statements, connections
        api_side(waiting(5))
        results = interleaved(args.rounds, {"engine": timed(engine_side), "api": timed(api_side)})

        seen: list[str] = []
        with app.app_context():
            bind = db.engine
        record = lambda *a: seen.append(a[2])  # noqa: E731 (conn, cursor, statement, …)
        one = waiting(1)
        event.listen(bind, "before_cursor_execute", record)
        api_side(one)
        event.remove(bind, "before_cursor_execute", record)

        print(
            f"database: {url.split(':')[0]}; rounds: {args.rounds}; transitions per side and round: {args.transitions}"
        )
        for side in ("engine", "api"):
            cpu = [c for c, _w in results[side]]
            wall = [w for _c, w in results[side]]
            print(
                f"  {side:<7} CPU ms per transition {statistics.median(cpu):6.2f} "
                f"({min(cpu):.2f}–{max(cpu):.2f}); "
                f"wall {statistics.median(wall):6.2f} ({min(wall):.2f}–{max(wall):.2f})"
            )
        for figure, index in (("CPU", 0), ("wall", 1)):
            ratios = pair_ratios([r[index] for r in results["api"]], [r[index] for r in results["engine"]])
            print(f"  API / engine {figure} per transition: {describe(ratios)}  (target ≤ 3x)")
        print(f"  SQL statements of one approve_step request: {len(seen)}")
    finally:
        drop()


USERS = ("acceptor", "approver")

if __name__ == "__main__":
    main()
