"""The core's own contributions, made through the same hooks as any plugin.

Registered first under the key ``core``, so a plugin that registers a view or role
the core already has is refused with a duplicate-registration error.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from onewindow.plugins import hookimpl
from onewindow.security import CORE_PERMISSIONS

ORG = "Organisation"


@hookimpl
def register_views(register):
    from onewindow.api.org import DepartmentApi, StaffApi, WindowApi
    from onewindow.views.org import (
        CentreView,
        DepartmentStaffView,
        DepartmentView,
        RegionView,
        WindowView,
        ZoneView,
    )
    from onewindow.views.plugins_page import PluginsView

    org = {"category": ORG, "category_label": _l("Organisation"), "icon": "fa-sitemap"}
    register(RegionView, name="Regions", label=_l("Regions"), **org)
    register(DepartmentView, name="Departments", label=_l("Departments"), **org)
    register(CentreView, name="Service centres", label=_l("Service centres"), **org)
    register(ZoneView, name="Zones", label=_l("Zones"), **org)
    register(WindowView, name="Windows", label=_l("Windows"), **org)
    register(DepartmentStaffView, name="Department staff", label=_l("Department staff"), **org)
    register(
        PluginsView,
        name="Plugins",
        label=_l("Plugins"),
        category="Security",
        category_label=_l("Security"),
        icon="fa-puzzle-piece",
    )
    register(DepartmentApi)
    register(WindowApi)
    register(StaffApi)


@hookimpl
def register_permissions(register):
    for role, pairs in CORE_PERMISSIONS.items():
        register(role, pairs)
