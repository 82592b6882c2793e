"""Transitions that move the clock: special procedures (§45), extension (§42),
withdrawal, and recomputation when an official holiday arrangement changes."""

from __future__ import annotations

from onewindow.app import db
from onewindow.cases import clock, limits
from onewindow.cases.core import (
    SYSTEM,
    Actor,
    issue_notice,
    require_department,
    require_role,
    require_state,
    transition,
    unit_of_work,
)
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import OPEN_STATES, Case, CaseState, StepState
from onewindow.security import DECIDING_ROLES

#: 行政许可法 §45: time for these procedures is not counted in the limit.
SPECIAL_PROCEDURES = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审")


def recompute_due(case: Case) -> None:
    """Set the case's limits again (``cases.limits``), e.g. after the calendar changed."""
    if case.accepted_on is None:
        if case.pre_review_due is not None:
            case.pre_review_due = limits.pre_review_due(case)
        return
    case.due_date, case.due_confirmed = limits.due_date(case)
    case.correction_deadline = limits.correction_deadline(case)
    for step in case.steps:
        if step.started_on is not None and step.state == StepState.active:
            step.due_date = limits.step_due_date(step)


def suspend(case: Case, actor: Actor, procedure: str, reason: str, expected_days: int | None = None) -> Case:
    """特别程序告知书: the clock stops for 听证、检验、鉴定… (行政许可法 §45)."""
    with unit_of_work():
        require_state(case, {CaseState.in_review}, "启动特别程序")
        require_department(actor, case.department_id, DECIDING_ROLES, "启动特别程序")
        if procedure not in SPECIAL_PROCEDURES:
            raise TransitionError(f"“{procedure}”不是法定特别程序；可选：{'、'.join(SPECIAL_PROCEDURES)}")
        if not (reason or "").strip():
            raise TransitionError("启动特别程序须书面告知理由")
        case.suspended_since = clock.today()
        transition(
            case,
            CaseState.suspended,
            "suspend",
            actor,
            reason=reason,
            payload={"procedure": procedure, "expected_days": expected_days},
        )
        issue_notice(
            case,
            "special_procedure",
            actor,
            {
                "number": case.number,
                "item": case.item.name,
                "applicant": case.applicant_name,
                "procedure": procedure,
                "reason": reason,
                "expected_days": expected_days,
                "since": case.suspended_since.isoformat(),
                "basis": "《中华人民共和国行政许可法》第四十五条：所需时间不计算在规定的期限内",
            },
            department_id=case.department_id,
        )
    return case


def resume(case: Case, actor: Actor, outcome: str) -> Case:
    with unit_of_work():
        require_state(case, {CaseState.suspended}, "结束特别程序")
        require_department(actor, case.department_id, DECIDING_ROLES, "结束特别程序")
        stopped = clock.workdays_between(case.suspended_since, clock.today())
        case.stopped_days += stopped
        case.suspended_since = None
        for step in case.steps:  # the department's own limits move by the same span
            if step.state == StepState.active and step.due_date is not None:
                step.days += stopped
        recompute_due(case)
        transition(case, CaseState.in_review, "resume", actor, reason=outcome, payload={"stopped_days": stopped})
    return case


def extend(case: Case, actor: Actor, days: int, reason: str, approved_by: str) -> Case:
    """延期 with the head's approval (行政许可法 §42), at most the item's extension days, once."""
    with unit_of_work():
        require_state(case, {CaseState.in_review, CaseState.suspended}, "延长办理期限")
        require_department(actor, case.department_id, ("chief_rep",), "批准延期")
        limit = case.item.extension_days
        if limit <= 0:
            raise TransitionError(f"事项“{case.item.name}”不允许延期")
        if case.extended_days:
            raise TransitionError("该办件已延期一次，不能再次延期")
        if not 0 < days <= limit:
            raise TransitionError(f"延长天数须在 1 至 {limit} 个工作日之间")
        if not (reason or "").strip() or not (approved_by or "").strip():
            raise TransitionError("延期须写明理由并记录批准的负责人")
        case.extended_days = days
        recompute_due(case)
        transition(
            case,
            None,
            "extend",
            actor,
            reason=reason,
            payload={"days": days, "approved_by": approved_by, "due_date": case.due_date.isoformat()},
        )
    return case


