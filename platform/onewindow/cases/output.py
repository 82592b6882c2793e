"""Output (出件) [003 §四(七)]: the department hands result + 办理结果交接表 to the unified
output window, which checks it against the acceptance data and refuses mismatches;
pickup with a signature (办理结果签收表) or postal delivery with tracking and signee."""

from __future__ import annotations

import datetime as dt

from onewindow.cases import clock
from onewindow.cases.core import (
    Actor,
    issue_notice,
    require_department,
    require_role,
    require_state,
    transition,
    unit_of_work,
)
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import Case, CaseState
from onewindow.security import DECIDING_ROLES
from onewindow.validators import resident_id_problem

OUTPUT_ROLES = ("output_clerk",)


def hand_to_output(case: Case, actor: Actor, result_description: str) -> Case:
    """办理结果交接表. Under 容缺受理 the result stays back until every deferred material is in."""
    with unit_of_work():
        require_state(case, {CaseState.approved}, "移交出件窗口")
        require_department(actor, case.department_id, DECIDING_ROLES, "移交办理结果")
        if case.outstanding_deferred:
            names = "、".join(f"“{m.name}”" for m in case.outstanding_deferred)
            raise TransitionError(f"容缺受理的材料 {names} 尚未补交，模拟审批结果不得发放")
        if not (result_description or "").strip():
            raise TransitionError("请填写移交的办理结果（证照名称、文号、份数）")
        transition(case, CaseState.at_output, "hand_to_output", actor, reason=result_description)
        issue_notice(
            case,
            "result_handover",
            actor,
            {
                "number": case.number,
                "item": case.item.name,
                "applicant": case.applicant_name,
                "applicant_id": case.applicant_id,
                "result": result_description,
                "licence": case.licence_identifier,
                "decision": case.decision,
            },
            department_id=case.department_id,
        )
    return case


def refuse_at_output(case: Case, actor: Actor, mismatch: str) -> Case:
    """The output window refuses a result that does not match the acceptance data;
    the department corrects it (normally within 1 working day)."""
    with unit_of_work():
        require_state(case, {CaseState.at_output}, "退回办理结果")
        require_role(actor, OUTPUT_ROLES, "核对办理结果")
        if not (mismatch or "").strip():
            raise TransitionError("请写明办理结果与受理信息不符之处")
        transition(case, CaseState.approved, "refuse_at_output", actor, reason=mismatch)
    return case


def _require_legal_result(case: Case, doing: str) -> None:
    """A result whose e-licence carries no electronic seal (or was revoked) has no legal
    effect: it must not leave the output window [电子签名法 §14; 003 §四(六)]."""
    if not case.licence_identifier:
        return
    from onewindow.app import db
    from onewindow.licences.models import Licence, LicenceStatus

    licence = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one_or_none()
    if licence is None:
        raise TransitionError(f"电子证照 {case.licence_identifier} 不在证照库中，不能{doing}；请联系审批部门核实")
    if licence.status == LicenceStatus.pending_seal:
        raise TransitionError(
            f"电子证照 {licence.identifier} 尚未加盖电子印章，不具法律效力，不能{doing}；"
            f"请联系{case.department.name}的印章管理员盖章后再办理"
        )
    if licence.status not in (LicenceStatus.active,):
        raise TransitionError(f"电子证照 {licence.identifier} 状态为“{licence.status}”，不能{doing}")


def _check_signee(case: Case, signee_name: str, signee_id: str, agent: bool) -> None:
    if not (signee_name or "").strip():
        raise TransitionError("请填写签收人姓名")
    problem = resident_id_problem(signee_id or "")
    if problem:
        raise TransitionError(f"签收人身份证号码：{problem}")
    if not agent and case.applicant_type.name == "person" and signee_id.upper() != case.applicant_id:
        raise TransitionError("签收人身份证号码与申请人不一致；代领请勾选代领并核验委托书")


