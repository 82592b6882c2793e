"""The application factory: ``create_app()`` reads as the list of steps it takes."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from flask import Flask
from flask_appbuilder import AppBuilder

from onewindow import config as config_module
from onewindow import db as database
from onewindow.db import db  # noqa: F401  (the name core modules import from here)
from onewindow.errors import StartupError
from onewindow.plugins import PluginHost, Registry, build_plugin_host
from onewindow.security import CORE_ROLES
from onewindow.storage.incoming import UploadRequest

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
    ("core.auth", "onewindow.auth.hooks"),
    ("core.notify", "onewindow.notify.hooks"),
]


@dataclass
class OneWindow:
    """What ``app.extensions["onewindow"]`` holds."""

    settings: dict[str, Any]
    plugins: PluginHost
    roles: dict[str, str] = field(default_factory=dict)  # key → display name, core + plugins
    grants: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    migration_locations: dict[str, str] = field(default_factory=dict)
    #: branch → folder of the disabled plugins' migrations: known to Alembic (their
    #: revisions may be applied) but neither upgraded nor expected at startup.
    disabled_branches: dict[str, str] = field(default_factory=dict)
    #: the file store of case materials (``onewindow.storage.storage()`` builds it once)
    storage: Any = None

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
    app.request_class = UploadRequest  # large uploads written straight into the file store
    configure_flask(app, settings)
    host = load_plugins(settings, plugin_sections, plugins)
    ow = OneWindow(settings=settings, plugins=host)
    app.extensions["onewindow"] = ow
    init_database(app)
    init_csrf(app)
    init_display(app)
    with app.app_context():
        appbuilder = init_appbuilder(app)
        init_request_checks(app)  # after FAB's own before_request, which sets g.user
        register_views(appbuilder, host)
        collect_roles_and_grants(ow)
        collect_migration_locations(ow)
        host.hook.app_ready(app=app)
        init_security(app)
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
    """Bind SQLAlchemy (``onewindow.db.init_app``): WAL and foreign keys on SQLite, URL proven."""
    database.init_app(app)


def init_display(app: Flask) -> None:
    """One way values appear on screens (是/否, Beijing time) and Chinese error pages."""
    from onewindow import display
    from onewindow.views import menu

    display.init_app(app)
    menu.init_app(app)


def init_csrf(app: Flask) -> None:
    """CSRF tokens on every form post (REST APIs, authenticated by JWT, are exempted by FAB)."""
    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)


def init_security(app: Flask) -> None:
    """Security headers, session checks and public throttles (after every blueprint exists)."""
    from onewindow import auth

    auth.init_app(app)


def init_request_checks(app: Flask) -> None:
    """Bad query parameters and bodies answer 400 naming the parameter, never 500."""
    from onewindow import request_checks

    request_checks.init_app(app)


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
    from onewindow.views.enums import use_safe_enum_fields

    use_safe_enum_fields(appbuilder)


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
    for plugin in ow.plugins.plugins:
        if plugin.status == "disabled" and plugin.migrations:
            locations.add(plugin.key, plugin.migrations, f"disabled plugin {plugin.key!r}")
            ow.disabled_branches[plugin.key] = plugin.migrations
    ow.migration_locations = dict(locations.items())
