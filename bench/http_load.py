"""Benchmark: the case lifecycle and the staff screens over HTTP, against the engine alone.

    python bench/http_load.py [--clients 8] [--rounds 3] [--lifecycles 12] [--background 200]
                              [--url postgresql+psycopg://postgres@127.0.0.1:55432/postgres]
                              [--server threaded|gunicorn|command] [--workers 2] [--threads 8]
                              [--server-cmd 'onewindow --instance {instance} serve --production --port {port}']

Seeds a fresh database (SQLite in a temporary folder; with ``--url`` a throwaway database
on that PostgreSQL server, dropped at the end): the demo organisation and users, a
4-material item of one department, and ``--background`` cases waiting in that
department's inbox (plus a tenth of them at the output window), as a working day has.

Then starts a server on 127.0.0.1 (loopback only) in its own process:

* ``threaded``: werkzeug's threaded WSGI server, one process (default; no extra package);
* ``gunicorn``: gunicorn with ``--workers`` × ``--threads`` (gthread), the app preloaded
  and every worker disposing the inherited engine pool after fork;
* ``command``: any command (``--server-cmd``; ``{port}`` and ``{instance}`` filled in,
  ``ONEWINDOW_DATABASE_URL`` in its environment), e.g. the production command.

Each round runs these phases, in alternating order (A B …, then … B A), on the same
database in the same minute, so each ratio is taken within one round:

* ``engine``: one process drives ``--lifecycles`` lifecycles through the engine, the case
  read afresh before each transition as a web request does (no HTTP);
* ``api x1``: one client runs the same lifecycles through the REST API — create
  (accept), approve_step, hand_to_output, deliver_pickup, each with its own user's JWT;
* ``api xN``: ``--clients`` clients run them at once;
* ``screens xN``: ``--clients`` clients each run the lifecycle through the API and open
  the screens around it — workbench (acceptor), inbox (approver), output window (output
  clerk), case page — and the same lists through the API (``GET /api/v1/cases/``);
* ``trivial xN``: ``--clients`` clients fetch a static file (the HTTP stack's floor).

With ``--before-src DIR`` (a folder holding an older ``platform/`` tree, e.g.
``git archive <commit> platform | tar -x -C DIR``) a second server runs that code on the
same database, and a phase ``screens xN before`` runs the screens against it in the same
rounds: the screens' p95 after / before is then taken round by round.

Prints per phase requests/s and lifecycles/s, per endpoint p50/p95/p99 and errors
(any status other than the expected one, or a failed connection), and the ratios against
the targets of issue #22 (item 6), each as the median of the rounds' pair ratios:
API transition ≤ 3× the engine's time per transition with one client; throughput with
N clients ≥ 1.5× one client, zero errors; list screens p95 ≤ 2× the same list through the
API; workbench and case page p95 < 300 ms with N clients. Asserts nothing.
Bounded: every phase stops starting lifecycles after ``--phase-seconds``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PERSON, add_bench_item, describe, interleaved, pair_ratios, percentile, throwaway_database  # noqa: E402

AMR = "11369921102345608H"  # 市场监管局: the department of the demo users approver and chief_rep
TRIVIAL = "/static/appbuilder/img/fab.png"
WARMUP = 5
USERS = ("acceptor", "approver", "output_clerk")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# --- database -------------------------------------------------------------------


def prepare(url: str, instance: Path, background: int) -> tuple[int, str, list[int], dict[str, str]]:
    """Migrate, load the demo, add the item and the waiting cases; ``(item id, code,
    material ids, logins)``."""
    from onewindow.app import create_app, db
    from onewindow.cases import engine
    from onewindow.cases.models import ApplicantType, MaterialStatus
    from onewindow.models import Department, Staff
    from onewindow.setup import initialise

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    report = initialise(app, demo=True)
    logins = {u: p for u, p, _r in report.logins}
    with app.app_context():
        dept = db.session.query(Department).filter_by(credit_code=AMR).one()
        item = add_bench_item(dept)
        db.session.commit()
        item_id, code = item.id, item.implementation_code
        materials = [m.id for m in item.materials]
        actors = {u: engine.Actor.of(db.session.query(Staff).filter_by(username=u).one()) for u in USERS}
        statuses = {m: MaterialStatus.submitted for m in materials}
        for n in range(background):
            case = engine.accept(
                engine.Application(item, ApplicantType.person, f"等候{n}", PERSON), actors["acceptor"], statuses
            )
            if n % 10 == 0:  # a tenth already decided and waiting at the output window
                engine.approve_step(case, case.steps[0].id, actors["approver"], "同意")
                engine.hand_to_output(case, actors["approver"], "许可证1份")
        db.session.remove()
        db.engine.dispose()
    return item_id, code, materials, logins


def engine_worker(url: str, instance: str, item_id: int, commands, results) -> None:
    """A long-lived process that runs ``n`` lifecycles through the engine per command."""
    from onewindow.app import create_app, db
    from onewindow.cases import engine
    from onewindow.cases.models import ApplicantType, Case, MaterialStatus
    from onewindow.models import Staff
    from onewindow.models.items import Item

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    with app.app_context():
        actors = {u: engine.Actor.of(db.session.query(Staff).filter_by(username=u).one()) for u in USERS}
        item = db.session.get(Item, item_id)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        db.session.commit()

        def fresh(case_id):  # a new request: nothing kept from the last transition
            db.session.expunge_all()
            return db.session.get(Case, case_id)

        def lifecycles(n):
            for _ in range(n):
                item = db.session.get(Item, item_id)
                case = engine.accept(
                    engine.Application(item, ApplicantType.person, "张三", PERSON), actors["acceptor"], statuses
                )
                case = fresh(case.id)
                engine.approve_step(case, case.steps[0].id, actors["approver"], "同意")
                case = fresh(case.id)
                engine.hand_to_output(case, actors["approver"], "许可证1份")
                case = fresh(case.id)
                engine.deliver_pickup(case, actors["output_clerk"], "张三", PERSON)
                db.session.expunge_all()

        lifecycles(WARMUP)
        results.put("ready")
        while (n := commands.get()) is not None:
            start = time.perf_counter()
            lifecycles(n)
            results.put(time.perf_counter() - start)
        db.session.remove()
        db.engine.dispose()


# --- servers --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_app(url: str, instance: str, setup: str = ""):
    """The application under test; ``setup`` (``"module:function"``) may add to it first."""
    import importlib

    from onewindow.app import create_app

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    if setup:
        module, _sep, name = setup.partition(":")
        getattr(importlib.import_module(module), name)(app)
    return app


def serve_threaded(url: str, instance: str, port: int, setup: str = "") -> None:
    import logging

    from werkzeug.serving import make_server

    for name in ("werkzeug", "flask_appbuilder"):  # no line per request or per login
        logging.getLogger(name).setLevel(logging.ERROR)
    app = bench_app(url, instance, setup)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def serve_gunicorn(url: str, instance: str, port: int, workers: int, threads: int, setup: str = "") -> None:
    from gunicorn.app.base import BaseApplication

    from onewindow.app import db

    app = bench_app(url, instance, setup)

    def post_fork(server, worker):
        # The preloaded master's pool must not be shared by the forked workers.
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"127.0.0.1:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "preload_app": True,
                "post_fork": post_fork,
                "loglevel": "warning",
                "timeout": 120,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


class Server:
    """The server under test, in a process of its own, stopped by :meth:`stop`."""

    def __init__(self, args, url: str, instance: Path, setup: str = "", source: str | None = None):
        self.port = free_port()
        self.proc = self.popen = None
        if source is not None:  # the same server kind, running the code of an older tree
            kind = "threaded" if args.server == "command" else args.server
            cmd = [sys.executable, __file__, "--serve", kind, url, str(instance), str(self.port)]
            cmd += [str(args.workers), str(args.threads)]
            env = {**os.environ, "PYTHONPATH": str(Path(source) / "platform")}
            self.popen = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        elif args.server == "command":
            cmd = args.server_cmd.format(port=self.port, instance=instance)
            env = {**os.environ, "ONEWINDOW_DATABASE_URL": url}
            self.popen = subprocess.Popen(shlex.split(cmd), env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        else:
            ctx = mp.get_context("spawn")
            target, extra = (
                (serve_threaded, ()) if args.server == "threaded" else (serve_gunicorn, (args.workers, args.threads))
            )
            self.proc = ctx.Process(target=target, args=(url, str(instance), self.port, *extra, setup), daemon=False)
            self.proc.start()
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", TRIVIAL)
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or not self.alive():
                self.stop()
                raise SystemExit(f"the server did not answer on 127.0.0.1:{self.port}")
            time.sleep(0.3)

    def alive(self) -> bool:
        return self.proc.is_alive() if self.proc else self.popen.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()  # gunicorn's master stops its workers on SIGTERM
            self.proc.join(30)
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(30)


# --- clients --------------------------------------------------------------------


class Failed(Exception):
    pass


class Client:
    """One keep-alive connection; a JWT and a session cookie per demo user."""

    def __init__(self, port: int, logins: dict[str, str], record):
        self.port, self.record = port, record
        self.conn = None
        self.tokens: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        for user in USERS:
            body = self.call(
                "login api",
                "POST",
                "/api/v1/security/login",
                None,
                200,
                json_body={"username": user, "password": logins[user], "provider": "db", "refresh": True},
            )
            self.tokens[user] = body["access_token"]
            self.cookies[user] = self.login_screens(user, logins[user])

    def _send(self, method, path, headers, data):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response, payload
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise

    def call(self, label, method, path, user, expect, json_body=None, form=None, cookie=None):
        headers = {}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            from urllib.parse import urlencode

            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if user is not None and cookie is None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        if cookie:
            headers["Cookie"] = cookie
        start = time.perf_counter()
        try:
            response, payload = self._send(method, path, headers, data)
        except OSError as exc:
            self.record(label, time.perf_counter() - start, False)
            raise Failed(f"{label}: {exc}") from None
        seconds = time.perf_counter() - start
        ok = response.status == expect
        self.record(label, seconds, ok)
        if not ok:
            raise Failed(f"{label} {path}: HTTP {response.status} {payload[:300]!r}")
        self.last_headers = response
        if response.getheader("Content-Type", "").startswith("application/json"):
            return json.loads(payload)
        return payload

    def login_screens(self, user, password) -> str:
        page = self.call("login page", "GET", "/login/", None, 200)
        cookie = self._session_cookie() or ""
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        form = {"username": user, "password": password, **({"csrf_token": token.group(1).decode()} if token else {})}
        self.call("login screens", "POST", "/login/", None, 302, form=form, cookie=cookie)
        return self._session_cookie() or cookie

    def _session_cookie(self) -> str | None:
        for header in self.last_headers.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                return header.split(";", 1)[0]
        return None

    def screen(self, label, path, user):
        self.call(label, "GET", path, user, 200, cookie=self.cookies[user])

    def lifecycle(self, code, materials, screens: bool) -> None:
        if screens:
            self.screen("screen workbench", "/workbench/", "acceptor")
        case = self.call(
            "api create (accept)",
            "POST",
            "/api/v1/cases/",
            "acceptor",
            201,
            json_body={
                "item_code": code,
                "channel": "window",
                "outcome": "accept",
                "applicant": {"type": "person", "name": "张三", "id": PERSON},
                "materials": {str(m): "submitted" for m in materials},
            },
        )
        number = case["number"]
        if screens:
            self.screen("screen inbox", "/inbox/", "approver")
            self.call(
                "api list in_review (approver)", "GET", "/api/v1/cases/?state=in_review&page_size=100", "approver", 200
            )
        self.call(
            "api approve_step",
            "POST",
            f"/api/v1/cases/{number}/approve_step",
            "approver",
            200,
            json_body={"opinion": "同意"},
        )
        self.call(
            "api hand_to_output",
            "POST",
            f"/api/v1/cases/{number}/hand_to_output",
            "approver",
            200,
            json_body={"result_description": "许可证1份"},
        )
        if screens:
            self.screen("screen output window", "/output/", "output_clerk")
            self.call(
                "api list at_output (output clerk)",
                "GET",
                "/api/v1/cases/?state=at_output&page_size=100",
                "output_clerk",
                200,
            )
        self.call(
            "api deliver_pickup",
            "POST",
            f"/api/v1/cases/{number}/deliver_pickup",
            "output_clerk",
            200,
            json_body={"signee_name": "张三", "signee_id": PERSON},
        )
        if screens:
            self.screen("screen case page", f"/caseview/show/{case['id']}", "acceptor")
            self.call("api detail", "GET", f"/api/v1/cases/{number}", "acceptor", 200)


SCREENS = ("screen workbench", "screen case page", "screen inbox", "screen output window")
TRANSITION_LABELS = ("api create (accept)", "api approve_step", "api hand_to_output", "api deliver_pickup")
#: list screen → the same list through the API, in the same phase
LIST_PAIRS = {
    "screen inbox": "api list in_review (approver)",
    "screen output window": "api list at_output (output clerk)",
}


class Phase:
    """Samples of one phase of one round."""

    def __init__(self, name):
        self.name = name
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lifecycles = 0
        self.seconds = 0.0
        self.lock = threading.Lock()
        self.messages: list[str] = []

    def record(self, label, seconds, ok):
        with self.lock:
            if ok:
                self.samples[label].append(seconds)
            else:
                self.errors[label] += 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.samples.values()) + sum(self.errors.values())


def run_clients(clients: list[Client], phase: Phase, work, count: int, limit: float) -> Phase:
    """Every client does ``work`` ``count`` times (or until ``limit`` seconds); wall time."""
    barrier = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def loop(client):
        client.record = phase.record
        barrier.wait()
        for _ in range(count):
            if time.perf_counter() > deadline[0]:
                break
            try:
                work(client)
            except Failed as exc:
                with phase.lock:
                    phase.messages.append(str(exc))
                continue
            with phase.lock:
                phase.lifecycles += 1

    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + limit
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - start
    return phase


# --- report ---------------------------------------------------------------------


def ms(x: float) -> str:
    return f"{x * 1000:7.1f}"


def pooled(phases: list[Phase]) -> tuple[dict[str, list[float]], dict[str, int]]:
    samples, errors = defaultdict(list), defaultdict(int)
    for p in phases:
        for k, v in p.samples.items():
            samples[k] += v
        for k, v in p.errors.items():
            errors[k] += v
    return samples, errors


def report(args, dialect, results, engine_seconds, clients_n) -> None:
    print(
        f"database: {dialect}; server: {args.server}"
        + (f" ({args.workers} workers × {args.threads} threads)" if args.server == "gunicorn" else "")
        + f"; clients: {clients_n}; rounds: {args.rounds}; lifecycles per client and phase: {args.lifecycles}; "
        f"waiting cases: {args.background}"
    )
    per_transition_engine = [s / (args.lifecycles * 4) for s in engine_seconds]
    print(
        f"\nengine: {statistics.median(per_transition_engine) * 1000:.2f} ms per transition "
        f"(median of rounds; {args.lifecycles / statistics.median(engine_seconds):.1f} lifecycles/s, one process)"
    )
    for name, phases in results.items():
        samples, errors = pooled(phases)
        seconds = sum(p.seconds for p in phases)
        requests = sum(p.requests for p in phases)
        lifecycles = sum(p.lifecycles for p in phases)
        rate = f"; {lifecycles / seconds:.1f} lifecycles/s" if name != "trivial xN" else ""
        print(f"\n{name}: {requests / seconds:.1f} requests/s{rate}; errors {sum(errors.values())}")
        print(f"  {'endpoint':<36} {'n':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} errors")
        for label in sorted(set(samples) | set(errors)):
            v = samples.get(label, [])
            print(
                f"  {label:<36} {len(v):5d} {ms(percentile(v, 0.5))} {ms(percentile(v, 0.95))} "
                f"{ms(percentile(v, 0.99))} {errors.get(label, 0)}"
            )
        shown = sorted(set(m for p in phases for m in p.messages))[:3]
        for m in shown:
            print(f"  error: {m}")

    def mean_transition(phase):
        v = [x for label in TRANSITION_LABELS for x in phase.samples.get(label, [])]
        return statistics.fmean(v) if v else float("nan")

    def rate(phase):
        return phase.lifecycles / phase.seconds if phase.seconds else 0.0

    print("\nratios (median of the rounds' pair ratios) against issue #22 item 6:")
    ratio = pair_ratios([mean_transition(p) for p in results["api x1"]], per_transition_engine)
    print(
        f"  API transition / engine transition, 1 client: {describe(ratio)}  (target ≤ 3x)  "
        f"{'meets' if statistics.median(ratio) <= 3 else 'MISSES'}"
    )
    ratio = pair_ratios([rate(p) for p in results["api xN"]], [rate(p) for p in results["api x1"]])
    errors = sum(sum(p.errors.values()) for ps in results.values() for p in ps)
    print(
        f"  throughput {clients_n} clients / 1 client: {describe(ratio)}  (target ≥ 1.5x)  "
        f"{'meets' if statistics.median(ratio) >= 1.5 else 'MISSES'}; errors in all phases: {errors} "
        f"(target 0)"
    )
    screens = results["screens xN"]
    for screen, api in LIST_PAIRS.items():
        ratio = pair_ratios(
            [percentile(p.samples.get(screen, []), 0.95) for p in screens],
            [percentile(p.samples.get(api, []), 0.95) for p in screens],
        )
        print(
            f"  {screen} p95 / {api} p95: {describe(ratio)}  (target ≤ 2x)  "
            f"{'meets' if statistics.median(ratio) <= 2 else 'MISSES'}"
        )
    samples, _ = pooled(screens)
    for screen in SCREENS:
        p95 = percentile(samples.get(screen, []), 0.95) * 1000
        target = "  (target < 300 ms)" if screen in ("screen workbench", "screen case page") else ""
        print(
            f"  {screen} p95 with {clients_n} clients: {p95:.0f} ms{target}"
            + (f"  {'meets' if p95 < 300 else 'MISSES'}" if target else "")
        )
    if "screens xN before" in results:
        for screen in SCREENS:
            ratio = pair_ratios(
                [percentile(p.samples.get(screen, []), 0.95) for p in screens],
                [percentile(p.samples.get(screen, []), 0.95) for p in results["screens xN before"]],
            )
            print(f"  {screen} p95, this tree / --before-src, {clients_n} clients: {describe(ratio)}")
    trivial = [statistics.median(p.samples[TRIVIAL_LABEL]) for p in results["trivial xN"] if p.samples[TRIVIAL_LABEL]]
    api = [
        statistics.median([x for label in TRANSITION_LABELS for x in p.samples.get(label, [])])
        for p in results["api xN"]
    ]
    print(
        f"  API transition p50 / trivial request p50, {clients_n} clients: {describe(pair_ratios(api, trivial))}"
        "  (for reference)"
    )


TRIVIAL_LABEL = "trivial (static file)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lifecycles", type=int, default=12, help="per client and phase")
    parser.add_argument("--background", type=int, default=200, help="cases waiting in the inbox")
    parser.add_argument("--phase-seconds", type=float, default=60.0, help="no new lifecycle after this long")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created)")
    parser.add_argument("--server", choices=("threaded", "gunicorn", "command"), default="threaded")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--server-cmd", help="with --server command: the command; {port} and {instance} filled in")
    parser.add_argument("--before-src", help="a folder with an older platform/ tree: its screens in the same rounds")
    parser.add_argument("--serve", nargs=6, help=argparse.SUPPRESS)  # kind url instance port workers threads
    args = parser.parse_args()
    if args.serve:  # the --before-src server (its PYTHONPATH holds the older tree)
        kind, url, instance, port, workers, threads = args.serve
        if kind == "gunicorn":
            serve_gunicorn(url, instance, int(port), int(workers), int(threads))
        else:
            serve_threaded(url, instance, int(port))
        return
    if args.server == "command" and not args.server_cmd:
        parser.error("--server command needs --server-cmd")
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be between 1 and 64")

    url, drop = throwaway_database(args.url)
    instance = Path(tempfile.mkdtemp(prefix="ow-bench-inst-"))
    server = engine_proc = before = None
    try:
        item_id, code, materials, logins = prepare(url, instance, args.background)
        ctx = mp.get_context("spawn")
        commands, answers = ctx.Queue(), ctx.Queue()
        engine_proc = ctx.Process(target=engine_worker, args=(url, str(instance), item_id, commands, answers))
        engine_proc.start()
        if answers.get(timeout=300) != "ready":
            raise SystemExit("the engine worker failed")
        server = Server(args, url, instance)
        assert urlsplit(f"http://127.0.0.1:{server.port}").hostname in LOOPBACK
        clients = [Client(server.port, logins, lambda *a: None) for _ in range(args.clients)]
        before_clients: list[Client] = []
        if args.before_src:
            before = Server(args, url, instance, source=args.before_src)
            before_clients = [Client(before.port, logins, lambda *a: None) for _ in range(args.clients)]
        for c in clients + before_clients:  # warm-up, untimed: templates compile, caches fill
            c.record = lambda *a: None
            c.lifecycle(code, materials, screens=True)

        def engine_round(r):
            commands.put(args.lifecycles)
            return answers.get(timeout=600)

        def api_phase(name, group, screens):
            def run(r):
                return run_clients(
                    group,
                    Phase(name),
                    lambda c: c.lifecycle(code, materials, screens),
                    args.lifecycles,
                    args.phase_seconds,
                )

            return run

        def trivial(r):
            def fetch(c):
                for _ in range(10):
                    c.call(TRIVIAL_LABEL, "GET", TRIVIAL, None, 200)

            return run_clients(clients, Phase("trivial xN"), fetch, args.lifecycles, args.phase_seconds)

        phases = {
            "engine": engine_round,
            "api x1": api_phase("api x1", clients[:1], False),
            "api xN": api_phase("api xN", clients, False),
            "screens xN": api_phase("screens xN", clients, True),
            "trivial xN": trivial,
        }
        if before:
            phases["screens xN before"] = api_phase("screens xN before", before_clients, True)
        results = interleaved(args.rounds, phases)
        engine_seconds = results.pop("engine")
        commands.put(None)
        engine_proc.join(60)
    finally:
        for running in (server, before):
            if running is not None:
                running.stop()
        if engine_proc is not None and engine_proc.is_alive():
            engine_proc.terminate()
        drop()
    from sqlalchemy.engine import make_url

    report(args, make_url(url).get_backend_name(), results, engine_seconds, args.clients)


if __name__ == "__main__":
    main()
