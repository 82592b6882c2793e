"""Intermediary supermarket plugin (中介超市), key ``intermediary``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``intermediary``.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from onewindow import can, hookimpl, menu, read
from onewindow_intermediary import models  # noqa: F401  (tables on FAB's metadata)
from onewindow_intermediary.service import CONFIG_DEFAULTS, KEY

CATEGORY = "Intermediary"
HERE = Path(__file__).resolve().parent


@hookimpl
def register_config(register):
    register(KEY, dict(CONFIG_DEFAULTS))


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


def _desk(*methods: str) -> list[tuple[str, str]]:
    return can("IntermediaryDeskView", *methods)


@hookimpl
def register_permissions(register):
    viewing = (
        read("IntermediaryAgencyView", "IntermediaryPurchaseView", "IntermediaryComplaintView")
        + menu(CATEGORY, "Agencies", "Purchases", "Agency complaints", "Intermediary desk")
        + _desk("index")
    )
    # The centre's windows record registrations, purchases and sign-ups on behalf of owners
    # and agencies, and run the selection in public [000 §三(九)].
    register(
        "acceptor",
        viewing
        + _desk(
            "register_agency",
            "post_purchase",
            "sign_up",
            "score",
            "select",
            "contract",
            "complete",
            "file",
            "evaluate",
            "complain",
        ),
    )
    # Departments post purchases for government-funded projects and evaluate the agency.
    department = viewing + _desk("post_purchase", "evaluate", "complain")
    register("approver", department)
    register("chief_rep", department)
    # Supervisors handle complaints and discipline agencies (suspend, blacklist).
    register("supervisor", viewing + _desk("agency_status", "complain", "handle"))


@hookimpl
def register_views(register):
    from onewindow_intermediary.views import (
        IntermediaryAgencyView,
        IntermediaryComplaintView,
        IntermediaryDeskView,
        IntermediaryPurchaseView,
    )

    menu = {"category": CATEGORY, "category_label": _l("Intermediary supermarket"), "icon": "fa-shopping-cart"}
    register(IntermediaryAgencyView, name="Agencies", label=_l("Agencies"), **menu)
    register(IntermediaryPurchaseView, name="Purchases", label=_l("Purchases"), **menu)
    register(IntermediaryComplaintView, name="Agency complaints", label=_l("Agency complaints"), **menu)
    register(IntermediaryDeskView, name="Intermediary desk", label=_l("Intermediary desk"), **menu)


@hookimpl
def register_commands(register):
    from onewindow_intermediary.cli import intermediary_cli

    register(intermediary_cli)


@hookimpl
def app_ready(app):
    from onewindow_intermediary.public import bp

    app.register_blueprint(bp)
