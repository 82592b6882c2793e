"""Screens of the catalogue: items with their lists (read-only: items change through packs,
so every change is versioned and recorded), item types, installed packs and their history,
and the pack upload page (validation report → diff → apply)."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access, permission_name
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from onewindow.errors import ValidationError
from onewindow.models.items import (
    FieldType,
    FormField,
    Item,
    ItemEvent,
    ItemFaq,
    ItemType,
    Material,
    Pack,
    PackEvent,
    RoutingStep,
)

READ_ONLY = ["can_list", "can_show"]


def _joined(values) -> str:
    return "、".join(str(v) for v in values or [])


def _fees(fees) -> str:
    return "；".join(f"{f.get('name')}：{f.get('standard')}" for f in fees or []) or "不收费"


class ItemMaterialView(ModelView):
    """受理清单: what the window may ask for — and nothing else [003 §二 2]."""

    datamodel = SQLAInterface(Material)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Materials list")
    base_order = ("position", "asc")
    list_columns = ["position", "name", "necessity", "form", "copies", "source", "licence_type_code", "standard"]
    show_columns = ["item", *list_columns, "sample_ref"]
    label_columns = {
        "item": _l("Service item"),
        "position": _l("No."),
        "name": _l("Material"),
        "necessity": _l("Necessity"),
        "form": _l("Form"),
        "copies": _l("Copies"),
        "source": _l("Source"),
        "licence_type_code": _l("E-licence type"),
        "standard": _l("Acceptance standard"),
        "sample_ref": _l("Sample"),
    }


class ItemStepView(ModelView):
    datamodel = SQLAInterface(RoutingStep)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Routing")
    base_order = ("position", "asc")
    list_columns = ["position", "department", "is_lead", "days", "silence_consents", "task"]
    show_columns = ["item", *list_columns]
    label_columns = {
        "item": _l("Service item"),
        "position": _l("No."),
        "department": _l("Department"),
        "is_lead": _l("Lead"),
        "days": _l("Working days"),
        "silence_consents": _l("Silence counts as consent"),
        "task": _l("Task"),
    }


class ItemFieldView(ModelView):
    datamodel = SQLAInterface(FormField)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Application form fields")
    base_order = ("position", "asc")
    list_columns = ["position", "name", "label", "type", "required", "choices", "regex"]
    show_columns = ["item", *list_columns, "help_text"]
    formatters_columns = {"choices": _joined}
    label_columns = {
        "item": _l("Service item"),
        "position": _l("No."),
        "name": _l("Field key"),
        "label": _l("Label"),
        "type": _l("Field type"),
        "required": _l("Required"),
        "choices": _l("Choices"),
        "regex": _l("Pattern"),
        "help_text": _l("Help text"),
    }


class ItemFaqView(ModelView):
    datamodel = SQLAInterface(ItemFaq)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Questions and answers")
    base_order = ("position", "asc")
    list_columns = ["question", "answer"]
    show_columns = ["item", "question", "answer"]
    label_columns = {"item": _l("Service item"), "question": _l("Question"), "answer": _l("Answer")}


class ItemEventView(ModelView):
    """Set-up, change, split, delegation, cancellation: who, when, why (no 明减暗增)."""

    datamodel = SQLAInterface(ItemEvent)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Item history")
    base_order = ("at", "desc")
    list_columns = ["at", "implementation_code", "item", "action", "version", "actor", "reason"]
    show_columns = [*list_columns, "changes"]
    search_columns = ["implementation_code", "action", "actor", "at"]
    formatters_columns = {"changes": lambda c: _joined((c or {}).get("fields")) if isinstance(c, dict) else str(c)}
    label_columns = {
        "at": _l("When"),
        "implementation_code": _l("Implementation code"),
        "item": _l("Service item"),
        "action": _l("Action"),
        "version": _l("Version"),
        "actor": _l("By"),
        "reason": _l("Reason"),
        "changes": _l("Changed fields"),
    }


class ItemView(ModelView):
    """事项: every element of the national item record; one row per version."""

    datamodel = SQLAInterface(Item)
    base_permissions = READ_ONLY
    list_title = _l("Service items")
    show_title = _l("Service item")
    base_order = ("basic_code", "asc")
    list_columns = [
        "basic_code",
        "name",
        "item_type",
        "department",
        "handling_type",
        "promised_days",
        "version",
        "status",
        "is_current",
    ]
    search_columns = [
        "name",
        "basic_code",
        "implementation_code",
        "item_type",
        "department",
        "handling_type",
        "service_area",
        "status",
        "is_current",
        "pack_key",
    ]
    related_views = [ItemMaterialView, ItemStepView, ItemFieldView, ItemFaqView, ItemEventView]
    show_template = "appbuilder/general/model/show_cascade.html"
    show_fieldsets = [
        (
            _l("Identity"),
            {
                "fields": [
                    "name",
                    "basic_code",
                    "implementation_code",
                    "item_type",
                    "parent_code",
                    "exercise_level",
                    "version",
                    "status",
                    "is_current",
                    "pack_key",
                    "service_area",
                ]
            },
        ),
        (_l("Who"), {"fields": ["department", "entrusted_department", "joint_departments", "zone", "windows"]}),
        (_l("Basis and conditions"), {"fields": ["legal_basis", "conditions", "special_procedures"]}),
        (
            _l("Time limits (working days)"),
            {
                "fields": [
                    "legal_days",
                    "promised_days",
                    "handling_type",
                    "correction_limit_days",
                    "pre_review_days",
                    "extension_days",
                    "extension_rule",
                    "warning_days",
                ]
            },
        ),
        (
            _l("Service mode"),
            {
                "fields": [
                    "service_mode",
                    "visits_required",
                    "online_depth",
                    "postal_delivery",
                    "appointment",
                    "in_person_required",
                    "confidential",
                ]
            },
        ),
        (_l("Fees"), {"fields": ["fees", "joint_fee"]}),
        (_l("Routing and form"), {"fields": ["routing_mode", "form_key", "licence_type_code"]}),
        (_l("Service guide"), {"fields": ["guide"], "expanded": True}),
    ]
    formatters_columns = {
        "special_procedures": _joined,
        "fees": _fees,
        "joint_departments": _joined,
        "windows": _joined,
    }
    label_columns = {
        "name": _l("Item name"),
        "basic_code": _l("Basic code"),
        "implementation_code": _l("Implementation code"),
        "item_type": _l("Item type"),
        "parent_code": _l("Main item"),
        "exercise_level": _l("Exercise level"),
        "version": _l("Version"),
        "status": _l("Status"),
        "is_current": _l("Current version"),
        "pack_key": _l("Item pack"),
        "service_area": _l("Service area"),
        "department": _l("Implementing department"),
        "entrusted_department": _l("Entrusted department"),
        "joint_departments": _l("Joint departments"),
        "zone": _l("Zone"),
        "windows": _l("Windows"),
        "legal_basis": _l("Legal basis"),
        "conditions": _l("Conditions"),
        "special_procedures": _l("Special procedures"),
        "legal_days": _l("Legal limit"),
        "promised_days": _l("Promised limit"),
        "handling_type": _l("Handling type"),
        "correction_limit_days": _l("Correction notice limit"),
        "pre_review_days": _l("Pre-review limit"),
        "extension_days": _l("Extension"),
        "extension_rule": _l("Extension rule"),
        "warning_days": _l("Yellow card before"),
        "service_mode": _l("Service mode"),
        "visits_required": _l("Visits required"),
        "online_depth": _l("Online depth"),
        "postal_delivery": _l("Postal delivery"),
        "appointment": _l("By appointment"),
        "in_person_required": _l("In person"),
        "confidential": _l("Confidential"),
        "fees": _l("Fees"),
        "joint_fee": _l("Fees collected jointly"),
        "routing_mode": _l("Routing"),
        "form_key": _l("Plugin form"),
        "licence_type_code": _l("Result licence"),
        "guide": _l("Service guide"),
    }


class ItemTypeView(ModelView):
    datamodel = SQLAInterface(ItemType)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Item types")
    base_order = ("code", "asc")
    list_columns = show_columns = ["code", "name"]
    label_columns = {"code": _l("Code"), "name": _l("Name")}


#: The counts of a pack event's summary (``install.Plan.summary``), as the screen names them.
SUMMARY_LABELS = {
    "new": _l("new"),
    "changed": _l("changed"),
    "cancelled": _l("cancelled"),
    "unchanged": _l("unchanged"),
    "items_removed": _l("items removed"),
    "regions": _l("Regions"),
    "departments": _l("Departments"),
    "centres": _l("Service centres"),
    "zones": _l("Zones"),
    "windows": _l("Windows"),
    "item types": _l("Item types"),
}

#: The words of a plan line (``install.Plan.lines``: "+ region 360000 江西省", "= 3 item(s) unchanged").
PLAN_WORDS = {
    "install": _l("Install"),
    "upgrade": _l("Upgrade"),
    "bundle": _l("Bundle"),
    "member(s),": _l("member(s),"),
    "limit": _l("limit (working days)"),
    "removed": _l("removed"),
    "region": _l("Region"),
    "department": _l("Department"),
    "centre": _l("Service centre"),
    "zone": _l("Zone"),
    "window": _l("Window"),
    "item": _l("Item"),
    "item-type": _l("Item type"),
    "item(s)": _l("item(s)"),
    "unchanged": _l("unchanged"),
    "cancelled": _l("cancelled"),
    "changed:": _l("changed:"),
    "version": _l("version"),
    "(new)": _l("(new)"),
    "(new,": _l("(new,"),
    "reinstated)": _l("reinstated)"),
}


#: Phrases of a plan line that are translated whole, before its single words.
PLAN_PHRASES = {
    "is installed already; nothing would change": _l("is installed already; nothing would change"),
    "is kept for its cases)": _l("is kept for its cases)"),
}


def plan_line(line: str) -> str:
    """A stored plan line in the screen's language (the CLI prints the same lines)."""
    line = line.replace(" item type ", " item-type ", 1)
    for phrase, words in PLAN_PHRASES.items():
        line = line.replace(phrase, "\0".join(str(words).split(" ")))
    return " ".join(str(PLAN_WORDS.get(word, word)) for word in line.split(" ")).replace("\0", " ")
    return " ".join(str(PLAN_WORDS.get(word, word)) for word in line.split(" "))


