"""The ``onewindow`` command line. Every command honours ONEWINDOW_DATABASE_URL.

Command names are fixed (operators' scripts rely on them): ``init``, ``serve``,
``user create``, ``plugins``; plugins add theirs through ``register_commands``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import NamedTuple

import click
from alembic.util import CommandError as AlembicCommandError
from sqlalchemy.exc import SQLAlchemyError

from onewindow.errors import OneWindowError, StartupError


class State:
    """Lazily built application shared by the commands of one invocation."""

    def __init__(self, instance: str | None):
        self.instance = instance
        self._app = None
        self._schema: tuple[SchemaProblem | None] | None = None

    @property
    def app(self):
        if self._app is None:
            from onewindow.app import create_app

            self._app = create_app(instance_path=self.instance)
        return self._app

    @property
    def built(self) -> bool:
        return self._app is not None

    def schema_problem(self) -> SchemaProblem | None:
        """Why the database cannot serve commands yet (checked once per invocation), or None."""
        if self._schema is None:
            self._schema = (schema_problem(self.app),)
        return self._schema[0]

    def require_schema(self) -> None:
        """Stop the command with one line when the database is not initialised or not up to date."""
        problem = self.schema_problem()
        if problem:
            raise StartupError(problem.message)


class SchemaProblem(NamedTuple):
    kind: str  # "uninitialised" | "outdated" | "unknown"
    message: str


def schema_problem(app) -> SchemaProblem | None:
    """Compare the migrations applied to the database with those of the loaded core and plugins."""
    from alembic.script import ScriptDirectory

    from onewindow.app import db
    from onewindow.migrate import alembic_config, current_heads

    applied, heads = current_heads(app)
    if applied == heads:
        return None
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
    if not applied:
        return SchemaProblem(
            "uninitialised",
            f"the database {url} is not initialised (no migrations applied); run `onewindow init` first",
        )
    script = ScriptDirectory.from_config(alembic_config(app))
    unknown = sorted(rev for rev in applied if not _known_revision(script, rev))
    if unknown:
        return SchemaProblem(
            "unknown",
            f"the database {url} has migration(s) {', '.join(unknown)} that no loaded "
            "part of OneWindow provides (a plugin that was once active is disabled or "
            "not installed); enable or install it again (see `onewindow plugins`)",
        )
    return SchemaProblem(
        "outdated",
        "the database schema is not up to date "
        f"(applied: {', '.join(sorted(applied))}; expected: {', '.join(sorted(heads))}); "
        "run `onewindow init` first",
    )


def _known_revision(script, revision: str) -> bool:
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except (CommandError, ResolutionError):
        return False


@contextlib.contextmanager
def current_app_context(*, database: bool = True):
    """The application of the running command, inside an app context (for plugin commands).

    First stops the command with one line (``run `onewindow init```) when the database is not
    initialised or not up to date; a command that works without a database passes
    ``database=False``.
    """
    state = click.get_current_context().find_object(State)
    if database:
        state.require_schema()
    with state.app.app_context():
        yield state.app


def _fail(message: str) -> None:
    click.echo(f"onewindow: error: {message}", err=True)
    sys.exit(1)


def _database_failure(ctx: click.Context, exc: Exception) -> str | None:
    """A database or migration error a command did not expect: say what state the schema is in."""
    state = ctx.find_object(State)
    if state is None or not state.built:
        return None
    try:
        problem = state.schema_problem()
    except (OneWindowError, SQLAlchemyError, AlembicCommandError):
        return None
    return problem.message if problem else None


class OneWindowGroup(click.Group):
    """Adds plugin commands; turns platform errors into one clear line and exit code 1."""

    _plugins_loaded = False

    def _load_plugin_commands(self, ctx: click.Context) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from onewindow.app import load_plugins
        from onewindow.config import build
        from onewindow.plugins import Registry

        instance = Path(ctx.params.get("instance") or os.environ.get("ONEWINDOW_INSTANCE") or Path.cwd() / "instance")
        settings, sections = build(instance.resolve())
        host = load_plugins(settings, sections, ())  # the core parts' commands too
        names = Registry("command")
        for name in self.commands:
            names.add(name, None, "the core")
        for source, (command,), _ in host.collect("register_commands"):
            names.add(command.name, command, source)
            self.add_command(command)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OneWindowError as exc:
            _fail(str(exc))
        except (SQLAlchemyError, AlembicCommandError) as exc:
            # A command that did not check the schema first met a missing table or revision.
            message = _database_failure(ctx, exc)
            if message is None and isinstance(exc, AlembicCommandError):
                message = f"migrations: {exc}"
            if message is None:
                raise
            _fail(message)

    def resolve_command(self, ctx, args):
        try:
            if args and args[0] not in self.commands:
                self._load_plugin_commands(ctx)
        except OneWindowError as exc:
            _fail(str(exc))
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx):
        try:
            self._load_plugin_commands(ctx)
        except OneWindowError as exc:
            click.echo(f"onewindow: warning: plugin commands not listed: {exc}", err=True)
        return super().list_commands(ctx)


@click.group(cls=OneWindowGroup)
@click.option(
    "--instance",
    envvar="ONEWINDOW_INSTANCE",
    type=click.Path(file_okay=False),
    help="Instance folder (onewindow.toml, SQLite file, secret). Default: ./instance",
)
@click.pass_context
def cli(ctx: click.Context, instance: str | None) -> None:
    """OneWindow (一窗通): one-window acceptance, integrated service."""
    ctx.obj = State(instance)


@cli.command()
@click.option("--demo", is_flag=True, help="Also load the demo organisation and one demo user per role.")
@click.pass_obj
def init(state: State, demo: bool) -> None:
    """Create or upgrade the database through migrations and seed roles."""
    from onewindow.setup import initialise

    report = initialise(state.app, demo=demo)
    click.echo(report.summary())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--production",
    is_flag=True,
    help="Serve with gunicorn: several worker processes, access log (see docs/operator/serving.md).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes with --production (default: SERVE_WORKERS).",
)
@click.pass_obj
def serve(state: State, host: str, port: int, production: bool, workers: int | None) -> None:
    """Run the platform (development server; --production for gunicorn)."""
    if production:
        from onewindow.serving.production import run

        run(state.app, host, port, workers)  # gunicorn logs "Listening at: …" once it is up
        return
    if workers is not None:
        raise StartupError("--workers needs --production (the development server is one process)")
    state.require_schema()
    click.echo(f"OneWindow 一窗通 on http://{host}:{port}/  (Ctrl+C to stop)")
    state.app.run(host=host, port=port, debug=False, use_reloader=False)


@cli.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("create")
@click.option("--username", required=True, help="Login name.")
@click.option("--password", required=True, help="Initial password.")
@click.option("--role", "roles", required=True, multiple=True, help="Role key, e.g. acceptor; repeat for several.")
@click.option(
    "--department", default=None, help="Department's unified social credit code (required for department roles)."
)
@click.option("--first-name", default=None, help="Given name (default: the username).")
@click.option("--last-name", default="", help="Family name.")
@click.option("--email", default=None, help="E-mail (default: <username>@staff.invalid).")
@click.pass_obj
def user_create(state: State, username, password, roles, department, first_name, last_name, email) -> None:
    """Create a staff user with a role and (for department roles) a department."""
    from onewindow.staff import create_staff

    with current_app_context():
        staff = create_staff(
            username=username,
            password=password,
            roles=list(roles),
            department_code=department,
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
        click.echo(f"created user {staff.username} with role(s) {', '.join(roles)}")


@cli.group(invoke_without_command=True)
@click.pass_context
def plugins(ctx: click.Context) -> None:
    """List plugins with key, version and status; enable, disable or purge one."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(plugins_list)


