"""The single scheduler: jobs from every plugin, a persistent job store, one leader per database."""

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, inspect, text

from onewindow.environ import getenv
from onewindow.errors import DuplicateRegistration
from onewindow.scheduling import runner
from onewindow.scheduling.leader import Leadership
from onewindow.scheduling.registry import collect_jobs


def test_jobs_of_every_plugin_are_collected(app):
    ids = [s.id for s in collect_jobs(app.extensions["onewindow"].plugins)]
    assert "supervision.deadline_scan" in ids and "licences.expire" in ids


def test_a_job_id_registered_twice_stops_startup_naming_both(make_app, throwaway_plugin):
    plugin = throwaway_plugin(
        """
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_jobs(register):
            register("supervision.deadline_scan", "onewindow_supervision.jobs:deadline_scan", minutes=1)
    """,
        key="dupjob",
    )
    app = make_app(plugins=[("dupjob", plugin)], sync=False)
    with pytest.raises(DuplicateRegistration, match="supervision.deadline_scan.*plugin 'supervision'.*plugin 'dupjob'"):
        collect_jobs(app.extensions["onewindow"].plugins)


def test_job_store_persists_the_schedule_across_restarts(app):
    scheduler = runner.build_scheduler(app)
    try:
        first = {j.id: j.next_run_time for j in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    with app.app_context():
        from onewindow.app import db

        assert "apscheduler_jobs" in inspect(db.engine).get_table_names()
    again = runner.build_scheduler(app)
    try:
        assert {j.id: j.next_run_time for j in again.get_jobs()} == first  # kept, not reset
    finally:
        again.shutdown(wait=False)


def test_run_once_runs_every_job_inside_an_app_context(app):
    results = dict(runner.run_once(app))
    assert results["supervision.deadline_scan"] == "ok" and results["supervision.monthly_report"] == "ok"


def test_only_one_leader_and_a_standby_takes_over(ow_database, tmp_path):
    first, second = Leadership(ow_database), Leadership(ow_database)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        took_over = []
        standby = threading.Thread(target=lambda: took_over.append(second.wait(poll=0.1, timeout=10)))
        standby.start()
        time.sleep(0.5)
        assert not took_over  # still standing by while the leader lives
        first.release()  # the leader dies (its session or process ends)
        standby.join(timeout=10)
        assert took_over == [True] and second.held and not first.try_acquire()
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.skipif(not getenv("TEST_DATABASE_URL"), reason="PostgreSQL advisory lock")
def test_killed_leader_process_releases_the_postgresql_lock(ow_database, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from onewindow.scheduling.leader import Leadership; "
                f"l = Leadership({ow_database!r}); print(l.try_acquire(), flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "True"
        standby = Leadership(ow_database)
        assert not standby.try_acquire()
        holder.kill()
        holder.wait(timeout=10)
        assert standby.wait(poll=0.1, timeout=10)
        with create_engine(ow_database).connect() as conn:  # the lock is visible server-side
            assert conn.execute(text("select count(*) from pg_locks where locktype = 'advisory'")).scalar() >= 1
        standby.dispose()
    finally:
        holder.kill()


def test_scheduler_command_once_raises_cards_without_anyone_opening_a_page(
    ow_database, tmp_path, app, make_item, actor
):
    import datetime as dt

    from onewindow.app import db
    from onewindow.cases import engine
    from onewindow.cases.clock import today, travel_to
    from onewindow.cases.models import ApplicantType, MaterialStatus
    from onewindow.models.items import Item

    with app.app_context():  # a case accepted a month ago with a 5-day limit: overdue now
        item = db.session.get(Item, make_item(promised=5))
        with travel_to(today() - dt.timedelta(days=30)):
            engine.accept(
                engine.Application(item, ApplicantType.person, "张三", "440304200002291236"),
                actor("acceptor"),
                {m.id: MaterialStatus.submitted for m in item.materials},
            )
        db.session.remove()
    env = {**os.environ, "ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")}
    result = subprocess.run(
        [sys.executable, "-m", "onewindow.scheduling", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "supervision.deadline_scan: ok" in result.stdout and "licences.expire: ok" in result.stdout
    with create_engine(ow_database).connect() as conn:
        levels = conn.execute(text("select rule, level from supervision_card where cleared_at is null")).all()
    assert sorted(levels) == [("case_due", "red"), ("step_due", "red")]


def test_the_legal_clock_runs_with_the_supervision_plugin_disabled(app, make_app, make_item, actor):
    """超时默认 and 视为受理 are the law's, not supervision's: the core registers both jobs, and
    with e-supervision switched off they still accept an application nobody answered in time."""
    import datetime as dt
    from importlib import import_module

    from onewindow.app import db
    from onewindow.cases import engine
    from onewindow.cases.clock import travel_to
    from onewindow.cases.models import ApplicantType, Case, CaseState, Channel
    from onewindow.models.items import Item

    item_id = make_item(correction_limit=3)
    with app.app_context():
        application = engine.Application(
            item=db.session.get(Item, item_id),
            applicant_type=ApplicantType.person,
            applicant_name="张三",
            applicant_id="440304200002291236",
            channel=Channel.online,
        )
        with travel_to(dt.date(2026, 11, 23)):
            case_id = engine.submit(application, actor("acceptor")).id
    bare = make_app(config={"PLUGINS_DISABLED": ["supervision"]}, sync=False)
    with bare.app_context():
        jobs = {s.id: s.ref for s in collect_jobs(bare.extensions["onewindow"].plugins)}
        assert not any(job.startswith("supervision.") for job in jobs)
        assert {"core.silence_consent", "core.deemed_acceptance"} <= set(jobs)
        module, _, function = jobs["core.deemed_acceptance"].partition(":")
        with travel_to(dt.date(2026, 11, 27)):  # the 3-working-day limit ended on Thursday the 26th
            assert getattr(import_module(module), function)() == 1
        case = db.session.get(Case, case_id)
        assert case.state == CaseState.in_review and case.accepted_on == dt.date(2026, 11, 23)
