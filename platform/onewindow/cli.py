"""The ``onewindow`` command line. Every command honours ONEWINDOW_DATABASE_URL.

Command names are fixed (operators' scripts rely on them): ``init``, ``serve``,
``user create``, ``plugins``; plugins add theirs through ``register_commands``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from onewindow.errors import OneWindowError, StartupError


class State:
    """Lazily built application shared by the commands of one invocation."""

    def __init__(self, instance: str | None):
        self.instance = instance
        self._app = None

    @property
    def app(self):
        if self._app is None:
            from onewindow.app import create_app

            self._app = create_app(instance_path=self.instance)
        return self._app


@contextlib.contextmanager
def current_app_context():
    """The application of the running command, inside an app context (for plugin commands)."""
    state = click.get_current_context().find_object(State)
    with state.app.app_context():
        yield state.app


def _fail(message: str) -> None:
    click.echo(f"onewindow: error: {message}", err=True)
    sys.exit(1)


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
@click.option("--production", is_flag=True,
              help="Serve with gunicorn: several worker processes, access log (see docs/operator/serving.md).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes with --production (default: SERVE_WORKERS).")
@click.pass_obj
def serve(state: State, host: str, port: int, production: bool, workers: int | None) -> None:
    """Run the platform (development server; --production for gunicorn)."""
    if production:
        from onewindow.serving.production import run

        run(state.app, host, port, workers)  # gunicorn logs "Listening at: …" once it is up
        return
    if workers is not None:
        raise StartupError("--workers needs --production (the development server is one process)")
    from onewindow.serving import require_current_schema

    require_current_schema(state.app)
    click.echo(f"OneWindow 一窗通 on http://{host}:{port}/  (Ctrl+C to stop)")
    state.app.run(host=host, port=port, debug=False, use_reloader=False)


@cli.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("create")
@click.option("--username", required=True, help="Login name.")
@click.option("--password", required=True, help="Initial password.")
@click.option("--role", "roles", required=True, multiple=True, help="Role key, e.g. acceptor; repeat for several.")
@click.option("--department", default=None, help="Department's unified social credit code (required for department roles).")
@click.option("--first-name", default=None, help="Given name (default: the username).")
@click.option("--last-name", default="", help="Family name.")
@click.option("--email", default=None, help="E-mail (default: <username>@staff.invalid).")
@click.pass_obj
def user_create(state: State, username, password, roles, department, first_name, last_name, email) -> None:
    """Create a staff user with a role and (for department roles) a department."""
    from onewindow.staff import create_staff

    with state.app.app_context():
        staff = create_staff(
            username=username, password=password, roles=list(roles), department_code=department,
            first_name=first_name, last_name=last_name, email=email,
        )
        click.echo(f"created user {staff.username} with role(s) {', '.join(roles)}")


@cli.command()
@click.pass_obj
def plugins(state: State) -> None:
    """List plugins with key, version and status."""
    host = state.app.extensions["onewindow"].plugins
    rows = [(p.key, p.version, p.status, p.module) for p in host.plugins]
    widths = [max(len(str(r[i])) for r in rows + [("key", "version", "status", "module")]) for i in range(4)]
    for row in [("key", "version", "status", "module"), *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


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

    revision(state.app, message, branch)


def main() -> None:
    cli(prog_name="onewindow")


if __name__ == "__main__":  # pragma: no cover
    main()
