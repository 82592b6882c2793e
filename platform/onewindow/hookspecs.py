"""The plugin contract: every hook a OneWindow plugin can implement.

Plugins implement these with ``@onewindow.hookimpl``. The core only *calls* hooks.
Each ``register_*`` hook receives a callback from the core; the plugin calls it once
per contribution. A key contributed twice (by two plugins or by one plugin twice)
stops startup with a message naming both sources: nothing is overridden silently.

Every hook here is documented in the README's plugin guide; a test keeps the guide
complete. Hooks are grouped by lifecycle: configuration → schema → security →
screens and commands → application ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click
    from flask import Flask

PROJECT = "onewindow"

hookspec = pluggy.HookspecMarker(PROJECT)


# --- configuration ---------------------------------------------------------


@hookspec
def register_config(register: Callable[[str, dict[str, Any]], None]) -> None:
    """Declare the plugin's configuration section and its defaults.

    :param register: ``register(plugin_key, defaults)``. The section is read from
        ``[plugins.<plugin_key>]`` in ``onewindow.toml``; a key there that is not in
        ``defaults`` stops startup. The merged values are available as
        ``app.extensions["onewindow"].plugin_config(plugin_key)``.
    """


# --- schema ----------------------------------------------------------------


@hookspec
def register_migrations(register: Callable[[str, str], None]) -> None:
    """Contribute an Alembic version location holding the plugin's own branch.

    :param register: ``register(branch_label, directory)``. The plugin's first
        revision must carry ``branch_labels = ("<plugin key>",)`` and
        ``depends_on = "core@head"``-style dependencies on the core revision it needs.
        Tables are prefixed with the plugin key. Importing the plugin module must
        import its models, so that the schema test compares them with the migrations.
    """


# --- security --------------------------------------------------------------


@hookspec
def register_roles(register: Callable[[str, str], None]) -> None:
    """Add a role the plugin needs beyond the core's (e.g. 代办员 for agent service).

    :param register: ``register(role_key, chinese_display_name)``. Role keys are
        unique across the core and all plugins.
    """


@hookspec
def register_permissions(register: Callable[[str, list[tuple[str, str]]], None]) -> None:
    """Grant permissions on the plugin's views and APIs to roles.

    :param register: ``register(role_key, [(permission_name, view_menu_name), ...])``,
        e.g. ``register("acceptor", [("can_list", "EnterpriseNameView")])``. The role
        must exist (core or :func:`register_roles`). ``onewindow init`` writes the
        grants; the centre admin role holds every permission anyway.
    """


# --- screens, APIs and commands --------------------------------------------


@hookspec
def register_views(register: Callable[..., None]) -> None:
    """Add Flask-AppBuilder views, REST APIs and menu entries.

    :param register: ``register(view, *, name=None, category=None, icon=None,
        label=None, category_label=None, href=None)``. ``view`` is a FAB view or API
        class. With ``name`` it gets a menu entry (``label`` is its translated text,
        ``category`` groups it); without ``name`` it is added without a menu (APIs,
        detail-only views). A view class registered twice stops startup.
    """


@hookspec
def register_commands(register: Callable[["click.Command"], None]) -> None:
    """Add ``onewindow`` CLI commands.

    :param register: ``register(command)`` with a ``click.Command`` or ``click.Group``.
        Its name must not clash with a core command or another plugin's. Inside the
        command, :func:`onewindow.cli.current_app_context` gives the application.
    """


# --- application ready -----------------------------------------------------


@hookspec
def app_ready(app: "Flask") -> None:
    """Called once at the end of ``create_app``, inside an application context.

    Use it for blueprints outside Flask-AppBuilder (public pages without login),
    template filters or signal handlers. Must not write to the database: the schema
    may not exist yet when ``onewindow init`` builds the app.

    :param app: the fully configured Flask application.
    """
