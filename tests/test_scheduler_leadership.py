"""Scheduler leadership lives in the database: two schedulers with different instance folders
on one database elect one leader; kill -9 of the leader and the other takes over within a
bounded time, and no job slot runs twice (SQLite: the lease row; PostgreSQL: advisory lock)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from onewindow.environ import getenv
from onewindow.scheduling.leader import Leadership

JOB = """
import os, time
from onewindow.plugins import hookimpl

def tick():
    # one line per run: the process and the 2-second slot it ran for
    with open(os.environ["SCHEDULER_TEST_SLOT_FILE"], "a") as fh:
        fh.write(f"{os.getpid()} {int(time.time() // 2)}\\n")

@hookimpl
def register_jobs(register):
    # a scheduler slow to start (a loaded machine): longer than the lease, which must hold meanwhile
    time.sleep(float(os.environ.get("SCHEDULER_TEST_REGISTER_DELAY", "0")))
    register("slotjob.tick", "slotjob:tick", trigger="cron", second="*/2")
"""

SCHEDULER = """
import logging, sys
from onewindow.app import create_app
from onewindow.scheduling import runner
import slotjob
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
app = create_app({"DATABASE_URL": sys.argv[1], "SCHEDULER_LEASE_SECONDS": 3}, instance_path=sys.argv[2],
                 plugins=[("slotjob", slotjob)])
runner.serve(app, standby_poll=0.3, check_every=1.0)
"""


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_two_schedulers_one_leader_killed_leader_replaced_and_no_slot_runs_twice(ow_database, tmp_path):
    (tmp_path / "slotjob.py").write_text(textwrap.dedent(JOB))
    slots = tmp_path / "slots.txt"
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "SCHEDULER_TEST_SLOT_FILE": str(slots),
        "SCHEDULER_TEST_REGISTER_DELAY": "4.5",  # > SCHEDULER_LEASE_SECONDS below
    }
    env.pop("ONEWINDOW_DATABASE_URL", None)
    procs, logs = [], []
    for name in ("a", "b"):  # different instance folders: nothing shared but the database
        log = tmp_path / f"{name}.log"
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", SCHEDULER, ow_database, str(tmp_path / f"inst-{name}")],
                env=env,
                stdout=open(log, "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def leaders():
        return [i for i, log in enumerate(logs) if "leadership acquired" in log.read_text()]

    def runs():
        return [tuple(map(int, line.split())) for line in slots.read_text().splitlines()] if slots.exists() else []

    try:
        first = _wait(leaders, 90, "a leader")
        time.sleep(6)  # the leader is still building its scheduler, past its first lease; the other must not lead
        assert leaders() == first and len(first) == 1, [log.read_text()[-2000:] for log in logs]
        leader, standby = first[0], 1 - first[0]
        assert "standing by" in logs[standby].read_text()
        _wait(lambda: len(runs()) >= 2, 30, "two runs of the leader")
        time.sleep(0.7)  # between two slots
        os.killpg(procs[leader].pid, signal.SIGKILL)
        procs[leader].wait(timeout=10)
        killed_at = time.monotonic()
        _wait(lambda: standby in leaders(), 20, "the standby to take over")
        takeover = time.monotonic() - killed_at
        _wait(lambda: len({p for p, _ in runs()}) == 2 and len(runs()) >= 4, 30, "runs of the new leader")
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
    assert takeover < 15, takeover  # lease 3 s + poll 0.3 s, plus the start of a scheduler
    history = runs()
    assert len({slot for _, slot in history}) == len(history), history  # no slot twice
    old, new = procs[leader].pid, procs[standby].pid
    pids = [p for p, _ in history]
    assert pids == sorted(pids, key=lambda p: p == new) and set(pids) == {old, new}, history


@pytest.mark.skipif(bool(getenv("TEST_DATABASE_URL")), reason="the lease row is SQLite's")
def test_sqlite_lease_expires_and_only_its_holder_renews_it(ow_database):
    first, second = Leadership(ow_database, lease_seconds=1), Leadership(ow_database, lease_seconds=1)
    try:
        assert first.try_acquire() and not second.try_acquire()
        assert first.still_held()  # renewed
        time.sleep(1.3)  # the leader stops renewing (stalled or killed): the lease lapses
        assert second.try_acquire()
        assert not first.still_held() and not first.held  # the old leader finds out and steps down
    finally:
        first.dispose()
        second.dispose()
