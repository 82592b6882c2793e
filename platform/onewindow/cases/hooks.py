"""Hook implementations of the case engine (registered by app.CORE_PARTS as "core.cases")."""

from __future__ import annotations

import click

from onewindow.cases import checkpoints, models  # noqa: F401  (the case tables on the core metadata)
from onewindow.plugins import can, hookimpl, menu, read


@hookimpl
def calendar_changed(years):
    from onewindow.cases.clockops import recompute_open_cases

    recompute_open_cases(years)


@hookimpl
def register_jobs(register):
    """超时默认 and 视为受理 are rules of law: the core runs them, whatever plugins are on."""
    from flask import current_app, has_app_context

    from onewindow.config import DEFAULTS

    key = "LEGAL_CLOCK_INTERVAL_MINUTES"
    minutes = int(current_app.extensions["onewindow"].settings[key] if has_app_context() else DEFAULTS[key])
    register("core.silence_consent", "onewindow.cases.legal_clock:silence_consent", trigger="interval", minutes=minutes)
    register(
        "core.deemed_acceptance", "onewindow.cases.legal_clock:deemed_acceptance", trigger="interval", minutes=minutes
    )
    # the nightly signed checkpoint of every case's chain head (docs/operator/audit.md)
    register("audit.checkpoint", "onewindow.cases.checkpoints:checkpoint_job", trigger="cron", hour=2, minute=30)
    # e-archive packages of the cases closed since the last run (docs/archive.md)
    register("archive.package", "onewindow.cases.archive:archive_job", trigger="interval", minutes=30)


@hookimpl
def register_commands(register):
    @click.group("audit")
    def audit():
        """Check the integrity of case records."""

    @audit.command("verify")
    @click.option(
        "--checkpoints",
        "last",
        default=1,
        show_default=True,
        type=click.IntRange(min=0),
        help="How many of the latest signed checkpoints to check (0: all).",
    )
    def verify(last: int):
        """Verify every case's event hash chain and the latest signed checkpoints; name each problem."""
        from onewindow.app import db
        from onewindow.cases.audit import verify_all
        from onewindow.cases.checkpoints import verify_checkpoints
        from onewindow.cases.materialfiles import verify_files
        from onewindow.cli import current_app_context
        from onewindow.storage import storage

        with current_app_context():
            checked, broken = verify_all()
            signed, problems = verify_checkpoints(db.session, last)
            files, changed = verify_files(db.session, storage())
        for line in [*broken, *changed, *problems]:
            click.echo(str(line))
        click.echo(f"checked {checked} case(s): {'OK' if not broken else f'{len(broken)} broken link(s)'}")
        click.echo(f"checked {files} stored file(s): {'OK' if not changed else f'{len(changed)} problem(s)'}")
        click.echo(
            f"checked {signed} signed checkpoint(s): {'OK' if not problems else f'{len(problems)} problem(s)'}"
            if signed
            else "no signed checkpoint yet: run `onewindow audit checkpoint` (the scheduler does daily)"
        )
        if broken or problems or changed:
            raise SystemExit(1)

    @audit.command("checkpoint")
    def checkpoint():
        """Sign the chain heads of every case (Merkle root, SM2) with the key outside the database."""
        from onewindow.app import db
        from onewindow.cases.checkpoints import checkpoint_key, take_checkpoint
        from onewindow.cli import current_app_context

        with current_app_context():
            key = checkpoint_key(db.session)
            taken = take_checkpoint(db.session, key)
            db.session.commit()
            click.echo(
                f"checkpoint #{taken.id}: {taken.case_count} case(s), root {taken.root}, "
                f"signed by key {taken.key_fingerprint} ({key.path})"
            )

    @audit.command("export-checkpoints")
    @click.argument("file", type=click.Path(dir_okay=False, writable=True))
    def export(file: str):
        """Write every signed checkpoint and the public key to FILE (JSON) for an external notary."""
        import json

        from onewindow.app import db
        from onewindow.cases.checkpoints import export_checkpoints
        from onewindow.cli import current_app_context

        with current_app_context():
            exported = export_checkpoints(db.session)
        with open(file, "w", encoding="utf-8") as fh:
            json.dump(exported, fh, ensure_ascii=False, indent=1)
        click.echo(f"wrote {len(exported['checkpoints'])} checkpoint(s) to {file}")

    register(audit)

    @click.group("storage")
    def storage_group():
        """The file store of case materials."""

    @storage_group.command("sweep")
    @click.option("--dry-run", is_flag=True, help="Only list the orphans.")
    @click.option(
        "--min-age",
        default=None,
        type=click.IntRange(min=0),
        help="Spare files younger than this many minutes (default: SWEEP_MIN_AGE_MINUTES).",
    )
    def sweep(dry_run: bool, min_age: int | None):
        """Remove stored files no case refers to (left by a transition that failed mid-way)."""
        from onewindow.app import db
        from onewindow.cases.materialfiles import sweep as sweep_orphans
        from onewindow.cli import current_app_context
        from onewindow.storage import storage

        with current_app_context():
            orphans = sweep_orphans(db.session, storage(), apply=not dry_run, min_age_minutes=min_age)
        for key in orphans:
            click.echo(key)
        click.echo(f"{len(orphans)} orphan file(s) {'found' if dry_run else 'removed'}")

    register(storage_group)

    from onewindow.cases.archive_cli import archive_group

    register(archive_group)


@hookimpl
def register_views(register):
    from flask_babel import lazy_gettext as _l

    from onewindow.cases.views import CaseView, InboxView, OutputView, WorkbenchView

    cat = {"category": "Cases", "category_label": _l("Cases"), "icon": "fa-folder-open"}
    register(WorkbenchView, name="Acceptance workbench", label=_l("Acceptance workbench"), **cat)
    register(InboxView, name="Department inbox", label=_l("Department inbox"), **cat)
    register(OutputView, name="Output window", label=_l("Output window"), **cat)
    register(CaseView, name="Case search", label=_l("Case search"), **cat)


@hookimpl
def register_permissions(register):
    cases = read("CaseView") + can("CaseView", "act") + menu("Cases", "Case search")
    workbench = can("WorkbenchView", "index", "new", "existing") + menu("Acceptance workbench")
    inbox = can("InboxView", "index") + menu("Department inbox")
    output = can("OutputView", "index") + menu("Output window")
    register("acceptor", cases + workbench)
    register("approver", cases + inbox)
    register("chief_rep", cases + inbox + workbench)
    register("seal_admin", cases)
    register("output_clerk", cases + output)
    register("supervisor", cases)
