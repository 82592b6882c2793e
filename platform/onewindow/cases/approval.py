"""Back-office approval and the decision [003 §四(五)(六); 002 §二(四)2]."""

from __future__ import annotations

from flask import current_app

from onewindow.app import db
from onewindow.cases import clock
from onewindow.cases.core import (
    SYSTEM,
    Actor,
    issue_notice,
    require_department,
    require_state,
    transition,
    unit_of_work,
)
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import Case, CaseState, CaseStep, MaterialStatus, StepState
from onewindow.cases.routing import activate, next_waiting
from onewindow.models.items import HandlingType
from onewindow.security import DECIDING_ROLES

DONE = {StepState.approved, StepState.consented}


def _step(case: Case, step_id: int) -> CaseStep:
    step = next((s for s in case.steps if s.id == step_id), None)
    if step is None:
        raise TransitionError(f"办件 {case.number} 没有编号为 {step_id} 的审批环节")
    if step.state != StepState.active:
        raise TransitionError(f"该环节当前为“{step.state}”，不在待办中")
    return step


def _record(step: CaseStep, state: StepState, actor: Actor, opinion: str) -> None:
    step.state = state
    step.decided_at = clock.now()
    step.decided_by = actor.username
    step.opinion = opinion


def approve_step(case: Case, step_id: int, actor: Actor, opinion: str) -> Case:
    """A department approves its step with an opinion; the next step or the decision follows."""
    with unit_of_work():
        require_state(case, {CaseState.in_review}, "审批")
        step = _step(case, step_id)
        require_department(actor, step.department_id, DECIDING_ROLES, "审批该环节")
        if not (opinion or "").strip():
            raise TransitionError("审批须填写审批意见")
        _record(step, StepState.approved, actor, opinion)
        transition(
            case,
            None,
            "approve_step",
            actor,
            reason=opinion,
            payload={"step": step.position, "department_id": step.department_id},
        )
        _advance(case, actor)
    return case


def deny_step(case: Case, step_id: int, actor: Actor, opinion: str) -> Case:
    """A department denies: the case is decided as not granted, with the reasons."""
    with unit_of_work():
        require_state(case, {CaseState.in_review}, "审批")
        step = _step(case, step_id)
        require_department(actor, step.department_id, DECIDING_ROLES, "审批该环节")
        if not (opinion or "").strip():
            raise TransitionError("不予许可须写明理由和依据")
        _record(step, StepState.denied, actor, opinion)
        for other in case.steps:  # the other departments' steps end with the decision
            if other.state in (StepState.active, StepState.waiting):
                other.state = StepState.closed
        _decide(case, actor, approved=False, summary=opinion)
    return case


def return_for_correction(case: Case, step_id: int, actor: Actor, problems: dict[int, str]) -> Case:
    """A department asks for corrections after acceptance — only within the item's
    correction-notice limit; after it the case counts as accepted from the receipt date
    and no correction may be demanded [行政许可法 §32; 003 §四(五)]."""
    from onewindow.cases.acceptance import _correction_notice

    with unit_of_work():
        require_state(case, {CaseState.in_review}, "退回补正")
        step = _step(case, step_id)
        require_department(actor, step.department_id, DECIDING_ROLES, "退回补正")
        if case.correction_deadline and clock.today() > case.correction_deadline:
            raise TransitionError(
                f"已超过补正告知期限（{case.correction_deadline}）：自收到申请材料之日起即为受理，"
                "不得再要求补正，请依法作出决定"
            )
        _record(step, StepState.returned, actor, "；".join(problems.values()))
        _correction_notice(case, actor, problems, "", override_reason="部门审查后一次性告知补正")
        current_app.extensions["onewindow"].plugins.hook.steps_removed(case=case, steps=list(case.steps))
        for s in case.steps:  # the case will be accepted again and routed afresh
            db.session.delete(s)
        case.steps.clear()
    return case


def decide_on_the_spot(case: Case, actor: Actor, approve: bool, opinion: str) -> Case:
    """即办件: the department's chief representative decides at once [003 §二 部门职责 5]."""
    with unit_of_work():
        require_state(case, {CaseState.in_review}, "当场办结")
        require_department(actor, case.department_id, ("chief_rep",), "当场办结即办件")
        if case.item.handling_type != HandlingType.immediate:
            raise TransitionError(f"事项“{case.item.name}”是{case.item.handling_type}，不是即办件，不能当场办结")
        if not (opinion or "").strip():
            raise TransitionError("请填写办理意见")
        for step in case.steps:
            if step.state in (StepState.active, StepState.waiting):
                _record(step, StepState.approved if approve else StepState.denied, actor, opinion)
        _decide(case, actor, approved=approve, summary=opinion)
    return case


def apply_silence_consent(case: Case) -> bool:
    """超时默认: a parallel step silent at its deadline counts as consent where the item
    says so [002 §二(四)2]. Idempotent; returns whether anything changed."""
    today = clock.today()
    due = [
        s
        for s in case.steps
        if s.state == StepState.active and s.silence_consents and s.due_date is not None and s.due_date < today
    ]
    if case.state != CaseState.in_review or not due:
        return False
    with unit_of_work():
        for step in due:
            _record(step, StepState.consented, SYSTEM, f"{step.due_date} 期满未回复，视为同意")
            transition(
                case,
                None,
                "consent_by_silence",
                SYSTEM,
                payload={"step": step.position, "department_id": step.department_id},
            )
        _advance(case, SYSTEM)
    return True


def _advance(case: Case, actor: Actor) -> None:
    if any(s.state == StepState.active for s in case.steps):
        return
    waiting = next_waiting(case)
    if waiting is not None:
        activate(case, waiting, actor)
        return
    if all(s.state in DONE for s in case.steps):
        summary = "；".join(f"{s.department.short_name or s.department.name}：{s.opinion}" for s in case.steps)
        _decide(case, actor, approved=True, summary=summary)


def _decide(case: Case, actor: Actor, approved: bool, summary: str) -> None:
    case.decision = "approved" if approved else "denied"
    case.decided_at = clock.now()
    case.result_summary = summary
    if approved:
        transition(
            case,
            CaseState.approved,
            "decide",
            actor,
            reason=summary,
            payload={"decision": "approved", "simulated": case.simulated},
        )
        _issue_licence(case)
    else:
        transition(case, CaseState.denied, "decide", actor, reason=summary, payload={"decision": "denied"})
        case.closed_at = case.decided_at
    issue_notice(
        case,
        "decision",
        actor,
        {
            "number": case.number,
            "item": case.item.name,
            "applicant": case.applicant_name,
            "decision": case.decision,
            "summary": summary,
            "licence": case.licence_identifier,
            "simulated": case.simulated,
        },
        department_id=case.department_id,
    )
    if case.parent_id is not None:  # 一件事: the parent follows its members
        from onewindow.cases.bundles import member_decided

        member_decided(case, actor)


def _issue_licence(case: Case) -> None:
    """The result goes into the e-licence library automatically [003 §四(六)]."""
    if not case.item.licence_type_code:
        return
    from onewindow.licences.library import issue_for_case

    licence = issue_for_case(case, session=db.session)
    case.licence_identifier = licence.identifier


__all__ = [
    "approve_step",
    "deny_step",
    "return_for_correction",
    "decide_on_the_spot",
    "apply_silence_consent",
    "MaterialStatus",
]
