"""Hook implementations of the case engine (registered by app.CORE_PARTS as "core.cases")."""

from __future__ import annotations

import click

from onewindow.cases import models  # noqa: F401  (the case tables on the core metadata)

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
    register("core.deemed_acceptance", "onewindow.cases.legal_clock:deemed_acceptance", trigger="interval",
             minutes=minutes)


@hookimpl
def register_commands(register):
    @click.group("audit")
    def audit():
        """Check the integrity of case records."""

    @audit.command("verify")
    def verify():
        """Verify every case's event hash chain; name each broken link."""
        from onewindow.cases.audit import verify_all
        from onewindow.cli import current_app_context

        with current_app_context():
            checked, broken = verify_all()
        for link in broken:
            click.echo(str(link))
        click.echo(f"checked {checked} case(s): {'OK' if not broken else f'{len(broken)} broken link(s)'}")
        if broken:
            raise SystemExit(1)

    register(audit)


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
    inbox = can("InboxView", "index", "act") + menu("Department inbox")
    output = can("OutputView", "index", "act") + menu("Output window")
    register("acceptor", cases + workbench)
    register("approver", cases + inbox)
    register("chief_rep", cases + inbox + workbench)
    register("seal_admin", cases)
    register("output_clerk", cases + output)
    register("supervisor", cases)
