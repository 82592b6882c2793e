"""The one way to change a construction project: phases, joint tasks, fees, agents.

Cases themselves change only through the core engine; this module opens a phase's cases
through ``engine.accept`` (one Application per item, from one phase form) and reacts to
their transitions through the ``validate_application`` / ``case_transition`` hooks
(:mod:`.plugin`). Functions that do not go through the engine do not commit: callers wrap
them in :func:`onewindow.unit_of_work`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from onewindow import Case, CaseState, Department, Item, ItemStatus, ValidationError, clock, db, uscc_problem
from onewindow_construction.models import (
    ConstructionAgent,
    ConstructionFee,
    ConstructionJointTask,
    ConstructionPhase,
    ConstructionProject,
    ConstructionProjectCase,
    ConstructionSignoff,
    FeeStage,
    JointKind,
    PhaseKey,
    PhaseState,
)
from onewindow_construction.phases import BY_KEY, FEE_STAGES, PHASE_OF_ITEM, PHASES

#: The application data key that ties a case to its project (set by :func:`open_phase_cases`).
PROJECT_KEY = "construction_project"
#: A case counts as done for its phase once approved (the result may still be at the output window).
DONE = {CaseState.approved, CaseState.at_output, CaseState.posted, CaseState.delivered}
PROJECT_CODE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")  # 投资项目代码


def _department(code: str) -> Department:
    dept = db.session.execute(select(Department).where(Department.credit_code == code)).scalar()
    if dept is None:
        raise ValidationError(f"部门 {code} 不在组织机构中；请先安装含该部门的事项包（组织机构）")
    return dept


def _label(phase: ConstructionPhase) -> str:
    return BY_KEY[phase.key.name].label


# --- projects and phases -----------------------------------------------------


def create_project(
    *,
    code: str,
    name: str,
    owner_name: str,
    owner_credit_code: str,
    by: str,
    site: str = "",
    total_investment: Any = None,
) -> ConstructionProject:
    """Register a project with its five phases; 立项 opens at once, the others wait."""
    code = (code or "").strip()
    if not PROJECT_CODE.match(code):
        raise ValidationError(
            f"项目代码“{code}”格式不正确，应为投资项目在线审批监管平台赋予的代码，如 2026-369921-47-01-000123"
        )
    if db.session.execute(select(ConstructionProject.id).where(ConstructionProject.code == code)).first():
        raise ValidationError(f"项目代码 {code} 已登记，请在建设项目列表中查找")
    problem = uscc_problem((owner_credit_code or "").strip().upper())
    if problem:
        raise ValidationError(f"建设单位统一社会信用代码：{problem}")
    if not (name or "").strip() or not (owner_name or "").strip():
        raise ValidationError("请填写项目名称和建设单位")
    try:
        investment = None if total_investment in (None, "") else Decimal(str(total_investment))
    except InvalidOperation:
        raise ValidationError(f"总投资“{total_investment}”不是数字（万元）") from None
    project = ConstructionProject(
        code=code,
        name=name.strip(),
        owner_name=owner_name.strip(),
        owner_credit_code=owner_credit_code.strip().upper(),
        site=site or "",
        total_investment=investment,
        created_by=by,
        created_at=clock.now(),
    )
    for position, spec in enumerate(PHASES, start=1):
        project.phases.append(
            ConstructionPhase(
                key=PhaseKey[spec.key],
                position=position,
                lead_department=_department(spec.lead),
                responsible=list(spec.responsible),
                limit_days=spec.limit_days,
                state=PhaseState.waiting,
                commitment=False,
            )
        )
    db.session.add(project)
    open_phase(project.phases[0])
    db.session.flush()
    return project


def open_phase(phase: ConstructionPhase) -> None:
    """Start the phase clock and create its joint tasks, one sign-off per department."""
    if phase.state != PhaseState.waiting:
        return
    today = clock.today()
    phase.state, phase.opened_on = PhaseState.open, today
    phase.due_date, _ = clock.add_workdays(today, phase.limit_days)
    for task in BY_KEY[phase.key.name].joint:
        phase.joint_tasks.append(
            ConstructionJointTask(
                kind=JointKind[task.kind],
                signoffs=[ConstructionSignoff(department=_department(c)) for c in task.departments],
            )
        )


def mark_commitment(phase: ConstructionPhase, note: str, by: str) -> ConstructionPhase:
    """承诺备案: the owner's written commitment lets this phase start while the previous one
    is still open (never before it has started). Only a phase that has not started can be
    marked, and never 立项, which has nothing before it."""
    if phase.position == 1:
        raise ValidationError("立项阶段是第一个阶段，无需承诺备案")
    if phase.state != PhaseState.waiting:
        raise ValidationError(f"“{_label(phase)}”阶段已开始，承诺备案须在阶段开始前办理")
    if not (note or "").strip():
        raise ValidationError("承诺备案须记录建设单位的书面承诺（承诺内容及未履行承诺的后果）")
    phase.commitment, phase.commitment_note = True, f"{note.strip()}（{by} {clock.now():%Y-%m-%d}）"
    return phase


def order_problem(project: ConstructionProject, phase: ConstructionPhase) -> str | None:
    """Why a case of ``phase`` may not be accepted now (None: it may).

    Rule: phases run in order 立项 → 用地 → 规划 → 施工许可 → 验收; a phase's cases are
    accepted only once the previous phase is complete. Exception (承诺备案): a phase the
    project marked for commitment-based filing may start as soon as the previous phase has
    started (is open), in parallel with it — never two phases ahead [000 §三(五)].
    """
    if phase.position == 1 or phase.state != PhaseState.waiting:
        return None
    previous = project.phases[phase.position - 2]
    if previous.state == PhaseState.complete:
        return None
    if phase.commitment and previous.state == PhaseState.open:
        return None
    if phase.commitment:
        return (
            f"“{_label(phase)}”阶段虽实行承诺备案，也须在“{_label(previous)}”阶段开始后办理；"
            f"请先办理“{_label(previous)}”阶段的事项"
        )
    return (
        f"建设项目“{project.name}”的“{_label(previous)}”阶段尚未完成，不能办理“{_label(phase)}”阶段的事项；"
        "各阶段须依次办理（立项→用地→规划→施工许可→验收），实行承诺备案的阶段除外"
    )


def phase_items(phase_key: str, basic_codes: list[str] | None = None) -> list[Item]:
    """The items in force that the phase handles (the pack may lack some of them)."""
    codes = [c for c in BY_KEY[phase_key].items if basic_codes is None or c in basic_codes]
    rows = (
        db.session.execute(
            select(Item).where(Item.basic_code.in_(codes), Item.is_current.is_(True), Item.status == ItemStatus.active)
        )
        .scalars()
        .all()
    )
    return sorted(rows, key=lambda i: codes.index(i.basic_code))


def phase_form(items: list[Item]):
    """一表制: one form holding every field of the phase's items (a field shared by several
    items, such as 项目名称, is asked once)."""
    from onewindow import Form, build_application_form

    fields: dict[str, Any] = {}
    for item in items:
        form_cls = build_application_form(item)
        for name, unbound in vars(form_cls).items():
            if hasattr(unbound, "field_class") and name not in fields:
                fields[name] = unbound
    return type("ConstructionPhaseForm", (Form,), fields)


def _item_data(item: Item, data: dict[str, Any], project: ConstructionProject) -> dict[str, Any]:
    names = {f.name for f in item.fields}
    own = {k: v for k, v in data.items() if k in names}
    return {**own, PROJECT_KEY: project.id}


def open_phase_cases(
    project: ConstructionProject, phase_key: str, data: dict[str, Any], actor, basic_codes: list[str] | None = None
) -> list[Case]:
    """Accept one case per item of the phase from one form; the cases then run in parallel,
    each routed to its department. Every application is validated before any is accepted,
    so bad input (including the phase order) is refused with nothing written."""
    from onewindow import ApplicantType, ApplicationInvalid, Channel, MaterialStatus, engine

    phase = project.phase(phase_key)
    items = phase_items(phase_key, basic_codes)
    if not items:
        raise ValidationError(f"“{BY_KEY[phase_key].label}”阶段没有可受理的事项（事项包未安装或已停用）")
    applications = [
        engine.Application(
            item=item,
            applicant_type=ApplicantType.company,
            applicant_name=project.owner_name,
            applicant_id=project.owner_credit_code,
            channel=Channel.window,
            data=_item_data(item, data, project),
        )
        for item in items
    ]
    problems: list[tuple[str, str]] = []
    for application in applications:
        try:
            engine.validate_application(application)
        except ApplicationInvalid as exc:
            name = application.item.name
            problems += [(f"{name} · {f}" if f else name, m) for f, m in exc.problems]
    if problems:
        raise ApplicationInvalid(_unique(problems))
    cases = []
    for application in applications:
        materials = {m.id: MaterialStatus.submitted for m in application.item.materials}
        cases.append(engine.accept(application, actor, materials, note=f"{project.code} {_label(phase)}阶段一表申请"))
    return cases


def _unique(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The order rule is reported once per item; say it once."""
    seen, out = set(), []
    for field, message in problems:
        if message not in seen:
            seen.add(message)
            out.append((field, message))
    return out


