"""kill -9 of a command midway leaves the database unchanged (issue #21 item 7).

Each command is started as a real process; the ``ONEWINDOW_FAULT_PAUSE`` hook stops it at the
step where every row is written but nothing is committed, the test sends SIGKILL, and
then compares every table of the database, row by row, with its state before.
Runs on SQLite and (with ``ONEWINDOW_TEST_DATABASE_URL``) on PostgreSQL.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from onewindow.demo import DEMO_DIR
from onewindow.testing import database_fingerprint

STARTUP_SECONDS = 180


def kill_midway(args: list[str], point: str, ow_database: str, tmp_path) -> None:
    """Run ``onewindow <args>``, SIGKILL it when it reaches ``point``."""
    marker = tmp_path / f"{point}.reached"
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": ow_database,
        "ONEWINDOW_INSTANCE": str(tmp_path / "instance"),
        "ONEWINDOW_FAULT_PAUSE": f"{point}:{marker}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from onewindow.cli import main; main()", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(
                    f"onewindow {' '.join(args)} ended ({proc.returncode}) before {point}: "
                    f"{proc.stdout.read().decode(errors='replace')}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"onewindow {' '.join(args)} did not reach {point} in {STARTUP_SECONDS}s")
            time.sleep(0.1)
        time.sleep(0.2)  # the marker is written just before the sleep; let it start
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert int(marker.read_text()) == proc.pid


def test_kill_9_of_pack_install_midway_leaves_the_database_unchanged(app, ow_database, tmp_path):
    import shutil

    pack_dir = tmp_path / "demo-county"
    shutil.copytree(DEMO_DIR, pack_dir)
    manifest = yaml.safe_load((pack_dir / "pack.yaml").read_text(encoding="utf-8"))
    (pack_dir / "pack.yaml").write_text(
        yaml.safe_dump({**manifest, "version": "1.1.0"}, allow_unicode=True), encoding="utf-8"
    )
    items_file = pack_dir / "items" / "enterprise.yaml"
    items = yaml.safe_load(items_file.read_text(encoding="utf-8"))
    for item in items["items"]:  # every item of the file changes: supersede + insert per item
        item["name"] = f"{item['name']}（修订）"
    items_file.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")

    before = database_fingerprint(ow_database)
    kill_midway(["pack", "install", str(pack_dir)], "pack.install.before_commit", ow_database, tmp_path)
    assert database_fingerprint(ow_database) == before


def test_kill_9_of_calendar_import_midway_leaves_the_database_unchanged(app, ow_database, tmp_path):
    arrangement = {
        "year": 2027,
        "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
        "holidays": [["2027-01-01", "2027-01-03", "元旦"], ["2027-02-06", "2027-02-14", "春节"]],
        "workdays": [["2027-02-20", "调休上班"]],
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(arrangement, ensure_ascii=False), encoding="utf-8")
    before = database_fingerprint(ow_database)
    kill_midway(["calendar", "import", str(path)], "calendar.import.before_commit", ow_database, tmp_path)
    assert database_fingerprint(ow_database) == before


def test_without_the_kill_the_same_commands_do_change_the_database(app, ow_database, tmp_path):
    """The comparison can fail: the same import, not killed, changes the fingerprint."""
    arrangement = {"year": 2027, "source": "测试", "holidays": [["2027-01-01", "2027-01-03", "元旦"]], "workdays": []}
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(arrangement, ensure_ascii=False), encoding="utf-8")
    before = database_fingerprint(ow_database)
    env = {**os.environ, "ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "instance")}
    env.pop("ONEWINDOW_FAULT_PAUSE", None)
    done = subprocess.run(
        [sys.executable, "-c", "from onewindow.cli import main; main()", "calendar", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    after = database_fingerprint(ow_database)
    assert after["ow_calendar_day"] != before["ow_calendar_day"]
