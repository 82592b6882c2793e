"""REST APIs for the organisation model; the same role and department checks as the screens."""

from __future__ import annotations

from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface

from onewindow.app import db
from onewindow.errors import ValidationError
from onewindow.models import Department, Staff, Window
from onewindow.security import DepartmentScope


class RefusesInvalidRows:
    """Model validators (``onewindow.validators``) refuse a row with ValidationError; FAB's
    ``@safe`` would answer that 500. Answer 422 with the validator's message instead."""

    def post_headless(self):
        return self._refusing(super().post_headless)

    def put_headless(self, pk):
        return self._refusing(lambda: super(RefusesInvalidRows, self).put_headless(pk))

    def _refusing(self, call):
        try:
            return call()
        except ValidationError as exc:
            db.session.rollback()
            return self.response(422, message=str(exc), problems=[{"field": None, "message": str(exc)}])


class DepartmentApi(RefusesInvalidRows, ModelRestApi):
    resource_name = "departments"
    datamodel = SQLAInterface(Department)
    allow_browser_login = True
    base_permissions = ["can_get", "can_info", "can_post", "can_put", "can_delete"]
    list_columns = ["id", "name", "short_name", "credit_code", "region.code", "region.name"]
    show_columns = list_columns + ["phone"]
    add_columns = edit_columns = ["name", "short_name", "credit_code", "region", "phone"]


class WindowApi(ModelRestApi):
    resource_name = "windows"
    datamodel = SQLAInterface(Window)
    allow_browser_login = True
    base_permissions = ["can_get", "can_info"]
    list_columns = ["id", "code", "name", "kind", "zone.name", "active"]
    show_columns = list_columns + ["departments.name"]


class StaffApi(ModelRestApi):
    """Staff of the caller's own department (all departments for admins and supervisors)."""

    resource_name = "staff"
    datamodel = SQLAInterface(Staff)
    allow_browser_login = True
    base_permissions = ["can_get", "can_info"]
    base_filters = [["department_id", DepartmentScope, None]]
    list_columns = ["id", "username", "first_name", "last_name", "department.name", "phone"]
    show_columns = list_columns + ["roles.name", "windows.code"]
