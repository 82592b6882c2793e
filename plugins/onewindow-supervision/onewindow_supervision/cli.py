"""``onewindow supervision …``: run the supervision jobs by hand (operators, cron, debugging)."""

from __future__ import annotations

import datetime as dt

import click
from flask_babel import gettext


@click.group("supervision")
def supervision_cli() -> None:
    """E-supervision (电子监察): deadline scan and monthly report."""


@supervision_cli.command("scan")
def scan_command() -> None:
    """Run the deadline scan once and print the cards raised and cleared."""
    from onewindow import current_app_context
    from onewindow_supervision.jobs import deadline_scan

    with current_app_context():
        counts = deadline_scan()
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@supervision_cli.command("report")
@click.option("--month", required=True, help="Month as YYYY-MM.")
def report_command(month: str) -> None:
    """Generate and store the monthly report of MONTH (does nothing if it exists)."""
    from onewindow import ValidationError, current_app_context
    from onewindow_supervision.report import store_monthly_report

    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise ValidationError(gettext("--month %(month)s is not YYYY-MM, e.g. 2026-11", month=month)) from None
    with current_app_context():
        period = store_monthly_report(first)
    click.echo(f"report {period} stored" if period else f"report {month} exists already")
