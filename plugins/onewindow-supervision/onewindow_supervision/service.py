"""Evaluations (好差评), rectifications, appeals and complaints: the one way to change them.

Screens are thin adapters over these functions. Each checks the actor's role (and
department), writes, and leaves the commit to the caller's unit of work
(:func:`onewindow.unit_of_work`), so a refusal changes nothing.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, text, update

from onewindow import (
    DECIDING_ROLES,
    FINAL_STATES,
    Actor,
    Case,
    CaseState,
    PermissionDenied,
    ValidationError,
    Window,
    clock,
    db,
    engine,
    require_department,
    require_role,
)
from onewindow_supervision.models import (
    BAD_LEVELS,
    AppealState,
    Card,
    CardLevel,
    CardRule,
    Complaint,
    ComplaintChannel,
    ComplaintState,
    ComplaintTarget,
    Evaluation,
    EvaluationChannel,
    EvaluationLevel,
    Rectification,
    RectificationState,
)

RECORDING_ROLES = ("acceptor", "output_clerk", "supervisor")  # who records a review or a complaint
SUPERVISOR = ("supervisor",)
APPLICANT = "applicant"


def _require_recorder(actor: Actor, case: Case | None, channel: str, doing: str, staff_doing: str) -> None:
    """Who may record a review or a complaint, by channel (``channel`` is its name).

    ``pad`` (the window's rating pad, 现场评价, GB/T 39734) faces the applicant: only the
    applicant of the case (``engine.applicant_actor(case)``) rates on it, staff never.
    ``online``: the applicant about their own case (the online hall), or staff.
    Every other channel (window, hotline, letter…): staff only."""
    own = case is not None and actor.username == engine.applicant_actor(case).username
    if channel == "pad":
        if not own:
            number = case.number if case is not None else ""
            raise PermissionDenied(f"{actor.username} 无权以窗口评价器{doing}办件 {number}：只有申请人本人可以{doing}")
        return
    if actor.has(APPLICANT) and not actor.has("admin", *RECORDING_ROLES):
        if not own:
            raise ValidationError(f"申请人只能{doing}自己的办件")
        if channel != "online":
            raise ValidationError(f"申请人自行{doing}的渠道须为“网上”")
        return
    require_role(actor, RECORDING_ROLES, staff_doing)


def _settings() -> dict:
    return current_app.extensions["onewindow"].plugin_config("supervision")


def _text(value: str | None, message: str) -> str:
    if not (value or "").strip():
        raise ValidationError(message)
    return value.strip()


def clear_cards_of_removed_steps(step_ids: list[int]) -> int:
    """Clear (``resolved``) the open cards of steps the engine is deleting, inside the
    caller's transaction; returns how many. On PostgreSQL it first waits for a running
    deadline scan (the scan's advisory lock, shared here): a card the scan has raised
    but not yet committed would otherwise escape this update, and a later incremental
    scan finds step cards only through steps that still exist."""
    if not step_ids:
        return 0
    from onewindow_supervision.scan import SCAN_LOCK_KEY, _open, card

    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": SCAN_LOCK_KEY})
    return conn.execute(
        update(card)
        .where(_open(CardRule.step_due), card.c.subject_id.in_(step_ids))
        .values(cleared_at=clock.now(), cleared_reason="resolved")
        .execution_options(preserve_rowcount=True)
    ).rowcount


# --- evaluation and rectification -------------------------------------------------


def record_evaluation(
    case: Case, actor: Actor, level: EvaluationLevel | str, channel: EvaluationChannel | str, comment: str = ""
) -> Evaluation:
    """好差评 of a finished case; a bad review (the last two levels) opens a rectification
    with a deadline of ``rectification_days`` working days [003 §六(二)].

    On the window rating pad (channel ``pad``, 现场评价 of the service just given, GB/T 39734)
    the applicant rates in person, before the case is concluded: the actor is the applicant
    (``onewindow.engine.applicant_actor(case)``), not staff."""
    level = EvaluationLevel[level] if isinstance(level, str) else level
    channel = EvaluationChannel[channel] if isinstance(channel, str) else channel
    _require_recorder(actor, case, channel.name, "评价", "登记办件评价")
    if case.state not in FINAL_STATES and channel != EvaluationChannel.pad:
        raise ValidationError(f"办件 {case.number} 尚未办结（当前：{case.state}），办结后才能评价")
    if db.session.execute(select(Evaluation.id).where(Evaluation.case_id == case.id)).first():
        raise ValidationError(f"办件 {case.number} 已评价过；每个办件评价一次")
    if level in BAD_LEVELS and not (comment or "").strip():
        raise ValidationError("差评须记录申请人的具体意见，以便整改和回访")
    evaluation = Evaluation(
        case=case,
        level=level,
        channel=channel,
        comment=(comment or "").strip() or None,
        department_id=case.department_id,
        window_id=case.window_id,
        staff=case.accepted_by,
        evaluated_at=clock.now(),
        recorded_by=actor.username,
        excluded=False,
    )
    db.session.add(evaluation)
    if level in BAD_LEVELS:
        open_rectification(evaluation)
    return evaluation


def open_rectification(evaluation: Evaluation) -> Rectification:
    from onewindow import get_calendar

    days = int(_settings()["rectification_days"])
    rect = Rectification(
        evaluation=evaluation,
        case_id=evaluation.case.id,
        department_id=evaluation.department_id,
        reason=f"差评（{evaluation.level}）：{evaluation.comment or ''}",
        state=RectificationState.open,
        opened_at=clock.now(),
        deadline=get_calendar().add_workdays(clock.today(), days),
    )
    db.session.add(rect)
    return rect


def submit_measures(rect: Rectification, actor: Actor, measures: str) -> Rectification:
    """The department reports what it changed (整改措施)."""
    require_department(actor, rect.department_id, DECIDING_ROLES, "提交整改措施")
    if rect.state != RectificationState.open:
        raise ValidationError(f"整改 #{rect.id} 当前为“{rect.state}”，不能提交整改措施")
    rect.measures = _text(measures, "请填写整改措施")
    rect.submitted_by, rect.submitted_at = actor.username, clock.now()
    rect.state = RectificationState.submitted
    return rect


def record_callback(rect: Rectification, actor: Actor, result: str, satisfied: bool) -> Rectification:
    """回访 of the applicant after the measures; not satisfied sends it back to the department."""
    require_role(actor, SUPERVISOR, "登记回访")
    if rect.state != RectificationState.submitted:
        raise ValidationError(f"整改 #{rect.id} 当前为“{rect.state}”，部门提交整改措施后才能回访")
    rect.callback_result = _text(result, "请填写回访情况")
    rect.callback_by, rect.callback_at, rect.callback_satisfied = actor.username, clock.now(), satisfied
    rect.state = RectificationState.closed if satisfied else RectificationState.open
    if satisfied:
        rect.closed_at = clock.now()
    return rect


def appeal_evaluation(evaluation: Evaluation, actor: Actor, reason: str) -> Evaluation:
    """申诉: the department contests a mistaken or malicious review."""
    require_department(actor, evaluation.department_id, DECIDING_ROLES, "对评价提出申诉")
    if not evaluation.is_bad:
        raise ValidationError("只有差评可以申诉")
    if evaluation.appeal_state is not None:
        raise ValidationError(f"该评价已申诉（{evaluation.appeal_state}），不能重复申诉")
    evaluation.appeal_reason = _text(reason, "请写明申诉理由（误评或恶意评价的依据）")
    evaluation.appeal_state, evaluation.appealed_by, evaluation.appealed_at = (
        AppealState.pending,
        actor.username,
        clock.now(),
    )
    return evaluation


def decide_appeal(evaluation: Evaluation, actor: Actor, upheld: bool, decision: str) -> Evaluation:
    """The supervisor decides: upheld → the review leaves the statistics and the
    rectification is cancelled; rejected → the rectification goes on."""
    require_role(actor, SUPERVISOR, "裁定申诉")
    if evaluation.appeal_state != AppealState.pending:
        raise ValidationError("该评价没有待裁定的申诉")
    evaluation.appeal_decision = _text(decision, "请写明裁定意见")
    evaluation.appeal_state = AppealState.upheld if upheld else AppealState.rejected
    evaluation.appeal_decided_by, evaluation.appeal_decided_at = actor.username, clock.now()
    if upheld:
        evaluation.excluded = True
        rect = db.session.execute(select(Rectification).where(Rectification.evaluation_id == evaluation.id)).scalar()
        if rect is not None and rect.state != RectificationState.closed:
            rect.state, rect.closed_at = RectificationState.cancelled, clock.now()
    return evaluation


# --- complaints -------------------------------------------------------------------


def _complaint_number() -> str:
    day = clock.today().strftime("%Y%m%d")
    count = db.session.execute(select(func.count(Complaint.id)).where(Complaint.number.like(f"TS{day}%"))).scalar()
    return f"TS{day}{count + 1:04d}"


def file_complaint(
    actor: Actor,
    *,
    channel: ComplaintChannel | str,
    complainant: str,
    content: str,
    case: Case | None = None,
    window: Window | None = None,
    department_id: int | None = None,
    phone: str | None = None,
) -> Complaint:
    """举报投诉 received (12345 hotline, window, online, letter) against a case, window or department."""
    channel = ComplaintChannel[channel] if isinstance(channel, str) else channel
    _require_recorder(actor, case, channel.name, "投诉", "登记投诉")
    if case is not None:
        target, department_id, window = ComplaintTarget.case, case.department_id, case.window
    elif window is not None:
        target = ComplaintTarget.window
    elif department_id is not None:
        target = ComplaintTarget.department
    else:
        raise ValidationError("投诉须指向一个办件、窗口或部门")
    complaint = Complaint(
        number=_complaint_number(),
        channel=channel,
        target=target,
        case=case,
        window=window,
        department_id=department_id,
        complainant=_text(complainant, "请填写投诉人"),
        phone=phone,
        content=_text(content, "请填写投诉内容"),
        state=ComplaintState.received,
        received_at=clock.now(),
        received_by=actor.username,
    )
    db.session.add(complaint)
    return complaint


def assign_complaint(complaint: Complaint, actor: Actor, department_id: int) -> Complaint:
    require_role(actor, SUPERVISOR, "交办投诉")
    if complaint.state not in (ComplaintState.received, ComplaintState.assigned):
        raise ValidationError(f"投诉 {complaint.number} 当前为“{complaint.state}”，不能交办")
    complaint.department_id = department_id
    complaint.state, complaint.assigned_by, complaint.assigned_at = ComplaintState.assigned, actor.username, clock.now()
    return complaint


def handle_complaint(complaint: Complaint, actor: Actor, handling: str, reply: str) -> Complaint:
    require_department(actor, complaint.department_id or -1, DECIDING_ROLES, "办理投诉")
    if complaint.state != ComplaintState.assigned:
        raise ValidationError(f"投诉 {complaint.number} 当前为“{complaint.state}”，交办后才能办理")
    complaint.handling = _text(handling, "请填写核查及处理情况")
    complaint.reply = _text(reply, "请填写给投诉人的答复")
    complaint.state, complaint.handled_by, complaint.handled_at = ComplaintState.handled, actor.username, clock.now()
    return complaint


def close_complaint(complaint: Complaint, actor: Actor, reply: str | None = None) -> Complaint:
    """办结: the reply goes to the complainant; the supervisor closes the file."""
    require_role(actor, SUPERVISOR, "办结投诉")
    if complaint.state != ComplaintState.handled:
        raise ValidationError(f"投诉 {complaint.number} 当前为“{complaint.state}”，部门办理后才能办结")
    if (reply or "").strip():
        complaint.reply = reply.strip()
    complaint.state, complaint.closed_by, complaint.closed_at = ComplaintState.closed, actor.username, clock.now()
    return complaint


# --- cards outside the scan -------------------------------------------------------


def record_material_demand(case: Case, actor: Actor, demanded: str) -> Card:
    """红牌: somebody demanded a material outside the item's list [003 §二 2; 004 §二(一)1(2)].

    The engine refuses such demands and reports them through the ``demand_refused`` hook
    (``case.id`` is ``None`` for an application refused before it was stored); the
    supervision desk records those made outside the system (the applicant reports it).
    """
    window_id = case.window_id if case.window_id is not None else getattr(case.window, "id", None)
    card = Card(
        rule=CardRule.material_demand,
        level=CardLevel.red,
        subject_id=None,
        case_id=case.id,
        department_id=case.department_id,
        window_id=window_id,
        staff=actor.username,
        due_date=None,
        raised_at=clock.now(),
        escalated_to="department_head,supervisor",
        note=f"要求提交清单外材料：{_text(demanded, '请写明被要求的清单外材料')}",
    )
    db.session.add(card)
    return card


def review_card(card: Card, actor: Actor, note: str) -> Card:
    """The supervisor closes a card that no deadline clears (清单外材料红牌)."""
    require_role(actor, SUPERVISOR, "处理红黄牌")
    if card.rule != CardRule.material_demand or card.cleared_at is not None:
        raise ValidationError("只有未处理的清单外材料红牌需要人工处理；期限红黄牌由系统自动解除")
    card.note = f"{card.note}\n处理意见：{_text(note, '请填写处理意见')}"
    card.cleared_at, card.cleared_reason = clock.now(), "reviewed"
    return card


__all__ = [
    "record_evaluation",
    "submit_measures",
    "record_callback",
    "appeal_evaluation",
    "decide_appeal",
    "file_complaint",
    "assign_complaint",
    "handle_complaint",
    "close_complaint",
    "record_material_demand",
    "review_card",
    "CaseState",
]