class PackEventView(ModelView):
    datamodel = SQLAInterface(PackEvent)
    base_permissions = READ_ONLY
    list_title = show_title = _l("Pack history")
    base_order = ("at", "desc")
    list_columns = ["at", "pack_key", "action", "from_version", "to_version", "actor", "summary"]
    show_columns = [*list_columns, "changes"]
    search_columns = ["pack_key", "action", "actor"]
    formatters_columns = {
        "summary": lambda s: "，".join(f"{SUMMARY_LABELS.get(k, k)} {v}" for k, v in (s or {}).items()),
        "changes": lambda c: "\n".join(plan_line(line) for line in c or []),
    }
    label_columns = {
        "at": _l("When"),
        "pack_key": _l("Pack"),
        "action": _l("Action"),
        "from_version": _l("From version"),
        "to_version": _l("To version"),
        "actor": _l("By"),
        "summary": _l("Summary"),
        "changes": _l("Changes"),
    }


class PackView(ModelView):
    datamodel = SQLAInterface(Pack)
    base_permissions = READ_ONLY
    list_title = _l("Item packs")
    show_title = _l("Item pack")
    list_columns = ["key", "version", "title", "region_code", "item_count", "updated_on", "installed_by"]
    show_columns = [*list_columns, "installed_on", "checksum"]
    search_columns = ["key", "version", "title", "region_code"]
    label_columns = {
        "key": _l("Pack key"),
        "version": _l("Version"),
        "title": _l("Title"),
        "region_code": _l("Region"),
        "item_count": _l("Items"),
        "updated_on": _l("Last change"),
        "installed_by": _l("Installed by"),
        "installed_on": _l("Installed on"),
        "checksum": _l("Checksum"),
    }


