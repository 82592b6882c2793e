"""Scheduler jobs of e-supervision (``register_jobs``). Each runs inside an app context
(``onewindow.scheduling.runner.run_job``) and is idempotent: a restart or a double run
raises no card twice (partial unique index + ``ON CONFLICT DO NOTHING``) and stores no
monthly report twice (``period`` is unique). Silence consent and deemed acceptance are
the core's jobs (``onewindow.cases.legal_clock``): they run with this plugin disabled too."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app

from onewindow import clock, db

log = logging.getLogger("onewindow.supervision")


def settings() -> dict:
    return current_app.extensions["onewindow"].plugin_config("supervision")


def deadline_scan(full: bool = False) -> dict[str, int]:
    """Yellow/red cards for case, step, pre-review, deferred-supply, deemed-acceptance
    and rectification deadlines, in one transaction (incremental unless ``full``)."""
    from onewindow import get_calendar
    from onewindow_supervision.scan import scan

    calendar = get_calendar()
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # Take the write lock first: a deferred SQLite transaction that reads and then
            # writes fails at once (not after busy_timeout) when another scan committed meanwhile.
            conn.exec_driver_sql("UPDATE supervision_card SET id = id WHERE 0")
        counts = scan(
            conn, clock.today(), clock.now(), calendar, default_warn=int(settings()["warning_days"]), full=full
        )
    log.info("deadline scan: %s", counts)
    return counts


def full_deadline_scan() -> dict[str, int]:
    """Nightly safety net: check every open subject, whatever the incremental scans saw."""
    return deadline_scan(full=True)


def monthly_report(today: dt.date | None = None) -> str | None:
    """Store last month's report once (月度监察报告); a second run finds it and stops."""
    from onewindow_supervision.report import store_monthly_report

    today = today or clock.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return store_monthly_report(last_month)
