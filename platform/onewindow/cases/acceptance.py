"""Receiving and accepting applications at the comprehensive window [003 §四(一)–(五)].

Outcomes at the window: accept (受理通知书), accept with deferred materials (容缺受理),
one correction notice listing everything (补齐补正通知书, 一次性告知), or reject with
reasons (不予受理决定通知书).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app
from sqlalchemy import inspect as sa_inspect
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField

from onewindow.app import db
from onewindow.cases import clock, limits
from onewindow.cases.core import (
    Actor,
    issue_notice,
    require_department,
    require_role,
    require_state,
    transition,
    unit_of_work,
)
from onewindow.cases.errors import ApplicationInvalid, TransitionError
from onewindow.cases.models import (
    ApplicantType,
    Case,
    CaseMaterial,
    CaseState,
    Channel,
    MaterialStatus,
)
from onewindow.cases.numbering import new_query_code, next_case_number
from onewindow.cases.routing import start_routing
from onewindow.catalogue.forms import build_application_form
from onewindow.licences.library import find_valid_licence
from onewindow.models.items import Item, ItemStatus, Necessity
from onewindow.models.org import Window
from onewindow.security import DECIDING_ROLES
from onewindow.validators import resident_id_problem, uscc_problem

log = logging.getLogger("onewindow.cases")

ACCEPTING_ROLES = ("acceptor", "chief_rep")
PRESENT = {MaterialStatus.submitted, MaterialStatus.from_library}


@dataclass
class Application:
    """What the applicant hands in once (一次提交)."""

    item: Item
    applicant_type: ApplicantType
    applicant_name: str
    applicant_id: str
    channel: Channel = Channel.window
    data: dict[str, Any] = field(default_factory=dict)
    phone: str | None = None
    address: str | None = None
    window: Window | None = None
    #: why the application is accepted at a window that does not serve the item's department
    window_override: str = ""
    #: the bundle's parent case when this is one member of a bundle (一件事; ``cases.bundles``)
    parent: Case | None = None


def _formdata(form_cls, data: dict) -> MultiDict:
    """Structured case data as the form data a browser would post: nested dicts and
    lists of rows become WTForms' ``name-0-sub`` keys, a list of plain values a
    repeated key (multiple choice)."""
    flat: MultiDict[str, Any] = MultiDict()

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for sub, inner in value.items():
                walk(inner, f"{key}-{sub}" if key else str(sub))
        elif isinstance(value, (list, tuple)):
            unbound = getattr(form_cls, key, None)
            rows = isinstance(getattr(unbound, "field_class", None), type) and issubclass(
                unbound.field_class, FieldList
            )
            if rows or any(isinstance(v, (dict, list, tuple)) for v in value):
                for n, inner in enumerate(value):
                    walk(inner, f"{key}-{n}")
            else:
                for inner in value:
                    flat.add(key, "" if inner is None else str(inner))
        else:
            flat.add(key, "" if value is None else str(value))

    walk(data or {}, "")
    return flat


def _field_problems(fields, prefix: str = "") -> list[tuple[str, str]]:
    """Every error of a bound form, nested rows named ("股东 第2行 证件号码")."""
    problems: list[tuple[str, str]] = []
    for f in fields:
        label = f"{prefix}{f.label.text}"
        if isinstance(f, FieldList):
            for n, entry in enumerate(f.entries, start=1):
                row = f"{label} 第{n}行"
                if isinstance(entry, FormField):
                    problems += _field_problems(entry.form, f"{row} ")
                elif entry.errors:
                    problems.append((row, "；".join(map(str, entry.errors))))
            own = [e for e in f.errors if isinstance(e, str)]  # the list's validators; rows' errors are lists/dicts
            if own:
                problems.append((label, "；".join(own)))
        elif isinstance(f, FormField):
            problems += _field_problems(f.form, f"{label} ")
        elif f.errors:
            problems.append((label, "；".join(map(str, f.errors))))
    return problems


def _form_problems(item: Item, data: dict) -> list[tuple[str, str]]:
    """Validate the application form (plugin form or the item's low-code fields) as if
    the data had been posted from the browser."""
    if not item.form_key and not item.fields:  # no form: nothing to validate
        return []
    form_cls = build_application_form(item)
    if form_cls is None:
        return []
    form = form_cls(formdata=_formdata(form_cls, data), meta={"csrf": False})
    if form.validate():
        return []
    problems = _field_problems(form)
    problems += [("表单", str(e)) for e in getattr(form, "form_errors", [])]
    return problems or [("表单", "申请表填写有误，请核对")]


def _window_problems(app: Application) -> list[tuple[str, str]]:
    """An item is accepted at a window that serves its department [003 §四(五)], unless the
    clerk records why (the reason goes into the case's timeline)."""
    window, item = app.window, app.item
    if window is None or app.channel != Channel.window or app.parent is not None:
        return []  # a bundle is accepted at the comprehensive window for every member (一窗受理)
    served = {d.id for d in window.departments}
    if not served or item.department_id in served or (app.window_override or "").strip():
        return []
    names = "、".join(d.name for d in window.departments)
    return [
        (
            "窗口",
            f"窗口 {window.code}（{window.name}）只受理{names}的事项，不受理{item.department.name}的"
            f"“{item.name}”；请到服务该部门的窗口受理，或填写跨窗口受理的理由",
        )
    ]


def validate_application(app: Application, case: Case | None = None) -> None:
    problems: list[tuple[str, str]] = []
    item = app.item
    if not item.is_current or item.status != ItemStatus.active:
        problems.append(("事项", f"事项“{item.name}”第{item.version}版已不再受理新申请，请选择现行版本"))
    if not (app.applicant_name or "").strip():
        problems.append(("申请人", "请填写申请人姓名或单位名称"))
    checker = resident_id_problem if app.applicant_type == ApplicantType.person else uscc_problem
    problem = checker(app.applicant_id or "")
    if problem:
        label = "身份证号码" if app.applicant_type == ApplicantType.person else "统一社会信用代码"
        problems.append((label, problem))
    if item.in_person_required and app.channel != Channel.window:
        problems.append(
            ("渠道", f"事项“{item.name}”须申请人本人到窗口办理（现场拍照、采集指纹），不能通过“{app.channel}”渠道申请")
        )
    problems += _window_problems(app)
    if app.channel == Channel.post and not item.postal_delivery:
        problems.append(("渠道", f"事项“{item.name}”不接受邮寄申请"))
    problems += _form_problems(item, app.data)

    def report(field_name: str, message: str) -> None:
        problems.append((field_name, message))

    probe = case or Case(
        item=item,
        applicant_name=app.applicant_name,
        applicant_id=app.applicant_id,
        applicant_type=app.applicant_type,
        channel=app.channel,
        data=app.data,
    )
    current_app.extensions["onewindow"].plugins.hook.validate_application(case=probe, data=app.data, report=report)
    if problems:
        raise ApplicationInvalid(problems)


def _new_case(app: Application, actor: Actor) -> Case:
    validate_application(app)
    now = clock.now()
    item = app.item
    case = Case(
        number=next_case_number(item.implementation_code, now.date()),
        query_code=new_query_code(),
        item=item,
        department_id=item.department_id,
        state=CaseState.submitted,
        channel=app.channel,
        window=app.window,
        applicant_type=app.applicant_type,
        applicant_name=app.applicant_name.strip(),
        applicant_id=app.applicant_id.strip().upper(),
        applicant_phone=app.phone,
        applicant_address=app.address,
        data=dict(app.data),
        received_at=now,
        confidential=item.confidential,
        bundle_id=app.parent.bundle_id if app.parent is not None else None,
        parent_id=app.parent.id if app.parent is not None else None,
        updated_at=now,
        corrections_issued=0,
        stopped_days=0,
        extended_days=0,
        simulated=False,
        due_confirmed=True,
    )
    for position, material in enumerate(item.materials, start=1):
        case.materials.append(
            CaseMaterial(
                material=material,
                material_id=material.id,
                position=position,
                name=material.name,
                status=MaterialStatus.missing,
            )
        )
    db.session.add(case)
    return case


def submit(app: Application, actor: Actor, *, attach: Callable[[Case], None] | None = None) -> Case:
    """网上申请 / 邮寄 / 自助终端: the department pre-reviews within the item's limit [003 §四(一)].

    ``attach(case)`` runs in the same transaction, after the submission's event: the
    application's files (``materialfiles.submit_with_files``); if it raises, no case."""
    if app.channel == Channel.window:
        raise TransitionError("窗口申请请直接受理（accept / accept_deferred / request_correction / reject）")
    with unit_of_work():
        case = _new_case(app, actor)
        case.pre_review_due = limits.pre_review_due(case)
        transition(case, CaseState.submitted, "submit", actor, payload={"channel": app.channel.name})
        if attach is not None:
            attach(case)
    return case


def pre_review(
    case: Case, actor: Actor, passed: bool, opinion: str = "", problems: dict[int, str] | None = None
) -> Case:
    """网上预审 by the implementing department; fully-online items go straight on. An online
    bundle (一件事) is pre-reviewed as a whole by its lead department
    (``cases.bundles.pre_review_bundle``), never member by member."""
    if case.is_bundle:
        from onewindow.cases.bundles import pre_review_bundle

        return pre_review_bundle(case, actor, passed, opinion, problems)
    if case.parent_id is not None:
        raise TransitionError(f"办件 {case.number} 是一件事的成员事项，由牵头部门对整件事预审；请在一件事的办件上预审")
    with unit_of_work():
        require_state(case, {CaseState.submitted}, "预审")
        require_department(actor, case.department_id, DECIDING_ROLES, "预审该办件")
        if not passed:
            if not (problems or opinion):
                raise TransitionError("预审不通过须一次性列明需补正的全部材料或原因")
            _correction_notice(case, actor, problems or {}, opinion, override_reason=None)
            return case
        transition(case, CaseState.pre_reviewed, "pre_review_pass", actor, reason=opinion)
    if case.item.visits_required == 0:  # 一次不跑: electronic materials count as handed in
        # The pre-reviewing department accepts as it passes: its approver needs no window role.
        accept(
            case,
            dataclasses.replace(actor, roles=actor.roles | {"acceptor"}),
            {
                m.material_id: MaterialStatus.submitted
                for m in case.materials
                if m.material.necessity != Necessity.optional
            },
        )
    return case


def _target(target: Case | Application, actor: Actor, doing: str) -> Case:
    require_role(actor, ACCEPTING_ROLES, doing)
    if isinstance(target, Application):
        window = target.window
        if window is not None and window.id not in actor.window_ids and not actor.has("admin"):
            raise TransitionError(
                f"您未被分配到窗口 {window.code}（{window.name}），不能以该窗口{doing}；请选择您本人的窗口"
            )
        case = _new_case(target, actor)
        if (target.window_override or "").strip() and _window_problems(dataclasses.replace(target, window_override="")):
            transition(
                case,
                None,
                "accept_at_other_window",
                actor,
                reason=target.window_override.strip(),
                payload={"window": window.code},
            )
        return case
    require_state(target, {CaseState.submitted, CaseState.pre_reviewed, CaseState.correction}, doing)
    validate_application(
        Application(
            target.item, target.applicant_type, target.applicant_name, target.applicant_id, target.channel, target.data
        ),
        case=target,
    )
    return target


def _refuse_demand(case: Case, actor: Actor, material_ids: list[int], doing: str, message: str) -> None:
    """Refuse a demand for materials outside the item's list: roll the transaction back
    (nothing of the case is written), then tell plugins (``demand_refused``: e-supervision
    raises a red card) in a short transaction of their own, and raise the refusal."""
    db.session.rollback()
    if not sa_inspect(case).persistent:  # an application refused before it was ever stored
        case.id = None
    try:
        with unit_of_work(own=True):
            current_app.extensions["onewindow"].plugins.hook.demand_refused(
                case=case, actor=actor, material_ids=list(material_ids), doing=doing
            )
    except Exception:  # a plugin's failure must not hide the refusal itself
        log.exception("demand_refused hook failed")
    raise TransitionError(message)


def _apply_statuses(case: Case, statuses: dict[int, Any], actor: Actor, doing: str) -> None:
    known = {m.material_id: m for m in case.materials}
    unknown = [mid for mid in statuses if mid not in known]
    if unknown:
        _refuse_demand(
            case,
            actor,
            unknown,
            doing,
            f"材料编号 {unknown} 不在事项“{case.item.name}”的受理清单中；清单外的材料不得要求申请人提交",
        )
    now = clock.now()
    for material_id, status in statuses.items():
        if isinstance(status, str):
            if status not in MaterialStatus.__members__:
                raise TransitionError(
                    f"材料“{known[material_id].name}”的状态 {status!r} 无效；"
                    f"可选：{', '.join(MaterialStatus.__members__)}"
                )
            status = MaterialStatus[status]
        entry = known[material_id]
        if status in PRESENT and entry.status not in PRESENT:
            entry.supplied_at = now
        entry.status = status
    _pull_from_library(case)


def _pull_from_library(case: Case) -> None:
    """Government-issued materials come from the e-licence library, not the applicant [003 §六(四)]."""
    for entry in case.materials:
        code = entry.material.licence_type_code
        if entry.status in PRESENT or not code:
            continue
        licence = find_valid_licence(case.applicant_id, code)
        if licence is not None:
            entry.status = MaterialStatus.from_library
            entry.licence_identifier = licence.identifier
            entry.supplied_at = clock.now()


def _missing(case: Case, necessities: set[Necessity]) -> list[CaseMaterial]:
    return [m for m in case.materials if m.material.necessity in necessities and m.status not in PRESENT]


def _start_clock(case: Case, actor: Actor, action: str, reason: str = "", payload: dict | None = None) -> None:
    case.accepted_on, case.accepted_by = clock.today(), actor.username
    case.correction_deadline = limits.correction_deadline(case)
    case.due_date, case.due_confirmed = limits.due_date(case)
    case.pickup_date = case.due_date
    transition(case, CaseState.in_review, action, actor, reason=reason, payload=payload)
    start_routing(case, actor)


def accept(target: Case | Application, actor: Actor, materials: dict[int, Any], note: str = "") -> Case:
    """受理: every required (and deferrable) material is present → 受理通知书."""
    with unit_of_work():
        case = _target(target, actor, "受理")
        _apply_statuses(case, materials, actor, "受理")
        missing = _missing(case, {Necessity.required, Necessity.deferrable})
        if missing:
            names = "、".join(f"“{m.name}”" for m in missing)
            raise TransitionError(
                f"材料不齐，不能受理：缺少 {names}。请出具补齐补正通知书，或对容缺后补材料办理容缺受理"
            )
        _start_clock(case, actor, "accept", note)
        if case.parent_id is None:  # a bundle's member: its parent's one notice lists it
            issue_notice(case, "acceptance", actor, _acceptance_content(case))
    return case


def accept_deferred(
    target: Case | Application,
    actor: Actor,
    materials: dict[int, Any],
    *,
    commitment: str,
    supply_deadline: dt.date | None,
) -> Case:
    """容缺受理: only materials marked deferrable may be missing; approval proceeds as
    模拟审批 and the result is not released before they arrive [003 §四(五)(六)]."""
    with unit_of_work():
        case = _target(target, actor, "容缺受理")
        _apply_statuses(case, materials, actor, "容缺受理")
        missing_required = _missing(case, {Necessity.required})
        if missing_required:
            names = "、".join(f"“{m.name}”" for m in missing_required)
            raise TransitionError(f"{names} 是必要材料，不能容缺；只有标注“容缺后补”的材料可以后补")
        deferred = _missing(case, {Necessity.deferrable})
        if not deferred:
            raise TransitionError("没有缺少容缺后补材料，请直接受理")
        if not commitment.strip():
            raise TransitionError("容缺受理须记录申请人的书面承诺（补交期限及逾期后果）")
        if supply_deadline is None:
            raise TransitionError("容缺受理须写明补交期限")
        if supply_deadline <= clock.today():
            raise TransitionError(f"补交期限 {supply_deadline} 须晚于今天")
        for entry in deferred:
            entry.status = MaterialStatus.deferred
        case.simulated = True
        case.supply_deadline = supply_deadline
        _start_clock(
            case,
            actor,
            "accept_deferred",
            commitment,
            {"deferred": [m.name for m in deferred], "supply_deadline": supply_deadline.isoformat()},
        )
        if case.due_date is not None and supply_deadline > case.due_date:  # the result must not wait for the applicant
            raise TransitionError(
                f"补交期限 {supply_deadline} 晚于办结期限 {case.due_date}；"
                f"容缺材料须在办结前补齐，请把补交期限定在 {case.due_date} 或之前"
            )
        content = _acceptance_content(case)
        issue_notice(case, "acceptance", actor, content)
        issue_notice(
            case,
            "deferral_commitment",
            actor,
            {
                **content,
                "deferred": [m.name for m in deferred],
                "commitment": commitment,
                "supply_deadline": supply_deadline.isoformat(),
                "consequence": "逾期未补交的，审批结果不予发放，已作出的模拟审批结果失效",
            },
        )
    return case


def supply_material(case: Case, actor: Actor, material_id: int) -> Case:
    """A deferred material arrives; the result can be released once none is outstanding."""
    with unit_of_work():
        require_role(actor, ACCEPTING_ROLES + ("approver", "output_clerk"), "登记补交材料")
        entry = next((m for m in case.materials if m.material_id == material_id), None)
        if entry is None or entry.status != MaterialStatus.deferred:
            raise TransitionError("该材料不是本办件容缺后补的材料")
        entry.status = MaterialStatus.submitted
        entry.supplied_at = clock.now()
        if not case.outstanding_deferred:
            case.simulated = False
        transition(case, None, "supply_material", actor, payload={"material": entry.name})
    return case


def _correction_notice(
    case: Case,
    actor: Actor,
    problems: dict[int, str],
    general: str,
    override_reason: str | None,
    materials: dict[int, Any] | None = None,
) -> None:
    """List exactly what is missing or faulty (一次性告知): a material the window marked as
    handed in is not on the notice; one marked faulty needs the problem written out."""
    if case.corrections_issued and not (override_reason or "").strip():
        raise TransitionError("补齐补正须一次性告知；已出具过补正通知书，再次出具须记录理由")
    known = {m.material_id: m for m in case.materials}
    unknown = [mid for mid in problems if mid not in known]
    if unknown:
        _refuse_demand(case, actor, unknown, "出具补正通知", f"材料编号 {unknown} 不在受理清单中；不得要求清单外材料")
    if materials:
        _apply_statuses(case, materials, actor, "出具补正通知")
    unexplained = [
        m.name
        for m in case.materials
        if m.status == MaterialStatus.faulty and not (problems.get(m.material_id) or "").strip()
    ]
    if unexplained:
        names = "、".join(f"“{name}”" for name in unexplained)
        raise TransitionError(f"{names} 标为需补正：请在“需补正的内容”一栏写明需要补正什么")
    listed = []
    for entry in case.materials:
        problem = problems.get(entry.material_id)
        if (
            problem is None
            and entry.material.necessity in (Necessity.required, Necessity.deferrable)
            and entry.status not in PRESENT
        ):
            problem = "未提交"
        if problem:
            if entry.status != MaterialStatus.faulty:
                entry.status = MaterialStatus.faulty if entry.status in PRESENT else MaterialStatus.missing
            entry.problem = problem
            listed.append({"material": entry.name, "problem": problem})
    if not listed and not general.strip():
        raise TransitionError("补正通知须列明需补齐或更正的材料")
    case.corrections_issued += 1
    transition(
        case,
        CaseState.correction,
        "request_correction",
        actor,
        reason=override_reason or general,
        payload={"items": listed},
    )
    issue_notice(
        case,
        "correction",
        actor,
        {
            **_base_content(case),
            "items": listed,
            "general": general,
            "override_reason": override_reason or "",
            "supply_by": limits.correction_supply_deadline(clock.today()).isoformat(),
        },
    )


def request_correction(
    target: Case | Application,
    actor: Actor,
    problems: dict[int, str],
    general: str = "",
    override_reason: str | None = None,
    materials: dict[int, Any] | None = None,
) -> Case:
    """补齐补正通知书: ONE notice listing every missing or faulty material (一次性告知).

    :param materials: the window's check of each material (id → status), as for
        :func:`accept`; materials marked handed in are not listed on the notice.
    """
    with unit_of_work():
        case = _target(target, actor, "出具补正通知")
        _correction_notice(case, actor, problems, general, override_reason, materials)
    return case


def reject(target: Case | Application, actor: Actor, reasons: str, basis: str = "") -> Case:
    """不予受理决定通知书 with the specific reasons. A bundle (一件事) not yet accepted is
    refused as a whole (``cases.bundles.reject_bundle``)."""
    if isinstance(target, Case) and target.is_bundle:
        from onewindow.cases.bundles import reject_bundle

        return reject_bundle(target, actor, reasons, basis)
    with unit_of_work():
        case = _target(target, actor, "不予受理")
        if not (reasons or "").strip():
            raise TransitionError("不予受理须写明具体理由")
        case.closed_at = clock.now()
        transition(case, CaseState.rejected, "reject", actor, reason=reasons)
        issue_notice(
            case,
            "rejection",
            actor,
            {**_base_content(case), "reasons": reasons, "basis": basis, "remedy": _remedy(case)},
        )
    return case


def _remedy(case: Case) -> str:
    """行政复议法 §20 (60 days, to the people's government of the department's level) and
    行政诉讼法 §46 (6 months): the notice names the body and both periods."""
    region = case.item.department.region
    body = f"{region.name}人民政府" if region is not None else "本级人民政府"
    return (
        f"如不服本决定，可以自收到本通知书之日起六十日内向{body}申请行政复议，"
        "也可以自收到本通知书之日起六个月内依法向人民法院提起行政诉讼"
    )


def _base_content(case: Case) -> dict:
    return {
        "number": case.number,
        "item": case.item.name,
        "item_code": case.item.implementation_code,
        "applicant": case.applicant_name,
        "department": case.item.department.name,
        "received_at": case.received_at.isoformat(sep=" "),
    }


def _acceptance_content(case: Case) -> dict:
    window = case.window
    return {
        **_base_content(case),
        "accepted_on": case.accepted_on.isoformat(),
        "promised_days": case.item.promised_days,
        "due_date": case.due_date.isoformat(),
        "due_confirmed": case.due_confirmed,
        "pickup_date": case.pickup_date.isoformat(),
        "pickup_place": f"{window.zone.centre.name} 统一出件窗口" if window else "统一出件窗口",
        "query_code": case.query_code,
        "materials": [{"name": m.name, "status": m.status.name} for m in case.materials],
    }
