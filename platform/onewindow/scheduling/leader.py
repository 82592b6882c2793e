"""Exactly one scheduler, however many processes start one (STACK: APScheduler 3).

Every process that starts an APScheduler runs every job, so scheduler candidates
elect a leader first:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a
  dedicated connection. The server drops it the moment the leader's session ends —
  process killed, machine gone, connection cut — and a standby polling the lock
  takes over within one poll interval.
- Any other database (SQLite: one machine by construction): an exclusive ``flock``
  on ``<instance>/scheduler.lock``, which the kernel releases when the process dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import zlib
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("onewindow.scheduler")

#: The advisory lock key: a fixed number derived from a name, so that any OneWindow
#: process on the same database agrees on it (and it never collides with a small int).
LOCK_KEY = zlib.crc32(b"onewindow.scheduler") + (1 << 32)


class Leadership:
    """One candidate for scheduler leadership."""

    def __init__(self, url: str, lock_dir: str | Path, key: int = LOCK_KEY):
        self.url = url
        self.key = key
        self.lock_path = Path(lock_dir) / "scheduler.lock"
        self.is_postgres = url.startswith("postgresql")
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never blocks."""
        if self.held:
            return True
        if self.is_postgres:
            return self._try_pg()
        return self._try_file()

    def _try_pg(self) -> bool:
        if self._engine is None:
            # Own engine without pooling: the lock lives exactly as long as this connection.
            self._engine = create_engine(self.url, poolclass=_null_pool(), isolation_level="AUTOCOMMIT")
        conn = self._engine.connect()
        try:
            got = bool(conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except Exception:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _try_file(self) -> bool:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        """A leader checks this between jobs: a lost connection means a standby may lead now."""
        if self._fd is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("select 1"))
            return True
        except Exception:  # the session is gone, and with it the advisory lock
            log.warning("scheduler lost its database session; giving up leadership")
            self._drop_pg()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("select pg_advisory_unlock(:k)"), {"k": self.key})
            except Exception:  # already gone: the server released it with the session
                pass
            self._drop_pg()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _drop_pg(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:
            pass
        self._conn = None

    def dispose(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def wait(self, poll: float, stop: threading.Event | None = None, timeout: float | None = None) -> bool:
        """Standby loop: retry every ``poll`` seconds until leader, stopped or timed out."""
        stop = stop or threading.Event()
        deadline = None if timeout is None else time.monotonic() + timeout
        announced = False
        while not stop.is_set():
            try:
                if self.try_acquire():
                    log.info("scheduler leadership acquired (pid %s)", os.getpid())
                    return True
            except Exception as exc:  # database restarting: keep trying, as a standby should
                log.warning("scheduler leader election failed: %s", exc)
            if not announced:
                log.info("another scheduler leads; standing by (poll every %ss)", poll)
                announced = True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            stop.wait(poll)
        return False


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool
