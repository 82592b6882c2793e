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
        Keep ``directory`` at ``<package>/migrations/versions``: that is where the
        platform finds the branch of a disabled plugin, which it does not import.
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
        command, :func:`onewindow.current_app_context` gives the application.
    """


# --- catalogue (items and item packs) --------------------------------------


@hookspec
def register_item_forms(register: Callable[[str, Any], None]) -> None:
    """Provide application forms that items refer to by ``form_key``.

    :param register: ``register(form_key, form_class)`` with a WTForms ``Form``
        subclass (not bound to a request). Items whose ``form_key`` names it use this
        form at acceptance instead of the low-code fields declared as data. A pack that
        names an unregistered form key fails validation.
    """


@hookspec
def validate_pack(pack: Any, report: Callable[..., None]) -> None:
    """Check the plugin's own parts of an item pack before it is installed.

    :param pack: the loaded pack (``onewindow.catalogue.packs.Pack``: ``path``,
        ``manifest``, ``items`` and ``sections`` — top-level sections not known to the
        core, keyed by name).
    :param report: ``report(file, where, field, message)``; every problem is reported,
        none raised, so the county sees all errors at once.
    """


@hookspec
def install_pack(pack: Any, session: Any) -> None:
    """Write the plugin's own pack sections inside the install transaction.

    :param pack: the validated pack.
    :param session: the SQLAlchemy session of the all-or-nothing install; do not commit.
    """


# --- working-day clock -----------------------------------------------------


@hookspec
def calendar_changed(years: list[int]) -> None:
    """An official holiday arrangement was entered or changed for ``years``.

    Called inside an application context after the change is committed; due dates
    that depend on those years must be recomputed (the case engine does this).

    :param years: the calendar years whose working days changed.
    """


# --- cases -----------------------------------------------------------------


@hookspec
def validate_application(case: Any, data: dict[str, Any], report: Callable[[str, str], None]) -> None:
    """Plugin rules on an application before it is accepted.

    :param case: the case being created or accepted (``onewindow.Case``;
        ``case.item`` is the pinned item version).
    :param data: the application form data.
    :param report: ``report(field, message)`` for each problem; the transition is
        refused with every reported message and nothing is written.
    """


@hookspec(firstresult=True)
def decide_routing(case: Any) -> Any:
    """Override the item's routing for one case; return ``None`` to keep it.

    :param case: the accepted case.
    :return: a list of ``onewindow.PlannedStep`` or ``None``. The first
        plugin that returns a list wins.
    """


@hookspec
def case_transition(case: Any, event: Any) -> None:
    """React to a transition, inside its transaction (raise to refuse it).

    :param case: the case after the transition.
    :param event: the appended ``CaseEvent`` (``action``, ``from_state``, ``to_state``,
        ``actor``, ``reason``, ``payload``).
    """


@hookspec
def material_file_added(case: Any, material: Any, file: Any) -> str | None:
    """A file is being added to a case material (电子材料), before the transition commits:
    return a reason (Chinese, shown to the user) to refuse it, e.g. an antivirus finding.

    :param case: the case (``onewindow.Case``).
    :param material: the ``CaseMaterial`` the file goes to.
    :param file: the ``CaseMaterialFile`` about to be added (``original_name``,
        ``media_type``, ``size``, ``sha256``, ``storage_key``, ``channel``); its bytes are
        already in the file store: read them with
        ``onewindow.storage.storage().open(file.storage_key)``.
    :return: ``None`` to accept; a refusal deletes every file of the upload.
    """


@hookspec
def steps_removed(case: Any, steps: list[Any]) -> None:
    """The engine is about to delete steps of a case, inside the transition's
    transaction (raise to refuse it). A department's return for correction deletes all
    of the case's steps: the case is routed afresh when it is accepted again.

    :param case: the case (``onewindow.Case``), its steps still loaded.
    :param steps: the ``CaseStep`` rows that go, with their ids.
    """


@hookspec
def demand_refused(case: Any, actor: Any, material_ids: list[int], doing: str) -> None:
    """Someone demanded materials outside the item's list (清单外材料) and the engine refused it.

    Called after the refused transaction was rolled back (nothing of the case is
    written), inside a short transaction of its own that the engine commits: write
    records here (e-supervision raises a red card), do not commit. An exception is
    logged and the refusal stands.

    :param case: the case, unchanged (``onewindow.Case``). For an
        application refused at the window before it was ever stored, an unsaved case
        with ``case.id`` ``None`` (``department_id``, ``item`` and ``window`` are set).
    :param actor: the ``Actor`` who made the demand.
    :param material_ids: the ids of the demanded materials that are not on the list.
    :param doing: what the actor was doing (``受理``, ``容缺受理``, ``出具补正通知``).
    """


# --- e-licences --------------------------------------------------------------


@hookspec
def register_licence_types(register: Callable[..., None]) -> None:
    """Declare licence types the plugin issues (营业执照, 不动产权证书…).

    :param register: ``register(type_code, name=..., fields=[...], validity_years=None,
        template=None)``; ``type_code`` is unique across the core, packs and plugins. Every
        field declares how the public verification page shows it: ``mask`` one of ``none``,
        ``name``, ``id``, ``address``, ``hidden`` (a name, ID number or address is never ``none``).
    """


@hookspec
def licence_data(case: Any, licence_type: Any) -> Any:
    """Fill the data fields of the licence a decided case issues.

    :param case: the approved case.
    :param licence_type: the licence type being issued.
    :return: a ``dict`` of field values, or ``None`` when the plugin has nothing to add.
        Dicts of all plugins are merged in registration order.
    """


# --- notifications -----------------------------------------------------------


@hookspec
def register_notification_backends(register: Callable[..., None]) -> None:
    """Contribute a delivery backend for notifications (an SMS gateway, a messaging app).

    :param register: ``register(name, deliver, channels=("sms",))``. ``deliver(notification)``
        sends one ``ow_notification`` row (``recipient``, ``subject``, ``body``, ``channel``,
        ``kind``) now and raises on failure (the error is stored with the row, nothing is
        retried); ``None`` stores only. ``channels`` lists what it sends (``sms``, ``email``).
        The operator picks it with ``NOTIFY_SMS_BACKEND`` / ``NOTIFY_EMAIL_BACKEND``; a name
        registered twice, or a configured name nobody registers, stops startup.
    """


# --- scheduler ---------------------------------------------------------------


@hookspec
def register_jobs(register: Callable[..., None]) -> None:
    """Contribute scheduled jobs to the single scheduler process.

    :param register: ``register(job_id, "module:function", trigger="interval",
        **trigger_args)``. The function is referenced by import path so the persistent
        job store can load it; it must be idempotent (a double run changes nothing).
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


