"""The database: one Flask-SQLAlchemy object on Flask-AppBuilder's metadata, and ``init_app``.

Plugins use this module through the public API (``from onewindow import db``):
``db.session`` is the request's (or command's) session, ``db.engine`` the engine of the
running application, and :func:`unit_of_work` one all-or-nothing transaction.
Core modules may import the Flask-SQLAlchemy object itself: ``from onewindow.db import db``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

from flask import Flask
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from onewindow.errors import StartupError

__all__ = ["Model", "db", "init_app", "session", "unit_of_work"]  # and ``engine``, read when asked

#: One SQLAlchemy object bound to FAB's metadata, so Alembic sees every table.
db = SQLA(metadata=Model.metadata)

#: The scoped session (``db.session``): one per request, command or job.
session = db.session


def __getattr__(name: str) -> Any:
    # ``db.engine`` belongs to the running application: read it when asked, not at import.
    if name == "engine":
        return db.engine
    raise AttributeError(f"module 'onewindow.db' has no attribute {name!r}")


def init_app(app: Flask) -> None:
    """Bind SQLAlchemy, switch SQLite to WAL with foreign keys, and prove the URL works."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        from onewindow.auth.files import create_private_file, private_folder

        database = Path(url[len("sqlite:///") :])
        if database.parent == Path(app.instance_path):
            private_folder(database.parent)
        else:
            database.parent.mkdir(parents=True, exist_ok=True)
        create_private_file(database)  # SQLite gives its -wal and -shm files the same mode
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("connect_args", {"timeout": 30})
    db.init_app(app)
    with app.app_context():
        bound = db.engine
        if bound.dialect.name == "sqlite":
            sqlite_pragmas(bound)
        try:
            with bound.connect() as conn:
                conn.execute(text("select 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise StartupError(
                f"database {bound.url.render_as_string(hide_password=True)} is unreachable: {reason}; "
                "check ONEWINDOW_DATABASE_URL (or DATABASE_URL in instance/onewindow.toml)"
            ) from None


def sqlite_pragmas(bound: Engine) -> None:
    # pysqlite commits DDL implicitly; take over BEGIN so migrations and imports are
    # all-or-nothing on SQLite too (SQLAlchemy docs, "Serializable isolation / Savepoints").
    @event.listens_for(bound, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no branch
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: no corruption on a crash, one fsync per checkpoint instead of per commit.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(bound, "begin")
    def _on_begin(conn):  # pragma: no branch
        # A case transition asks for IMMEDIATE (see cases.persistence.unit_of_work): it takes the
        # write lock at once, so a second writer waits for it (busy_timeout) instead of
        # failing when it upgrades a read snapshot another process has written past.
        immediate = conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info["ow_sqlite"] = (immediate, conn.connection.dbapi_connection.total_changes)


@contextlib.contextmanager
def unit_of_work() -> Iterator[Any]:
    """One transaction for a plugin's own writes: commit when the block ends, roll back
    everything when it raises (the error goes on to the caller).

    Engine transitions (``onewindow.engine.accept`` …) run and commit a transaction of
    their own: a plugin calls them, it does not wrap them.
    """
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