@plugins.command("list")
@click.pass_obj
def plugins_list(state: State) -> None:
    """List plugins with key, version and status."""
    host = state.app.extensions["onewindow"].plugins
    rows = [(p.key, p.version, p.status, p.module) for p in host.plugins]
    widths = [max(len(str(r[i])) for r in rows + [("key", "version", "status", "module")]) for i in range(4)]
    for row in [("key", "version", "status", "module"), *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


@plugins.command("disable")
@click.argument("key")
@click.pass_obj
def plugins_disable(state: State, key: str) -> None:
    """Stop loading a plugin (its screens, jobs and hooks go; its tables and data stay)."""
    _switch_plugin(
        state,
        key,
        False,
        "its screens, jobs and hooks are gone from the next start; its tables and "
        f"data stay (remove them with `onewindow plugins purge {key} --yes`)",
    )


@plugins.command("enable")
@click.argument("key")
@click.pass_obj
def plugins_enable(state: State, key: str) -> None:
    """Load a disabled plugin again from the next start."""
    _switch_plugin(
        state,
        key,
        True,
        "restart the platform; run `onewindow init` first if it brings migrations the database does not have yet",
    )


def _switch_plugin(state: State, key: str, enabled: bool, explanation: str) -> None:
    from onewindow.plugins import set_plugin_enabled

    set_plugin_enabled(Path(state.instance or Path.cwd() / "instance").resolve(), key, enabled=enabled)
    click.echo(f"plugin {key} {'enabled' if enabled else 'disabled'}: {explanation}")


@plugins.command("purge")
@click.argument("key")
@click.option("--yes", is_flag=True, help="Confirm that the plugin's tables and data are to be dropped.")
@click.pass_obj
def plugins_purge(state: State, key: str, yes: bool) -> None:
    """Drop a disabled plugin's tables and data (its migration branch down to base)."""
    from onewindow.migrate import purge_branch

    ow = state.app.extensions["onewindow"]
    if key not in ow.disabled_branches:
        status = {p.key: p.status for p in ow.plugins.plugins}.get(key)
        if status == "loaded":
            raise StartupError(f"plugin {key} is enabled; run `onewindow plugins disable {key}` first")
        raise StartupError(
            f"plugin {key!r} is not a disabled plugin with migrations "
            f"(installed: {', '.join(p.key for p in ow.plugins.plugins)})"
        )
    if not yes:
        raise StartupError(
            f"purging drops every table of plugin {key} and its data for good; "
            f"back the database up, then run `onewindow plugins purge {key} --yes`"
        )
    dropped = purge_branch(state.app, key)
    click.echo(f"plugin {key}: dropped {len(dropped)} table(s): {', '.join(dropped) or 'none'}")


@cli.group()
def db() -> None:
    """Schema migrations (Alembic): upgrade, check, revision."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(state: State) -> None:
    """Apply every pending migration of the core and the plugins."""
    from onewindow.migrate import upgrade

    upgrade(state.app)
    click.echo("database schema is up to date")


@db.command("check")
@click.pass_obj
def db_check(state: State) -> None:
    """Fail if the models differ from the migrated schema."""
    from onewindow.migrate import pending_diff

    state.require_schema()  # on an empty database every table would count as a difference
    diff = pending_diff(state.app)
    if diff:
        for d in diff:
            click.echo(f"  {d}")
        raise StartupError(f"{len(diff)} difference(s) between models and migrations; write a migration")
    click.echo("models and migrations agree")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--branch", default="core", show_default=True, help="Branch label (core or a plugin key).")
@click.pass_obj
def db_revision(state: State, message: str, branch: str) -> None:
    """Autogenerate a migration on a branch (for developers)."""
    from onewindow.migrate import revision

    state.require_schema()
    revision(state.app, message, branch)


@cli.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--no-keys", is_flag=True, help="Leave the key files (seal KEK, audit key) out of the archive.")
@click.pass_obj
def backup_cmd(state: State, dest: Path, no_keys: bool) -> None:
    """Back up the database, the instance files and the keys into one archive (DEST: file or folder)."""
    from onewindow.backup import backup

    settings = state.app.extensions["onewindow"].settings
    result = backup(settings, Path(state.app.instance_path), dest, include_keys=not no_keys)
    click.echo(
        f"wrote {result.archive}: {result.dialect} database and {len(result.members) - 1} file(s), "
        "SHA-256 of each in manifest.json (the archive holds keys unless --no-keys: keep it like them)"
    )


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already has tables.")
@click.pass_obj
def restore_cmd(state: State, archive: Path, force: bool) -> None:
    """Restore a backup archive, then verify it (file hashes and audit verify)."""
    from onewindow.app import create_app
    from onewindow.backup import restore, verify_restored
    from onewindow.config import build

    instance = Path(state.instance or os.environ.get("ONEWINDOW_INSTANCE") or Path.cwd() / "instance").resolve()
    settings, _sections = build(instance)
    result = restore(settings, instance, archive, force=force)
    problems = result.problems + verify_restored(create_app(instance_path=str(instance)))
    for problem in problems:
        click.echo(f"  {problem}")
    if problems:
        raise StartupError(f"restored {archive}, but verification found {len(problems)} problem(s) (listed above)")
    click.echo(
        f"restored {archive}: {result.dialect} database and {result.files} file(s); file hashes and audit verify OK"
    )


def main() -> None:
    cli(prog_name="onewindow")


if __name__ == "__main__":  # pragma: no cover
    # `python -m onewindow.cli`: run the imported module, whose State the commands look up.
    import onewindow.cli

    onewindow.cli.main()
