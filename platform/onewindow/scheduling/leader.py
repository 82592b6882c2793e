"""Exactly one scheduler, however many processes start one (STACK: APScheduler 3).

Every process that starts an APScheduler runs every job, so scheduler candidates
elect a leader first, in the database they share (never in a file of an instance
folder: two instance folders on one database would both lead):

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a
  dedicated connection. The server drops it the moment the leader's session ends —
  process killed, machine gone, connection cut — and a standby polling the lock
  takes over within one poll interval.
- Any other database (SQLite): a lease row in ``ow_scheduler_lease`` (holder, expiry).
  The leader renews it every few seconds; a standby takes it once it has expired, so
  a killed leader is replaced within the lease time (``SCHEDULER_LEASE_SECONDS``) plus
  one poll.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
import zlib

from sqlalchemy import create_engine, delete, insert, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from onewindow.scheduling.models import SchedulerLease

log = logging.getLogger("onewindow.scheduler")

#: The advisory lock key: a fixed number derived from a name, so that any OneWindow
#: process on the same database agrees on it (and it never collides with a small int).
LOCK_KEY = zlib.crc32(b"onewindow.scheduler") + (1 << 32)
LEASE_NAME = "scheduler"
LEASE = SchedulerLease.__table__


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Leadership:
    """One candidate for scheduler leadership."""

    def __init__(self, url: str, key: int = LOCK_KEY, lease_seconds: float = 30.0):
        self.url = url
        self.key = key
        self.lease_seconds = lease_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.is_postgres = url.startswith("postgresql")
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._leased = False
        # the lease keeper and the jobs' own checks (``runner.run_job``) renew from several threads
        self._lock = threading.RLock()

    @property
    def held(self) -> bool:
        return self._conn is not None or self._leased

    def _get_engine(self) -> Engine:
        if self._engine is None:
            # Own engine without pooling: the PostgreSQL lock lives exactly as long as its connection.
            if self.is_postgres:
                self._engine = create_engine(self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
            else:
                self._engine = create_engine(self.url, poolclass=NullPool, connect_args={"timeout": 30})
        return self._engine

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never blocks."""
        if self.held:
            return True
        if self.is_postgres:
            return self._try_pg()
        return self._try_lease()

    def _try_pg(self) -> bool:
        conn = self._get_engine().connect()
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

    def _try_lease(self) -> bool:
        now = _utcnow()
        until = now + dt.timedelta(seconds=self.lease_seconds)
        with self._get_engine().begin() as conn:
            taken = (
                conn.execute(
                    update(LEASE)
                    .where(
                        LEASE.c.name == LEASE_NAME,
                        (LEASE.c.holder == self.holder) | (LEASE.c.expires_at < now),
                    )
                    .values(holder=self.holder, acquired_at=now, expires_at=until)
                ).rowcount
                == 1
            )
        if not taken:
            try:
                with self._get_engine().begin() as conn:
                    conn.execute(
                        insert(LEASE).values(name=LEASE_NAME, holder=self.holder, acquired_at=now, expires_at=until)
                    )
                taken = True
            except IntegrityError:  # someone holds an unexpired lease
                taken = False
        self._leased = taken
        return taken

    def _renew_lease(self) -> bool:
        until = _utcnow() + dt.timedelta(seconds=self.lease_seconds)
        with self._get_engine().begin() as conn:
            return (
                conn.execute(
                    update(LEASE)
                    .where(LEASE.c.name == LEASE_NAME, LEASE.c.holder == self.holder)
                    .values(expires_at=until)
                ).rowcount
                == 1
            )

    def still_held(self) -> bool:
        """The leader checks this between jobs and renews its lease: a lost connection or an
        expired lease taken by another means a standby may lead now."""
        with self._lock:
            return self._still_held()

    def _still_held(self) -> bool:
        if self._leased:
            try:
                if self._renew_lease():
                    return True
            except Exception as exc:  # the database is unreachable: the lease will lapse
                log.warning("scheduler could not renew its lease: %s", exc)
            log.warning("scheduler lost its lease; giving up leadership")
            self._leased = False
            return False
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
        if self._leased:
            try:
                with self._get_engine().begin() as conn:
                    conn.execute(delete(LEASE).where(LEASE.c.name == LEASE_NAME, LEASE.c.holder == self.holder))
            except Exception:  # unreachable: the lease expires by itself
                pass
            self._leased = False

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
