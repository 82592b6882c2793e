"""`onewindow serve --production`: gunicorn with several workers holds under concurrent
clients — no 5xx, and every acknowledged transition is in the database exactly once."""

from collections import Counter

import pytest
from serving_helpers import ProductionServer, events_in_database, run_load

from onewindow.app import db
from onewindow.models.items import Item


@pytest.fixture
def item(app, make_item):
    with app.app_context():
        item = db.session.get(Item, make_item())
        return item.implementation_code, [m.id for m in item.materials]


def test_production_server_with_three_workers_answers_concurrent_lifecycles_without_5xx(
    ow_database, tmp_path, demo_logins, item
):
    server = ProductionServer(ow_database, tmp_path / "instance", workers=3)
    try:
        server.wait_ready()
        assert len(server.wait_for_workers(3)) == 3, server.output()
        result = run_load(server.base, demo_logins, *item, clients=8, seconds=15)
    finally:
        server.stop()
    output = server.output()
    assert result.server_errors() == [], output
    assert not result.client_errors, result.client_errors[:5]
    assert all(200 <= s < 300 for _, s in result.statuses), Counter(result.statuses)
    assert result.lifecycles >= 8, result.lifecycles  # every client got through at least one
    pages = [w for w, _ in result.statuses if w.startswith("/")]
    assert {"/workbench/", "/inbox/", "/output/"} <= set(pages)
    # what the clients were told happened is what the database holds, once each
    acknowledged = Counter(result.acknowledged)
    in_db = events_in_database(ow_database, {n for n, _ in acknowledged})
    assert {k: in_db.get(k, 0) for k in acknowledged} == dict(acknowledged)
    assert all(in_db.get((n, "decide")) == 1 for n, a in acknowledged if a == "approve_step")
    # the master synced permissions once, before forking: no worker raced it
    assert "UniqueViolation" not in output and "IntegrityError" not in output
    access = server.access_log.read_text()
    assert access.count("POST /api/v1/cases/") >= len(acknowledged) and "GET /inbox/" in access


def test_production_server_refuses_a_database_whose_schema_is_not_current(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "onewindow"), "serve", "--production"],
        env={"PATH": "/usr/bin:/bin", "ONEWINDOW_DATABASE_URL": url, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "schema is not up to date" in result.stderr and "onewindow init" in result.stderr


def test_workers_and_pool_come_from_the_configuration():
    from onewindow.config import DEFAULTS
    from onewindow.errors import StartupError
    from onewindow.serving.production import options, post_fork

    settings = {**DEFAULTS, "SERVE_WORKERS": 5, "SERVE_THREADS": 4, "SERVE_ACCESS_LOG": ""}
    got = options(settings, "0.0.0.0", 8000)
    assert got["workers"] == 5 and got["threads"] == 4 and got["worker_class"] == "gthread"
    assert got["preload_app"] is True and got["post_fork"] is post_fork and got["accesslog"] is None
    assert options(settings, "0.0.0.0", 8000, workers=2)["workers"] == 2  # --workers wins
    with pytest.raises(StartupError, match="SERVE_THREADS .*DATABASE_POOL_SIZE"):
        options({**settings, "SERVE_THREADS": 50}, "0.0.0.0", 8000)


def test_pool_size_reaches_the_engine(make_app):
    app = make_app(config={"DATABASE_POOL_SIZE": 7, "DATABASE_MAX_OVERFLOW": 3})
    with app.app_context():
        assert db.engine.pool.size() == 7
