"""The scheduler leader's lease (SQLite; PostgreSQL uses an advisory lock instead)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column


class SchedulerLease(Model):
    """One row per leadership (``name``): who holds it and until when, unless renewed."""

    __tablename__ = "ow_scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200), nullable=False)
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
