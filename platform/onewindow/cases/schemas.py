"""marshmallow schemas of the cases API: what each request must carry and what it returns.

Input schemas refuse unknown fields (marshmallow's default), so a misspelt field is a
400 naming it rather than a silently ignored value. The names end without "Schema"
because they are also the OpenAPI component names (``#/components/schemas/<Name>``).
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from onewindow.cases.models import ApplicantType, CaseState, Channel, MaterialStatus
from onewindow.request_checks import MAX_PAGE

MATERIAL_STATUSES = [s.name for s in MaterialStatus]
OUTCOMES = ["accept", "accept_deferred", "request_correction", "reject", "submit"]


def _text(description: str, required: bool = False, default: str | None = "") -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1), metadata={"description": description})
    return fields.String(load_default=default, allow_none=default is None, metadata={"description": description})


def _materials(required: bool = False) -> fields.Dict:
    kw = {"required": True} if required else {"load_default": dict}
    return fields.Dict(
        keys=fields.Integer(),
        values=fields.String(validate=validate.OneOf(MATERIAL_STATUSES)),
        **kw,
        metadata={
            "description": "material id (of the item's materials list) → status: " + ", ".join(MATERIAL_STATUSES)
        },
    )


def _problems(required: bool = False) -> fields.Dict:
    kw = {"required": True} if required else {"load_default": dict}
    return fields.Dict(
        keys=fields.Integer(),
        values=fields.String(validate=validate.Length(min=1)),
        **kw,
        metadata={"description": "material id → what is missing or must be corrected"},
    )


def _step_id() -> fields.Integer:
    return fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "id of the step (see the case's steps); default: the active step of your department"},
    )


# --- input: creating a case -------------------------------------------------


class ApplicantInput(Schema):
    type = fields.String(
        required=True,
        validate=validate.OneOf([t.name for t in ApplicantType]),
        metadata={"description": "person (resident ID) or company (unified social credit code)"},
    )
    name = _text("applicant's name or organisation name", required=True)
    id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=18),
        metadata={"description": "resident ID number (GB 11643) or unified social credit code"},
    )
    phone = _text("contact phone", default=None)
    address = _text("postal address", default=None)


class CaseCreateInput(Schema):
    item_code = fields.String(
        required=True,
        validate=validate.Length(equal=31),
        metadata={"description": "implementation code (实施编码) of the item in force"},
    )
    channel = fields.String(load_default="window", validate=validate.OneOf([c.name for c in Channel]))
    applicant = fields.Nested(ApplicantInput, required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "application form fields"})
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(OUTCOMES),
        metadata={
            "description": "accept 受理, accept_deferred 容缺受理, request_correction 补齐补正, reject 不予受理, "
            "submit (online/post/terminal: awaits pre-review)"
        },
    )
    materials = _materials()
    note = _text("remark recorded with the acceptance")
    commitment = _text("accept_deferred: the applicant's written commitment")
    supply_deadline = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "accept_deferred: deadline for the deferred materials"},
    )
    problems = _problems()
    general = _text("request_correction: general remark on the notice")
    override_reason = _text("request_correction: reason for a second notice", default=None)
    reasons = _text("reject: the specific reasons")
    basis = _text("reject: legal basis")
    window_code = fields.String(
        load_default=None, allow_none=True, metadata={"description": "code of the acceptance window"}
    )

    @validates_schema
    def _outcome_needs(self, data, **_kw):
        if data.get("outcome") == "accept_deferred":
            missing = [name for name in ("commitment", "supply_deadline") if not data.get(name)]
            if missing:
                raise ValidationError({name: ["required when outcome is accept_deferred"] for name in missing})
        if data.get("outcome") == "reject" and not (data.get("reasons") or "").strip():
            raise ValidationError({"reasons": ["required when outcome is reject"]})


# --- input: transitions of an existing case ----------------------------------


class TransitionInput(Schema):
    version = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "the case version you last read; if the case changed since, the answer is 409"},
    )


class PreReviewInput(TransitionInput):
    passed = fields.Boolean(required=True)
    opinion = _text("pre-review opinion")
    problems = _problems()


class AcceptInput(TransitionInput):
    materials = _materials(required=True)
    note = _text("remark recorded with the acceptance")


class AcceptDeferredInput(TransitionInput):
    materials = _materials(required=True)
    commitment = _text("the applicant's written commitment (deadline and consequences)", required=True)
    supply_deadline = fields.Date(required=True)


class RequestCorrectionInput(TransitionInput):
    materials = _materials()
    problems = _problems()
    general = _text("general remark on the notice")
    override_reason = _text("why a second correction notice is needed", default=None)


class RejectInput(TransitionInput):
    reasons = _text("the specific reasons", required=True)
    basis = _text("legal basis")


class SupplyMaterialInput(TransitionInput):
    material_id = fields.Integer(required=True, metadata={"description": "the deferred material that arrived"})


class StepDecisionInput(TransitionInput):
    step_id = _step_id()
    opinion = _text("the department's opinion (reasons and basis when denying)", required=True)


class ReturnForCorrectionInput(TransitionInput):
    step_id = _step_id()
    problems = _problems(required=True)


class DecideOnTheSpotInput(TransitionInput):
    approve = fields.Boolean(required=True)
    opinion = _text("handling opinion", required=True)


class SuspendInput(TransitionInput):
    procedure = _text("statutory special procedure: 听证, 招标, 拍卖, 检验, 检测, 检疫, 鉴定, 专家评审", required=True)
    reason = _text("reason, as told to the applicant", required=True)
    expected_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class ResumeInput(TransitionInput):
    outcome = _text("outcome of the special procedure", required=True)


class ExtendInput(TransitionInput):
    days = fields.Integer(required=True, validate=validate.Range(min=1))
    reason = _text("reason for the extension", required=True)
    approved_by = _text("the head who approved it", required=True)


class HandToOutputInput(TransitionInput):
    result_description = _text("the result handed over (licence name, document number, copies)", required=True)


class RefuseAtOutputInput(TransitionInput):
    mismatch = _text("how the result differs from the acceptance data", required=True)


class DeliverPickupInput(TransitionInput):
    signee_name = _text("who signs the receipt sheet", required=True)
    signee_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=18),
        metadata={"description": "the signee's resident ID number"},
    )
    agent = fields.Boolean(load_default=False, metadata={"description": "collected by an agent (代领)"})


class DeliverPostInput(TransitionInput):
    tracking_number = _text("postal tracking number", required=True)
    address = _text("delivery address, if different", default=None)


class ConfirmPostDeliveryInput(TransitionInput):
    signee_name = _text("who signed for the mail", required=True)
    signed_on = fields.Date(required=True)
    late_reason = _text("why the signature is recorded more than 1 working day after it")


class WithdrawInput(TransitionInput):
    reason = _text("the applicant's reason")


class BundleCreateInput(Schema):
    bundle = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata={"description": "the bundle's code (一件事)"}
    )
    applicant = fields.Nested(ApplicantInput, required=True)
    answers = fields.Dict(
        keys=fields.String(), load_default=dict, metadata={"description": "answers to the intake questions"}
    )
    data = fields.Dict(
        keys=fields.String(), load_default=dict, metadata={"description": "the merged form, by common key"}
    )
    member_data = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String()),
        load_default=dict,
        metadata={"description": "member basic code → that member's own fields beyond the merged form"},
    )
    materials = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf([m.name for m in MaterialStatus])),
        load_default=dict,
        metadata={"description": "merged material name → status (a shared material once)"},
    )
    note = _text("remark recorded with the acceptance")
    window_code = fields.String(
        load_default=None, allow_none=True, metadata={"description": "code of the acceptance window"}
    )


class BundleChoiceInput(TransitionInput):
    reason = _text("what the applicant said (optional)")


# --- input: list filters ------------------------------------------------------


class CaseListArgs(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf([s.name for s in CaseState]))
    item_code = fields.String(load_default=None, metadata={"description": "implementation code of the item"})
    due_before = fields.Date(load_default=None, metadata={"description": "due on or before this date"})
    department = fields.String(
        load_default=None,
        metadata={"description": "unified social credit code of the lead department or of a step's department"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


# --- output ---------------------------------------------------------------


class DepartmentRef(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()


class CaseSummary(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "办件编号 (43 characters)"})
    item_code = fields.String()
    item_name = fields.String()
    department = fields.Nested(DepartmentRef)
    state = fields.String()
    state_label = fields.String()
    channel = fields.String()
    applicant_type = fields.String()
    applicant_name = fields.String()
    applicant_id = fields.String(metadata={"description": "resident ID numbers are masked (440304********1236)"})
    received_at = fields.DateTime()
    accepted_on = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    due_confirmed = fields.Boolean()
    simulated = fields.Boolean()
    version = fields.Integer()


class CaseMaterialOut(Schema):
    material_id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    necessity = fields.String()
    status = fields.String()
    status_label = fields.String()
    problem = fields.String(allow_none=True)
    licence_identifier = fields.String(allow_none=True)
    supplied_at = fields.DateTime(allow_none=True)


class CaseStepOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    department = fields.Nested(DepartmentRef)
    is_lead = fields.Boolean()
    parallel = fields.Boolean()
    task = fields.String()
    days = fields.Integer()
    state = fields.String()
    state_label = fields.String()
    started_on = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    opinion = fields.String(allow_none=True)


class CaseEventOut(Schema):
    seq = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.String()
    at = fields.DateTime()
    reason = fields.String()
    payload = fields.Dict()


class NoticeOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    issued_at = fields.DateTime()


class CaseFields(CaseSummary):
    """What the detail and a transition's answer share."""

    query_code = fields.String(allow_none=True, metadata={"description": "only for viewers who see the full ID"})
    applicant_phone = fields.String(allow_none=True)
    applicant_address = fields.String(allow_none=True)
    pre_review_due = fields.Date(allow_none=True)
    correction_deadline = fields.Date(allow_none=True)
    supply_deadline = fields.Date(allow_none=True)
    pickup_date = fields.Date(allow_none=True)
    stopped_days = fields.Integer()
    extended_days = fields.Integer()
    decision = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    result_summary = fields.String(allow_none=True)
    licence_identifier = fields.String(allow_none=True)
    delivery_method = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    signee = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    materials = fields.List(fields.Nested(CaseMaterialOut))
    steps = fields.List(fields.Nested(CaseStepOut))
    notices = fields.List(fields.Nested(NoticeOut))


class CaseDetail(CaseFields):
    data = fields.Dict()
    events = fields.List(fields.Nested(CaseEventOut), metadata={"description": "the timeline (全程留痕)"})


class CaseChange(CaseFields):
    new_events = fields.List(
        fields.Nested(CaseEventOut),
        metadata={
            "description": "the events this transition appended; the whole timeline is in the case's detail "
            "(GET /api/v1/cases/<number>)"
        },
    )


class CaseListOut(Schema):
    count = fields.Integer(metadata={"description": "matching cases, counted up to 10,000"})
    count_exact = fields.Boolean(
        metadata={"description": "false when more than `count` cases match (counting stopped at the cap)"}
    )
    page = fields.Integer()
    page_size = fields.Integer()
    result = fields.List(fields.Nested(CaseSummary))


class ProblemOut(Schema):
    field = fields.String(allow_none=True)
    message = fields.String()


class CaseError(Schema):
    message = fields.String()
    problems = fields.List(fields.Nested(ProblemOut))


def flatten_errors(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict → ``[("applicant.id", "Missing data …"), ...]``."""
    flat: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat += flatten_errors(value, name)
    elif isinstance(messages, list):
        for value in messages:
            flat += flatten_errors(value, prefix) if isinstance(value, (dict, list)) else [(prefix, str(value))]
    else:
        flat.append((prefix, str(messages)))
    return flat