# --- hook logic (called from plugin.py inside the case's transaction) ---------


def check_application(case: Case, data: dict, report) -> None:
    project_id = (data or {}).get(PROJECT_KEY)
    if not project_id:
        return  # a standalone case (e.g. 企业投资项目备案 without a project) has no phase rule
    project = db.session.get(ConstructionProject, int(project_id))
    if project is None:
        report("建设项目", f"建设项目 {project_id} 不存在")
        return
    spec = PHASE_OF_ITEM.get(case.item.basic_code)
    if spec is None:
        report("建设项目", f"事项“{case.item.name}”不属于建设工程审批的五个阶段，不能归入建设项目")
        return
    problem = order_problem(project, project.phase(spec.key))
    if problem:
        report("建设项目", problem)


def on_transition(case: Case, event) -> None:
    if not (case.data or {}).get(PROJECT_KEY):
        return  # only cases filed under a project (the key is part of the application) take part
    link = None
    if case.id is not None:
        link = db.session.execute(
            select(ConstructionProjectCase).where(ConstructionProjectCase.case_id == case.id)
        ).scalar()
    if link is None:
        project_id = (case.data or {}).get(PROJECT_KEY)
        spec = PHASE_OF_ITEM.get(case.item.basic_code)
        if not project_id or spec is None or event.to_state not in ("in_review", "submitted"):
            return
        project = db.session.get(ConstructionProject, int(project_id))
        phase = project.phase(spec.key)
        open_phase(phase)  # the first case of a phase (承诺备案 or the next in order) starts it
        link = ConstructionProjectCase(project_id=project.id, phase=phase, case=case)
        db.session.add(link)
    refresh_phase(link.phase)


