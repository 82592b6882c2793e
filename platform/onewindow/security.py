"""Roles, permissions and department scoping.

Roles are declared here as data (key → Chinese display name, key → permission list)
and written by ``onewindow init``; plugins add roles and grants through hooks.
Department scoping is one rule, :func:`department_condition`: centre roles (admin,
front office, output window, supervision) see every department's rows; department roles
(approver, chief representative, seal admin) only their own department's; anyone else,
or a department role without a department, nothing. Screens and APIs apply it through
``DepartmentScope`` (a FAB base filter), the case scope (``cases.scope``) and the inbox
through the function itself.
"""

from __future__ import annotations

from typing import Iterable

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView, UserGroupModelView, UserStatsChartView
from flask_babel import lazy_gettext as _l
from sqlalchemy import false
from wtforms.validators import ValidationError as WTFormsValidationError

from onewindow.auth.manager import HardenedSecurity
from onewindow.display import server_time
from onewindow.models.staff import Staff
from onewindow.permcache import CachedPermissions
from onewindow.plugins import menu, read

ADMIN = "admin"
PUBLIC = "Public"

#: Core roles: key → Chinese display name (issue #2 fixes the keys).
CORE_ROLES: dict[str, str] = {
    "admin": "中心管理员",
    "acceptor": "前台受理",
    "approver": "后台审批",
    "chief_rep": "首席代表",
    "seal_admin": "印章管理员",
    "output_clerk": "出件",
    "supervisor": "电子监察",
    "Public": "公众（未登录）",
}

#: Roles that work across departments and see every department's rows.
CENTRE_ROLES = frozenset({"admin", "acceptor", "output_clerk", "supervisor"})
#: Roles whose holders belong to a department (back office): they need a department,
#: and they see only that department's rows [003 §二].
DEPARTMENT_ROLES = frozenset({"approver", "chief_rep", "seal_admin"})
#: The department roles that act on a case for their department: pre-review, approve,
#: return for correction, special procedures (§45), hand the result over.
DECIDING_ROLES = frozenset({"approver", "chief_rep"})

_SELF_SERVICE = [
    ("can_userinfo", "StaffUserView"),
    ("resetmypassword", "StaffUserView"),
    ("userinfoedit", "StaffUserView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
]


_ORG_READ = read(
    "RegionView", "DepartmentView", "CentreView", "ZoneView", "WindowView", "DepartmentApi", "WindowApi", api=True
) + menu("Organisation", "Departments", "Zones", "Windows")
_DEPT_STAFF = read("DepartmentStaffView", "StaffApi", api=True) + menu("Department staff")

#: Core grants: role key → (permission, view menu) pairs. The admin role gets everything.
CORE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    "acceptor": _SELF_SERVICE + _ORG_READ,
    "approver": _SELF_SERVICE + _ORG_READ + _DEPT_STAFF,
    "chief_rep": _SELF_SERVICE + _ORG_READ + _DEPT_STAFF,
    "seal_admin": _SELF_SERVICE + _ORG_READ + _DEPT_STAFF,
    "output_clerk": _SELF_SERVICE + _ORG_READ,
    "supervisor": _SELF_SERVICE + _ORG_READ + _DEPT_STAFF + read("PluginsView", api=True) + menu("Plugins"),
    "Public": [],
}


def role_keys(user) -> set[str]:
    return {r.name for r in getattr(user, "roles", None) or []}


def current_department_id() -> int | None:
    user = getattr(g, "user", None)
    return getattr(user, "department_id", None)


def is_unscoped(user) -> bool:
    return bool(role_keys(user) & CENTRE_ROLES)


