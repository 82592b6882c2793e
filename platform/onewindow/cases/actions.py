"""The case actions a person can take on the case page, as data (办件操作表).

Each entry names the transition (the key of the one table of transitions the REST API,
the CLI, the screens and the scheduler use, ``onewindow.cases.transitions.TRANSITIONS``),
the states it applies in, who may do it, and its input fields with their Chinese labels.
:func:`available` tells the screens which forms to draw for this user (the case page,
the inbox and output queues);
submitting one goes through the same dispatch as the API, so the engine (not this
table) decides and refuses. The four window outcomes live on the acceptance workbench
(:data:`WORKBENCH`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from onewindow.cases import clock
from onewindow.cases.clockops import SPECIAL_PROCEDURES
from onewindow.cases.core import Actor
from onewindow.cases.models import Case, CaseState, MaterialStatus, StepState
from onewindow.security import DECIDING_ROLES

#: Window outcomes, taken at the acceptance workbench (受理工作台), not on the case page.
WORKBENCH = ("accept", "accept_deferred", "request_correction", "reject")


@dataclass(frozen=True)
class Field:
    """One input of an action's form. ``kind``: text, textarea, int, date, yesno,
    deferred (a deferred material of the case), procedure (§45), problems (one text per
    material)."""

    name: str
    label: Any
    kind: str = "text"
    required: bool = True


@dataclass(frozen=True)
class CaseAction:
    name: str
    label: Any
    states: frozenset[CaseState]
    roles: frozenset[str]
    fields: tuple[Field, ...] = ()
    #: "case": the actor belongs to the case's department; "step": to an active step's department
    department: str | None = None
    style: str = "default"
    when: Callable[[Case], bool] = field(default=lambda case: True)


def _states(*names: str) -> frozenset[CaseState]:
    return frozenset(CaseState[n] for n in names)


DEPT = DECIDING_ROLES
OPINION = Field("opinion", _l("Opinion"), "textarea")
SIGNATURE = (
    Field("signee_name", _l("Signee")),
    Field("signee_id", _l("Signee ID number")),
    Field("agent", _l("Agent"), "yesno", False),
)


def _choice_pending(case: Case) -> bool:
    if not case.is_bundle:
        return False
    from onewindow.cases.bundles import choice_pending

    return choice_pending(case)


def _bundle_choice(name: str, label: Any, style: str) -> CaseAction:
    """The applicant's choice after a member of a bundle was denied, registered by the window."""
    return CaseAction(
        name,
        label,
        _states("in_review", "suspended"),
        frozenset({"acceptor"}),
        (Field("reason", _l("What the applicant said"), "text", False),),
        style=style,
        when=_choice_pending,
    )


