"""E-supervision plugin (电子监察), key ``supervision``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``supervision``.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from onewindow import can, hookimpl, menu, read
from onewindow_supervision import models  # noqa: F401  (tables on FAB's metadata)

KEY = "supervision"
CATEGORY = "Supervision"
HERE = Path(__file__).resolve().parent

#: ``[plugins.supervision]`` in onewindow.toml.
CONFIG_DEFAULTS = {
    "warning_days": 1,  # yellow card threshold where no item says (rectifications)
    "rectification_days": 15,  # working days to rectify after a bad review
    "scan_interval_minutes": 5,  # the deadline scan
    "report_day": 1,  # day of the month the monthly report is generated
}


@hookimpl
def register_config(register):
    register(KEY, dict(CONFIG_DEFAULTS))


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def register_permissions(register):
    every = (
        read(
            "SupervisionCardView",
            "SupervisionEvaluationView",
            "SupervisionRectificationView",
            "SupervisionComplaintView",
            "SupervisionReportView",
        )
        + can("SupervisionReportView", "download", "generate")
        + can("SupervisionDashboardView", "index", "open_cards")
        + can(
            "SupervisionDeskView",
            "evaluate",
            "complain",
            "callback",
            "decide_appeal",
            "assign",
            "close",
            "review_card",
            "demand",
        )
        + menu(
            CATEGORY,
            "Supervision dashboard",
            "Open cards",
            "Cards",
            "Evaluations",
            "Rectifications",
            "Complaints",
            "Monthly reports",
            "Supervision desk",
        )
    )
    register("supervisor", every)
    # department roles: their own department's cards, reviews, rectifications, complaints
    department = (
        read(
            "SupervisionCardView",
            "SupervisionEvaluationView",
            "SupervisionRectificationView",
            "SupervisionComplaintView",
        )
        + can("SupervisionDeskView", "rectify", "handle")
        + menu(CATEGORY, "Cards", "Evaluations", "Rectifications", "Complaints")
    )
    register("approver", department)
    register("chief_rep", department + can("SupervisionDeskView", "appeal"))
    recorders = can("SupervisionDeskView", "evaluate", "complain", "demand") + menu(CATEGORY, "Supervision desk")
    register("acceptor", recorders)
    register("output_clerk", recorders)


@hookimpl
def register_views(register):
    from onewindow_supervision.views import (
        SupervisionCardView,
        SupervisionComplaintView,
        SupervisionDashboardView,
        SupervisionDeskView,
        SupervisionEvaluationView,
        SupervisionRectificationView,
        SupervisionReportView,
    )

    menu = {"category": CATEGORY, "category_label": _l("E-supervision"), "icon": "fa-eye"}
    register(SupervisionDashboardView, name="Supervision dashboard", label=_l("Supervision dashboard"), **menu)
    register(SupervisionCardView, name="Cards", label=_l("Yellow and red cards"), **menu)
    register(SupervisionEvaluationView, name="Evaluations", label=_l("Evaluations"), **menu)
    register(SupervisionRectificationView, name="Rectifications", label=_l("Rectifications"), **menu)
    register(SupervisionComplaintView, name="Complaints", label=_l("Complaints"), **menu)
    register(SupervisionReportView, name="Monthly reports", label=_l("Monthly reports"), **menu)
    register(SupervisionDeskView, name="Supervision desk", label=_l("Record evaluation or complaint"), **menu)


@hookimpl
def register_jobs(register):
    from flask import current_app, has_app_context

    # The scheduler collects jobs inside its app context: intervals follow onewindow.toml.
    cfg = current_app.extensions["onewindow"].plugin_config(KEY) if has_app_context() else CONFIG_DEFAULTS
    register(
        "supervision.deadline_scan",
        "onewindow_supervision.jobs:deadline_scan",
        trigger="interval",
        minutes=int(cfg["scan_interval_minutes"]),
    )
    register(
        "supervision.full_scan", "onewindow_supervision.jobs:full_deadline_scan", trigger="cron", hour=1, minute=30
    )
    register(
        "supervision.monthly_report",
        "onewindow_supervision.jobs:monthly_report",
        trigger="cron",
        day=int(cfg["report_day"]),
        hour=2,
    )


@hookimpl
def demand_refused(case, actor, material_ids, doing):
    """红牌 for a demand of materials outside the item's list; the engine refused it and
    commits this card in a transaction of its own."""
    from onewindow_supervision.service import record_material_demand

    ids = "、".join(str(i) for i in material_ids)
    record_material_demand(case, actor, f"材料编号 {ids}（{doing}时，系统已拒绝）")


@hookimpl
def steps_removed(case, steps):
    """A return for correction deletes the case's steps: their open cards are cleared in
    the same transaction (the scan finds step cards by their step)."""
    from onewindow_supervision.service import clear_cards_of_removed_steps

    clear_cards_of_removed_steps([step.id for step in steps if step.id is not None])


@hookimpl
def register_commands(register):
    from onewindow_supervision.cli import supervision_cli

    register(supervision_cli)


@hookimpl
def workspace_tiles(user):
    """Open cards on the supervisor's workspace (and a department's own, for its roles)."""
    from flask import url_for
    from sqlalchemy import func, select

    from onewindow import db, department_condition, role_keys
    from onewindow_supervision.models import CardLevel
    from onewindow_supervision.models import SupervisionCard as Card

    roles = role_keys(user)
    if not roles & {"supervisor", "approver", "chief_rep"}:
        return None
    condition = department_condition(user, Card.department_id)
    tiles = []
    for level, label, mark in (
        (CardLevel.red, _l("Open red cards"), "danger"),
        (CardLevel.yellow, _l("Open yellow cards"), "warning"),
    ):
        query = select(func.count(Card.id)).where(Card.cleared_at.is_(None), Card.level == level)
        count = db.session.execute(query if condition is None else query.where(condition)).scalar_one()
        url = (
            url_for("SupervisionDashboardView.open_cards")
            if "supervisor" in roles
            else url_for("SupervisionCardView.list")
        )
        tiles.append((label, count, url, mark if count else ""))
    return [(_l("E-supervision"), tiles)]
