"""Benchmark: concurrent ticket takes and calls over HTTP, against a bare insert (issue #18).

    python bench/queue_takes.py [--takes 200] [--queues 4] [--windows 20] [--rounds 3]
                                [--url postgresql+psycopg://postgres@127.0.0.1:55432/postgres]
                                [--server gunicorn|threaded] [--workers 2] [--threads 8]

Seeds a fresh database (SQLite in a temporary folder; with ``--url`` a throwaway database
on that PostgreSQL server, dropped at the end): the demo organisation, ``--queues`` queues
and ``--windows`` calling windows shared out among them, one clerk per window. Starts the
server on 127.0.0.1 (loopback only) in its own process (see ``bench/http_load.py``), with
one extra route the bench adds to its own app: ``POST /bench/bare-insert``, one plain
``INSERT`` of a ticket-like row (no counter, no token check) behind the same HTTP stack,
session and CSRF check as the terminal's take.

Each round runs three phases, the order alternating (A B C, then C B A …):

* ``bare``: ``--takes`` clients each open the terminal page, then all post at once to the
  bare insert (the baseline);
* ``takes``: the same, posting a take to the terminal (``POST /queue/terminal``), spread
  evenly over the queues;
* ``takes+calls``: the same takes while every window's clerk calls the next ticket at the
  desk (``POST /queue/desk/act``) again and again, until their queue is empty.

Prints per phase requests/s and p95 latency, and the ratios of each round's pair (take
against bare, in the same round): throughput ratio and p95 ratio, as medians with their
range. Then checks what must hold whatever the load: every queue's numbers today are
1…N with no duplicate and no gap, every take got its ticket, no ticket was called by two
windows (each called once), and every ticket taken during the calls was called. Asserts
nothing; prints the problems found.
"""

from __future__ import annotations

import argparse
import http.client
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import describe, interleaved, pair_ratios, percentile, throwaway_database  # noqa: E402
from http_load import Server  # noqa: E402

BARE = "bench_bare_insert"
PREFIXES = "QRST"  # the bench's queues: Q001…, R001…


def add_bare_insert_route(app) -> None:
    """The baseline's endpoint, added to the bench server's own app (never to the product)."""
    from flask import redirect, request
    from sqlalchemy import text

    from onewindow.app import db

    def bare_insert():
        db.session.execute(
            text(f"INSERT INTO {BARE} (queue_id, token, taken_at) VALUES (:q, :t, CURRENT_TIMESTAMP)"),
            {"q": int(request.form.get("queue_id") or 0), "t": request.form.get("token", "")},
        )
        db.session.commit()
        return redirect("/queue/terminal")

    app.add_url_rule("/bench/bare-insert", "bench_bare_insert", bare_insert, methods=["POST"])


def prepare(url: str, instance: Path, queues: int, windows: int) -> tuple[list[int], dict[int, tuple[str, str]]]:
    """Migrate, load the demo, add the queues, windows and clerks: ``(queue ids, window id →
    (username, password))``."""
    from onewindow_queue.models import Queue
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select

    from onewindow.app import create_app, db
    from onewindow.models import Staff, Window, WindowKind, Zone
    from onewindow.setup import initialise

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    initialise(app, demo=True, history=False)
    with app.app_context():
        bare = MetaData()
        Table(
            BARE,
            bare,
            Column("id", Integer, primary_key=True),
            Column("queue_id", Integer, nullable=False),
            Column("token", String(64), nullable=False, unique=True),
            Column("taken_at", DateTime, nullable=False),
        )
        bare.create_all(db.engine)
        zone = db.session.execute(select(Zone).order_by(Zone.number)).scalars().first()
        made = []
        for n in range(queues):
            made.append(Queue(zone_id=zone.id, name=f"基准队列{n + 1}", prefix=PREFIXES[n], windows=[], active=True))
        db.session.add_all(made)
        role = app.extensions["appbuilder"].sm.find_role("acceptor")
        clerks = {}
        for n in range(windows):
            window = Window(zone=zone, code=f"Q{n + 1:02d}", name=f"基准窗口{n + 1}", kind=WindowKind.comprehensive)
            db.session.add(window)
            made[n % queues].windows.append(window)
            db.session.flush()
            username, password = f"bench_clerk{n + 1:02d}", "Bq-" + secrets.token_hex(8) + "a1!"
            user = app.extensions["appbuilder"].sm.add_user(
                username, "基准", f"窗口{n + 1}", f"{username}@bench.invalid", role, password
            )
            staff = db.session.get(Staff, user.id)
            staff.windows = [window]
            clerks[window.id] = (username, password)
        db.session.commit()
        ids = [q.id for q in made]
        db.session.remove()
        db.engine.dispose()
    return ids, clerks


