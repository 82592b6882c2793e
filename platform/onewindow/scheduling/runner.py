"""The ``onewindow scheduler`` process: leader election, then APScheduler 3.

Jobs live in a persistent ``SQLAlchemyJobStore`` (table ``apscheduler_jobs``, kept
out of the migrations by ``onewindow.migrate.FOREIGN_TABLES``) on the app's own
database, so a restarted or newly elected scheduler continues the same schedule.
Stored jobs point at :func:`run_job` with the plugin's ``"module:function"`` as
argument: that import path is all a process needs to rebuild the job, and every run
happens inside an application context of the process's app.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask

from onewindow.scheduling.leader import Leadership
from onewindow.scheduling.registry import JobSpec, collect_jobs, resolve

log = logging.getLogger("onewindow.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
RUN_JOB = "onewindow.scheduling.runner:run_job"

#: The application of this scheduler process (one per process; set by ``serve``/``run_once``).
_app: Flask | None = None
#: Its leadership while ``serve`` runs: a job starts only while the lease still holds.
_leadership: Leadership | None = None


def run_job(ref: str) -> Any:
    """Run one job inside an application context; the session is cleaned up afterwards."""
    from onewindow.app import db

    if _app is None:
        raise RuntimeError("run_job called outside a scheduler process (no application bound)")
    if _leadership is not None and not _leadership.is_postgres and not _leadership.still_held():
        # a leader whose lease lapsed (stalled, database unreachable) must not run what its
        # successor runs; the advisory lock of PostgreSQL cannot lapse while its session lives
        log.warning("scheduled job %s skipped: this scheduler no longer leads", ref)
        return None
    with _app.app_context():
        try:
            return resolve(ref)()
        except Exception:
            db.session.rollback()
            log.exception("scheduled job %s failed", ref)
            raise
        finally:
            db.session.remove()


def bind(app: Flask) -> list[JobSpec]:
    global _app
    _app = app
    with app.app_context():  # plugins may read their configuration while registering
        return collect_jobs(app.extensions["onewindow"].plugins)


def run_once(app: Flask) -> list[tuple[str, str]]:
    """Run every registered job once, in registration order (``--once``; tests, cron)."""
    results = []
    for spec in bind(app):
        try:
            run_job(spec.ref)
            results.append((spec.id, "ok"))
        except Exception as exc:  # report every job, then fail the command
            results.append((spec.id, f"failed: {type(exc).__name__}: {exc}"))
    return results


def build_scheduler(app: Flask):
    """A paused BackgroundScheduler on the persistent job store, jobs synchronised."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from onewindow.app import db

    specs = bind(app)
    with app.app_context():
        engine = db.engine
    zone = app.extensions["onewindow"].settings.get("TIMEZONE") or "Asia/Shanghai"  # the one clock
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    _create_store_table(store, engine)
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=zone,
    )
    scheduler.start(paused=True)
    sync_jobs(scheduler, specs, zone)
    return scheduler


def _create_store_table(store, engine) -> None:
    """Create the job store's table unless it exists. Two schedulers may both check and
    then both create (a leader whose lease lapsed while its successor starts): the one
    that loses the race finds the table there, which is all it needed."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        store.jobs_t.create(engine, checkfirst=True)
    except (OperationalError, ProgrammingError):
        if not inspect(engine).has_table(JOBSTORE_TABLE):
            raise


def sync_jobs(scheduler, specs: list[JobSpec], zone: str = "Asia/Shanghai") -> None:
    """Make the store hold exactly the registered jobs, keeping persisted run times."""
    wanted = {s.id: s for s in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:  # its plugin was removed or disabled
            log.info("removing job %s (no longer registered)", job.id)
            job.remove()
    for spec in specs:
        trigger = _trigger(spec, zone)
        existing = scheduler.get_job(spec.id)
        if existing is not None and str(existing.trigger) == str(trigger) and tuple(existing.args) == (spec.ref,):
            continue  # unchanged: keep its next run time across restarts
        scheduler.add_job(RUN_JOB, trigger=trigger, args=[spec.ref], id=spec.id, name=spec.id, replace_existing=True)


def _trigger(spec: JobSpec, zone: str = "Asia/Shanghai"):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    cls = {"interval": IntervalTrigger, "cron": CronTrigger, "date": DateTrigger}[spec.trigger]
    return cls(timezone=zone, **spec.trigger_args)


def serve(
    app: Flask, standby_poll: float = 15.0, check_every: float = 5.0, stop: threading.Event | None = None
) -> None:
    """Stand by until elected, run the scheduler while the lock holds, stand by again if it is lost.

    From the moment it is elected, a leader renews its lease from a thread of its own
    (:func:`_keep_lease`): building the scheduler (imports, the job store's table, the
    jobs' synchronisation) can take longer than a lease on a loaded machine, and a lease
    renewed only once the scheduler runs would lapse meanwhile and elect a second leader."""
    stop = stop or threading.Event()
    lease = float(app.extensions["onewindow"].settings["SCHEDULER_LEASE_SECONDS"])
    leadership = Leadership(app.config["SQLALCHEMY_DATABASE_URI"], lease_seconds=lease)
    # a leader renews its lease well before it lapses, however long it was told to wait
    check_every = min(check_every, lease / 3)
    global _leadership
    _leadership = leadership
    try:
        while not stop.is_set():
            if not leadership.wait(standby_poll, stop):
                break
            lost, ended = threading.Event(), threading.Event()
            keeper = threading.Thread(
                target=_keep_lease, args=(leadership, check_every, lost, ended), name="scheduler-lease", daemon=True
            )
            keeper.start()
            try:
                scheduler = build_scheduler(app)
                try:
                    if not lost.is_set():
                        scheduler.resume()
                        log.info("scheduler running %d job(s)", len(scheduler.get_jobs()))
                    while not stop.is_set() and not lost.wait(check_every):
                        pass
                finally:
                    scheduler.shutdown(wait=True)
            finally:
                ended.set()
                keeper.join()
            if not lost.is_set():
                break  # stopped
    finally:
        _leadership = None
        leadership.dispose()


def _keep_lease(leadership: Leadership, every: float, lost: threading.Event, ended: threading.Event) -> None:
    """Renew the leadership every ``every`` seconds until the term ends; set ``lost`` when it lapses."""
    while not ended.wait(every):
        if not leadership.still_held():
            lost.set()
            return