class PackUploadForm(FlaskForm):
    archive = FileField(_l("Pack (.zip of the pack folder)"), validators=[FileRequired()])


_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class PackUploadView(BaseView):
    """Upload a pack (zip) → validation report and diff → apply (install or upgrade)."""

    route_base = "/packs/upload"
    default_view = "index"
    base_permissions = ["can_index", "can_apply"]

    def _uploads(self) -> Path:
        return Path(current_app.instance_path) / "pack-uploads"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        from onewindow.app import db
        from onewindow.auth.files import private_folder, tighten
        from onewindow.catalogue.install import check, plan
        from onewindow.catalogue.packs import extract_zip, load_pack

        form = PackUploadForm()
        context = {"form": form, "title": _l("Upload a pack"), "problems": None, "diff": None, "token": None}
        if form.validate_on_submit():
            token = secrets.token_hex(16)
            folder = private_folder(private_folder(self._uploads()) / token)
            archive = folder / "upload.zip"
            form.archive.data.save(archive)
            try:
                root = extract_zip(archive, folder / "pack")
                tighten(folder)  # uploads are owner-only, like the rest of the instance folder
                loaded = load_pack(root, display=root.name)
                report = check(loaded, current_app, db.session)
                context["problems"] = report.lines()
                if report.ok:
                    context["diff"] = [plan_line(line) for line in plan(loaded, db.session).lines(loaded)]
                    context["token"] = token
                    context["bundles"], context["names"] = pack_bundles(loaded, db.session)
                    context["field_types"] = FIELD_TYPES
                context["pack"] = loaded
            except ValidationError as exc:
                context["problems"] = [str(exc)]
            finally:
                db.session.rollback()
            if not context["token"]:
                shutil.rmtree(folder, ignore_errors=True)
        return self.render_template("onewindow/catalogue/pack_upload.html", **context)

    @expose("/apply/<token>", methods=["POST"])
    @has_access
    def apply(self, token: str):
        from onewindow.app import db
        from onewindow.catalogue.install import install
        from onewindow.catalogue.packs import load_pack

        if not _TOKEN.match(token) or not FlaskForm().validate_on_submit():
            abort(400)
        folder = self._uploads() / token
        manifests = sorted((folder / "pack").rglob("pack.yaml"), key=lambda p: len(p.parts)) if folder.is_dir() else []
        if not manifests:
            abort(404)
        root = manifests[0].parent
        try:
            result = install(load_pack(root, display=root.name), current_app, db.session, g.user.username)
            p = result.plan
            flash(
                gettext(
                    "%(pack)s %(version)s installed: %(new)d new, %(changed)d changed, "
                    "%(cancelled)d cancelled, %(unchanged)d unchanged",
                    pack=p.key,
                    version=p.to_version,
                    new=len(p.new),
                    changed=len(p.changed),
                    cancelled=len(p.cancelled),
                    unchanged=p.unchanged,
                ),
                "success",
            )
        except ValidationError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("PackUploadView.index"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return redirect(url_for("PackView.list"))


AUDIENCES = {"person": _l("Individuals"), "enterprise": _l("Enterprises")}
FIELD_TYPES = {t.name: t.value for t in FieldType}


def bundle_names(items: dict, departments: dict[str, str]) -> dict[str, str]:
    """Basic code → item name and credit code → department name, for the derived bundle tables."""
    return {**departments, **{code: it["name"] for code, it in items.items()}}


def pack_bundles(pack, session) -> tuple[list, dict[str, str]]:
    """Each bundle of a valid pack with what its members make of it (the upload page's preview)."""
    from onewindow.catalogue.bundles import derive
    from onewindow.models import Department

    items = {n["basic_code"]: n for n in pack.normalised()}
    departments = {row[1]["credit_code"]: row[1]["name"] for row in pack.org.get("departments", [])}
    departments.update(dict(session.query(Department.credit_code, Department.name)))
    return [(b, derive(b, items)) for _f, b in pack.bundles], bundle_names(items, departments)


class BundleView(BaseView):
    """一件事一次办: the installed bundles, each with its derived form, materials, fees and limit."""

    route_base = "/bundles"
    default_view = "index"
    base_permissions = ["can_list", "can_show"]

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self):
        from onewindow.app import db
        from onewindow.models.bundles import Bundle

        bundles = db.session.query(Bundle).order_by(Bundle.pack_key, Bundle.code).all()
        return self.render_template(
            "onewindow/catalogue/bundles.html", bundles=bundles, audiences=AUDIENCES, title=_l("Bundles")
        )

    @expose("/<int:bundle_id>")
    @has_access
    def show(self, bundle_id: int):
        from onewindow.app import db
        from onewindow.catalogue.bundles import derive, installed_items
        from onewindow.models import Department
        from onewindow.models.bundles import Bundle

        bundle = db.session.get(Bundle, bundle_id)
        if bundle is None:
            abort(404)
        declared = {
            "code": bundle.code,
            "questions": bundle.questions,
            "members": [m.as_pack() for m in bundle.members],
            "promised_days": bundle.declared_days,
            "same_materials": bundle.same_materials,
        }
        items = installed_items(bundle, db.session)
        names = bundle_names(items, dict(db.session.query(Department.credit_code, Department.name)))
        return self.render_template(
            "onewindow/catalogue/bundle_show.html",
            bundle=bundle,
            field_types=FIELD_TYPES,
            declared=declared,
            derived=derive(declared, items),
            names=names,
            audiences=AUDIENCES,
            title=bundle.name,
        )