#: 行政许可法 §32 (the wording the deemed acceptance records and notifies).
DEEMED_BASIS = "《中华人民共和国行政许可法》第三十二条：逾期不告知补正的，自收到申请材料之日起即为受理"


def deem_accepted(case: Case, actor: Actor = SYSTEM) -> Case:
    """视为受理 (行政许可法 §32): a submitted application that got no correction notice
    within the item's correction-notice limit counts as accepted from its receipt date.
    The clock starts from that day (due date counted from the receipt date), routing
    starts and an acceptance notice marked as deemed is issued. Refused once the case
    has left ``submitted``, so a second call changes nothing."""
    from onewindow.cases.acceptance import _acceptance_content
    from onewindow.cases.routing import start_routing

    with unit_of_work():
        require_role(actor, ("system", "acceptor", "chief_rep"), "登记视为受理")
        require_state(case, {CaseState.submitted}, "视为受理")
        if case.corrections_issued:
            raise TransitionError("已在期限内出具补正通知书，不适用视为受理")
        received = case.received_at.date()
        limit_end = limits.correction_deadline(case)  # a bundle's: its lead item's
        if limit_end >= clock.today():
            raise TransitionError(f"补正告知期限至 {limit_end} 尚未届满，不能视为受理")
        if case.is_bundle:  # an online bundle: every member at once, one notice
            from onewindow.cases.bundles import deem_accepted_bundle

            deem_accepted_bundle(case, actor)
            return case
        case.accepted_on = received
        recompute_due(case)  # due date and correction deadline counted from the receipt date
        case.pickup_date = case.due_date
        transition(
            case,
            CaseState.in_review,
            "deem_accepted",
            actor,
            reason=DEEMED_BASIS,
            payload={
                "accepted_on": received.isoformat(),
                "correction_deadline": limit_end.isoformat(),
                "due_date": case.due_date.isoformat(),
            },
        )
        start_routing(case, actor)
        issue_notice(case, "acceptance", actor, {**_acceptance_content(case), "deemed": True, "basis": DEEMED_BASIS})
    return case


def withdraw(case: Case, actor: Actor, reason: str) -> Case:
    """申请人撤回 before a decision."""
    with unit_of_work():
        require_state(
            case,
            {
                CaseState.submitted,
                CaseState.pre_reviewed,
                CaseState.correction,
                CaseState.in_review,
                CaseState.suspended,
            },
            "撤回申请",
        )
        if not actor.has("applicant"):
            require_role(actor, ("acceptor",), "登记撤回申请")
        if case.is_bundle:
            if case.state in (CaseState.submitted, CaseState.correction):  # not accepted yet: as a whole
                from onewindow.cases.bundles import withdraw_bundle

                return withdraw_bundle(case, actor, reason)
            # accepted: its members are withdrawn one by one, or all at once after a denial
            raise TransitionError(
                f"办件 {case.number} 是“一件事”，请逐项撤回其中的事项，或在有事项不予许可后选择全部撤回"
            )
        if case.parent is not None and case.parent.state in (CaseState.submitted, CaseState.correction):
            raise TransitionError(
                f"一件事“{case.bundle.name}”尚未受理，只能整件撤回：请在一件事的办件 {case.parent.number} 上登记撤回"
            )
        case.closed_at = clock.now()
        for step in case.steps:
            if step.state in (StepState.active, StepState.waiting):
                step.state = StepState.closed
        transition(case, CaseState.withdrawn, "withdraw", actor, reason=reason or "申请人撤回")
        if case.parent_id is not None:  # 一件事: the parent follows its members
            from onewindow.cases.bundles import member_decided

            member_decided(case, actor)
    return case


def recompute_open_cases(years: list[int] | None = None) -> int:
    """After an official holiday arrangement changes: recompute every open case's dates."""
    count = 0
    query = db.session.query(Case).filter(Case.state.in_(list(OPEN_STATES)))
    for case in query.yield_per(500):
        before = (case.due_date, case.due_confirmed, case.pre_review_due)
        recompute_due(case)
        if (case.due_date, case.due_confirmed, case.pre_review_due) != before:
            transition(
                case,
                None,
                "recompute_due",
                SYSTEM,
                reason="法定节假日安排调整",
                payload={"years": years or [], "due_date": str(case.due_date), "confirmed": case.due_confirmed},
            )
            count += 1
    db.session.commit()
    return count
