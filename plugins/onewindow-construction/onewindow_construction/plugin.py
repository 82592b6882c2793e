"""Construction project approval plugin (建设工程审批), key ``construction``: hooks only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``construction``.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from onewindow import can, hookimpl, menu, read
from onewindow_construction import models  # noqa: F401  (tables on FAB's metadata)

KEY = "construction"
CATEGORY = "Construction"
HERE = Path(__file__).resolve().parent


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def register_roles(register):
    # 代办员: accompanies investment projects through every phase [000 §三(七)]
    register("agent", "代办员")


def _desk(*methods: str) -> list[tuple[str, str]]:
    return can("ConstructionDeskView", *methods)


@hookimpl
def register_permissions(register):
    viewing = (
        read("ConstructionProjectView")
        + can("ConstructionDashboardView", "index")
        + menu(CATEGORY, "Construction projects", "Project dashboard")
    )
    window = _desk("new_project", "phase", "commitment", "fee", "pay", "agent")
    register("acceptor", viewing + window)
    register("chief_rep", viewing + window + _desk("sign_off"))
    register("approver", viewing + _desk("sign_off"))
    register("supervisor", viewing)
    register("agent", viewing + can("ConstructionDashboardView", "tracking") + _desk("phase", "commitment"))


@hookimpl
def register_views(register):
    from onewindow_construction.views import ConstructionDashboardView, ConstructionDeskView, ConstructionProjectView

    menu = {"category": CATEGORY, "category_label": _l("Construction approval"), "icon": "fa-building"}
    register(ConstructionProjectView, name="Construction projects", label=_l("Construction projects"), **menu)
    register(ConstructionDashboardView, name="Project dashboard", label=_l("Project dashboard"), **menu)
    register(ConstructionDeskView)


@hookimpl
def validate_application(case, data, report):
    from onewindow_construction.service import check_application

    check_application(case, data, report)


@hookimpl
def case_transition(case, event):
    from onewindow_construction.service import on_transition

    on_transition(case, event)
