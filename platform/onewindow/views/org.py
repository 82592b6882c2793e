"""Generated CRUD screens for the organisation model (centre admins configure here)."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.validators import ValidationError as FormError

from onewindow.models import Department, Region, ServiceCentre, Staff, Window, Zone
from onewindow.models.org import LEVEL_ORDER, WindowKind
from onewindow.security import CORE_ROLES, DepartmentScope
from onewindow.validators import division_code_problem, uscc_problem


def _checksum(problem_fn):
    def check(_form, field):
        problem = problem_fn(field.data or "")
        if problem:
            raise FormError(problem)

    return check


def _region_parent_level(form, field):
    """A region sits exactly one level below its parent (province has none)."""
    level, parent = form.level.data, field.data
    if level is None:
        return
    index = LEVEL_ORDER.index(level)
    if parent is None:
        if index:
            raise FormError(f"“{level}”级区划须选择“{LEVEL_ORDER[index - 1]}”级的上级区划")
        return
    if index != LEVEL_ORDER.index(parent.level) + 1:
        expected = LEVEL_ORDER[index - 1] if index else None
        raise FormError(f"“{level}”级区划的上级应为“{expected}”级" if expected else "省级区划没有上级区划")


def _specialised_needs_approval(form, field):
    if form.kind.data == WindowKind.specialised and not (field.data or "").strip():
        raise FormError("专业窗口须经中心批准设立：请填写批准文号")


def role_names(roles) -> str:
    """Roles as staff read them: 受理员、审批员 (a plugin's role by its key)."""
    return "、".join(CORE_ROLES.get(r.name, r.name) for r in roles or [])


class RegionView(ModelView):
    datamodel = SQLAInterface(Region)
    list_title = _l("Regions")
    show_title = add_title = edit_title = _l("Region")
    list_columns = ["code", "name", "level", "parent"]
    add_columns = edit_columns = show_columns = ["code", "name", "level", "parent"]
    search_columns = ["code", "name", "level", "parent"]
    order_columns = ["code", "name"]
    base_order = ("code", "asc")
    label_columns = {
        "code": _l("Division code"),
        "name": _l("Name"),
        "level": _l("Level"),
        "parent": _l("Parent region"),
    }
    description_columns = {"code": _l("6 digits for province/city/county, 9 for a town, 12 for a village")}
    validators_columns = {"code": [_checksum(division_code_problem)], "parent": [_region_parent_level]}


class DepartmentView(ModelView):
    datamodel = SQLAInterface(Department)
    list_title = _l("Departments")
    show_title = add_title = edit_title = _l("Department")
    list_columns = ["name", "short_name", "credit_code", "region"]
    add_columns = edit_columns = ["name", "short_name", "credit_code", "region", "phone"]
    search_columns = ["name", "credit_code", "region"]
    label_columns = {
        "name": _l("Name"),
        "short_name": _l("Short name"),
        "credit_code": _l("Unified social credit code"),
        "region": _l("Region"),
        "phone": _l("Phone"),
    }
    validators_columns = {"credit_code": [_checksum(uscc_problem)]}


class CentreView(ModelView):
    datamodel = SQLAInterface(ServiceCentre)
    list_title = _l("Service centres")
    show_title = add_title = edit_title = _l("Service centre")
    list_columns = ["name", "region", "address"]
    add_columns = edit_columns = ["name", "region", "address", "opening_hours"]
    label_columns = {
        "name": _l("Name"),
        "region": _l("Region"),
        "address": _l("Address"),
        "opening_hours": _l("Opening hours"),
    }


class ZoneView(ModelView):
    datamodel = SQLAInterface(Zone)
    list_title = _l("Zones")
    show_title = add_title = edit_title = _l("Zone")
    list_columns = ["centre", "number", "name", "kind"]
    add_columns = edit_columns = ["centre", "number", "name", "kind", "description"]
    base_order = ("number", "asc")
    search_columns = ["centre", "name", "kind"]
    label_columns = {
        "centre": _l("Service centre"),
        "number": _l("Zone number"),
        "name": _l("Name"),
        "kind": _l("Zone kind"),
        "description": _l("Description"),
    }


class WindowView(ModelView):
    datamodel = SQLAInterface(Window)
    list_title = _l("Windows")
    show_title = add_title = edit_title = _l("Window")
    list_columns = ["code", "name", "kind", "zone", "departments", "active"]
    add_columns = edit_columns = ["zone", "code", "name", "kind", "departments", "approval_ref", "active"]
    search_columns = ["code", "name", "kind", "zone", "departments"]
    label_columns = {
        "code": _l("Window number"),
        "name": _l("Name"),
        "kind": _l("Window kind"),
        "zone": _l("Zone"),
        "departments": _l("Departments served"),
        "approval_ref": _l("Centre approval reference"),
        "active": _l("In service"),
    }
    validators_columns = {"approval_ref": [_specialised_needs_approval]}
    # FAB turns a NOT NULL boolean into a required field, refusing an unticked box.
    add_form_extra_fields = edit_form_extra_fields = {"active": BooleanField(_l("In service"), default=True)}


class DepartmentStaffView(ModelView):
    """部门人员: a department's own staff, visible only to that department (read-only)."""

    datamodel = SQLAInterface(Staff)
    base_permissions = ["can_list", "can_show"]
    base_filters = [["department_id", DepartmentScope, None]]
    list_title = _l("Department staff")
    show_title = _l("Staff member")
    list_columns = ["username", "first_name", "last_name", "department", "roles", "phone"]
    show_columns = ["username", "first_name", "last_name", "department", "roles", "windows", "phone", "email"]
    search_columns = ["username", "first_name", "last_name"]
    formatters_columns = {"roles": role_names}
    label_columns = {
        "username": _l("User name"),
        "first_name": _l("First name"),
        "last_name": _l("Last name"),
        "department": _l("Department"),
        "roles": _l("Roles"),
        "windows": _l("Windows"),
        "phone": _l("Phone"),
        "email": _l("Email"),
    }