ACTIONS: tuple[CaseAction, ...] = (
    CaseAction(
        "pre_review",
        _l("Pre-review"),
        _states("submitted"),
        DEPT,
        (
            Field("passed", _l("Pre-review passed"), "yesno"),
            Field("opinion", _l("Opinion"), "textarea", False),
            Field("problems", _l("Problems to correct"), "problems", False),
        ),
        department="case",
        when=lambda c: c.parent_id is None,  # a bundle's member: the lead department pre-reviews the whole
    ),
    CaseAction(
        "deem_accepted",
        _l("Register deemed acceptance"),
        _states("submitted"),
        frozenset({"acceptor", "chief_rep"}),
        when=lambda c: c.corrections_issued == 0 and c.parent_id is None,  # a bundle: as one, on its parent
    ),
    CaseAction(
        "supply_material",
        _l("Register a deferred material that arrived"),
        _states("in_review", "suspended", "approved", "at_output"),
        frozenset({"acceptor", "chief_rep", "approver", "output_clerk"}),
        (Field("material_id", _l("Material"), "deferred"),),
        style="primary",
        when=lambda c: any(m.status == MaterialStatus.deferred for m in c.materials),
    ),
    CaseAction(
        "approve_step", _l("Approve"), _states("in_review"), DEPT, (OPINION,), department="step", style="success"
    ),
    CaseAction(
        "deny_step",
        _l("Deny"),
        _states("in_review"),
        DEPT,
        (Field("opinion", _l("Reasons and legal basis"), "textarea"),),
        department="step",
        style="danger",
    ),
    CaseAction(
        "return_for_correction",
        _l("Return for correction"),
        _states("in_review"),
        DEPT,
        (Field("problems", _l("Problems to correct"), "problems"),),
        department="step",
        style="warning",
    ),
    CaseAction(
        "decide_on_the_spot",
        _l("Decide on the spot"),
        _states("in_review"),
        frozenset({"chief_rep"}),
        (Field("approve", _l("Grant"), "yesno"), OPINION),
        department="case",
        when=lambda c: c.item.handling_type.name == "immediate",
    ),
    CaseAction(
        "suspend",
        _l("Special procedure"),
        _states("in_review"),
        DEPT,
        (
            Field("procedure", _l("Procedure"), "procedure"),
            Field("reason", _l("Reason"), "textarea"),
            Field("expected_days", _l("Expected working days"), "int", False),
        ),
        department="case",
    ),
    CaseAction(
        "resume",
        _l("End special procedure"),
        _states("suspended"),
        DEPT,
        (Field("outcome", _l("Outcome of the procedure"), "textarea"),),
        department="case",
        style="primary",
    ),
    CaseAction(
        "extend",
        _l("Extend the time limit"),
        _states("in_review", "suspended"),
        frozenset({"chief_rep"}),
        (
            Field("days", _l("Days"), "int"),
            Field("reason", _l("Reason"), "textarea"),
            Field("approved_by", _l("Approved by")),
        ),
        department="case",
    ),
    CaseAction(
        "hand_to_output",
        _l("Hand to output window"),
        _states("approved"),
        DEPT,
        (Field("result_description", _l("Result handed over")),),
        department="case",
        style="primary",
    ),
    CaseAction(
        "refuse_at_output",
        _l("Refuse"),
        _states("at_output"),
        frozenset({"output_clerk"}),
        (Field("mismatch", _l("Mismatch with the acceptance data"), "textarea"),),
        style="danger",
        when=lambda c: not c.is_bundle,  # a member's result is refused on the member's page
    ),
    CaseAction(
        "deliver_pickup",
        _l("Hand out"),
        _states("at_output"),
        frozenset({"output_clerk"}),
        SIGNATURE,
        style="success",
        when=lambda c: c.bundle_id is None,  # a bundle and its members: deliver_bundle
    ),
    CaseAction(
        "deliver_bundle",
        _l("Hand out every result of the bundle with one signature"),
        _states("at_output"),
        frozenset({"output_clerk"}),
        SIGNATURE,
        style="success",
        when=lambda c: c.is_bundle,
    ),
    _bundle_choice("bundle_continue", _l("Continue with the other items"), "primary"),
    _bundle_choice("bundle_withdraw_all", _l("Withdraw everything"), "danger"),
    CaseAction(
        "deliver_post",
        _l("Post"),
        _states("at_output"),
        frozenset({"output_clerk"}),
        (Field("tracking_number", _l("Tracking number")),),
        when=lambda c: c.item.postal_delivery and c.bundle_id is None,
    ),
    CaseAction(
        "confirm_post_delivery",
        _l("Record signature"),
        _states("posted"),
        frozenset({"output_clerk"}),
        (
            Field("signee_name", _l("Signee")),
            Field("signed_on", _l("Signed on"), "date"),
            Field("late_reason", _l("Reason if recorded late"), "text", False),
        ),
        style="success",
    ),
    CaseAction(
        "withdraw",
        _l("Register withdrawal"),
        _states("submitted", "pre_reviewed", "correction", "in_review", "suspended"),
        frozenset({"acceptor"}),
        (Field("reason", _l("The applicant's reason"), "textarea"),),
        style="danger",
        # a bundle: as a whole before acceptance; after it, each member or all after a denial;
        # a member of a bundle not yet accepted: only with the whole bundle
        when=lambda c: (
            c.state in (CaseState.submitted, CaseState.correction)
            if c.is_bundle
            else c.parent is None or c.parent.state not in (CaseState.submitted, CaseState.correction)
        ),
    ),
    CaseAction(
        "reject",
        _l("Refuse to accept the whole bundle"),
        _states("submitted", "correction"),
        frozenset({"acceptor", "chief_rep"}),
        (
            Field("reasons", _l("Reasons"), "textarea"),
            Field("basis", _l("Legal basis of the refusal"), "text", False),
        ),
        style="danger",
        when=lambda c: c.is_bundle,  # a single case: one of the window's outcomes at the workbench
    ),
)
BY_NAME = {a.name: a for a in ACTIONS}


def steps_for(case: Case, actor: Actor) -> list:
    """The active steps this actor may decide (their department's; every one for an admin)."""
    return [
        s
        for s in case.steps
        if s.state == StepState.active and (actor.has("admin") or s.department_id == actor.department_id)
    ]


def _in_department(action: CaseAction, case: Case, actor: Actor) -> bool:
    if actor.has("admin"):  # the engine lets an admin act for every department
        return action.department != "step" or bool(steps_for(case, actor))
    if action.department == "case":
        return actor.department_id == case.department_id
    if action.department == "step":
        return any(s.state == StepState.active and s.department_id == actor.department_id for s in case.steps)
    return True


def available(case: Case, actor: Actor, only: tuple[str, ...] = ()) -> list[CaseAction]:
    """The actions this actor may take on this case now (the engine still decides);
    ``only``: among these names."""
    return [
        a
        for a in ACTIONS
        if (not only or a.name in only)
        and case.state in a.states
        and (actor.has("admin") or actor.roles & a.roles)
        and _in_department(a, case, actor)
        and a.when(case)
    ]


def body_from_form(action: CaseAction, case: Case, actor: Actor, form) -> dict[str, Any]:
    """The transition's request body from the case page's form (the API's shape)."""
    body: dict[str, Any] = {"version": int(form["version"])} if form.get("version") else {}
    for f in action.fields:
        raw = (form.get(f.name) or "").strip()
        if f.kind == "problems":
            body[f.name] = {
                str(m.material_id): form[f"problem-{m.material_id}"].strip()
                for m in case.review_materials
                if (form.get(f"problem-{m.material_id}") or "").strip()
            }
        elif f.kind == "yesno":
            body[f.name] = raw in ("1", "yes", "on", "true")
        elif f.kind in ("int", "deferred"):
            if raw:
                body[f.name] = int(raw) if raw.isdigit() else raw
        elif f.kind == "date":
            body[f.name] = raw or clock.today().isoformat()
        elif raw or f.required:
            body[f.name] = raw
    if action.department == "step":
        mine = steps_for(case, actor)
        if (form.get("step_id") or "").isdigit():
            body["step_id"] = int(form["step_id"])
        elif len(mine) == 1:
            body["step_id"] = mine[0].id
    return body


PROCEDURES = SPECIAL_PROCEDURES
