"""Benchmark: the online hall's guide search and item pages at 10,000 items, and online
submission with files, over HTTP on loopback.

    python bench/hall_guides.py [--items 10000] [--clients 8] [--requests 20] [--rounds 4]
                                [--applications 1000] [--server threaded|gunicorn] [--workers 2]
                                [--threads 8] [--url postgresql+psycopg://postgres@127.0.0.1:PORT/postgres]

Seeds a fresh database (SQLite in a temporary folder; with ``--url`` a throwaway database on
that PostgreSQL server, dropped at the end): the demo pack, then ``--items`` more items
copied from the demo's with their materials and hall profiles (pinyin initials), bulk
inserted with Core and not timed. Starts the server (``bench/http_load.py``'s) on 127.0.0.1.

Each round runs three sides, in alternating order (``benchlib.interleaved``), each with
``--clients`` clients at once making ``--requests`` requests each:

* ``search``: ``GET /hall/items?q=…`` by name, pinyin initials and code;
* ``item``: ``GET /hall/items/<code>``, the guide page of a random item;
* ``select``: the baseline, a bare indexed ``SELECT`` of one item by implementation code on
  the same database, through one connection per client (no HTTP, no templates).

Ratios are per round: search p95 / select p95 and item p95 / select p95 (median and range).
Then ``--applications`` online applications with 2 PDF files each are submitted by
``--clients`` signed-in citizens through ``POST /hall/apply/<code>`` (CSRF token from the
form, multipart), interleaved in rounds with the same submissions through the engine in
this process (``engine.submit_with_files``), and both rates printed. Asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import io
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from argparse import Namespace
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import describe, interleaved, pair_ratios, percentile, throwaway_database  # noqa: E402
from http_load import Server  # noqa: E402

QUERIES = ["个体工商户", "gtgsh", "营业执照", "不动产", "bdc", "护照", "身份证", "dj", "011004", "食品"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n" + b" " * 2000 + b"\n%%EOF\n"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(n: int) -> str:
    """A valid synthetic resident ID number (GB 11643 check character)."""
    body = f"440304{1950 + n % 50:04d}0101{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]


def seed(app, items: int) -> tuple[list[str], list[str]]:
    """Copy the demo items ``items`` times over (with materials and hall profiles); returns
    every current implementation code and the code of the application item."""
    from onewindow_hall.profiles import initials, spelling
    from onewindow_hall.tables import ItemProfile

    from onewindow.app import db
    from onewindow.models.items import Item, Material

    with app.app_context():
        demo = db.session.execute(select(Item.__table__).where(Item.is_current.is_(True))).mappings().all()
        materials = db.session.execute(select(Material.__table__)).mappings().all()
        by_item: dict[int, list] = {}
        for m in materials:
            by_item.setdefault(m["item_id"], []).append(dict(m))
        item_rows, profile_rows = [], []
        next_id = (db.session.execute(text("SELECT max(id) FROM ow_item")).scalar() or 0) + 1
        first_id = next_id
        for n in range(items):
            source = dict(demo[n % len(demo)])
            basic = f"98{n:010d}"
            source.update(
                id=next_id,
                basic_code=basic,
                implementation_code=source["implementation_code"][:19] + basic,
                name=f"{source['name']}（{n // len(demo) + 1}）",
                pack_key="bench",
            )
            item_rows.append(source)
            profile_rows.append(
                {
                    "pack_key": "bench",
                    "basic_code": basic,
                    "audiences": ["person", "legal_person"],
                    "themes": [],
                    "keywords": [],
                    "initials": initials(source["name"])[:200],
                    "spelling": spelling(source["name"])[:800],
                }
            )
            next_id += 1
        material_rows = []
        for row in item_rows:
            template = demo[(row["id"] - first_id) % len(demo)]["id"]
            for m in by_item.get(template, []):
                material_rows.append({k: v for k, v in m.items() if k != "id"} | {"item_id": row["id"]})
        with db.engine.begin() as conn:
            for start in range(0, len(item_rows), 2000):
                conn.execute(insert(Item.__table__), item_rows[start : start + 2000])
            for start in range(0, len(material_rows), 5000):
                conn.execute(insert(Material.__table__), material_rows[start : start + 5000])
            conn.execute(insert(ItemProfile.__table__), profile_rows)
            if conn.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
        db.session.rollback()  # the session's snapshot predates the inserts
        codes = [c for (c,) in db.session.execute(select(Item.implementation_code).where(Item.is_current.is_(True)))]
        apply_code = db.session.execute(
            select(Item.implementation_code).where(Item.basic_code == "011004000000", Item.is_current.is_(True))
        ).scalar_one()
    return codes, [apply_code]


def timed_get(conn: http.client.HTTPConnection, path: str, cookie: str = "") -> tuple[float, int, bytes]:
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    return time.perf_counter() - start, response.status, body


def clients_at_once(n: int, work) -> tuple[list[float], int, float]:
    """Run ``work(i)`` (returns a list of (seconds, ok)) on ``n`` threads; pooled samples,
    errors, wall time."""
    results: list[list[tuple[float, bool]]] = [[] for _ in range(n)]

    def run(i: int) -> None:
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    samples = [s for r in results for s, _ok in r]
    errors = sum(1 for r in results for _s, ok in r if not ok)
    return samples, errors, wall


def http_side(port: int, paths, clients: int, requests: int):
    def work(i: int):
        rng = random.Random(i * 7919 + time.time_ns())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        out = []
        for _ in range(requests):
            seconds, status, _body = timed_get(conn, paths(rng))
            out.append((seconds, status == 200))
        conn.close()
        return out

    return clients_at_once(clients, work)


def select_side(url: str, codes: list[str], clients: int, requests: int):
    engine = create_engine(url)
    query = text("SELECT id, name FROM ow_item WHERE implementation_code = :c AND is_current")

    def work(i: int):
        rng = random.Random(i)
        out = []
        with engine.connect() as conn:
            for _ in range(requests):
                start = time.perf_counter()
                conn.execute(query, {"c": rng.choice(codes)}).all()
                out.append((time.perf_counter() - start, True))
        return out

    try:
        return clients_at_once(clients, work)
    finally:
        engine.dispose()


# --- online submission ------------------------------------------------------------


def citizens(app, n: int, password: str) -> list[str]:
    """``n`` person accounts (ID numbers), created directly; returns their mobiles."""
    from onewindow_hall.models import Citizen, CitizenKind
    from werkzeug.security import generate_password_hash

    from onewindow.app import db

    hashed = generate_password_hash(password)
    mobiles = [f"139{n_:08d}" for n_ in range(n)]
    with app.app_context():
        for i, mobile in enumerate(mobiles):
            db.session.add(
                Citizen(
                    kind=CitizenKind.person,
                    name=f"测试{i}",
                    id_number=resident_id(i),
                    mobile=mobile,
                    password_hash=hashed,
                    mobile_verified=True,
                )
            )
        db.session.commit()
    return mobiles


def csrf_of(body: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()


def cookie_of(response: http.client.HTTPResponse, cookie: str) -> str:
    header = response.getheader("Set-Cookie")
    return header.split(";", 1)[0] if header else cookie


def log_in(port: int, mobile: str, password: str) -> tuple[http.client.HTTPConnection, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/hall/login")
    response = conn.getresponse()
    token, cookie = csrf_of(response.read()), cookie_of(response, "")
    body = f"csrf_token={token}&action=password&identifier={mobile}&password={password}"
    conn.request(
        "POST",
        "/hall/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302, f"login of {mobile} answered {response.status}"
    return conn, cookie_of(response, cookie)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def sessions(port: int, mobiles: list[str], password: str, code: str) -> list[tuple[str, str]]:
    """Each citizen logged in (one after the other, untimed): (cookie, CSRF token of the form)."""
    out = []
    for mobile in mobiles:
        conn, cookie = log_in(port, mobile, password)
        _s, _status, page = timed_get(conn, f"/hall/apply/{code}", cookie)
        out.append((cookie, csrf_of(page)))
        conn.close()
    return out


def submit_http(port: int, signed_in: list[tuple[str, str]], code: str, materials: list[int], count: int, r: int):
    n = len(signed_in)
    per_client = [count // n + (1 if i < count % n else 0) for i in range(n)]

    def work(i: int):
        cookie, token = signed_in[i]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        out = []
        for k in range(per_client[i]):
            files = {f"files{m}": (f"材料{m}.pdf", PDF + f"{r}-{i}-{k}-{m}".encode()) for m in materials}
            body, content_type = multipart({"csrf_token": token, "action": "submit", **FORM_FIELDS}, files)
            start = time.perf_counter()
            conn.request(
                "POST", f"/hall/apply/{code}", body=body, headers={"Content-Type": content_type, "Cookie": cookie}
            )
            response = conn.getresponse()
            response.read()
            out.append((time.perf_counter() - start, response.status == 302))
        conn.close()
        return out

    return clients_at_once(n, work)


#: The application form of 个体工商户设立登记 (011004000000), filled in.
FORM_FIELDS = {
    "f_trade_name": "基准小吃店",
    "f_operator_name": "测试",
    "f_operator_id": "440304200002291236",
    "f_business_scope": "餐饮服务",
    "f_phone": "13800138000",
    "f_address": "云溪县城关镇解放路 18 号",
}


def submit_engine(app, code: str, materials: list[int], count: int, offset: int) -> tuple[float, int]:
    from onewindow.app import db
    from onewindow.cases import engine
    from onewindow.cases.materialfiles import Upload
    from onewindow.cases.models import ApplicantType, Channel
    from onewindow.models.items import Item

    errors = 0
    start = time.perf_counter()
    with app.test_request_context():
        item = db.session.execute(select(Item).where(Item.implementation_code == code)).scalar_one()
        data = {k[2:]: v for k, v in FORM_FIELDS.items()}
        for k in range(count):
            person = resident_id(5000 + offset + k)
            application = engine.Application(item, ApplicantType.person, "测试", person, Channel.online, data)
            files = {m: [Upload(f"材料{m}.pdf", io.BytesIO(PDF + f"e{offset}-{k}-{m}".encode()))] for m in materials}
            try:
                engine.submit_with_files(application, engine.applicant_actor(person), files, "online")
            except Exception:  # counted, as the HTTP side counts a non-302
                errors += 1
                db.session.rollback()
        db.session.remove()  # no transaction left open on the server's database
    return time.perf_counter() - start, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20, help="per client, side and round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--server", choices=("threaded", "gunicorn"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--url")
    args = parser.parse_args()

    import os

    from onewindow.app import create_app
    from onewindow.setup import initialise

    url, drop = throwaway_database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-inst-"))
    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    initialise(app, demo=True)
    server = None
    try:
        start = time.perf_counter()
        codes, (apply_code,) = seed(app, args.items)
        dialect = url.split(":")[0]
        print(f"seeded {len(codes)} current items in {time.perf_counter() - start:.1f}s ({dialect})")
        server = Server(Namespace(server=args.server, workers=args.workers, threads=args.threads), url, instance)
        port = server.port
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for path in ("/hall/items?q=gtgsh", f"/hall/items/{codes[0]}"):  # builds the guide index, compiles templates
            timed_get(warm, path)
        warm.close()
        n, k = args.clients, args.requests
        sides = {
            "search": lambda r: http_side(port, lambda rng: f"/hall/items?q={quote(rng.choice(QUERIES))}", n, k),
            "item": lambda r: http_side(port, lambda rng: f"/hall/items/{rng.choice(codes)}", n, k),
            "select": lambda r: select_side(url, codes, n, k),
        }
        load_start = os.getloadavg()[0]
        results = interleaved(args.rounds, sides)
        p95 = {name: [percentile(samples, 0.95) for samples, _e, _w in rounds] for name, rounds in results.items()}
        print(f"\n{n} clients × {k} requests per side and round, {args.rounds} rounds, {args.server}")
        for name, rounds in results.items():
            pooled = [s for samples, _e, _w in rounds for s in samples]
            errors = sum(e for _s, e, _w in rounds)
            rate = sum(len(s) for s, _e, _w in rounds) / sum(w for _s, _e, w in rounds)
            print(
                f"{name:>7}: p50 {statistics.median(pooled) * 1000:7.1f} ms"
                f"  p95 {percentile(pooled, 0.95) * 1000:7.1f} ms  {rate:7.1f} req/s  errors {errors}"
            )
        print(f"search p95 / select p95: {describe(pair_ratios(p95['search'], p95['select']))}")
        print(f"  item p95 / select p95: {describe(pair_ratios(p95['item'], p95['select']))}")

        with app.app_context():
            from onewindow.app import db
            from onewindow.models.items import Item

            item = db.session.execute(select(Item).where(Item.implementation_code == apply_code)).scalar_one()
            materials = [m.id for m in item.materials][:2]
        password = "Bench-garden-2026"
        signed_in = sessions(port, citizens(app, args.clients, password), password, apply_code)
        per_round = max(1, args.applications // args.rounds)
        http_rates, engine_rates, http_errors, engine_errors = [], [], 0, 0

        def http_round(r: int):
            samples, errors, wall = submit_http(port, signed_in, apply_code, materials, per_round, r)
            return len(samples) / wall, errors, samples

        def engine_round(r: int):
            seconds, errors = submit_engine(app, apply_code, materials, per_round, r * per_round)
            return per_round / seconds, errors

        submitted = interleaved(args.rounds, {"http": http_round, "engine": engine_round})
        http_rates = [rate for rate, _e, _s in submitted["http"]]
        engine_rates = [rate for rate, _e in submitted["engine"]]
        http_errors = sum(e for _r, e, _s in submitted["http"])
        engine_errors = sum(e for _r, e in submitted["engine"])
        pooled = [s for _r, _e, samples in submitted["http"] for s in samples]
        print(
            f"\nonline submission, 2 files each, {per_round * args.rounds} per side: HTTP ({args.clients} clients) "
            f"{statistics.median(http_rates):.1f}/s (p95 {percentile(pooled, 0.95) * 1000:.0f} ms, "
            f"errors {http_errors});"
            f" engine in-process (1) {statistics.median(engine_rates):.1f}/s (errors {engine_errors});"
            f" HTTP / engine rate {describe(pair_ratios(http_rates, engine_rates))}"
        )
        print(f"load average at start → end: {load_start:.1f} → {os.getloadavg()[0]:.1f}")
    finally:
        if server is not None:
            server.stop()
        drop()


if __name__ == "__main__":
    main()
