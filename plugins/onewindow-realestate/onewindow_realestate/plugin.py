"""Real-estate registration plugin (不动产登记), key ``realestate``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``realestate``.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from onewindow import can, hookimpl, menu, read
from onewindow_realestate import (
    models,  # noqa: F401  (tables on FAB's metadata)
    service,
)

KEY = "realestate"
CATEGORY = "Real estate"
HERE = Path(__file__).resolve().parent


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def register_item_forms(register):
    from onewindow_realestate.forms import MortgageForm, TransferForm

    register(service.TRANSFER, TransferForm)
    register(service.MORTGAGE, MortgageForm)


@hookimpl
def register_licence_types(register):
    register(
        service.CERTIFICATE,
        name="不动产权证书",
        type_oid="21110",
        fields=[
            {"name": "holder", "label": "权利人", "required": True, "mask": "name"},
            {"name": "unit_number", "label": "不动产单元号", "required": True, "mask": "hidden"},
            {"name": "location", "label": "坐落", "required": True, "mask": "address"},
            {"name": "area", "label": "面积（平方米）", "type": "number", "mask": "none"},
            {"name": "use", "label": "用途", "mask": "none"},
            {"name": "right_type", "label": "权利类型", "mask": "none"},
        ],
    )


@hookimpl
def validate_application(case, data, report):
    service.application_problems(case, data, report)


@hookimpl
def case_transition(case, event):
    service.on_transition(case, event)


@hookimpl
def licence_data(case, licence_type):
    return service.licence_fields(case, licence_type)


@hookimpl
def register_views(register):
    from onewindow_realestate.views import (
        DeedTaxView,
        MortgageView,
        PropertyUnitView,
        TransferView,
        UtilityTaskView,
    )

    menu = {"category": CATEGORY, "category_label": _l("Real-estate registration"), "icon": "fa-home"}
    register(PropertyUnitView, name="Property units", label=_l("Property units"), **menu)
    register(TransferView, name="Transfers", label=_l("Transfers"), **menu)
    register(UtilityTaskView, name="Utility transfer tasks", label=_l("Utility transfer tasks"), **menu)
    register(MortgageView, name="Mortgages", label=_l("Mortgages"), **menu)
    register(DeedTaxView, name="Deed tax estimate", label=_l("Deed tax estimate"), **menu)


@hookimpl
def register_permissions(register):
    everything = (
        read("PropertyUnitView", "TransferView", "UtilityTaskView", "MortgageView")
        + can("DeedTaxView", "index")
        + menu(CATEGORY, "Property units", "Transfers", "Utility transfer tasks", "Mortgages", "Deed tax estimate")
    )
    department = everything + can("PropertyUnitView", "add", "edit") + can("UtilityTaskView", "edit")
    register("approver", department)
    register("chief_rep", department)
    register("supervisor", everything)
    register("acceptor", can("DeedTaxView", "index") + menu(CATEGORY, "Deed tax estimate"))


@hookimpl
def app_ready(app):
    # FAB's create_blueprint() drops a view's static_folder: serve ours with a plain blueprint.
    from flask import Blueprint

    app.register_blueprint(
        Blueprint(
            "realestate_static", __name__, static_folder=str(HERE / "static"), static_url_path="/realestate/static"
        )
    )
