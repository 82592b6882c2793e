"""Benchmark: full case lifecycles through the engine vs raw SQLAlchemy Core inserts.

    python bench/case_lifecycle.py [--cases 300] [--url postgresql+psycopg://postgres@127.0.0.1:55432/postgres]

A lifecycle = accept at the window → department approves → hand to the output window
→ pickup with signature: 4 transactions, each with its state checks, plugin hooks,
hash-chained event and notice. The baseline inserts the same rows (case, materials,
step, events, notices) with Core ``executemany`` in one transaction per lifecycle, in
the same run on the same database. Targets (issue #4): ≥ 200 lifecycles/s on 2 cores
and within 4× of the baseline. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

PERSON = "440304200002291236"


def _database(url: str | None) -> tuple[str, callable]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created)")
    args = parser.parse_args()

    from onewindow.app import create_app, db
    from onewindow.cases import engine
    from onewindow.cases.clock import travel_to
    from onewindow.cases.models import ApplicantType, Case, CaseEvent, CaseMaterial, CaseStep, MaterialStatus, Notice
    from onewindow.models import Department, Staff
    from onewindow.models.items import (
        HandlingType, Item, ItemType, Material, MaterialForm, MaterialSource, Necessity, RoutingStep, ServiceMode,
    )
    from onewindow.setup import initialise

    url, drop = _database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-inst-"))
    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    initialise(app, demo=True)
    try:
        with app.app_context(), travel_to(dt.date(2026, 11, 23)):
            dept = db.session.query(Department).filter_by(credit_code="11369921102345608H").one()
            item_type = db.session.query(ItemType).first() or ItemType(code="01", name="行政许可")
            item = Item(basic_code="999000000001", implementation_code=f"{dept.credit_code}3999000000001",
                        name="基准测试事项", item_type=item_type, department=dept, legal_days=20, promised_days=5,
                        handling_type=HandlingType.promised, service_mode=ServiceMode.window_post)
            for i in range(4):
                item.materials.append(Material(position=i + 1, name=f"材料{i + 1}", necessity=Necessity.required,
                                               form=MaterialForm.original, copies=1,
                                               source=MaterialSource.applicant))
            item.steps.append(RoutingStep(position=1, department=dept, is_lead=True, days=5))
            db.session.add(item)
            db.session.commit()
            actors = {u: engine.Actor.of(db.session.query(Staff).filter_by(username=u).one())
                      for u in ("acceptor", "approver", "output_clerk")}
            statuses = {m.id: MaterialStatus.submitted for m in item.materials}
            item_id = item.id

            start = time.perf_counter()
            for _ in range(args.cases):
                case = engine.accept(engine.Application(item, ApplicantType.person, "张三", PERSON),
                                     actors["acceptor"], statuses)
                engine.approve_step(case, case.steps[0].id, actors["approver"], "同意")
                engine.hand_to_output(case, actors["approver"], "许可证1份")
                engine.deliver_pickup(case, actors["output_clerk"], "张三", PERSON)
                db.session.expunge_all()
                item = db.session.get(Item, item_id)
            engine_seconds = time.perf_counter() - start
            rows = {t: db.session.query(t).count() for t in (Case, CaseMaterial, CaseStep, CaseEvent, Notice)}

            item = db.session.get(Item, item_id)
            dept = db.session.get(Department, item.department_id)
            # Baseline: the same rows per lifecycle with Core inserts, one transaction each.
            now = dt.datetime(2026, 11, 23, 9, 30)
            per_case = {t: rows[t] // args.cases for t in rows}
            start = time.perf_counter()
            for n in range(args.cases):
                with db.engine.begin() as conn:
                    case_id = conn.execute(insert(Case.__table__).values(
                        number=f"B{n:042d}", query_code="ABCDEFGH", item_id=item.id, department_id=dept.id,
                        state="delivered", channel="window", applicant_type="person", applicant_name="张三",
                        applicant_id=PERSON, data={}, received_at=now, due_confirmed=True, stopped_days=0,
                        extended_days=0, simulated=False, corrections_issued=0, confidential=False, updated_at=now,
                        version=1)).inserted_primary_key[0]
                    conn.execute(insert(CaseMaterial.__table__), [
                        {"case_id": case_id, "material_id": m.id, "position": i, "name": m.name, "status": "submitted"}
                        for i, m in enumerate(item.materials[:per_case[CaseMaterial]])])
                    conn.execute(insert(CaseStep.__table__), [
                        {"case_id": case_id, "position": 1, "department_id": dept.id, "is_lead": True,
                         "parallel": False, "task": "", "days": 5, "silence_consents": False, "state": "approved"}])
                    conn.execute(insert(CaseEvent.__table__), [
                        {"case_id": case_id, "seq": s + 1, "action": "x", "to_state": "delivered", "actor": "a",
                         "at": now, "reason": "", "payload": {}, "prev_hash": "0" * 64, "hash": "1" * 64}
                        for s in range(per_case[CaseEvent])])
                    conn.execute(insert(Notice.__table__), [
                        {"case_id": case_id, "kind": "k", "issued_at": now, "issued_by": "a", "content": {}}
                        for _ in range(per_case[Notice])])
            baseline_seconds = time.perf_counter() - start
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()

    dialect = make_url(url).get_backend_name()
    engine_rate = args.cases / engine_seconds
    baseline_rate = args.cases / baseline_seconds
    print(f"database: {dialect}; lifecycles: {args.cases}; rows per lifecycle: "
          + ", ".join(f"{t.__tablename__}={c // args.cases}" for t, c in rows.items()))
    print(f"engine:   {engine_rate:8.1f} lifecycles/s  ({engine_seconds:.2f} s)")
    print(f"baseline: {baseline_rate:8.1f} lifecycles/s  ({baseline_seconds:.2f} s, Core inserts, same rows)")
    print(f"ratio baseline/engine: {baseline_rate / engine_rate:.2f}x  (target ≤ 4x; engine target ≥ 200/s)")


if __name__ == "__main__":
    sys.exit(main())
