"""The one table of case transitions (办件操作分派表): REST API, CLI, screens and scheduler.

Each entry maps a transition name to its input schema and a small adapter that calls
the ONE engine function (``onewindow.cases.engine``). Nothing here decides who may do
what: the engine checks roles, departments and states and raises the errors the API
maps to 403 / 409 / 422. Adapters only translate validated input into engine arguments.
What a person sees of each transition (states, roles, form fields) is in
``onewindow.cases.actions``.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Callable

from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from onewindow.cases import engine
from onewindow.cases import schemas as s
from onewindow.cases.core import Actor
from onewindow.cases.errors import ConflictError, TransitionError
from onewindow.cases.models import Case, StepState
from onewindow.errors import ValidationError


class InputInvalid(ValidationError):
    """The request body does not match the transition's schema (HTTP 400)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("请求内容有误：" + "；".join(f"{f}: {m}" for f, m in problems))


@functools.cache
def _schema(schema: type[Schema]) -> Schema:
    """One instance per input schema: building one per request cost more than loading
    with it (a schema instance keeps no state between loads)."""
    return schema()


def load(schema: type[Schema], body: Any) -> dict:
    if not isinstance(body, dict):
        raise InputInvalid([("", "request body must be a JSON object")])
    try:
        return _schema(schema).load(body)
    except SchemaError as exc:
        raise InputInvalid(s.flatten_errors(exc.messages)) from None


@dataclass(frozen=True)
class Transition:
    name: str
    schema: type[Schema]
    run: Callable[[Case, Actor, dict], Case]
    summary: str
    roles: str  # who the engine lets do it (documentation; the engine decides)
    #: Run by the scheduler only (no person, no API path, no screen).
    system: bool = False


def _step_id(case: Case, actor: Actor, data: dict) -> int:
    """The step to decide: given, or the one active step of the actor's department."""
    if data.get("step_id") is not None:
        return data["step_id"]
    mine = [st for st in case.steps if st.state == StepState.active and st.department_id == actor.department_id]
    if len(mine) != 1:
        active = ", ".join(f"{st.id}（{st.department.name}）" for st in case.steps if st.state == StepState.active)
        raise TransitionError(f"请用 step_id 指明要处理的审批环节；当前待办环节：{active or '无'}")
    return mine[0].id


def _silence_consent(case: Case) -> Case:
    engine.apply_silence_consent(case)
    return case


