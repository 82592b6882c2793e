"""Hook implementations of the scheduling core part (registered by app.CORE_PARTS).

Adds ``onewindow scheduler``: the one process that runs the jobs every plugin
registers through ``register_jobs`` (STACK: run ONE scheduler, never one per web worker).
"""

from __future__ import annotations

import logging
import signal
import threading

import click

from onewindow.plugins import hookimpl
from onewindow.scheduling import models  # noqa: F401  (the lease table, for the schema check)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every registered job once, then exit.")
@click.option(
    "--standby-poll",
    default=15.0,
    show_default=True,
    type=float,
    help="Seconds between leadership attempts while another scheduler leads.",
)
@click.option("--list", "list_jobs", is_flag=True, help="List the registered jobs and exit.")
def scheduler_command(once: bool, standby_poll: float, list_jobs: bool) -> None:
    """Run the job scheduler (exactly one leader per database; others stand by)."""
    from onewindow.cli import current_app_context
    from onewindow.errors import StartupError
    from onewindow.scheduling import runner
    from onewindow.scheduling.registry import collect_jobs

    with current_app_context() as app:
        if list_jobs:
            for spec in collect_jobs(app.extensions["onewindow"].plugins):
                args = ", ".join(f"{k}={v}" for k, v in spec.trigger_args.items())
                click.echo(f"{spec.id}  {spec.ref}  {spec.trigger}({args})  [{spec.source}]")
            return
        if once:
            results = runner.run_once(app)
            for job_id, outcome in results:
                click.echo(f"{job_id}: {outcome}")
            failed = [j for j, o in results if o != "ok"]
            if failed:
                raise StartupError(f"{len(failed)} job(s) failed: {', '.join(failed)}; see the messages above")
            return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"onewindow scheduler: electing a leader (standby poll {standby_poll}s; Ctrl+C to stop)")
    runner.serve(app, standby_poll=standby_poll, stop=stop)


@hookimpl
def register_commands(register):
    register(scheduler_command)