def refresh_phase(phase: ConstructionPhase) -> bool:
    """Complete the phase when every case is approved or delivered, every joint task signed
    off by every department, and the stage's fees (if any) are paid; then open the next."""
    if phase.state != PhaseState.open or not phase.links:
        return False
    if any(link.case.state not in DONE for link in phase.links):
        return False
    if any(not task.complete for task in phase.joint_tasks):
        return False
    stage = BY_KEY[phase.key.name].fee_stage
    if stage and any(f.stage.name == stage and not f.paid for f in phase.project.fees):
        return False
    phase.state, phase.completed_on = PhaseState.complete, clock.today()
    following = [p for p in phase.project.phases if p.position == phase.position + 1]
    if following:
        open_phase(following[0])
    return True


# --- joint tasks ------------------------------------------------------------------


def sign_off(task: ConstructionJointTask, actor, opinion: str) -> ConstructionSignoff:
    """A department's sign-off of a joint task; the task is complete with every sign-off."""
    if task.phase.state != PhaseState.open:
        raise ValidationError(f"“{_label(task.phase)}”阶段未开始或已完成，不能签署{task.kind}")
    mine = [s for s in task.signoffs if actor.has("admin") or s.department_id == actor.department_id]
    if not mine:
        names = "、".join(s.department.name for s in task.signoffs)
        raise ValidationError(f"{task.kind}由 {names} 联合办理；{actor.username} 所在部门不在其中")
    pending = [s for s in mine if s.signed_at is None]
    if not pending:
        raise ValidationError(f"本部门已签署{task.kind}，无需重复签署")
    if not (opinion or "").strip():
        raise ValidationError("请填写签署意见")
    signoff = pending[0]
    signoff.opinion, signoff.signed_by, signoff.signed_at = opinion.strip(), actor.username, clock.now()
    if task.complete:
        task.completed_on = clock.today()
        refresh_phase(task.phase)
    return signoff


