"""Screens of the public-security plugin."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from onewindow import DepartmentScope
from onewindow_public_security.models import Capture


class PublicSecurityCaptureView(ModelView):
    """现场采集 records (who appeared in person, where, taken by whom)."""

    datamodel = SQLAInterface(Capture)
    base_permissions = ["can_list", "can_show"]
    # Photos and fingerprints: the public-security bureau's own records (issue #15).
    base_filters = [["department_id", DepartmentScope, None]]
    base_order = ("id", "desc")
    list_title = _l("In-person captures")
    list_columns = ["case_number", "item_name", "applicant_name", "window", "captured_by", "captured_at"]
    search_columns = ["case_number", "item_name", "applicant_name", "captured_at"]
    label_columns = {
        "case_number": _l("Case number"),
        "item_name": _l("Service item"),
        "applicant_name": _l("Applicant"),
        "window": _l("Window"),
        "captured_by": _l("Captured by"),
        "captured_at": _l("Captured at"),
        "department": _l("Department"),
    }
