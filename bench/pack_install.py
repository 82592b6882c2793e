"""Benchmark: validate and install a generated 10,000-item pack (8 materials each).

    .venv/bin/python bench/pack_install.py                       # SQLite only
    .venv/bin/python bench/pack_install.py --pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres
    ONEWINDOW_TEST_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/pack_install.py

Targets on 2 cores: validate < 5 s, install < 20 s, peak memory < 500 MB. Each database
runs in its own process, so the peak resident memory printed is that run's alone.
Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from onewindow.environ import getenv

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "item_packs" / "demo-county"
TARGETS = {"validate_s": 5.0, "install_s": 20.0, "peak_mb": 500.0}


def generate(target: Path, count: int, materials: int, style: str = "json") -> None:
    """A pack like a large city's: the demo organisation plus ``count`` generated items.

    ``style="json"`` writes the item files in JSON syntax (valid YAML, what a tool that
    generates a large catalogue writes; read by the fast JSON parser); ``"yaml"`` in block
    YAML as a person writes it (PyYAML reads about 1 MB/s).
    """
    target.mkdir(parents=True, exist_ok=True)
    org = yaml.safe_load((DEMO / "organisation.yaml").read_text(encoding="utf-8"))
    org.pop("staff", None)
    (target / "organisation.yaml").write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    shutil.copy(DEMO / "item_types.yaml", target / "item_types.yaml")
    (target / "pack.yaml").write_text(
        yaml.safe_dump(
            {
                "key": "bench-city",
                "version": "1.0.0",
                "title": "基准测试事项包",
                "region": "369921",
                "defaults": {"exercise_level": "4", "correction_limit_days": 3},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    departments = [d["credit_code"] for d in org["departments"]]
    per_file = 1000
    for start in range(0, count, per_file):
        items = []
        for n in range(start, min(start + per_file, count)):
            dept = departments[n % len(departments)]
            other = departments[(n + 1) % len(departments)]
            items.append(
                {
                    "basic_code": f"01{n:010d}",
                    "name": f"基准事项{n:05d}号许可",
                    "type": "01",
                    "department": dept,
                    "zone": 6,
                    "windows": ["F01", "F02"],
                    "legal_basis": "《中华人民共和国行政许可法》第十二条",
                    "conditions": "符合法定条件。",
                    "legal_days": 20,
                    "promised_days": 10,
                    "handling_type": "promised",
                    "service_mode": "online_prereview",
                    "visits_required": 1,
                    "online_depth": 3,
                    "fees": [{"name": "工本费", "standard": "10元/件", "basis": "财综〔2007〕34号"}],
                    "routing": {
                        "mode": "sequential",
                        "steps": [
                            {"department": dept, "lead": True, "days": 6, "task": "审查"},
                            {"department": other, "days": 3, "task": "会签"},
                        ],
                    },
                    "fields": [
                        {"name": "applicant_name", "label": "申请人", "type": "text"},
                        {"name": "id_number", "label": "身份证号码", "type": "id_number"},
                        {"name": "phone", "label": "联系电话", "type": "phone"},
                    ],
                    "materials": [
                        {
                            "name": f"申请材料第{m + 1}项（事项{n}）",
                            "necessity": "deferrable" if m == 7 else "required",
                            "form": "original",
                            "copies": 1,
                            "source": "applicant",
                            "standard": "签字盖章",
                        }
                        for m in range(materials)
                    ],
                    "guide": f"基准事项{n}的办事指南。",
                    "faq": [{"q": "需要到现场吗？", "a": "需要到窗口一次。"}],
                }
            )
        document = {"items": items}
        text = (
            json.dumps(document, ensure_ascii=False, indent=1)
            if style == "json"
            else yaml.dump(
                document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False
            )
        )
        (target / f"items-{start // per_file:02d}.yaml").write_text(text, encoding="utf-8")


def run_one(url: str, pack_dir: Path) -> dict:
    """In a fresh process: migrate an empty database, then time validation and install."""
    sys.path.insert(0, str(ROOT / "platform"))
    from onewindow.app import create_app, db
    from onewindow.catalogue.install import check, install
    from onewindow.catalogue.packs import load_pack
    from onewindow.migrate import upgrade
    from onewindow.models.items import Item, Material

    instance = Path(tempfile.mkdtemp(prefix="ow-bench-"))
    app = create_app({"DATABASE_URL": url, "TESTING": True}, instance_path=instance)
    upgrade(app)
    with app.app_context():
        t0, c0 = time.perf_counter(), time.process_time()
        pack = load_pack(pack_dir)
        report = check(pack, app, db.session)
        db.session.rollback()
        validate_s, validate_cpu = time.perf_counter() - t0, time.process_time() - c0
        if not report.ok:
            raise SystemExit("the generated pack is invalid:\n" + "\n".join(report.lines()[:20]))
        t1, c1 = time.perf_counter(), time.process_time()
        install(load_pack(pack_dir), app, db.session, "bench")
        install_s, install_cpu = time.perf_counter() - t1, time.process_time() - c1
        counts = {"items": db.session.query(Item).count(), "materials": db.session.query(Material).count()}
        db.session.remove()
        db.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shutil.rmtree(instance, ignore_errors=True)
    return {
        "validate_s": round(validate_s, 2),
        "install_s": round(install_s, 2),
        "peak_mb": round(peak_mb),
        "validate_cpu": round(validate_cpu, 2),
        "install_cpu": round(install_cpu, 2),
        "load": round(os.getloadavg()[0], 1),
        **counts,
    }


def _pg_database(server_url: str, action: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                f'{action} DATABASE {"IF EXISTS " if action == "DROP" else ""}"{name}"'
                + (" WITH (FORCE)" if action == "DROP" else "")
            )
        )
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--materials", type=int, default=8)
    parser.add_argument(
        "--style",
        choices=["json", "yaml"],
        default="json",
        help="syntax of the generated item files (both are YAML; json is JSON-syntax YAML)",
    )
    parser.add_argument(
        "--pg",
        default=getenv("TEST_DATABASE_URL"),
        help="PostgreSQL server URL (a throwaway database is created there)",
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--pack", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, Path(args.pack))))
        return
    work = Path(tempfile.mkdtemp(prefix="ow-bench-pack-"))
    try:
        t = time.perf_counter()
        generate(work / "pack", args.items, args.materials, args.style)
        print(
            f"generated {args.items} items × {args.materials} materials ({args.style} syntax) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        runs = [("SQLite", f"sqlite:///{work / 'bench.db'}", None)]
        if args.pg:
            name = f"ow_bench_{uuid.uuid4().hex[:8]}"
            runs.append(("PostgreSQL", _pg_database(args.pg, "CREATE", name), name))
        for label, url, pg_name in runs:
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--run", url, "--pack", str(work / "pack")],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = json.loads(out.stdout.strip().splitlines()[-1])
            except subprocess.CalledProcessError as exc:
                print(f"{label}: failed\n{exc.stderr}")
                continue
            finally:
                if pg_name:
                    _pg_database(args.pg, "DROP", pg_name)
            verdict = ", ".join(f"{k} {'OK' if figures[k] < v else 'OVER'} (< {v:g})" for k, v in TARGETS.items())
            print(
                f"{label:<10} validate {figures['validate_s']:6.2f} s   install {figures['install_s']:6.2f} s   "
                f"peak {figures['peak_mb']:5d} MB   rows: {figures['items']} items, {figures['materials']} materials"
            )
            print(
                f"{'':<10} Python CPU: validate {figures['validate_cpu']:.2f} s, "
                f"install {figures['install_cpu']:.2f} s; load average {figures['load']} "
                "(wall times grow with other work on the machine)"
            )
            print(f"{'':<10} {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
