"""Scheduler jobs of e-supervision (``register_jobs``). Each runs inside an app context
(``onewindow.scheduling.runner.run_job``) and is idempotent: a restart or a double run
raises no card twice (partial unique index + ``ON CONFLICT DO NOTHING``), applies no
consent twice (the engine's own check) and stores no monthly report twice (``period``
is unique)."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select

from onewindow import Case, CaseState, CaseStep, StepState, clock, db

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
        counts = scan(conn, clock.today(), clock.now(), calendar, default_warn=int(settings()["warning_days"]), full=full)
    log.info("deadline scan: %s", counts)
    return counts


def full_deadline_scan() -> dict[str, int]:
    """Nightly safety net: check every open subject, whatever the incremental scans saw."""
    return deadline_scan(full=True)


def silence_consent() -> int:
    """超时默认 [002 §二(四)2]: parallel steps silent past their deadline count as consent.
    The engine decides and records it; this job only finds the cases (one indexed query)."""
    from onewindow import engine

    ids = db.session.execute(
        select(CaseStep.case_id).join(Case, Case.id == CaseStep.case_id).where(
            Case.state == CaseState.in_review, CaseStep.state == StepState.active,
            CaseStep.silence_consents.is_(True), CaseStep.due_date < clock.today(),
        ).distinct()
    ).scalars().all()
    return _apply_each(ids, engine.apply_silence_consent, "silence consent")


def deemed_acceptance() -> int:
    """视为受理 (行政许可法 §32): submitted applications that got no correction notice within
    the item's limit become accepted as of their receipt date. The engine's
    ``deem_accepted`` decides and records it; accepted cases are no longer selected, so a
    second run changes nothing."""
    from onewindow import SYSTEM, Item, engine, get_calendar
    from onewindow_supervision.scan import deemed_bounds, deemed_due

    bounds = deemed_bounds(db.session, clock.today(), get_calendar())
    ids = db.session.execute(
        select(Case.id).join(Item, Item.id == Case.item_id).where(*deemed_due(bounds)).order_by(Case.id)
    ).scalars().all()
    return _apply_each(ids, lambda case: engine.deem_accepted(case, SYSTEM), "deemed acceptance")


def _apply_each(case_ids, apply, what: str) -> int:
    """Apply an engine transition to each case in its own transaction."""
    changed = 0
    for case_id in case_ids:
        case = db.session.get(Case, case_id)
        try:
            changed += bool(apply(case))
        except Exception:  # one broken case must not stop the others; it is retried next run
            log.exception("%s failed for case %s", what, case_id)
            db.session.rollback()
    return changed


def monthly_report(today: dt.date | None = None) -> str | None:
    """Store last month's report once (月度监察报告); a second run finds it and stops."""
    from onewindow_supervision.report import store_monthly_report

    today = today or clock.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return store_monthly_report(last_month)
