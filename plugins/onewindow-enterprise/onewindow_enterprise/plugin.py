"""Enterprise registration plugin (企业登记), key ``enterprise``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``enterprise``.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from onewindow import hookimpl
from onewindow_enterprise import (
    models,  # noqa: F401  (tables on FAB's metadata)
    service,
)

KEY = "enterprise"
CATEGORY = "Enterprise"
HERE = Path(__file__).resolve().parent

#: ``[plugins.enterprise]`` in onewindow.toml. ``merged_departments``: credit codes of the
#: departments whose certificates are merged into the business licence (多证合一); they
#: handle an establishment in parallel with the registration authority. The default is
#: the demo county's tax bureau and human-resources/social-security bureau.
CONFIG_DEFAULTS = {
    "merged_departments": ["11369921102820747H", "11369921102979125H"],
    "merged_step_days": 1,
}


@hookimpl
def register_config(register):
    register(KEY, dict(CONFIG_DEFAULTS))


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def register_item_forms(register):
    from onewindow_enterprise.forms import ChangeForm, DeregistrationForm, EstablishmentForm

    register(service.ESTABLISH, EstablishmentForm)
    register(service.CHANGE, ChangeForm)
    register(service.DEREGISTER, DeregistrationForm)


@hookimpl
def register_licence_types(register):
    register(
        service.LICENCE_TYPE,
        name="营业执照",
        type_oid="11110",
        fields=[
            {"name": "company_name", "label": "名称", "required": True, "mask": "none"},
            {"name": "uscc", "label": "统一社会信用代码", "type": "credit_code", "required": True, "mask": "none"},
            {"name": "company_type", "label": "类型", "mask": "none"},
            {"name": "legal_rep_name", "label": "法定代表人", "required": True, "mask": "name"},
            {"name": "registered_capital", "label": "注册资本（万元）", "type": "number", "mask": "none"},
            {"name": "address", "label": "住所", "mask": "address"},
            {"name": "business_scope", "label": "经营范围", "mask": "none"},
            {"name": "established_on", "label": "成立日期", "type": "date", "mask": "none"},
        ],
    )


@hookimpl
def validate_application(case, data, report):
    service.application_problems(case, data, report)


@hookimpl
def decide_routing(case):
    """多证合一: the departments whose certificates are merged handle the establishment in
    parallel with the registration authority (lead); a silent one consents at its
    deadline [002 §二(三)2, §二(四)2]."""
    if getattr(case.item, "form_key", None) != service.ESTABLISH:
        return None
    from onewindow import Department, PlannedStep, db

    cfg = current_app.extensions["onewindow"].plugin_config(KEY)
    item = case.item
    lead = next((s for s in item.steps if s.is_lead), None)
    steps = [
        PlannedStep(
            item.department_id,
            lead.days if lead else item.promised_days,
            True,
            True,
            False,
            lead.task if lead else "登记审查并作出决定",
        )
    ]
    for code in cfg["merged_departments"]:
        dept = db.session.query(Department).filter_by(credit_code=code).one_or_none()
        if dept is None or dept.id == item.department_id:
            continue  # a county without that department simply has fewer merged certificates
        steps.append(
            PlannedStep(
                dept.id, int(cfg["merged_step_days"]), False, True, True, "多证合一：同步办理本部门登记（证照信息共享）"
            )
        )
    return steps


@hookimpl
def case_transition(case, event):
    service.on_transition(case, event)


@hookimpl
def licence_data(case, licence_type):
    return service.licence_fields(case, licence_type)


@hookimpl
def register_views(register):
    from onewindow_enterprise.views import EnterpriseEstablishView, EnterpriseNameCheckView, EnterpriseView

    menu = {"category": CATEGORY, "category_label": _l("Enterprise registration"), "icon": "fa-building"}
    register(EnterpriseEstablishView, name="Establishment application", label=_l("One-form establishment"), **menu)
    register(EnterpriseNameCheckView, name="Name pre-check", label=_l("Name pre-check"), **menu)
    register(EnterpriseView, name="Enterprise register", label=_l("Enterprise register"), **menu)


@hookimpl
def register_permissions(register):
    read = [
        ("can_list", "EnterpriseView"),
        ("can_show", "EnterpriseView"),
        ("can_index", "EnterpriseNameCheckView"),
        ("menu_access", CATEGORY),
        ("menu_access", "Enterprise register"),
        ("menu_access", "Name pre-check"),
    ]
    accept = [("can_index", "EnterpriseEstablishView"), ("menu_access", "Establishment application")]
    register("acceptor", read + accept)
    register("chief_rep", read + accept)
    register("approver", read)
    register("output_clerk", read)
    register("supervisor", read)


@hookimpl
def app_ready(app):
    # FAB's create_blueprint() drops a view's static_folder, so the plugin's static files
    # are served by a plain blueprint of their own.
    from flask import Blueprint

    app.register_blueprint(
        Blueprint(
            "enterprise_static", __name__, static_folder=str(HERE / "static"), static_url_path="/enterprise/static"
        )
    )
