"""``onewindow pack …``: validate, diff, install, uninstall, export-xlsx, import-xlsx."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask_babel import gettext

from onewindow.errors import ValidationError


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


def _load(path: str):
    from onewindow.catalogue.packs import load_pack

    return load_pack(Path(path), display=path.rstrip("/"))


@click.group("pack")
def pack() -> None:
    """Item packs (事项包): validate, install, upgrade and inspect the catalogue."""


@pack.command("validate")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def validate_cmd(path: str) -> None:
    """Check a pack and list every problem (file, item, field, how to fix).

    Against the installed organisation when the database is initialised; on its own (what it
    references must be in the pack) when there is no database yet, e.g. before `onewindow init`.
    """
    from onewindow.app import db
    from onewindow.catalogue.install import check
    from onewindow.cli import State, current_app_context
    from onewindow.errors import StartupError

    state = click.get_current_context().find_object(State)
    problem = state.schema_problem()
    if problem and problem.kind != "uninitialised":
        raise StartupError(problem.message)
    with current_app_context(database=False) as app:
        loaded = _load(path)
        report = check(loaded, app, None if problem else db.session)
        db.session.rollback()
    if problem:
        click.echo(
            "note: no database is initialised yet, so the pack was checked on its own "
            "(run `onewindow init` to check it against the installed organisation)"
        )
    if not report.ok:
        for line in report.lines():
            click.echo(line)
        raise ValidationError(
            gettext(
                "%(count)s problem(s) in %(path)s; fix them and validate again",
                count=len(report),
                path=path,
            )
        )
    click.echo(f"{path}: pack {loaded.key} {loaded.version} is valid ({len(loaded.items)} items)")


@pack.command("diff")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def diff_cmd(path: str) -> None:
    """Show what installing or upgrading to this pack would change."""
    from onewindow.app import db
    from onewindow.catalogue.install import PackRefused, check, plan
    from onewindow.cli import current_app_context

    with current_app_context() as app:
        loaded = _load(path)
        try:
            report = check(loaded, app, db.session)
            if not report.ok:
                raise PackRefused(report)
            for line in plan(loaded, db.session).lines(loaded):
                click.echo(line)
        finally:
            db.session.rollback()


@pack.command("install")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def install_cmd(path: str) -> None:
    """Install or upgrade a pack, all-or-nothing (the same version again changes nothing)."""
    from onewindow.app import db
    from onewindow.catalogue.install import install
    from onewindow.cli import current_app_context

    with current_app_context() as app:
        loaded = _load(path)
        stderr = click.get_text_stream("stderr")  # type: ignore[operator]  # click's stubs: "object"
        with click.progressbar(length=max(len(loaded.items), 1), label="installing items", file=stderr) as bar:
            result = install(loaded, app, db.session, _actor(), progress=bar.update)
    p = result.plan
    if p.mode == "unchanged":
        click.echo(f"{loaded.key} {loaded.version} is installed already; nothing changed")
        return
    org = ", ".join(f"{k} +{v}" for k, v in result.organisation.items())
    click.echo(
        f"{'installed' if p.mode == 'install' else 'upgraded'} {loaded.key} {loaded.version}: "
        f"{len(p.new)} new, {len(p.changed)} changed, {len(p.cancelled)} cancelled, {p.unchanged} unchanged "
        f"item(s); {org}"
    )


@pack.command("uninstall")
@click.argument("key")
def uninstall_cmd(key: str) -> None:
    """Remove an installed pack and its items (refused while cases refer to them)."""
    from onewindow.app import db
    from onewindow.catalogue.install import uninstall
    from onewindow.cli import current_app_context

    with current_app_context():
        result = uninstall(key, db.session, _actor())
    click.echo(f"uninstalled {key}: {result['items_removed']} item version(s) removed; its history is kept")


@pack.command("list")
def list_cmd() -> None:
    """Installed packs with version and item count."""
    from onewindow.app import db
    from onewindow.cli import current_app_context
    from onewindow.models.items import Pack

    with current_app_context():
        rows = db.session.query(Pack).order_by(Pack.key).all()
        if not rows:
            click.echo("no pack installed")
        for row in rows:
            click.echo(f"{row.key}\t{row.version}\t{row.item_count} items\t{row.title}")


@pack.command("export-xlsx")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--pack", "pack_key", default=None, help="Pack key (default: the only installed pack).")
def export_cmd(target: str, pack_key: str | None) -> None:
    """Export the installed catalogue (current item versions) to an .xlsx workbook."""
    from onewindow.app import db
    from onewindow.catalogue.xlsx import export_workbook
    from onewindow.cli import current_app_context

    with current_app_context():
        count = export_workbook(db.session, Path(target), pack_key)
    click.echo(f"wrote {count} item(s) to {target}")


@pack.command("import-xlsx")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write the workbook as a pack folder (YAML) here.",
)
@click.option("--install/--validate-only", default=False, help="Install after validation (default: validate only).")
def import_cmd(source: str, write_dir: str | None, install: bool) -> None:
    """Read items from an .xlsx workbook (as exported), validate them like a pack, optionally install."""
    from onewindow.app import db
    from onewindow.catalogue.install import PackRefused, check
    from onewindow.catalogue.install import install as do_install
    from onewindow.catalogue.xlsx import read_workbook, write_pack_dir
    from onewindow.cli import current_app_context

    with current_app_context() as app:
        loaded = read_workbook(Path(source), db.session)
        report = check(loaded, app, db.session)
        db.session.rollback()
        if not report.ok:
            raise PackRefused(report)
        click.echo(f"{source}: {len(loaded.items)} item(s) of pack {loaded.key} {loaded.version} are valid")
        if write_dir:
            write_pack_dir(loaded, Path(write_dir))
            click.echo(f"wrote pack folder {write_dir}")
        if install:
            result = do_install(loaded, app, db.session, _actor())
            p = result.plan
            click.echo(
                f"{p.mode}: {len(p.new)} new, {len(p.changed)} changed, {len(p.cancelled)} cancelled, "
                f"{p.unchanged} unchanged item(s)"
            )