def deliver_pickup(
    case: Case, actor: Actor, signee_name: str, signee_id: str, agent: bool = False, *, with_bundle: bool = False
) -> Case:
    """现场领取: the signee signs the 办理结果签收表.

    :param with_bundle: the member of a bundle is handed out with its bundle
        (``cases.bundles.deliver_bundle``: one signature, the parent's one 签收表)."""
    with unit_of_work():
        require_state(case, {CaseState.at_output}, "发放办理结果")
        require_role(actor, OUTPUT_ROLES, "发放办理结果")
        if case.is_bundle:
            raise TransitionError(f"办件 {case.number} 是“一件事”，请用“一次签收发放全部结果”统一发放")
        if case.parent_id is not None and not with_bundle:
            raise TransitionError(
                f"办件 {case.number} 是“一件事”的组成事项，办理结果须随整件事一并发放；请在一件事的办件页面统一发放"
            )
        _require_legal_result(case, "发放")
        _check_signee(case, signee_name, signee_id, agent)
        now = clock.now()
        case.delivery_method, case.signee, case.delivered_at, case.closed_at = "pickup", signee_name, now, now
        transition(case, CaseState.delivered, "deliver_pickup", actor, payload={"signee": signee_name, "agent": agent})
        if with_bundle:
            return case
        issue_notice(
            case,
            "receipt_sheet",
            actor,
            {
                "number": case.number,
                "item": case.item.name,
                "applicant": case.applicant_name,
                "signee": signee_name,
                "signee_id": signee_id,
                "agent": agent,
                "signed_at": now.isoformat(sep=" "),
                "licence": case.licence_identifier,
            },
        )
    return case


def deliver_post(case: Case, actor: Actor, tracking_number: str, address: str | None = None) -> Case:
    """邮寄送达 through the postal service (departments never post themselves)."""
    with unit_of_work():
        require_state(case, {CaseState.at_output}, "邮寄办理结果")
        require_role(actor, OUTPUT_ROLES, "邮寄办理结果")
        if case.parent_id is not None:
            raise TransitionError(
                f"办件 {case.number} 是“一件事”的组成事项，办理结果须随整件事一并发放；请在一件事的办件页面统一发放"
            )
        if not case.item.postal_delivery:
            raise TransitionError(f"事项“{case.item.name}”的办理结果不能邮寄，请通知申请人到窗口领取")
        _require_legal_result(case, "邮寄")
        if not (tracking_number or "").strip():
            raise TransitionError("请填写邮件号")
        case.delivery_method, case.tracking_number = "post", tracking_number.strip()
        if address:
            case.applicant_address = address
        transition(case, CaseState.posted, "deliver_post", actor, payload={"tracking_number": tracking_number})
    return case


def _check_signing_date(case: Case, signed_on: dt.date, late_reason: str) -> dict:
    """The signing date is a fact of the past, after the posting; the window records it
    within 1 working day [003 §四(七)] — a later record needs its reason (kept in the event)."""
    today = clock.today()
    if signed_on > today:
        raise TransitionError(f"签收日期 {signed_on} 晚于今天（{today}），请按邮件回执填写实际签收日期")
    posted = next((e for e in reversed(case.events) if e.action == "deliver_post"), None)
    if posted is not None and signed_on < posted.at.date():
        raise TransitionError(f"签收日期 {signed_on} 早于邮寄日期 {posted.at.date()}，请核对邮件回执")
    late = clock.workdays_between(signed_on, today) > 1
    if late and not (late_reason or "").strip():
        raise TransitionError(
            f"签收日期 {signed_on} 距今已超过1个工作日，签收信息应在签收后1个工作日内登记；如确属补登，请写明迟登的理由"
        )
    return {"late": True, "late_reason": late_reason.strip()} if late else {}


def confirm_post_delivery(
    case: Case, actor: Actor, signee_name: str, signed_on: dt.date, late_reason: str = ""
) -> Case:
    """Within 1 working day after delivery the window records who signed [003 §四(七)]."""
    with unit_of_work():
        require_state(case, {CaseState.posted}, "登记邮件签收")
        require_role(actor, OUTPUT_ROLES, "登记邮件签收")
        if not (signee_name or "").strip():
            raise TransitionError("请填写邮件签收人")
        lateness = _check_signing_date(case, signed_on, late_reason)
        signed_at = dt.datetime.combine(signed_on, dt.time(12, 0))
        case.signee, case.delivered_at, case.closed_at = signee_name, signed_at, clock.now()
        transition(
            case,
            CaseState.delivered,
            "confirm_post_delivery",
            actor,
            reason=lateness.get("late_reason", ""),
            payload={"signee": signee_name, "signed_on": signed_on.isoformat(), **lateness},
        )
        issue_notice(
            case,
            "receipt_sheet",
            actor,
            {
                "number": case.number,
                "item": case.item.name,
                "applicant": case.applicant_name,
                "signee": signee_name,
                "signed_at": signed_at.isoformat(sep=" "),
                "tracking_number": case.tracking_number,
                "licence": case.licence_identifier,
            },
        )
    return case