def scoped_department(user) -> int | None | bool:
    """``True``: every department; an id: that department only; ``None``: none (fails closed)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    roles = role_keys(user)
    if roles & CENTRE_ROLES:
        return True
    if roles & DEPARTMENT_ROLES:
        return getattr(user, "department_id", None)
    return None


def department_condition(user, column):
    """The department rule as SQL on ``column`` (a department id column); None = every row."""
    scope = scoped_department(user)
    if scope is True:
        return None
    if scope is None:
        return false()
    return column == scope


class DepartmentScope(BaseFilter):
    """Restrict rows to what :func:`department_condition` lets the current user see.

    Used as ``base_filters = [["department_id", DepartmentScope, None]]``; FAB then also
    answers 404 for /show/<id> and /edit/<id> of other rows. On the ``id`` column of
    ``Department`` it limits a department choice to the user's own department.
    """

    name = "Department scope"
    arg_name = "dept_scope"

    def apply(self, query, value):
        condition = department_condition(getattr(g, "user", None), getattr(self.model, self.column_name))
        return query if condition is None else query.filter(condition)


def role_required(form, field) -> None:
    """A staff member without a role can do nothing; FAB's own check also reads a
    ``groups`` field this form does not have (a KeyError, i.e. a 500)."""
    if not field.data:
        raise WTFormsValidationError(_l("Choose at least one role"))


class StaffUserView(UserDBModelView):
    """Centre admins manage staff with their region, department and windows."""

    list_title = _l("Staff")
    show_title = _l("Staff member")
    add_title = _l("Add staff member")
    edit_title = _l("Edit staff member")
    list_columns = ["username", "first_name", "last_name", "department", "roles", "active", "last_login"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Organisation"), {"fields": ["region", "department", "windows", "phone"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "created_on", "changed_on"], "expanded": False}),
    ]
    # FAB stamps these with the server's local time: shown in the centre's zone (one clock)
    formatters_columns = {"last_login": server_time, "created_on": server_time, "changed_on": server_time}
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "phone",
        "roles",
        "region",
        "department",
        "windows",
        "password",
        "conf_password",
    ]
    edit_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "phone",
        "roles",
        "region",
        "department",
        "windows",
    ]
    search_columns = ["username", "first_name", "last_name", "email", "department", "roles", "active"]
    validators_columns = {"roles": [role_required]}
    label_columns = {
        **UserDBModelView.label_columns,  # FAB's Chinese labels of the other user columns
        "region": _l("Region"),
        "department": _l("Department"),
        "windows": _l("Windows"),
        "phone": _l("Phone"),
    }


class StaffGroupView(UserGroupModelView):
    """FAB's group screen with its columns labelled (FAB leaves them to the English column names)."""

    class_permission_name = "UserGroupModelView"  # FAB's permission and address kept

    label_columns = {
        "name": _l("Name"),
        "label": _l("Label"),
        "description": _l("Description"),
        "users": _l("Users"),
        "roles": _l("Roles"),
    }


class StaffStatsChartView(UserStatsChartView):
    """FAB's login statistics with Chinese chart and column names (FAB's are plain English)."""

    route_base = "/userstatschartview"
    class_permission_name = "UserStatsChartView"  # FAB's permission and address kept

    label_columns = {
        **UserDBModelView.label_columns,
        "username": _l("User Name"),
        "login_count": _l("Login count"),
        "fail_login_count": _l("Failed login count"),
        "department": _l("Department"),
    }
    definitions = [
        {"label": _l("Login count"), "group": "username", "series": ["login_count"]},
        {"label": _l("Failed login count"), "group": "username", "series": ["fail_login_count"]},
    ]
    CHINESE_LABELS = dict(label_columns)
    search_columns = ["username", "first_name", "last_name", "email", "active", "department"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # FAB's chart view relabels the series with prettified English column names: undo that
        self.label_columns = {**self.label_columns, **self.CHINESE_LABELS}


class OneWindowSecurityManager(HardenedSecurity, CachedPermissions, SecurityManager):
    """Lockout, password policy, session versions and 401s come from :class:`HardenedSecurity`;
    per-process caching of role grants from :class:`CachedPermissions`."""

    user_model = Staff
    userdbmodelview = StaffUserView
    groupmodelview = StaffGroupView
    userstatschartview = StaffStatsChartView


def sync_roles(sm, extra_roles: dict[str, str], grants: dict[str, list[tuple[str, str]]]) -> dict[str, int]:
    """Create every role and grant its permissions. Idempotent; returns grants per role."""
    counts: dict[str, int] = {}
    for key in list(CORE_ROLES) + list(extra_roles):
        sm.add_role(key)
    for key, pairs in grants.items():
        role = sm.find_role(key)
        have = set(role.permissions)
        added = 0
        for permission, view in _dedupe(pairs):
            pv = sm.find_permission_view_menu(permission, view)
            if pv is None:
                pv = sm.add_permission_view_menu(permission, view)
            if pv is not None and pv not in have:
                role.permissions.append(pv)
                have.add(pv)
                added += 1
        counts[key] = added
    sm.session.commit()
    return counts


def _dedupe(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for pair in pairs:
        seen[(pair[0], pair[1])] = None
    return list(seen)
