"""Screens of enterprise registration: the register, the name pre-check, and the one-form
establishment application (多证合一). Thin adapters over :mod:`.service` and the case engine."""

from __future__ import annotations

import re
from pathlib import Path

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from onewindow import (
    ApplicantType,
    ApplicationInvalid,
    Channel,
    ConflictError,
    Department,
    Item,
    ItemStatus,
    MaterialStatus,
    PermissionDenied,
    TransitionError,
    Window,
    db,
    engine,
)
from onewindow_enterprise import service
from onewindow_enterprise.forms import COMPANY_TYPES
from onewindow_enterprise.models import Enterprise

HERE = Path(__file__).resolve().parent
TEMPLATES = str(HERE / "templates")
SIMPLE_FIELDS = (
    "company_name",
    "company_type",
    "registered_capital",
    "address",
    "business_scope",
    "legal_rep_name",
    "legal_rep_id",
    "phone",
    "postcode",
)
SHAREHOLDER_ROWS = 5


class EnterpriseView(ModelView):
    """企业登记簿: public register information, read-only (rows come from approved cases)."""

    datamodel = SQLAInterface(Enterprise)
    base_permissions = ["can_list", "can_show"]
    base_order = ("id", "desc")
    list_title = _l("Enterprise register")
    show_title = _l("Enterprise")
    list_columns = [
        "uscc",
        "name",
        "company_type",
        "legal_rep_name",
        "registered_capital",
        "established_on",
        "status_label",
        "department",
    ]
    show_columns = list_columns + [
        "address",
        "business_scope",
        "shareholders",
        "case_number",
        "last_case_number",
        "deregistered_on",
    ]
    search_columns = ["uscc", "name", "legal_rep_name", "established_on", "status"]
    label_columns = {
        "uscc": _l("Unified social credit code"),
        "name": _l("Enterprise name"),
        "company_type": _l("Enterprise type"),
        "legal_rep_name": _l("Legal representative"),
        "registered_capital": _l("Registered capital (10k yuan)"),
        "established_on": _l("Date of establishment"),
        "status_label": _l("Status"),
        "status": _l("Status"),
        "department": _l("Registration authority"),
        "address": _l("Address"),
        "business_scope": _l("Business scope"),
        "shareholders": _l("Shareholders"),
        "case_number": _l("Establishment case"),
        "last_case_number": _l("Latest change case"),
        "deregistered_on": _l("Deregistered on"),
    }


def _region_choices() -> list[tuple[str, str]]:
    """Regions with a registration authority: those of the departments running the
    establishment item (the name rule is per region)."""
    rows = (
        db.session.query(Department)
        .join(Item, Item.department_id == Department.id)
        .filter(Item.form_key == service.ESTABLISH, Item.is_current.is_(True))
        .distinct()
        .all()
    )
    return sorted({(service.region_of(d), d.region.name) for d in rows})


class EnterpriseNameCheckView(BaseView):
    """名称自主申报查重: the same rule acceptance applies (:func:`service.name_problem`)."""

    route_base = "/enterprise/name-check"
    default_view = "index"
    template_folder = TEMPLATES

    @expose("/")
    @has_access
    def index(self):
        name = (request.args.get("name") or "").strip()
        regions = _region_choices()
        region = request.args.get("region") or (regions[0][0] if regions else "")
        result = None
        if name:
            result = {"name": name, "problem": service.name_problem(region, name)}
        return self.render_template(
            "enterprise/name_check.html",
            name=name,
            regions=regions,
            region=region,
            result=result,
            title=str(_l("Enterprise name pre-check")),
        )


def _establishment_item() -> Item | None:
    return (
        db.session.query(Item)
        .filter(Item.form_key == service.ESTABLISH, Item.is_current.is_(True), Item.status == ItemStatus.active)
        .order_by(Item.id)
        .first()
    )


def application_data(form) -> dict:
    """Case data from the posted one-form application; empty shareholder rows are dropped."""
    data = {name: (form.get(name) or "").strip() for name in SIMPLE_FIELDS}
    rows: dict[int, dict] = {}
    for key, value in form.items():
        m = re.fullmatch(r"shareholders-(\d+)-(name|id_number|share)", key)
        if m:
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = (value or "").strip()
    data["shareholders"] = [rows[n] for n in sorted(rows) if any(rows[n].values())]
    return data


class EnterpriseEstablishView(BaseView):
    """企业设立登记（多证合一）一表申请 at the comprehensive window.

    The one-form screen of 多证合一 (the core workbench renders the same plugin form too);
    it hands the application to the ONE engine function ``accept``.
    """

    route_base = "/enterprise/establish"
    default_view = "index"
    template_folder = TEMPLATES

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        item = _establishment_item()
        if item is None:
            abort(404)
        form = request.form
        if request.method == "POST":
            case = self._accept(item, form)
            if case is not None:
                flash(str(_l("Application accepted")), "success")
                return redirect(url_for("CaseView.show", pk=case.id))
        actor = engine.Actor.of(g.user)
        windows = db.session.query(Window).filter(Window.id.in_(list(actor.window_ids) or [0])).all()
        shareholders = application_data(form)["shareholders"] if request.method == "POST" else []
        shareholders += [{}] * max(SHAREHOLDER_ROWS - len(shareholders), 1)
        return self.render_template(
            "enterprise/establish.html",
            item=item,
            form=form,
            windows=windows,
            company_types=COMPANY_TYPES,
            shareholders=shareholders,
            statuses=[s for s in MaterialStatus if s.name in ("submitted", "missing", "not_needed")],
            title=str(_l("Enterprise establishment (multi-certificate-in-one)")),
        )

    def _accept(self, item: Item, form):
        window = db.session.get(Window, int(form["window_id"])) if (form.get("window_id") or "").isdigit() else None
        application = engine.Application(
            item=item,
            applicant_type=ApplicantType.person,
            applicant_name=form.get("applicant_name", ""),
            applicant_id=form.get("applicant_id", ""),
            channel=Channel.window,
            data=application_data(form),
            phone=form.get("phone") or None,
            window=window,
        )
        statuses = {m.id: MaterialStatus[form.get(f"m{m.id}", "submitted")] for m in item.materials}
        try:
            return engine.accept(application, engine.Actor.of(g.user), statuses, form.get("note", ""))
        except ApplicationInvalid as exc:
            for field, message in exc.problems:
                flash(f"{field}：{message}" if field else message, "danger")
        except (TransitionError, PermissionDenied, ConflictError) as exc:
            flash(str(exc), "danger")
        return None
