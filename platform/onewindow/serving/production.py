"""``onewindow serve --production``: gunicorn, configured from OneWindow's settings.

Why each setting (STACK, "Learned in use"):

- **preload**: the master builds the app, checks the schema and writes the permissions
  once (``prepare``), before it forks; workers started at once would race FAB's
  permission sync (UniqueViolation on ``ab_permission``).
- **post_fork**: a forked worker inherits the master's connection pool, and two
  processes on one socket mix up each other's rows (measured: 3–44 % of requests failed
  under 8 clients). Every worker disposes every engine's pool right after the fork
  (``dispose(close=False)``: the parent's connections are left to the parent) and opens
  its own connections.
- workers, threads, timeout and access log come from ``SERVE_*``; the pool of each
  worker from ``DATABASE_POOL_SIZE`` / ``DATABASE_MAX_OVERFLOW``.

The scheduler is never started here: it is its own process (``onewindow scheduler``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from onewindow.errors import StartupError
from onewindow.public_url import warn_without_public_url


def prepare(app: Flask) -> Flask:
    """What the master does once before forking: schema check, permission sync, and no
    connection left open for the workers to inherit."""
    from onewindow.serving import require_current_schema
    from onewindow.setup import sync_permissions

    require_current_schema(app)
    sync_permissions(app)
    dispose_engines(app, close=True)
    return app


def dispose_engines(app: Flask, close: bool) -> None:
    from onewindow.app import db

    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose(close=close)


def options(settings: dict[str, Any], host: str, port: int, workers: int | None = None) -> dict[str, Any]:
    """gunicorn settings from OneWindow's configuration (``--workers`` wins over SERVE_WORKERS)."""
    workers = settings["SERVE_WORKERS"] if workers is None else workers
    threads = settings["SERVE_THREADS"]
    if workers < 1 or threads < 1:
        raise StartupError(
            f"SERVE_WORKERS and SERVE_THREADS must be at least 1 (got {workers} workers, "
            f"{threads} threads); set them in instance/onewindow.toml or ONEWINDOW_SERVE_*"
        )
    if threads > settings["DATABASE_POOL_SIZE"] + settings["DATABASE_MAX_OVERFLOW"]:
        raise StartupError(
            f"SERVE_THREADS ({threads}) exceeds the connections one worker may open "
            f"(DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW = "
            f"{settings['DATABASE_POOL_SIZE'] + settings['DATABASE_MAX_OVERFLOW']}); "
            "raise the pool or lower the threads"
        )
    access_log = settings["SERVE_ACCESS_LOG"] or None
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": settings["SERVE_TIMEOUT"],
        "graceful_timeout": 30,
        "preload_app": True,
        "accesslog": access_log,
        "errorlog": "-",
        "proc_name": "onewindow",
        "control_socket_disable": True,  # several servers on one host must not share ~/.gunicorn
        "post_fork": post_fork,
    }


def post_fork(server, worker) -> None:
    """Each worker drops the pool it inherited and opens connections of its own."""
    dispose_engines(server.app.wsgi(), close=False)


class ProductionServer(BaseApplication):
    """gunicorn's public application API around one prepared OneWindow app."""

    def __init__(self, app: Flask, gunicorn_options: dict[str, Any]):
        self.application = app
        self.gunicorn_options = gunicorn_options
        super().__init__(usage="onewindow serve --production", prog="onewindow")

    def load_config(self) -> None:
        for key, value in self.gunicorn_options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run(app: Flask, host: str, port: int, workers: int | None = None) -> None:
    settings = app.extensions["onewindow"].settings
    warn_without_public_url(settings)  # notices printed in production need the centre's address
    server = ProductionServer(prepare(app), options(settings, host, port, workers))
    server.run()
