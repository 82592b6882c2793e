"""``onewindow archive``: export, verify and retention of the e-archive packages (电子归档)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click


@click.group("archive")
def archive_group():
    """E-archive packages of closed cases (电子归档) and the retention of their files."""


@archive_group.command("export")
@click.argument("number", required=False)
@click.option("--closed-since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Every case closed on or after DATE.")
@click.option(
    "--out",
    "folder",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the packages are written to (<case number>.zip).",
)
def export(number: str | None, closed_since: dt.datetime | None, folder: Path):
    """Write the archive package of case NUMBER, or of every case closed since a date (archived first if needed)."""
    from onewindow.app import db
    from onewindow.cases.archive import ArchiveError, archive_many
    from onewindow.cases.archive import export as export_case
    from onewindow.cases.core import load_case
    from onewindow.cases.errors import CaseNotFound
    from onewindow.cases.models import FINAL_STATES, Case, CaseArchive
    from onewindow.cli import current_app_context

    if bool(number) == bool(closed_since):
        raise click.UsageError("give either a case NUMBER or --closed-since DATE (YYYY-MM-DD)")
    with current_app_context():
        try:
            if number:
                cases = [load_case(number)]
            else:
                cases = (
                    db.session.query(Case)
                    .filter(Case.state.in_(list(FINAL_STATES)), Case.closed_at >= closed_since)
                    .order_by(Case.closed_at, Case.id)
                    .all()
                )
            # package the closed ones that have none yet together (their notices in batches)
            archived = {
                cid
                for (cid,) in db.session.query(CaseArchive.case_id).filter(
                    CaseArchive.case_id.in_([c.id for c in cases])
                )
            }
            archive_many([c for c in cases if c.id not in archived and c.state in FINAL_STATES])
            for case in cases:
                click.echo(str(export_case(case, folder)))
        except (ArchiveError, CaseNotFound) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(cases)} archive package(s) to {folder}")


@archive_group.command("verify")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", default=None, help="The centre's SM2 public key (hex) the package must be signed with.")
def verify(package: Path, public_key: str | None):
    """Check one archive package offline: signature, manifest, every file and notice, the event chain."""
    from onewindow.cases.archive import verify_package

    report = verify_package(package, public_key)
    for problem in report.problems:
        click.echo(problem)
    click.echo(
        f"{package}: case {report.number or '?'}, {report.files} file(s), {report.notices} notice(s), "
        f"{report.events} event(s), signed by key {report.fingerprint or '?'}: "
        + ("OK" if not report.problems else f"{len(report.problems)} problem(s)")
    )
    if report.problems:
        raise SystemExit(1)


@archive_group.command("run")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1), help="At most this many cases.")
def run(limit: int):
    """Archive the closed cases that have no package yet (what the scheduler's job does)."""
    from onewindow.cases.archive import archive_closed
    from onewindow.cli import current_app_context

    problems: list[str] = []
    with current_app_context():
        made = archive_closed(limit, problems=problems)
    for problem in problems:
        click.echo(problem)
    click.echo(f"archived {len(made)} case(s)" + (f"; {len(problems)} could not be packaged" if problems else ""))
    if problems:
        raise SystemExit(1)


@archive_group.command("retention")
@click.option("--apply", is_flag=True, help="Purge the listed files (the archive packages stay).")
def retention(apply: bool):
    """List the closed cases whose files are past retention; with --apply, purge those files."""
    from onewindow.cases.retention import expired, purge
    from onewindow.cli import current_app_context

    with current_app_context():
        due = expired()
        purged = skipped = 0
        for entry in due:
            click.echo(str(entry))
            if apply and entry.archive is not None:
                purge(entry)
                purged += len(entry.files)
            elif entry.archive is None:
                skipped += 1
    verb = f"purged {purged} file(s)" if apply else "nothing purged (dry run: add --apply)"
    click.echo(
        f"{len(due)} case(s) past retention; {verb}" + (f"; {skipped} without a package kept" if skipped else "")
    )
