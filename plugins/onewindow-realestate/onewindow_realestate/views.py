"""Screens of real-estate registration: property units, transfers, the utility follow-up
tasks with their status, and the deed-tax estimate. Thin adapters over :mod:`.service`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import g, request
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from onewindow import DepartmentScope, clock
from onewindow_realestate import deedtax
from onewindow_realestate.models import Mortgage, PropertyUnit, Transfer, UtilityTask

TEMPLATES = str(Path(__file__).resolve().parent / "templates")

LABELS = {
    "unit_number": _l("Property unit number"),
    "location": _l("Location"),
    "area": _l("Area (m²)"),
    "use": _l("Use"),
    "right_type": _l("Right type"),
    "owner_name": _l("Right holder"),
    "owner_id": _l("Right holder's ID"),
    "certificate": _l("Certificate (e-licence)"),
    "department": _l("Registration authority"),
    "mortgaged": _l("Mortgaged"),
    "case_number": _l("Case number"),
    "unit": _l("Property unit"),
    "seller_name": _l("Seller"),
    "buyer_name": _l("Buyer"),
    "price": _l("Declared price"),
    "first_home": _l("Buyer's first home"),
    "deed_tax_rate": _l("Deed tax rate"),
    "deed_tax": _l("Deed tax (estimate)"),
    "registered_on": _l("Registered on"),
    "old_certificate": _l("Seller's certificate"),
    "tasks": _l("Utility tasks"),
    "transfer": _l("Transfer"),
    "utility": _l("Utility"),
    "status": _l("Status"),
    "note": _l("Note"),
    "updated_by": _l("Updated by"),
    "updated_at": _l("Updated at"),
    "mortgagee": _l("Mortgagee"),
    "debt_amount": _l("Secured debt (10k yuan)"),
}


class _Scoped(ModelView):
    base_filters = [["department_id", DepartmentScope, None]]
    # A department records units of its own registration authority only (issue #15).
    add_form_query_rel_fields = edit_form_query_rel_fields = {"department": [["id", DepartmentScope, None]]}
    base_order = ("id", "desc")
    label_columns = LABELS


class PropertyUnitView(_Scoped):
    """不动产单元: registered units and their right holder (kept up to date by approvals)."""

    datamodel = SQLAInterface(PropertyUnit)
    list_title = _l("Property units")
    list_columns = ["unit_number", "location", "area", "use", "right_type", "owner_name", "mortgaged", "department"]
    show_columns = list_columns + ["owner_id", "certificate"]
    add_columns = ["unit_number", "location", "area", "use", "right_type", "owner_name", "owner_id", "department"]
    edit_columns = ["location", "area", "use", "right_type"]
    search_columns = ["unit_number", "location", "owner_name", "owner_id", "use"]


class TransferView(_Scoped):
    datamodel = SQLAInterface(Transfer)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Transfers")
    list_columns = ["case_number", "unit", "seller_name", "buyer_name", "price", "deed_tax", "registered_on"]
    show_columns = list_columns + ["first_home", "deed_tax_rate", "old_certificate", "tasks"]
    search_columns = ["case_number", "seller_name", "buyer_name", "registered_on"]


class UtilityTaskView(_Scoped):
    """水电气联动过户 follow-up: the centre records what each utility answered."""

    datamodel = SQLAInterface(UtilityTask)
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_title = _l("Utility transfer tasks")
    list_columns = ["transfer", "utility", "status", "note", "updated_by", "updated_at"]
    show_columns = list_columns
    edit_columns = ["status", "note"]
    search_columns = ["utility", "status", "updated_at"]

    def pre_update(self, item):
        item.updated_by, item.updated_at = g.user.username, clock.now()


class MortgageView(_Scoped):
    datamodel = SQLAInterface(Mortgage)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Mortgages")
    list_columns = ["case_number", "unit", "mortgagee", "debt_amount", "registered_on"]
    search_columns = ["case_number", "mortgagee", "registered_on"]


class DeedTaxView(BaseView):
    """契税 estimate for the applicant, with the rule it applies (:mod:`.deedtax`)."""

    route_base = "/realestate/deed-tax"
    default_view = "index"
    template_folder = TEMPLATES

    @expose("/")
    @has_access
    def index(self):
        args = request.args
        result = None
        try:
            if args.get("price") and args.get("area"):
                price, area = Decimal(args["price"]), Decimal(args["area"])
                rate, tax = deedtax.deed_tax(
                    price, args.get("first_home") == "1", area, args.get("use", "住宅") == "住宅"
                )
                result = {"rate": f"{rate * 100:g}%", "tax": f"{tax:,.2f}"}
        except InvalidOperation:
            result = {"error": str(_l("Enter the price and the area as numbers"))}
        return self.render_template(
            "realestate/deed_tax.html", args=args, result=result, title=str(_l("Deed tax estimate"))
        )
