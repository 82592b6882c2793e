"""Between the pack format (dicts, as in the YAML) and the item tables (rows, ORM objects)."""

from __future__ import annotations

from typing import Any

from onewindow.catalogue.packs import implementation_code, normalised_item
from onewindow.models.items import (
    FieldType,
    HandlingType,
    Item,
    ItemStatus,
    MaterialForm,
    MaterialSource,
    Necessity,
    RoutingMode,
    ServiceMode,
    _now,
)


def item_row(
    n: dict[str, Any],
    *,
    refs: "Refs",
    pack_key: str,
    version: int,
    content_hash: str,
    by_basic: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Column values of ``ow_item`` for a normalised pack item."""
    parent = by_basic.get(n["parent"]) if n.get("parent") else None  # normalised main item
    return {
        "basic_code": n["basic_code"],
        "implementation_code": implementation_code(n),
        "name": n["name"],
        "item_type_id": refs.item_types[n["type"]],
        "parent_code": implementation_code(parent) if parent else None,
        "version": version,
        "is_current": True,
        "status": ItemStatus.active,
        "exercise_level": n["exercise_level"],
        "pack_key": pack_key,
        "service_area": n.get("service_area"),
        "department_id": refs.departments[n["department"]],
        "entrusted_department_id": refs.departments[n["entrusted_department"]]
        if n.get("entrusted_department")
        else None,
        "zone_id": refs.zones.get(n["zone"]) if n.get("zone") is not None else None,
        "legal_basis": n["legal_basis"],
        "conditions": n["conditions"],
        "special_procedures": list(n["special_procedures"]),
        "legal_days": n["legal_days"],
        "promised_days": n["promised_days"],
        "handling_type": HandlingType[n["handling_type"]],
        "correction_limit_days": n["correction_limit_days"],
        "pre_review_days": n["pre_review_days"],
        "extension_days": n["extension_days"],
        "extension_rule": n["extension_rule"],
        "warning_days": n["warning_days"],
        "retention_years": n.get("retention_years"),  # None: RETENTION_YEARS of the config
        "service_mode": ServiceMode[n["service_mode"]],
        "visits_required": n["visits_required"],
        "online_depth": n["online_depth"],
        "postal_delivery": n["postal_delivery"],
        "appointment": n["appointment"],
        "in_person_required": n["in_person_required"],
        "confidential": n["confidential"],
        "charged": bool(n["fees"]),
        "fees": list(n["fees"]),
        "joint_fee": n["joint_fee"],
        "routing_mode": RoutingMode[n["routing"]["mode"]],
        "form_key": n.get("form_key"),
        "licence_type_code": n.get("licence_type_code"),
        "guide": n["guide"],
        "content_hash": content_hash,
        "created_on": _now(),  # explicit: PostgreSQL installs use COPY, which applies no Python defaults
    }


def child_rows(item_id: int, n: dict[str, Any], refs: "Refs") -> dict[str, list[dict[str, Any]]]:
    """Rows of the materials list, routing, form fields, FAQ, joint departments and windows."""
    return {
        "materials": [
            {
                "item_id": item_id,
                "position": i,
                "name": m["name"],
                "necessity": Necessity[m["necessity"]],
                "form": MaterialForm[m["form"]],
                "copies": m["copies"],
                "source": MaterialSource[m["source"]],
                "licence_type_code": m.get("licence_type_code"),
                "sample_ref": m.get("sample"),
                "standard": m["standard"],
            }
            for i, m in enumerate(n["materials"], start=1)
        ],
        "steps": [
            {
                "item_id": item_id,
                "position": i,
                "department_id": refs.departments[s["department"]],
                "is_lead": s["lead"],
                "days": s["days"],
                "silence_consents": s["silence_consents"],
                "task": s["task"],
            }
            for i, s in enumerate(n["routing"]["steps"], start=1)
        ],
        "fields": [
            {
                "item_id": item_id,
                "position": i,
                "name": f["name"],
                "label": f["label"],
                "type": FieldType[f["type"]],
                "required": f["required"],
                "choices": list(f["choices"]),
                "regex": f.get("regex"),
                "help_text": f["help"],
            }
            for i, f in enumerate(n["fields"], start=1)
        ],
        "faqs": [
            {"item_id": item_id, "position": i, "question": q["q"], "answer": q["a"]}
            for i, q in enumerate(n["faq"], start=1)
        ],
        "joint": [
            {"item_id": item_id, "department_id": refs.departments[c]} for c in dict.fromkeys(n["joint_departments"])
        ],
        "windows": [{"item_id": item_id, "window_id": refs.windows[w]} for w in dict.fromkeys(n["windows"])],
    }


class Refs:
    """Database ids of what pack items refer to by code."""

    def __init__(
        self, departments: dict[str, int], zones: dict[int, int], windows: dict[str, int], item_types: dict[str, int]
    ):
        self.departments, self.zones, self.windows, self.item_types = departments, zones, windows, item_types


def item_to_dict(item: Item) -> dict[str, Any]:
    """An installed item version in the pack format (normalised): for diffs and the Excel export."""
    parent_basic = item.parent_code[-12:] if item.parent_code else None
    return normalised_item(
        {
            "basic_code": item.basic_code,
            "name": item.name,
            "type": item.item_type.code,
            "parent": parent_basic,
            "exercise_level": item.exercise_level,
            "service_area": item.service_area,
            "department": item.department.credit_code,
            "entrusted_department": item.entrusted_department.credit_code if item.entrusted_department else None,
            "joint_departments": [d.credit_code for d in item.joint_departments],
            "zone": item.zone.number if item.zone else None,
            "windows": [w.code for w in item.windows],
            "legal_basis": item.legal_basis,
            "conditions": item.conditions,
            "special_procedures": list(item.special_procedures or []),
            "legal_days": item.legal_days,
            "promised_days": item.promised_days,
            "handling_type": item.handling_type.name,
            "correction_limit_days": item.correction_limit_days,
            "pre_review_days": item.pre_review_days,
            "extension_days": item.extension_days,
            "extension_rule": item.extension_rule,
            "warning_days": item.warning_days,
            "service_mode": item.service_mode.name,
            "visits_required": item.visits_required,
            "online_depth": item.online_depth,
            "postal_delivery": item.postal_delivery,
            "appointment": item.appointment,
            "in_person_required": item.in_person_required,
            "confidential": item.confidential,
            "fees": list(item.fees or []),
            "joint_fee": item.joint_fee,
            "routing": {
                "mode": item.routing_mode.name,
                "steps": [
                    {
                        "department": s.department.credit_code,
                        "lead": s.is_lead,
                        "days": s.days,
                        "silence_consents": s.silence_consents,
                        "task": s.task,
                    }
                    for s in item.steps
                ],
            },
            "form_key": item.form_key,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type.name,
                    "required": f.required,
                    "choices": list(f.choices or []),
                    "regex": f.regex,
                    "help": f.help_text,
                }
                for f in item.fields
            ],
            "licence_type_code": item.licence_type_code,
            "materials": [
                {
                    "name": m.name,
                    "necessity": m.necessity.name,
                    "form": m.form.name,
                    "copies": m.copies,
                    "source": m.source.name,
                    "licence_type_code": m.licence_type_code,
                    "sample": m.sample_ref,
                    "standard": m.standard,
                }
                for m in item.materials
            ],
            "guide": item.guide,
            "faq": [{"q": q.question, "a": q.answer} for q in item.faqs],
            # only when declared: a pack without it keeps its content hash
            **({"retention_years": item.retention_years} if item.retention_years is not None else {}),
        }
    )


def compact(n: dict[str, Any]) -> dict[str, Any]:
    """Drop fields that equal the platform defaults, for readable YAML output."""
    from onewindow.catalogue.packs import FIELD_DEFAULTS, ITEM_DEFAULTS, MATERIAL_DEFAULTS, STEP_DEFAULTS

    def strip(d: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in defaults or defaults[k] != v}

    out = strip(n, ITEM_DEFAULTS)
    out["materials"] = [strip(m, MATERIAL_DEFAULTS) for m in n["materials"]]
    if n["fields"]:
        out["fields"] = [strip(f, FIELD_DEFAULTS) for f in n["fields"]]
    if n["routing"]["steps"]:
        out["routing"] = {
            "mode": n["routing"]["mode"],
            "steps": [strip(s, STEP_DEFAULTS) for s in n["routing"]["steps"]],
        }
    return out
