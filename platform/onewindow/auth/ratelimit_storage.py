"""A Flask-Limiter storage in the platform's own database (``RATE_LIMIT_STORAGE_URL = "database"``).

For deployments with several processes or servers and no Redis: every process counts in
the table ``ow_rate_limit`` (one row per limit key), with one atomic upsert per hit
(SQLite ≥ 3.35 and PostgreSQL both have ``INSERT … ON CONFLICT … RETURNING``). It
supports Flask-Limiter's default fixed-window strategy. The engine is opened lazily in
each process (never shared across a fork).
"""

from __future__ import annotations

import os
import time

from flask_appbuilder import Model
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

SCHEME = "onewindow-database"

_INCR = text(
    "INSERT INTO ow_rate_limit (key, count, expires_at) VALUES (:key, :amount, :expires) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN ow_rate_limit.expires_at <= :now THEN :amount ELSE ow_rate_limit.count + :amount END, "
    "expires_at = CASE WHEN ow_rate_limit.expires_at <= :now THEN :expires ELSE ow_rate_limit.expires_at END "
    "RETURNING count"
)


class RateLimitCounter(Model):
    """One Flask-Limiter counter: hits of ``key`` in the window ending at ``expires_at`` (epoch)."""

    __tablename__ = "ow_rate_limit"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False)


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, database_url: str = "", **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if not database_url:
            raise ValueError(f"{SCHEME}:// needs the database_url storage option")
        self.database_url = database_url
        self._engine = None
        self._pid = None

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @property
    def engine(self):
        if self._engine is None or self._pid != os.getpid():
            options = {"connect_args": {"timeout": 30}} if self.database_url.startswith("sqlite") else {}
            self._engine = create_engine(self.database_url, pool_pre_ping=True, **options)
            self._pid = os.getpid()
        return self._engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            return int(
                conn.execute(_INCR, {"key": key, "amount": amount, "now": now, "expires": now + expiry}).scalar_one()
            )

    def _row(self, key: str):
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT count, expires_at FROM ow_rate_limit WHERE key = :key"), {"key": key}
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM ow_rate_limit")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM ow_rate_limit WHERE key = :key"), {"key": key})
