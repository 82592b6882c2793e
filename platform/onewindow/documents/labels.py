"""Names of notice kinds, engine actions and material statuses, and masking for the public.

Two vocabularies on purpose:

- the printed documents are official Chinese instruments whose wording is fixed by the
  procedure (受理通知书, 不予受理决定通知书…); they read the same whoever prints them, so
  their titles and the words inside them are Chinese here and in the templates, never
  run through the UI language a staff member picked;
- the public progress page is UI: English message ids through the translation catalogue
  (Chinese in ``scripts/zh/documents.tsv``), like every other screen.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Notice kind → (Chinese title, template). Kinds the engine issues; a plugin's own
#: kind falls back to :data:`GENERIC`.
KINDS: dict[str, tuple[str, str]] = {
    "acceptance": ("受理通知书", "documents/acceptance.html"),
    "deferral_commitment": ("容缺受理承诺书", "documents/deferral_commitment.html"),
    "correction": ("材料补齐补正通知书", "documents/correction.html"),
    "rejection": ("不予受理决定通知书", "documents/rejection.html"),
    "handover": ("材料交接表", "documents/handover.html"),
    "decision": ("审批决定书", "documents/decision.html"),
    "result_handover": ("办理结果交接表", "documents/result_handover.html"),
    "receipt_sheet": ("办理结果签收表", "documents/receipt_sheet.html"),
    "special_procedure": ("特别程序告知书", "documents/special_procedure.html"),
}
GENERIC = ("办件文书", "documents/generic.html")

#: MaterialStatus member name → the word printed on a document (see module docstring).
MATERIAL_STATUS_TEXT = {
    "submitted": "已提交",
    "from_library": "电子证照库调取",
    "deferred": "容缺后补",
    "missing": "未提交",
    "faulty": "需补正",
    "not_needed": "不适用",
}

DECISION_TEXT = {"approved": "准予许可", "denied": "不予许可"}

#: CaseEvent.action → what the public timeline says. Every action the engine records
#: is listed (a test keeps it complete); a plugin's own action shows as "Processed".
ACTION_LABELS = {
    "submit": _l("Application received"),
    "pre_review_pass": _l("Online pre-review passed"),
    "accept": _l("Application accepted"),
    "accept_deferred": _l("Accepted with materials to be supplied later"),
    "accept_at_other_window": _l("Received at a window of another service area"),
    "supply_material": _l("Deferred material supplied"),
    "request_correction": _l("Corrections requested (all at once)"),
    "reject": _l("Application not accepted"),
    "approve_step": _l("Department review completed"),
    "consent_by_silence": _l("Department review completed (no objection by the deadline)"),
    "deem_accepted": _l("Application deemed accepted (no correction notice within the limit)"),
    "decide": _l("Decision made"),
    "hand_to_output": _l("Result handed to the output window"),
    "refuse_at_output": _l("Result returned to the department for correction"),
    "deliver_pickup": _l("Result collected"),
    "deliver_post": _l("Result posted"),
    "confirm_post_delivery": _l("Postal delivery signed for"),
    "suspend": _l("Special procedure started (clock stopped)"),
    "resume": _l("Special procedure ended (clock running again)"),
    "extend": _l("Time limit extended"),
    "withdraw": _l("Application withdrawn"),
    "recompute_due": _l("Due date recomputed after a holiday arrangement changed"),
    "reuse_material_files": _l("Materials reused from an earlier case"),
    "archive": _l("Case file archived"),
    "retention_purge": _l("Files removed after the retention period"),
    "bundle_receive": _l("Received as part of a bundle"),
    "bundle_correction": _l("Waiting for the bundle's corrections"),
    "member_decided": _l("An item of the bundle was decided"),
    "member_denied": _l("An item of the bundle was denied: the applicant's choice is due"),
    "bundle_ready": _l("Every item decided: the bundle is at the output window"),
    "bundle_choice": _l("The applicant's choice after a denial recorded"),
    "bundle_member_released": _l("The items before it are decided: handed to its departments"),
}
UNKNOWN_ACTION = _l("Processed")

DECISION_LABELS = {"approved": _l("Granted"), "denied": _l("Not granted")}


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character tells the applicant it is their case
    without telling a stranger who applied."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def chinese_date(value) -> str:
    """``2026-11-23`` / a date / a datetime → ``2026年11月23日`` (how documents write dates)."""
    if not value:
        return ""
    text = str(value)[:10]
    try:
        year, month, day = (int(part) for part in text.split("-"))
    except ValueError:
        return str(value)
    return f"{year}年{month}月{day}日"


def chinese_datetime(value) -> str:
    """``2026-11-23 09:05:12`` (the case clock's local time) → ``2026年11月23日 09:05``."""
    if not value:
        return ""
    text = str(value)
    day = chinese_date(text[:10])
    clock = text[11:16]
    return f"{day} {clock}" if len(clock) == 5 and clock[2] == ":" else day