# --- screens at run time -----------------------------------------------------


@hookspec
def dashboard_sections(start: Any, end: Any) -> Any:
    """Add a section to the supervision dashboard (电子监察看板, ``/supervision/``) for the
    period shown, e.g. the hall's waiting times next to the case indicators.

    Called inside the dashboard's request (the viewer has the dashboard's permission).

    :param start: the first day of the period (``datetime.date``).
    :param end: the last day of the period (``datetime.date``).
    :return: ``None``, or a list of ``(title, html)``: ``html`` is the section's body as
        ``markupsafe.Markup``, rendered by the plugin from its own template (server-drawn
        SVG for charts; no CDN).
    """


@hookspec
def workspace_tiles(user: Any) -> Any:
    """Add to-do counts to the signed-in staff member's workspace (工作台, the page ``/``).

    Called on every visit of ``/`` by staff, inside the request: keep it to a few
    indexed ``COUNT`` queries, scoped with ``onewindow.security.department_condition``.

    :param user: the signed-in staff member (``g.user``).
    :return: ``None`` when the plugin has nothing for this user, else a list of
        ``(section_title, [(label, count, url, level), ...])``; ``level`` is ``""``,
        ``"warning"`` (yellow) or ``"danger"`` (red) and may be left out.
    """


@hookspec(firstresult=True)
def public_home() -> Any:
    """Answer the page ``/`` for an anonymous visitor (the public home).

    Called inside the request when nobody is signed in; signed-in staff always get their
    workspace. The first plugin that returns a response wins; the online hall (``hall``)
    shows its home this way, so switching it off brings back the plain staff sign-in page.

    :return: a Flask response (or anything a view may return), or ``None`` to leave the
        page to the next plugin and finally to the core.
    """
