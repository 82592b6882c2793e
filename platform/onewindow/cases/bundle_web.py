"""The acceptance workbench's form for a bundle (一件事): the intake questions, then the
merged form (a shared field once), the members' own rows, and the merged materials list."""

from __future__ import annotations

from typing import Any

from wtforms import FieldList

from onewindow.cases import bundles as bundle_cases
from onewindow.cases.models import ApplicantType, Channel, MaterialStatus
from onewindow.catalogue.forms import build_application_form
from onewindow.forms import Form
from onewindow.models.bundles import Bundle
from onewindow.models.org import Window

#: blank rows offered below a member's own row list (shareholders…)
EXTRA_ROWS = 2


def answers_from(bundle: Bundle, form) -> dict[str, Any] | None:
    """The intake answers (``q_<key>``), or None while a question is unanswered."""
    answers: dict[str, Any] = {}
    for q in bundle.questions or []:
        raw = form.get(f"q_{q['key']}")
        if raw in (None, ""):
            return None
        answers[q["key"]] = raw == "1" if q.get("type") == "boolean" else raw
    return answers


def member_forms(plan: bundle_cases.Plan, formdata) -> dict[str, Form]:
    """Each member's own row lists the merged form does not ask (the 股东 of 企业设立登记),
    as the member's plugin form prefixed ``x<basic code>_``."""
    merged = {name for f in plan.form for _code, name in f.targets}
    out = {}
    for m in plan.members:
        item = plan.items[m.basic_code]
        if not item.form_key:
            continue
        form = build_application_form(item)(formdata=formdata, prefix=f"x{m.basic_code}_", meta={"csrf": False})
        rows = [f for f in form if isinstance(f, FieldList) and f.short_name not in merged]
        if not rows:
            continue
        for f in rows:
            if formdata is None:
                while len(f.entries) < max(f.min_entries, 1) + EXTRA_ROWS:
                    f.append_entry()
        form.ow_rows = rows  # type: ignore[attr-defined]
        out[m.basic_code] = form
    return out


def application_from(bundle: Bundle, plan: bundle_cases.Plan, form, forms: dict[str, Form], window: Window | None):
    from onewindow.cases.views import form_data

    return bundle_cases.BundleApplication(
        bundle=bundle,
        applicant_type=ApplicantType[form.get("applicant_type", "company")],
        applicant_name=form.get("applicant_name", ""),
        applicant_id=form.get("applicant_id", ""),
        answers=answers_from(bundle, form) or {},
        data={f.key: form.get(f"f_{f.key}", "") for f in plan.form},
        channel=Channel.window,
        phone=form.get("phone") or None,
        address=form.get("address") or None,
        window=window,
        member_data={code: form_data(f.ow_rows) for code, f in forms.items()},  # type: ignore[attr-defined]
    )


def material_statuses(plan: bundle_cases.Plan, form) -> dict[str, MaterialStatus]:
    """The window's check of the merged list: one status per merged material (``mm<n>``)."""
    return {m.name: MaterialStatus[form.get(f"mm{n}", "missing")] for n, m in enumerate(plan.materials)}