class Http:
    """One keep-alive connection with its own session cookie."""

    def __init__(self, port: int):
        self.port, self.conn, self.cookie = port, None, ""

    def send(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes, float]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - start
            for header in response.headers.get_all("Set-Cookie") or []:
                if header.startswith("session="):
                    self.cookie = header.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, payload, seconds
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def hidden(page: bytes, name: str) -> str:
    found = re.search(rb'name="' + name.encode() + rb'"[^>]*value="([^"]*)"', page)
    return found.group(1).decode() if found else ""


def login(port: int, username: str, password: str) -> tuple[Http, str]:
    """A clerk signed in, with the desk's CSRF token."""
    client = Http(port)
    _status, page, _s = client.send("GET", "/login/")
    form = {"username": username, "password": password, "csrf_token": hidden(page, "csrf_token")}
    client.send("POST", "/login/", form)
    status, page, _s = client.send("GET", "/queue/desk/")
    if status != 200:
        raise SystemExit(f"{username} cannot open the desk: HTTP {status}")
    return client, hidden(page, "csrf_token")


def queue_waiting(url: str):
    """``waiting(queue_id) -> int`` read straight from the database (the drain's stop rule)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)

    def waiting(queue_id: int) -> int:
        with engine.connect() as conn:
            sql = "SELECT count(*) FROM queue_ticket WHERE state = 'waiting' AND queue_id = :q"
            return conn.execute(text(sql), {"q": queue_id}).scalar_one()

    return waiting, engine


def phase(port: int, path: str, queues: list[int], takes: int, callers=None, waiting=None) -> dict:
    """``takes`` clients open the terminal, then post at once; with ``callers`` the windows call
    meanwhile and until their queues are empty. Latencies in seconds, errors counted."""
    clients = []
    for n in range(takes):
        client = Http(port)
        status, page, _s = client.send("GET", "/queue/terminal")
        form = {
            "csrf_token": hidden(page, "csrf_token"),
            "token": hidden(page, "token"),
            "queue_id": str(queues[n % len(queues)]),
            "taken_by": "anonymous",
            "priority_group_id": "",
        }
        clients.append((client, form))
    start = threading.Barrier(takes + len(callers or []) + 1)
    took: list[float] = []
    calls: list[float] = []
    errors = {"take": 0, "call": 0}
    done = threading.Event()
    lock = threading.Lock()

    def taker(client: Http, form: dict) -> None:
        start.wait()
        try:
            status, _p, seconds = client.send("POST", path, form)
        except OSError:
            status, seconds = 0, 0.0
        with lock:
            took.append(seconds)
            errors["take"] += status != 302
        client.close()

    def caller(client: Http, token: str, window_id: int, queue_id: int) -> None:
        start.wait()
        while True:
            try:
                status, _p, seconds = client.send(
                    "POST", "/queue/desk/act", {"csrf_token": token, "window_id": window_id, "action": "call"}
                )
            except OSError:
                status, seconds = 0, 0.0
            with lock:
                calls.append(seconds)
                errors["call"] += status != 302
            if done.is_set() and waiting(queue_id) == 0:
                break

    threads = [threading.Thread(target=taker, args=pair) for pair in clients]
    threads += [threading.Thread(target=caller, args=c) for c in callers or []]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads[:takes]:
        t.join()
    took_seconds = time.perf_counter() - began
    done.set()
    for t in threads[takes:]:
        t.join()
    return {
        "rate": takes / took_seconds,
        "p95": percentile(took, 0.95),
        "p50": statistics.median(took),
        "errors": errors,
        "calls": len(calls),
        "call_rate": len(calls) / (time.perf_counter() - began) if calls else 0.0,
        "call_p95": percentile(calls, 0.95),
    }


def check(url: str, queues: list[int], expected: dict[int, int]) -> list[str]:
    """What must hold whatever the load: numbering 1…N per queue and day, one call per ticket."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    problems = []
    with engine.connect() as conn:
        for queue_id in queues:
            rows = conn.execute(
                text("SELECT day, seq, number, state, calls FROM queue_ticket WHERE queue_id = :q ORDER BY day, seq"),
                {"q": queue_id},
            ).all()
            days = {r.day for r in rows}
            seqs = [r.seq for r in rows]
            if len(days) != 1 or seqs != list(range(1, len(rows) + 1)) or len(rows) != expected[queue_id]:
                problems.append(f"queue {queue_id}: {len(rows)} tickets over {len(days)} day(s), seq not 1…N")
            if len({r.number for r in rows}) != len(rows):
                problems.append(f"queue {queue_id}: duplicate numbers")
            twice = [r.number for r in rows if r.calls > 1]
            if twice:
                problems.append(f"queue {queue_id}: called more than once: {twice[:5]}")
    engine.dispose()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--takes", type=int, default=200)
    parser.add_argument("--queues", type=int, default=4, choices=range(1, len(PREFIXES) + 1))
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", help="a PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--server", choices=("gunicorn", "threaded"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    per_queue_day = 2 * args.rounds * -(-args.takes // args.queues)
    if per_queue_day > 999:
        parser.error(f"{per_queue_day} tickets per queue and day: a queue hands out at most 999 a day")
    url, drop = throwaway_database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-queue-"))
    server = None
    try:
        queues, clerks = prepare(url, instance, args.queues, args.windows)
        how = types.SimpleNamespace(server=args.server, workers=args.workers, threads=args.threads)
        server = Server(how, url, instance, "queue_takes:add_bare_insert_route")
        port = server.port
        waiting, engine = queue_waiting(url)
        from sqlalchemy import create_engine, text

        with create_engine(url).connect() as conn:
            serves = dict(conn.execute(text("SELECT window_id, queue_id FROM queue_queue_window")).all())
        callers = []
        for window_id, (username, password) in clerks.items():
            client, token = login(port, username, password)
            callers.append((client, token, window_id, serves[window_id]))
        taken = dict.fromkeys(queues, 0)

        def takes(with_calls: bool):
            def run(_round: int) -> dict:
                result = phase(port, "/queue/terminal", queues, args.takes, callers if with_calls else None, waiting)
                for n in range(args.takes):
                    taken[queues[n % len(queues)]] += 1
                return result

            return run

        results = interleaved(
            args.rounds,
            {
                "bare": lambda _r: phase(port, "/bench/bare-insert", queues, args.takes),
                "takes": takes(False),
                "takes+calls": takes(True),
            },
        )
        problems = check(url, queues, taken)
        engine.dispose()
    finally:
        if server is not None:
            server.stop()
        drop()
    dialect = "PostgreSQL" if args.url else "SQLite"
    print(
        f"{dialect}, {args.server} ({args.workers}×{args.threads}), {args.takes} concurrent takes over "
        f"{args.queues} queues, {args.windows} windows calling, {args.rounds} rounds"
    )
    for name, rows in results.items():
        rate = statistics.median(r["rate"] for r in rows)
        p95 = statistics.median(r["p95"] for r in rows) * 1000
        errors = sum(r["errors"]["take"] for r in rows)
        line = f"  {name:12} {rate:7.1f} req/s  p95 {p95:7.0f} ms  errors {errors}"
        if name == "takes+calls":
            line += (
                f"  calls {sum(r['calls'] for r in rows)}: {statistics.median(r['call_rate'] for r in rows):.1f}/s, "
                f"p95 {statistics.median(r['call_p95'] for r in rows) * 1000:.0f} ms, "
                f"errors {sum(r['errors']['call'] for r in rows)}"
            )
        print(line)
    bare = results["bare"]
    for name in ("takes", "takes+calls"):
        rows = results[name]
        for what in ("rate", "p95"):
            ratios = pair_ratios([r[what] for r in rows], [b[what] for b in bare])
            print(f"  {name} / bare, {'throughput' if what == 'rate' else 'p95'}: {describe(ratios)}")
    verdict = "; ".join(problems) if problems else "OK (1…N per queue and day, each ticket called once)"
    print(f"  numbering and calls: {verdict}")


if __name__ == "__main__":
    main()