# --- fees (three stages, joint collection) ------------------------------------------


def add_fee(
    project: ConstructionProject, stage: str, name: str, amount: Any, by: str, basis: str = ""
) -> ConstructionFee:
    if stage not in FEE_STAGES:
        raise ValidationError(f"收费阶段“{stage}”无效；建设工程收费分三个阶段：用地、施工许可、竣工验收")
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError(f"金额“{amount}”不是数字（元）") from None
    if value <= 0:
        raise ValidationError("收费金额须大于 0 元")
    if not (name or "").strip():
        raise ValidationError("请填写收费项目名称")
    fee = ConstructionFee(
        project=project, stage=FeeStage[stage], name=name.strip(), amount=value, basis=basis or "", added_by=by
    )
    db.session.add(fee)
    db.session.flush()
    return fee


def fee_notice(project: ConstructionProject, stage: str) -> dict[str, Any]:
    """一次告知、一次缴费: every fee of the stage on one notice, with the total."""
    fees = [f for f in project.fees if f.stage.name == stage]
    return {
        "project": project.code,
        "stage": stage,
        "total": sum((f.amount for f in fees), Decimal("0.00")),
        "fees": [{"name": f.name, "amount": f.amount, "basis": f.basis, "paid": f.paid} for f in fees],
        "unpaid": sum((f.amount for f in fees if not f.paid), Decimal("0.00")),
    }


def pay_stage(project: ConstructionProject, stage: str, receipt_number: str, by: str) -> list[ConstructionFee]:
    """Joint collection: all unpaid fees of the stage are paid at once on one receipt."""
    unpaid = [f for f in project.fees if f.stage.name == stage and not f.paid]
    if not unpaid:
        raise ValidationError(f"“{FeeStage[stage]}”没有待缴费用")
    if not (receipt_number or "").strip():
        raise ValidationError("请填写缴款票据号")
    today = clock.today()
    for fee in unpaid:
        fee.paid_on, fee.receipt_number = today, receipt_number.strip()
    phase = next(p for p in project.phases if BY_KEY[p.key.name].fee_stage == stage)
    refresh_phase(phase)
    return unpaid


# --- agent service and progress -----------------------------------------------------


def assign_agent(project: ConstructionProject, username: str, by: str) -> ConstructionAgent:
    """代办: assign a staff member holding the 代办员 (agent) role to the project."""
    from onewindow import Staff

    staff = db.session.execute(select(Staff).where(Staff.username == (username or "").strip())).scalar()
    if staff is None:
        raise ValidationError(f"工作人员 {username} 不存在")
    if not any(r.name == "agent" for r in staff.roles):
        raise ValidationError(f"{username} 不是代办员（agent 角色），不能指派为项目代办员")
    if project.agent is None:
        project.agent = ConstructionAgent(
            staff_id=staff.id, username=staff.username, assigned_by=by, assigned_at=clock.now()
        )
    else:
        project.agent.staff_id, project.agent.username = staff.id, staff.username
        project.agent.assigned_by, project.agent.assigned_at = by, clock.now()
    return project.agent


def progress(project: ConstructionProject) -> list[dict[str, Any]]:
    """Where every phase and case stands; elapsed working days against the limit; overdue."""
    today = clock.today()
    rows = []
    for phase in project.phases:
        elapsed = clock.workdays_between(phase.opened_on, phase.completed_on or today) if phase.opened_on else 0
        cases = [
            {
                "number": link.case.number,
                "item": link.case.item.name,
                "state": link.case.state,
                "department": link.case.department.short_name or link.case.department.name,
                "due_date": link.case.due_date,
                "overdue": bool(link.case.is_open and link.case.due_date and link.case.due_date < today),
            }
            for link in phase.links
        ]
        rows.append(
            {
                "phase": phase,
                "label": _label(phase),
                "elapsed": elapsed,
                "limit": phase.limit_days,
                "overdue": phase.state == PhaseState.open and elapsed > phase.limit_days,
                "cases": cases,
                "tasks": phase.joint_tasks,
            }
        )
    return rows


__all__ = [
    "create_project",
    "open_phase_cases",
    "mark_commitment",
    "sign_off",
    "add_fee",
    "fee_notice",
    "pay_stage",
    "assign_agent",
    "progress",
    "refresh_phase",
    "order_problem",
]
