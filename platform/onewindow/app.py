"""The application factory: ``create_app()`` reads as the list of steps it takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder import Model
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

import importlib

from onewindow import config as config_module
from onewindow.errors import StartupError
from onewindow.plugins import PluginHost, Registry, build_plugin_host
from onewindow.security import CORE_ROLES

#: The core's own parts, registered as plugins under these keys before any entry point:
#: each module implements hooks exactly as a plugin would (STYLE: even core features
#: are default plugins). Their tables belong to the core migration branch.
CORE_PARTS: list[tuple[str, str]] = [
    ("core", "onewindow.core_plugin"),
    ("core.workdays", "onewindow.workdays.hooks"),
    ("core.catalogue", "onewindow.catalogue.hooks"),
    ("core.cases", "onewindow.cases.hooks"),
    ("core.licences", "onewindow.licences.hooks"),
    ("core.documents", "onewindow.documents.hooks"),
    ("core.api", "onewindow.api.hooks"),
    ("core.scheduling", "onewindow.scheduling.hooks"),
]

#: One SQLAlchemy object bound to FAB's metadata, so Alembic sees every table.
db = SQLA(metadata=Model.metadata)


@dataclass
class OneWindow:
    """What ``app.extensions["onewindow"]`` holds."""

    settings: dict[str, Any]
    plugins: PluginHost
    roles: dict[str, str] = field(default_factory=dict)  # key → display name, core + plugins
    grants: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    migration_locations: dict[str, str] = field(default_factory=dict)

    def plugin_config(self, key: str) -> dict[str, Any]:
        return self.plugins.plugin_config(key)


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    instance_path: str | Path | None = None,
    plugins: Iterable[tuple[str, object]] = (),
) -> Flask:
    """Build a OneWindow application.

    :param config: overrides of :data:`onewindow.config.DEFAULTS` (tests, embedding).
    :param instance_path: folder holding ``onewindow.toml``, the SQLite file and the
        generated secret; defaults to ``./instance`` of the working directory.
    :param plugins: extra ``(key, plugin)`` pairs registered like entry points.
    """
    instance = Path(instance_path or Path.cwd() / "instance").resolve()
    settings, plugin_sections = config_module.build(instance, config)
    app = Flask("onewindow", instance_path=str(instance), instance_relative_config=True)
    configure_flask(app, settings)
    host = load_plugins(settings, plugin_sections, plugins)
    ow = OneWindow(settings=settings, plugins=host)
    app.extensions["onewindow"] = ow
    init_database(app)
    init_csrf(app)
    with app.app_context():
        appbuilder = init_appbuilder(app)
        register_views(appbuilder, host)
        collect_roles_and_grants(ow)
        collect_migration_locations(ow)
        host.hook.app_ready(app=app)
    return app


def configure_flask(app: Flask, settings: Mapping[str, Any]) -> None:
    app.config.update(config_module.flask_settings(settings))
    from onewindow.i18n import translation_directories

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()


def load_plugins(settings, plugin_sections, extra) -> PluginHost:
    return build_plugin_host(
        disabled=settings["PLUGINS_DISABLED"],
        extra_plugins=[*((key, importlib.import_module(mod)) for key, mod in CORE_PARTS), *extra],
        plugin_sections=plugin_sections,
    )


def init_database(app: Flask) -> None:
    """Bind SQLAlchemy, switch SQLite to WAL with foreign keys, and prove the URL works."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("connect_args", {"timeout": 30})
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except SQLAlchemyError as exc:
            reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
            raise StartupError(
                f"database {engine.url.render_as_string(hide_password=True)} is unreachable: {reason}; "
                "check ONEWINDOW_DATABASE_URL (or DATABASE_URL in instance/onewindow.toml)"
            ) from None


def _sqlite_pragmas(engine: Engine) -> None:
    # pysqlite commits DDL implicitly; take over BEGIN so migrations and imports are
    # all-or-nothing on SQLite too (SQLAlchemy docs, "Serializable isolation / Savepoints").
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no branch
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: no corruption on a crash, one fsync per checkpoint instead of per commit.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no branch
        # A case transition asks for IMMEDIATE (see cases.core.unit_of_work): it takes the
        # write lock at once, so a second writer waits for it (busy_timeout) instead of
        # failing when it upgrades a read snapshot another process has written past.
        immediate = conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info["ow_sqlite"] = (immediate, conn.connection.dbapi_connection.total_changes)


def init_csrf(app: Flask) -> None:
    """CSRF tokens on every form post (REST APIs, authenticated by JWT, are exempted by FAB)."""
    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)


def init_appbuilder(app: Flask) -> AppBuilder:
    from onewindow.views.index import IndexView

    return AppBuilder(app, db.session, indexview=IndexView)


def register_views(appbuilder: AppBuilder, host: PluginHost) -> None:
    seen = Registry("view")
    for source, args, kwargs in host.collect("register_views"):
        view = args[0]
        seen.add(getattr(view, "__name__", type(view).__name__), view, source)
        name = kwargs.get("name")
        if hasattr(view, "resource_name") and name is None:
            appbuilder.add_api(view)
        elif name is None:
            appbuilder.add_view_no_menu(view)
        else:
            appbuilder.add_view(
                view,
                name,
                label=kwargs.get("label") or name,
                category=kwargs.get("category") or "",
                category_label=kwargs.get("category_label") or kwargs.get("category") or "",
                icon=kwargs.get("icon") or "",
                href=kwargs.get("href") or "",
            )


def collect_roles_and_grants(ow: OneWindow) -> None:
    roles = Registry("role")
    for key, label in CORE_ROLES.items():
        roles.add(key, label, "the core")
    for source, (key, label), _ in ow.plugins.collect("register_roles"):
        roles.add(key, str(label), source)
    ow.roles = dict(roles.items())
    grants: dict[str, list[tuple[str, str]]] = {}
    for source, (role, pairs), _ in ow.plugins.collect("register_permissions"):
        if role not in ow.roles:
            raise StartupError(
                f"{source} grants permissions to unknown role {role!r}; known roles: {', '.join(ow.roles)}"
            )
        grants.setdefault(role, []).extend(tuple(p) for p in pairs)
    ow.grants = grants


def collect_migration_locations(ow: OneWindow) -> None:
    locations = Registry("migration branch")
    locations.add("core", str(Path(ow.settings["MIGRATIONS_DIR"]) / "versions" / "core"), "the core")
    for source, (branch, directory), _ in ow.plugins.collect("register_migrations"):
        if not Path(directory).is_dir():
            raise StartupError(f"{source} registers migration branch {branch!r} at {directory}, which is not a folder")
        locations.add(branch, str(directory), source)
    ow.migration_locations = dict(locations.items())
