"""A real `onewindow serve --production` in a subprocess, loopback clients driving case
lifecycles through the REST API and staff screens, and the database read back.

Shared by the production-serving and the fault tests. Clients use only the standard
library (urllib); every call is bounded by a timeout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, text

PERSON = "440304200002291236"
#: The lifecycle each client runs: (transition, user, body). ``None`` = create the case.
LIFECYCLE = [
    (None, "acceptor", None),
    ("approve_step", "approver", {"opinion": "同意"}),
    ("hand_to_output", "approver", {"result_description": "许可证正本1份"}),
    ("deliver_pickup", "output_clerk", {"signee_name": "张三", "signee_id": PERSON}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProductionServer:
    """`onewindow serve --production --workers N` as an operator types it."""

    def __init__(self, database_url: str, instance: Path, workers: int = 3, extra_env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        self.log_path = instance.parent / f"server-{self.port}.log"
        self.access_log = instance.parent / f"access-{self.port}.log"
        env = {
            **os.environ,
            "ONEWINDOW_DATABASE_URL": database_url,
            "ONEWINDOW_INSTANCE": str(instance),
            "ONEWINDOW_SERVE_ACCESS_LOG": str(self.access_log),
            **(extra_env or {}),
        }
        command = [
            str(Path(sys.executable).parent / "onewindow"),
            "serve",
            "--production",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.log = open(self.log_path, "w")
        # its own session: the master and its workers form one process group to kill
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base + "/login/", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_for_workers(self, count: int, timeout: float = 60) -> list[int]:
        """The workers' pids once ``count`` are up (gunicorn forks them one after the other:
        the first may answer before the last exists)."""
        deadline = time.monotonic() + timeout
        pids = self.worker_pids()
        while len(pids) < count and time.monotonic() < deadline:
            time.sleep(0.3)
            pids = self.worker_pids()
        return pids

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split() if int(p) != self.process.pid]

    def kill_all(self) -> None:
        """kill -9 of the master and every worker at once (their process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_all()
        self.log.close()


class HttpClient:
    """One user's loopback client: a JWT for the API, a cookie session for the screens."""

    def __init__(self, base: str, username: str, password: str, timeout: float = 30):
        self.base, self.username, self.password, self.timeout = base, username, password, timeout
        self.token = None
        self.signed_in = False
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def _send(self, method: str, path: str, body=None, headers=None, opener=None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with (opener or self.opener).open(request, timeout=self.timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def api(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict | None]:
        if self.token is None:
            status, raw = self._send(
                "POST",
                "/api/v1/security/login",
                {"username": self.username, "password": self.password, "provider": "db", "refresh": False},
                {"Content-Type": "application/json"},
            )
            assert status == 200, (status, raw[:300])
            self.token = json.loads(raw)["access_token"]
        all_headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **(headers or {})}
        status, raw = self._send(
            method, path, body if body is not None else ({} if method == "POST" else None), all_headers
        )
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, {"raw": raw[:300].decode(errors="replace")}

    def page(self, path: str) -> int:
        """GET a staff screen, signing in through the real form (with its CSRF token) first."""
        if not self.signed_in:
            status, raw = self._send("GET", "/login/")
            token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', raw)
            assert status == 200 and token, status
            form = urllib.parse.urlencode(
                {"username": self.username, "password": self.password, "csrf_token": token.group(1).decode()}
            ).encode()
            status, _ = self._send("POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded"})
            assert status in (200, 302), status
            self.signed_in = True
        status, _ = self._send("GET", path)
        return status


@dataclass
class LoadResult:
    statuses: list[tuple[str, int]] = field(default_factory=list)  # (what, HTTP status)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (case number, action) answered 2xx
    lifecycles: int = 0
    client_errors: list[str] = field(default_factory=list)  # a connection cut (expected when killed)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def server_errors(self) -> list[tuple[str, int]]:
        return [(w, s) for w, s in self.statuses if s >= 500]


def run_load(
    base: str,
    logins: dict[str, str],
    item_code: str,
    material_ids: list[int],
    *,
    clients: int = 8,
    seconds: float = 20,
    pages: bool = True,
    stop: threading.Event | None = None,
) -> LoadResult:
    """``clients`` threads each run lifecycles (create → approve → hand over → deliver) until
    ``seconds`` pass or ``stop`` is set; every 2xx transition is recorded as acknowledged."""
    result = LoadResult()
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds

    # one sign-in per user, shared by the threads: a password check costs ~0.5 s of CPU
    users = {u: HttpClient(base, u, logins[u]) for u in ("acceptor", "approver", "output_clerk")}
    for u in users.values():
        u.api("GET", "/api/v1/cases/?page_size=1")
        if pages:
            u.page("/")

    def client(n: int) -> None:
        round_ = 0
        while time.monotonic() < deadline and not stop.is_set():
            round_ += 1
            number = None
            try:
                for action, user, body in LIFECYCLE:
                    if action is None:
                        status, case = users[user].api(
                            "POST",
                            "/api/v1/cases/",
                            {
                                "item_code": item_code,
                                "channel": "window",
                                "outcome": "accept",
                                "applicant": {
                                    "type": "person",
                                    "name": f"客户{n}-{round_}",
                                    "id": PERSON,
                                    "phone": "13800000000",
                                },
                                "materials": {str(m): "submitted" for m in material_ids},
                            },
                        )
                        what = "create"
                        if 200 <= status < 300:
                            number = case["number"]
                            action = "accept"
                    else:
                        status, case = users[user].api("POST", f"/api/v1/cases/{number}/{action}", body)
                        what = action
                    with result.lock:
                        result.statuses.append((what, status))
                        if 200 <= status < 300:
                            result.acknowledged.append((number, action))
                    if not 200 <= status < 300:
                        break
                else:
                    with result.lock:
                        result.lifecycles += 1
                if pages and number and round_ % 2 == 1:
                    for user, path in (
                        ("acceptor", "/workbench/"),
                        ("approver", "/inbox/"),
                        ("output_clerk", "/output/"),
                        ("acceptor", f"/workbench/case/{number}"),
                    ):
                        status = users[user].page(path)
                        with result.lock:
                            result.statuses.append((path, status))
            except (urllib.error.URLError, OSError, ConnectionError) as exc:
                with result.lock:
                    result.client_errors.append(f"{type(exc).__name__}: {exc}")
                if stop.is_set():
                    return
                time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    return result


def events_in_database(url: str, numbers: set[str]) -> dict[tuple[str, str], int]:
    """How many events of each (case number, action) the database holds for ``numbers``."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "select c.number, e.action, count(*) from ow_case_event e join ow_case c on c.id = e.case_id "
                    "group by c.number, e.action"
                )
            ).all()
    finally:
        engine.dispose()
    return {(n, a): k for n, a, k in rows if n in numbers or not numbers}