def _materials(data: dict) -> dict[int, str]:
    return dict(data.get("materials") or {})


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "pre_review",
            s.PreReviewInput,
            lambda c, a, d: engine.pre_review(c, a, d["passed"], d["opinion"], d["problems"] or None),
            "Pre-review an online application (网上预审)",
            "approver, chief_rep of the case's department",
        ),
        Transition(
            "accept",
            s.AcceptInput,
            lambda c, a, d: engine.accept(c, a, _materials(d), d["note"]),
            "Accept: every required material present (受理)",
            "acceptor, chief_rep",
        ),
        Transition(
            "accept_deferred",
            s.AcceptDeferredInput,
            lambda c, a, d: engine.accept_deferred(
                c, a, _materials(d), commitment=d["commitment"], supply_deadline=d["supply_deadline"]
            ),
            "Accept with deferred materials (容缺受理)",
            "acceptor, chief_rep",
        ),
        Transition(
            "request_correction",
            s.RequestCorrectionInput,
            lambda c, a, d: engine.request_correction(
                c, a, d["problems"], d["general"], d["override_reason"], _materials(d)
            ),
            "Issue the one correction notice (补齐补正通知书)",
            "acceptor, chief_rep",
        ),
        Transition(
            "reject",
            s.RejectInput,
            lambda c, a, d: engine.reject(c, a, d["reasons"], d["basis"]),
            "Refuse to accept, with reasons (不予受理)",
            "acceptor, chief_rep",
        ),
        Transition(
            "supply_material",
            s.SupplyMaterialInput,
            lambda c, a, d: engine.supply_material(c, a, d["material_id"]),
            "Register a deferred material that arrived (补交材料)",
            "acceptor, chief_rep, approver, output_clerk",
        ),
        Transition(
            "approve_step",
            s.StepDecisionInput,
            lambda c, a, d: engine.approve_step(c, _step_id(c, a, d), a, d["opinion"]),
            "Approve the department's step (审批同意)",
            "approver, chief_rep of the step's department",
        ),
        Transition(
            "deny_step",
            s.StepDecisionInput,
            lambda c, a, d: engine.deny_step(c, _step_id(c, a, d), a, d["opinion"]),
            "Deny: the case is decided as not granted (不予许可)",
            "approver, chief_rep of the step's department",
        ),
        Transition(
            "return_for_correction",
            s.ReturnForCorrectionInput,
            lambda c, a, d: engine.return_for_correction(c, _step_id(c, a, d), a, d["problems"]),
            "Return for correction within the correction limit (退回补正)",
            "approver, chief_rep of the step's department",
        ),
        Transition(
            "decide_on_the_spot",
            s.DecideOnTheSpotInput,
            lambda c, a, d: engine.decide_on_the_spot(c, a, d["approve"], d["opinion"]),
            "Decide an immediate item at once (即办件当场办结)",
            "chief_rep of the case's department",
        ),
        Transition(
            "suspend",
            s.SuspendInput,
            lambda c, a, d: engine.suspend(c, a, d["procedure"], d["reason"], d["expected_days"]),
            "Stop the clock for a special procedure (特别程序, 行政许可法 §45)",
            "approver, chief_rep of the case's department",
        ),
        Transition(
            "resume",
            s.ResumeInput,
            lambda c, a, d: engine.resume(c, a, d["outcome"]),
            "End the special procedure; the clock runs again",
            "approver, chief_rep of the case's department",
        ),
        Transition(
            "extend",
            s.ExtendInput,
            lambda c, a, d: engine.extend(c, a, d["days"], d["reason"], d["approved_by"]),
            "Extend the time limit once (延期, 行政许可法 §42)",
            "chief_rep of the case's department",
        ),
        Transition(
            "hand_to_output",
            s.HandToOutputInput,
            lambda c, a, d: engine.hand_to_output(c, a, d["result_description"]),
            "Hand the result to the unified output window (办理结果交接)",
            "approver, chief_rep of the case's department",
        ),
        Transition(
            "refuse_at_output",
            s.RefuseAtOutputInput,
            lambda c, a, d: engine.refuse_at_output(c, a, d["mismatch"]),
            "Refuse a result that does not match the acceptance data",
            "output_clerk",
        ),
        Transition(
            "deliver_pickup",
            s.DeliverPickupInput,
            lambda c, a, d: engine.deliver_pickup(c, a, d["signee_name"], d["signee_id"], d["agent"]),
            "Hand the result out against a signature (现场领取)",
            "output_clerk",
        ),
        Transition(
            "deliver_post",
            s.DeliverPostInput,
            lambda c, a, d: engine.deliver_post(c, a, d["tracking_number"], d["address"]),
            "Post the result (邮寄送达)",
            "output_clerk",
        ),
        Transition(
            "confirm_post_delivery",
            s.ConfirmPostDeliveryInput,
            lambda c, a, d: engine.confirm_post_delivery(c, a, d["signee_name"], d["signed_on"], d["late_reason"]),
            "Record who signed for the mail (邮件签收)",
            "output_clerk",
        ),
        Transition(
            "deem_accepted",
            s.TransitionInput,
            lambda c, a, d: engine.deem_accepted(c, a),
            "Register that an application counts as accepted (视为受理, 行政许可法 §32)",
            "acceptor, chief_rep; the scheduler's legal-clock job",
        ),
        Transition(
            "apply_silence_consent",
            s.TransitionInput,
            lambda c, a, d: _silence_consent(c),
            "Silent parallel steps past their deadline count as consent (超时默认)",
            "the scheduler's legal-clock job",
            system=True,
        ),
        Transition(
            "withdraw",
            s.WithdrawInput,
            lambda c, a, d: engine.withdraw(c, a, d["reason"]),
            "Register the applicant's withdrawal (撤回申请)",
            "acceptor",
        ),
        Transition(
            "deliver_bundle",
            s.DeliverPickupInput,
            lambda c, a, d: engine.deliver_bundle(c, a, d["signee_name"], d["signee_id"], d["agent"]),
            "Hand out every member of a bundle against one signature (一件事统一出件)",
            "output_clerk",
        ),
        Transition(
            "bundle_continue",
            s.BundleChoiceInput,
            lambda c, a, d: engine.bundle_continue(c, a, d["reason"]),
            "After a member's denial: the applicant continues with the other members (继续办理其余事项)",
            "acceptor",
        ),
        Transition(
            "bundle_withdraw_all",
            s.BundleChoiceInput,
            lambda c, a, d: engine.bundle_withdraw_all(c, a, d["reason"]),
            "After a member's denial: the applicant withdraws every open member (全部撤回)",
            "acceptor",
        ),
    ]
}


#: What a bundle's member never does alone: the bundle is accepted, corrected or pre-reviewed as
#: one (``cases.bundles``), so a member opened at the workbench or through the API is refused.
WHOLE_BUNDLE = ("accept", "accept_deferred", "request_correction", "reject", "deem_accepted")
#: Of those, what the bundle's parent takes through this table: the engine refuses or deems
#: accepted the whole bundle (acceptance and correction have their own bundle paths).
ON_THE_PARENT = ("reject", "deem_accepted")


def _whole_bundle(name: str, run: Callable[[Case, Actor, dict], Case]) -> Callable[[Case, Actor, dict], Case]:
    @functools.wraps(run)
    def guarded(case: Case, actor: Actor, data: dict) -> Case:
        if isinstance(case, Case) and case.bundle_id is not None and not (case.is_bundle and name in ON_THE_PARENT):
            parent = case.parent or case
            raise TransitionError(
                f"办件 {case.number} 属于一件事“{case.bundle.name}”：须在一件事的办件 {parent.number} 上"
                "整体受理、补正或预审，不能单独办理"
            )
        return run(case, actor, data)

    return guarded


for _name in WHOLE_BUNDLE:
    TRANSITIONS[_name] = dataclasses.replace(TRANSITIONS[_name], run=_whole_bundle(_name, TRANSITIONS[_name].run))

#: The transitions a person may ask for (REST API, CLI, screens).
PUBLIC: dict[str, Transition] = {n: t for n, t in TRANSITIONS.items() if not t.system}


def run_transition(case: Case, name: str, actor: Actor, body: Any) -> Case:
    """Validate ``body`` against the transition's schema and call the engine."""
    transition = TRANSITIONS.get(name)
    if transition is None or (transition.system and actor is not engine.SYSTEM):
        raise TransitionError(f"没有名为 {name!r} 的办件操作；可用：{', '.join(PUBLIC)}")
    data = load(transition.schema, body)
    if data.get("version") is not None and data["version"] != case.version:
        raise ConflictError(
            f"办件 {case.number} 已被其他工作人员处理（您读取的是第 {data['version']} 版，"
            f"当前为第 {case.version} 版），请刷新后重试"
        )
    return transition.run(case, actor, data)
