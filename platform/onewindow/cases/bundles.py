"""一件事一次办: a bundle accepted as one parent case with a child case per member [国发〔2024〕3号].

The parent (``Case.bundle_id`` set, no ``parent_id``) is what the applicant sees: one
acceptance notice listing every member with its own due date, one correction notice
covering all members, one handover at the output window with one signature. Each member
is an ordinary case of its item (``parent_id`` set), accepted, routed and decided by the
ordinary transitions — run inside the bundle's one unit of work, so the parent and every
child are written together or not at all. The parent follows its children: it moves to
the output window when every child is decided; a child's denial records that the
applicant's choice is due (continue with the rest, or withdraw all).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from onewindow.app import db
from onewindow.cases import clock, limits
from onewindow.cases.acceptance import (
    ACCEPTING_ROLES,
    PRESENT,
    Application,
    _apply_statuses,
    _missing,
    accept,
)
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
from onewindow.cases.models import ApplicantType, Case, CaseMaterial, CaseState, Channel, MaterialStatus
from onewindow.cases.numbering import new_query_code, next_case_number
from onewindow.cases.output import OUTPUT_ROLES, _check_signee, deliver_pickup
from onewindow.catalogue.bundles import (
    applicable_members,
    critical_path,
    material_identity,
    merged_form,
    merged_materials,
    split_answers,
)
from onewindow.catalogue.convert import item_to_dict
from onewindow.models.bundles import Bundle, BundleMember
from onewindow.models.items import Item, Necessity
from onewindow.models.org import Window
from onewindow.security import DECIDING_ROLES

#: the applicant's choice after a member was denied (继续办理其余事项 / 全部撤回)
CHOICES = ("continue", "withdraw_all")
DECIDED = {CaseState.approved, CaseState.denied, CaseState.at_output, CaseState.posted, CaseState.delivered}
ENDED = DECIDED | {CaseState.withdrawn, CaseState.rejected}


@dataclass
class BundleApplication:
    """What the applicant hands in once for the whole bundle (一表申请, 一套材料)."""

    bundle: Bundle
    applicant_type: ApplicantType
    applicant_name: str
    applicant_id: str
    #: answers to the bundle's intake questions (which members apply)
    answers: dict[str, Any] = field(default_factory=dict)
    #: the merged form, by common key (a shared field once)
    data: dict[str, Any] = field(default_factory=dict)
    channel: Channel = Channel.window
    phone: str | None = None
    address: str | None = None
    window: Window | None = None
    #: answers only one member's own form asks beyond the merged form (the 股东 rows of
    #: 企业设立登记's plugin form), by member basic code
    member_data: dict[str, dict[str, Any]] = field(default_factory=dict)


def member_items(bundle: Bundle) -> dict[str, Item]:
    """The current version of each member's item, by basic code."""
    codes = [m.implementation_code for m in bundle.members]
    rows = db.session.scalars(select(Item).where(Item.implementation_code.in_(codes), Item.is_current.is_(True)))
    return {i.basic_code: i for i in rows}


def applicable(bundle: Bundle, answers: dict[str, Any]) -> list[BundleMember]:
    """The members whose condition the intake answers meet."""
    wanted = {m["item"] for m in applicable_members({"members": [m.as_pack() for m in bundle.members]}, answers)}
    return [m for m in bundle.members if m.basic_code in wanted]


@dataclass
class Plan:
    """What one intake makes of the bundle: its members, the merged form and materials."""

    members: list[BundleMember]
    items: dict[str, Item]
    form: list  # MergedField
    materials: list  # MergedMaterial
    finish: dict[str, int]  # member basic code → working days from acceptance (critical path)
    days: int


def plan(bundle: Bundle, answers: dict[str, Any]) -> Plan:
    members = applicable(bundle, answers)
    if not members:
        raise TransitionError(f"按所填情况，一件事“{bundle.name}”没有需要办理的事项；请核对申请情况")
    items = member_items(bundle)
    absent = [m.basic_code for m in members if m.basic_code not in items]
    if absent:
        raise TransitionError(f"一件事“{bundle.name}”的事项 {'、'.join(absent)} 未在本中心上线，暂不能受理")
    declared = {m.basic_code: item_to_dict(items[m.basic_code]) for m in members}
    packed = [m.as_pack() for m in members]
    cp = critical_path(packed, declared)
    return Plan(
        members,
        items,
        merged_form(packed, declared),
        merged_materials(packed, declared, bundle.same_materials or []),
        cp.finish,
        max(cp.days, bundle.declared_days or 0),
    )


def _member_statuses(p: Plan, code: str, materials: dict[str, Any]) -> dict[int, Any]:
    """The window's check of the merged list (by merged name), for one member's own materials:
    a shared material ticked once counts for every member that needs it."""
    same = {name: group[0] for group in (p.members[0].bundle.same_materials or []) for name in group if group}
    by_identity = {}
    for merged in p.materials:
        if merged.name in materials:
            for target_code, name in merged.targets:
                by_identity[(target_code, name)] = materials[merged.name]
    out = {}
    for mat in p.items[code].materials:
        status = by_identity.get((code, mat.name))
        if status is None:  # the same material under another member's name
            identity = material_identity({"name": mat.name, "licence_type_code": mat.licence_type_code}, same)
            status = next(
                (
                    materials[m.name]
                    for m in p.materials
                    if m.name in materials
                    and material_identity({"name": m.name, "licence_type_code": m.licence_type_code}, same) == identity
                ),
                None,
            )
        if status is not None:
            out[mat.id] = status
    return out


def _new_parent(app: BundleApplication, p: Plan) -> Case:
    now = clock.now()
    bundle = app.bundle
    lead = next(
        (p.items[m.basic_code] for m in p.members if p.items[m.basic_code].department_id == bundle.lead_department_id),
        None,
    )
    lead = lead or p.items[p.members[0].basic_code]
    parent = Case(
        number=next_case_number(lead.implementation_code, now.date()),
        query_code=new_query_code(),
        item=lead,
        department_id=bundle.lead_department_id,
        bundle=bundle,
        state=CaseState.submitted,
        channel=app.channel,
        window=app.window,
        applicant_type=app.applicant_type,
        applicant_name=(app.applicant_name or "").strip(),
        applicant_id=(app.applicant_id or "").strip().upper(),
        applicant_phone=app.phone,
        applicant_address=app.address,
        data={"answers": dict(app.answers), "form": dict(app.data)},
        received_at=now,
        updated_at=now,
        corrections_issued=0,
        stopped_days=0,
        extended_days=0,
        simulated=False,
        due_confirmed=True,
    )
    db.session.add(parent)
    db.session.flush()  # the parent's key: every child names it (``parent_id``)
    return parent


def accept_bundle(app: BundleApplication, actor: Actor, materials: dict[str, Any], note: str = "") -> Case:
    """受理一件事: one parent case, a child case per applicable member, in one transaction.

    ``materials``: the window's check of the merged list (merged material name → status).
    Everything present → every child is accepted and routed, one 受理通知书 lists every
    member with its due date. Anything missing → one 补齐补正通知书 covering all members;
    the applicant answers it once (:func:`accept_bundle_correction`)."""
    with unit_of_work():
        require_role(actor, ACCEPTING_ROLES, "受理一件事")
        if app.window is not None and app.window.id not in actor.window_ids and not actor.has("admin"):
            raise TransitionError(
                f"您未被分配到窗口 {app.window.code}（{app.window.name}），不能以该窗口受理；请选择您本人的窗口"
            )
        p = plan(app.bundle, app.answers)
        parent = _new_parent(app, p)
        transition(
            parent,
            CaseState.submitted,
            "bundle_receive",
            actor,
            payload={"bundle": app.bundle.code, "members": [m.basic_code for m in p.members]},
        )
        answers = split_answers(p.form, app.data)
        children = []
        for m in p.members:
            child_app = _member_application(app, p, m, answers, parent)
            children.append((m, child_app, _member_statuses(p, m.basic_code, materials)))
        missing = _missing_by_member(children, actor)
        if any(missing.values()):
            _bundle_correction(parent, actor, missing, note)
        else:
            for m, child_app, statuses in children:
                _accept_member(child_app, actor, statuses, p, m, note)
            _bundle_accepted(parent, actor, p, note)
    return parent


def _member_application(
    app: BundleApplication, p: Plan, m: BundleMember, answers: dict[str, dict], parent: Case
) -> Application:
    """A member's own application: the bundle's applicant, its share of the merged answers
    and its own row lists (``member_data``), under the bundle's parent case."""
    return Application(
        p.items[m.basic_code],
        app.applicant_type,
        app.applicant_name,
        app.applicant_id,
        app.channel,
        data={**(app.member_data.get(m.basic_code) or {}), **answers.get(m.basic_code, {})},
        phone=app.phone,
        address=app.address,
        window=app.window,
        parent=parent,
    )


def _missing_by_member(children: list, actor: Actor) -> dict[str, list[str]]:
    """Create each child (received, not yet accepted) and name what each one lacks."""
    from onewindow.cases.acceptance import _target

    out = {}
    for m, child_app, statuses in children:
        with unit_of_work():
            child = _target(child_app, actor, "受理")
            _apply_statuses(child, statuses, actor, "受理")
            transition(child, CaseState.submitted, "bundle_receive", actor, payload={"parent": child_app.parent.number})
            child_app.case = child  # type: ignore[attr-defined]
            out[m.basic_code] = [x.name for x in _missing(child, {Necessity.required, Necessity.deferrable})]
    return out


def _accept_member(child_app: Application, actor: Actor, statuses: dict, p: Plan, m: BundleMember, note: str) -> Case:
    child = accept(child_app.case, actor, statuses, note)  # type: ignore[attr-defined]
    _member_due(child, p, m)
    return child


def _member_due(child: Case, p: Plan, m: BundleMember) -> None:
    """A member that waits for others (``after``) is due at the end of its chain (critical path)."""
    finish = limits.member_chain_end(child.accepted_on, p.finish.get(m.basic_code, 0))
    if child.due_date is None or finish > child.due_date:
        child.due_date = finish


def _members_content(parent: Case) -> list[dict]:
    return [
        {
            "number": c.number,
            "item": c.item.name,
            "department": c.item.department.name,
            "due_date": c.due_date.isoformat() if c.due_date else "",
            "state": c.state.name,
        }
        for c in _children(parent)
    ]


def _children(parent: Case) -> list[Case]:
    """The parent's children, the ones created in this transaction too (not yet written)."""
    stored = list(db.session.scalars(select(Case).where(Case.parent_id == parent.id).order_by(Case.id)))
    known = {id(c) for c in stored}
    stored += [o for o in db.session.new if isinstance(o, Case) and o.parent_id == parent.id and id(o) not in known]
    order = {m.basic_code: m.position for m in parent.bundle.members}  # the bundle's order of members
    return sorted(stored, key=lambda c: (order.get(c.item.basic_code, 0), c.number))


def _head(parent: Case) -> dict:
    """What every notice of the bundle starts with: its number, name, applicant, lead department."""
    return {
        "number": parent.number,
        "bundle": parent.bundle.name,
        "item": parent.bundle.name,
        "applicant": parent.applicant_name,
        "department": parent.department.name,
        "received_at": parent.received_at.isoformat(sep=" "),
    }


def _bundle_accepted(
    parent: Case, actor: Actor, p: Plan, note: str, *, action: str = "accept", extra: dict | None = None
) -> None:
    """The parent accepted (as of ``parent.accepted_on`` when already set: a deemed acceptance
    counts from the receipt date) and ONE acceptance notice listing every member."""
    children = _children(parent)
    parent.accepted_on, parent.accepted_by = parent.accepted_on or clock.today(), actor.username
    parent.due_date, parent.due_confirmed = limits.bundle_due_date(parent.accepted_on, p.days)
    parent.due_date = max([parent.due_date, *(c.due_date for c in children if c.due_date)])
    parent.pickup_date = parent.due_date
    transition(parent, CaseState.in_review, action, actor, reason=note, payload={"members": len(children)})
    window = parent.window or parent.bundle.output_window  # online: the bundle's unified output window
    issue_notice(
        parent,
        "acceptance",
        actor,
        {
            **_head(parent),
            "accepted_on": parent.accepted_on.isoformat(),
            "promised_days": p.days,
            "due_date": parent.due_date.isoformat(),
            "due_confirmed": parent.due_confirmed,
            "pickup_date": parent.pickup_date.isoformat(),
            "pickup_place": f"{window.zone.centre.name} 统一出件窗口" if window else "统一出件窗口",
            "query_code": parent.query_code,
            "members": _members_content(parent),
            "materials": [
                {"name": m.name, "status": _merged_status(children, m).name, "shared": m.shared} for m in p.materials
            ],
            **(extra or {}),
        },
    )


def _merged_status(children: list[Case], merged: Any) -> MaterialStatus:
    """A merged material's status as recorded on the children that need it (the same on each)."""
    wanted = set(merged.targets)
    found = [m.status for c in children for m in c.materials if (c.item.basic_code, m.name) in wanted]
    if found and all(s in PRESENT for s in found):
        return MaterialStatus.from_library if MaterialStatus.from_library in found else MaterialStatus.submitted
    return found[0] if found else MaterialStatus.missing


def _bundle_correction(
    parent: Case,
    actor: Actor,
    missing: dict[str, list[str]],
    note: str,
    problems: dict[str, dict[str, str]] | None = None,
) -> None:
    """ONE 补齐补正通知书 for the whole bundle (一次性告知): every member's missing materials
    (and, from the online pre-review, what is wrong with a material handed in: ``problems``,
    member basic code → material name → problem)."""
    children = _children(parent)
    listed = []
    for child in children:
        faults = (problems or {}).get(child.item.basic_code) or {}
        lacks = list(dict.fromkeys([*(missing.get(child.item.basic_code) or []), *faults]))
        if lacks:
            child.corrections_issued += 1
        for material in child.materials:
            if material.name in faults:
                material.problem = faults[material.name]
                material.status = MaterialStatus.faulty if material.status in PRESENT else MaterialStatus.missing
            elif material.name in lacks:
                material.problem = "未提交"
        transition(child, CaseState.correction, "bundle_correction", actor, payload={"missing": lacks})
        listed += [
            {"member": child.item.name, "material": name, "problem": faults.get(name, "未提交")} for name in lacks
        ]
    seen: dict[str, dict] = {}
    for row in listed:  # a shared material once, naming every member that needs it
        line = seen.setdefault(row["material"], {"material": row["material"], "problem": row["problem"], "members": []})
        line["members"].append(row["member"])
    parent.corrections_issued += 1
    items = [{**e, "member": "、".join(e["members"])} for e in seen.values()]
    transition(parent, CaseState.correction, "request_correction", actor, reason=note, payload={"items": items})

    issue_notice(
        parent,
        "correction",
        actor,
        {
            **_head(parent),
            "items": items,
            "members": _members_content(parent),
            "general": note,
            "override_reason": "",
            "supply_by": limits.correction_supply_deadline(clock.today()).isoformat(),
        },
    )


def accept_bundle_correction(parent: Case, actor: Actor, materials: dict[str, Any], note: str = "") -> Case:
    """The applicant answers the bundle's one correction notice: every member is accepted at once."""
    with unit_of_work():
        require_role(actor, ACCEPTING_ROLES, "受理一件事")
        require_bundle(parent)
        require_state(parent, {CaseState.correction}, "受理补正后的一件事")
        p = plan(parent.bundle, (parent.data or {}).get("answers") or {})
        children = _children(parent)
        by_code = {m.basic_code: m for m in p.members}
        for child in children:
            m = by_code[child.item.basic_code]
            child_app = Application(child.item, child.applicant_type, child.applicant_name, child.applicant_id)
            child_app.case = child  # type: ignore[attr-defined]
            _accept_member(child_app, actor, _member_statuses(p, m.basic_code, materials), p, m, note)
        _bundle_accepted(parent, actor, p, note)
    return parent


def require_bundle(case: Case) -> None:
    if not case.is_bundle:
        raise TransitionError(f"办件 {case.number} 不是“一件事”的办件")


# --------------------------------------------------------------------------- the parent follows


def member_decided(child: Case, actor: Actor) -> None:
    """A member was decided or withdrawn: recorded on the parent (its version checked, so
    two members decided at once are serialised); every member ended → the parent goes to
    output (a decision to hand out), or is withdrawn (every member withdrawn)."""
    parent = db.session.get(Case, child.parent_id)
    if parent is None or parent.state not in (CaseState.in_review, CaseState.suspended):
        return
    children = _children(parent)
    payload = {"member": child.number, "item": child.item.name, "decision": child.decision, "state": child.state.name}
    # a denial leaves the others open: the applicant chooses to continue or withdraw all
    action = "member_denied" if child.decision == "denied" else "member_decided"
    transition(parent, None, action, actor, payload=payload)
    release_waiting(parent, actor, choice_due=True if action == "member_denied" else None)
    if all(c.state in ENDED for c in children):
        if any(c.state in DECIDED for c in children):
            _to_output(parent, actor)
        else:  # every member withdrawn
            parent.closed_at = clock.now()
            transition(parent, CaseState.withdrawn, "withdraw", actor, reason="申请人撤回全部事项")


def _to_output(parent: Case, actor: Actor) -> None:
    children = _children(parent)
    parent.decided_at = clock.now()
    parent.decision = "approved" if any(c.decision == "approved" for c in children) else "denied"
    transition(
        parent,
        CaseState.at_output,
        "bundle_ready",
        actor,
        payload={"members": [{"number": c.number, "state": c.state.name} for c in children]},
    )


def _after(parent: Case, child: Case) -> list[str]:
    """The basic codes of the members ``child`` comes after (``after`` in the pack)."""
    member = next((m for m in parent.bundle.members if m.basic_code == child.item.basic_code), None)
    return list(member.after) if member is not None else []


def waits_for(child: Case, siblings: list[Case] | None = None) -> list[Case]:
    """The members of its bundle that ``child`` comes after and that have not ended yet; a
    member whose condition did not apply is not waited for. ``siblings``: the bundle's
    members when the caller has read them already."""
    parent = child.parent or db.session.get(Case, child.parent_id)
    after = _after(parent, child)
    if not after:
        return []
    by_code = {c.item.basic_code: c for c in (siblings if siblings is not None else _children(parent))}
    return [by_code[code] for code in after if code in by_code and by_code[code].state not in ENDED]


def release_waiting(parent: Case, actor: Actor, *, choice_due: bool | None = None) -> None:
    """Start the steps of every member whose predecessors have all ended (依次办理: e.g. the
    food permit once the company is registered). After a denial the waiting members stay
    until the applicant chooses to continue (then their departments decide) or withdraws all.
    ``choice_due``: whether a choice is due, when this transition has just decided it (its
    events are written at the commit); otherwise read from the parent's timeline."""
    if choice_pending(parent) if choice_due is None else choice_due:
        return
    from onewindow.cases.routing import release

    children = _children(parent)
    for child in children:
        if child.held and not waits_for(child, children):
            release(child, actor)
            transition(child, None, "bundle_member_released", actor, payload={"after": _after(parent, child)})


def choice_pending(parent: Case) -> bool:
    """A member was denied and the applicant has not yet chosen how to go on."""
    if not parent.is_bundle or parent.state not in (CaseState.in_review, CaseState.suspended):
        return False
    actions = [e.action for e in parent.events]
    denied = max((i for i, a in enumerate(actions) if a == "member_denied"), default=-1)
    chosen = max((i for i, a in enumerate(actions) if a == "bundle_choice"), default=-1)
    return denied > chosen


def bundle_continue(parent: Case, actor: Actor, reason: str = "") -> Case:
    """继续办理其余事项: after a member's denial the applicant goes on with the others."""
    return record_choice(parent, actor, "continue", reason)


def bundle_withdraw_all(parent: Case, actor: Actor, reason: str = "") -> Case:
    """全部撤回: after a member's denial the applicant withdraws every open member."""
    return record_choice(parent, actor, "withdraw_all", reason)


def record_choice(parent: Case, actor: Actor, choice: str, reason: str = "") -> Case:
    """The applicant's choice after a member's denial (继续办理其余事项 / 全部撤回), recorded on the parent."""
    with unit_of_work():
        require_role(actor, ("acceptor",), "登记申请人的选择")
        require_bundle(parent)
        if choice not in CHOICES:
            raise TransitionError(f"选择 {choice!r} 无效；可选：继续办理其余事项（continue）、全部撤回（withdraw_all）")
        if not choice_pending(parent):
            raise TransitionError(f"一件事 {parent.number} 没有待申请人选择的不予许可事项")
        transition(parent, None, "bundle_choice", actor, reason=reason, payload={"choice": choice})
        if choice == "continue":  # members waiting for the denied one go on: their departments decide
            release_waiting(parent, actor, choice_due=False)
        if choice == "withdraw_all":
            from onewindow.cases.clockops import withdraw

            for child in _children(parent):  # the last one moves the parent on (member_decided)
                if child.state not in ENDED:
                    withdraw(child, actor, reason or "申请人选择全部撤回")
    return parent


# --------------------------------------------------------------------------- output


def deliver_bundle(parent: Case, actor: Actor, signee_name: str, signee_id: str, agent: bool = False) -> Case:
    """统一出件: every member's result handed out together against ONE signature (one 签收表)."""
    with unit_of_work():
        require_bundle(parent)
        require_state(parent, {CaseState.at_output}, "发放一件事的办理结果")
        require_role(actor, OUTPUT_ROLES, "发放办理结果")
        _check_signee(parent, signee_name, signee_id, agent)
        children = _children(parent)
        waiting = [c for c in children if c.state == CaseState.approved]
        if waiting:
            names = "、".join(f"“{c.item.name}”（{c.item.department.name}）" for c in waiting)
            raise TransitionError(f"{names} 的办理结果尚未移交出件窗口；请待各部门移交后一并发放")
        delivered = []
        for child in children:
            if child.state == CaseState.at_output:
                deliver_pickup(child, actor, signee_name, signee_id, agent, with_bundle=True)
            delivered.append(
                {
                    "number": child.number,
                    "item": child.item.name,
                    "state": child.state.name,
                    "licence": child.licence_identifier or "",
                }
            )
        now = clock.now()
        parent.delivery_method, parent.signee, parent.delivered_at, parent.closed_at = "pickup", signee_name, now, now
        transition(
            parent, CaseState.delivered, "deliver_pickup", actor, payload={"signee": signee_name, "agent": agent}
        )
        issue_notice(
            parent,
            "receipt_sheet",
            actor,
            {
                "number": parent.number,
                "bundle": parent.bundle.name,
                "item": parent.bundle.name,
                "applicant": parent.applicant_name,
                "signee": signee_name,
                "signee_id": signee_id,
                "agent": agent,
                "signed_at": now.isoformat(sep=" "),
                "members": delivered,
                "licence": None,
            },
        )
    return parent


# --------------------------------------------------------------------------- online (网上办事大厅)


def submit_bundle_online(
    app: BundleApplication,
    actor: Actor,
    files: dict[str, list[Any]] | None = None,
    *,
    then: Any = None,
) -> Case:
    """网上申请一件事: one parent case in channel ``online`` (the lead department pre-reviews it
    within the lead item's limit) and a received child case per applicable member, with the
    files of each merged material (``files``: merged material name → uploads) on the matching
    material of EVERY child that needs it, stored once. One transaction: a refused file (or
    a refused member's application) leaves no case and no file; ``then(parent)`` runs inside
    it (e.g. deleting the applicant's draft)."""
    from onewindow.cases.acceptance import _new_case as _new_member_case
    from onewindow.cases.materialfiles import FileRefused
    from onewindow.storage import storage

    if app.channel == Channel.window:
        raise TransitionError("窗口申请一件事请直接受理（accept_bundle）")
    backend = storage()
    written: list[str] = []
    try:
        with unit_of_work():
            p = plan(app.bundle, app.answers)
            parent = _new_parent(app, p)
            parent.pre_review_due = limits.pre_review_due(parent)
            transition(
                parent,
                CaseState.submitted,
                "submit",
                actor,
                payload={
                    "channel": app.channel.name,
                    "bundle": app.bundle.code,
                    "members": [m.basic_code for m in p.members],
                },
            )
            answers = split_answers(p.form, app.data)
            children: dict[str, Case] = {}
            refused: list[tuple[str, str]] = []
            for m in p.members:
                try:
                    child = _new_member_case(_member_application(app, p, m, answers, parent), actor)
                except ApplicationInvalid as exc:  # every member's problems at once, each named
                    refused += [(f"{p.items[m.basic_code].name}：{where}", why) for where, why in exc.problems]
                    continue
                transition(child, CaseState.submitted, "bundle_receive", actor, payload={"parent": parent.number})
                children[m.basic_code] = child
            if refused:
                raise ApplicationInvalid(refused)
            by_name = {mm.name: mm for mm in p.materials}
            for name, uploads in (files or {}).items():
                merged = by_name.get(name)
                if merged is None:
                    raise FileRefused(f"材料“{name}”不在一件事“{app.bundle.name}”的材料清单中；请选择清单中的材料")
                if uploads:
                    _shared_files(_targets(merged, children), actor, uploads, "online", backend, written)
            if then is not None:
                then(parent)
    except BaseException:
        for key in written:
            backend.delete(key)
        raise
    return parent


def _targets(merged: Any, children: dict[str, Case]) -> list[tuple[Case, CaseMaterial]]:
    """The material of each child that a merged material stands for (a shared one: several)."""
    out = []
    for code, name in merged.targets:
        child = children.get(code)
        if child is None:
            continue
        entry = next((m for m in child.materials if m.name == name), None)
        if entry is not None:
            out.append((child, entry))
    return out


def _shared_files(
    targets: list[tuple[Case, CaseMaterial]], actor: Actor, uploads: list[Any], channel: str, backend, written: list
) -> None:
    """The files of one merged material onto every child material it stands for: checked and
    stored once (the first child's upload path), then one file row per further child pointing at
    the same bytes (as reuse does), each asked of the plugins and listed with its SHA-256 in
    that child's own hash chain — so each department sees the file on its own case."""
    from flask import current_app

    from onewindow.cases.materialfiles import MB, FileRefused, _record_files, _store_files, same_bytes
    from onewindow.cases.models import FileChannel

    if not targets:
        return
    (first, first_entry), rest = targets[0], targets[1:]
    entry, rows, stored = _store_files(first, actor, first_entry.material_id, uploads, channel, backend, written)
    if rows:
        _record_files(first, entry, rows, actor)
    hook = current_app.extensions["onewindow"].plugins.hook
    most = int(current_app.extensions["onewindow"].settings["CASE_FILES_MAX_MB"])
    for child, target in rest:
        have = {f.sha256 for f in target.files}
        copies = []
        room = most * MB - sum(f.size for m in child.materials for f in m.files)
        for source in stored:
            if source.sha256 in have:
                continue
            room -= source.size
            if room < 0:
                raise FileRefused(
                    f"材料“{target.name}”的文件“{source.original_name}”使办件“{child.item.name}”的文件总量"
                    f"超过 {most} MB；请压缩扫描件后再提交"
                )
            row = same_bytes(source, actor, FileChannel[channel])
            for refusal in hook.material_file_added(case=child, material=target, file=row):
                if refusal:
                    raise FileRefused(f"材料“{target.name}”的文件“{source.original_name}”被拒收：{refusal}")
            have.add(row.sha256)
            copies.append(row)
        if copies:
            _record_files(child, target, copies, actor)


def add_bundle_files(parent: Case, actor: Actor, name: str, uploads: list[Any], channel: str = "online") -> None:
    """The applicant answers the bundle's correction notice online: the files of one merged
    material go onto every child that needs it (stored once), all or nothing."""
    from onewindow.cases.materialfiles import FileRefused
    from onewindow.storage import storage

    require_bundle(parent)
    require_state(parent, {CaseState.submitted, CaseState.correction}, "上传一件事的材料文件")
    p = plan(parent.bundle, (parent.data or {}).get("answers") or {})
    merged = next((m for m in p.materials if m.name == name), None)
    if merged is None:
        raise FileRefused(f"材料“{name}”不在一件事“{parent.bundle.name}”的材料清单中；请选择清单中的材料")
    children = {c.item.basic_code: c for c in _children(parent)}
    backend = storage()
    written: list[str] = []
    try:
        with unit_of_work():
            _shared_files(_targets(merged, children), actor, uploads, channel, backend, written)
    except BaseException:
        for key in written:
            backend.delete(key)
        raise


def pre_review_bundle(
    parent: Case, actor: Actor, passed: bool, opinion: str = "", problems: dict[Any, str] | None = None
) -> Case:
    """网上预审 of an online bundle by its lead department. Passed: every member is accepted
    (the files uploaded count as handed in, the e-licence library supplies what it holds) and
    ONE acceptance notice lists every member with its due date; a required material without a
    file refuses the pass, naming member and material. Not passed: ONE correction notice
    covering all members — every required material without a file, and ``problems`` (a
    child material's id → what to correct; a shared material's problem applies to every
    member that needs it)."""
    with unit_of_work():
        require_bundle(parent)
        require_state(parent, {CaseState.submitted}, "预审")
        require_department(actor, parent.department_id, DECIDING_ROLES, "预审该一件事")
        p = plan(parent.bundle, (parent.data or {}).get("answers") or {})
        children = _children(parent)
        # what the applicant uploaded counts as handed in (electronic materials)
        for child in children:
            statuses = {m.material_id: MaterialStatus.submitted for m in child.materials if m.files}
            _apply_statuses(child, statuses, actor, "预审")
        if not passed:
            named = {str(k): (v or "").strip() for k, v in (problems or {}).items() if (v or "").strip()}
            known = {str(m.material_id): m.name for c in children for m in c.materials}
            unknown = [k for k in named if k not in known]
            if unknown:
                raise TransitionError(f"材料编号 {unknown} 不在一件事“{parent.bundle.name}”的材料清单中")
            by_name = {known[k]: v for k, v in named.items()}
            if not (by_name or opinion.strip()):
                raise TransitionError("预审不通过须一次性列明需补正的全部材料或原因")
            faults = {
                c.item.basic_code: {m.name: by_name[m.name] for m in c.materials if m.name in by_name} for c in children
            }
            missing = {
                c.item.basic_code: [x.name for x in _missing(c, {Necessity.required, Necessity.deferrable})]
                for c in children
            }
            _bundle_correction(parent, actor, missing, opinion, faults)
            return parent
        lacking = [
            f"“{c.item.name}”的“{x.name}”"
            for c in children
            for x in _missing(c, {Necessity.required, Necessity.deferrable})
        ]
        if lacking:
            raise TransitionError(f"材料不齐，预审不能通过：{'、'.join(lacking)} 未上传；请预审不通过并出具补正通知")
        transition(parent, None, "pre_review_pass", actor, reason=opinion)
        # the lead department accepts as it passes: its approver needs no window role
        accepting = dataclasses.replace(actor, roles=actor.roles | {"acceptor"})
        by_code = {m.basic_code: m for m in p.members}
        for child in children:
            child_app = Application(child.item, child.applicant_type, child.applicant_name, child.applicant_id)
            child_app.case = child  # type: ignore[attr-defined]
            _accept_member(child_app, accepting, {}, p, by_code[child.item.basic_code], opinion)
        _bundle_accepted(parent, accepting, p, opinion)
    return parent


# ------------------------------------------------- before acceptance: refused, deemed accepted, withdrawn


def _not_accepted(parent: Case, doing: str) -> list[Case]:
    """A bundle that has not been accepted yet (online and waiting, or in correction): its members."""
    require_bundle(parent)
    require_state(parent, {CaseState.submitted, CaseState.correction}, doing)
    return _children(parent)


def _end_whole(parent: Case, children: list[Case], to: CaseState, action: str, actor: Actor, reason: str) -> None:
    """Every member, then the parent, closed at once with the same action and reason."""
    now = clock.now()
    for child in children:
        child.closed_at = now
        transition(child, to, action, actor, reason=reason, payload={"parent": parent.number})
    parent.closed_at = now
    transition(parent, to, action, actor, reason=reason, payload={"members": len(children)})


def reject_bundle(parent: Case, actor: Actor, reasons: str, basis: str = "") -> Case:
    """不予受理 of a whole bundle not yet accepted (an online bundle, or one waiting for its
    correction): every member and the parent are refused, with ONE 不予受理决定通知书 naming
    every member (a member is never refused alone: the bundle is applied for as one)."""
    from onewindow.cases.acceptance import _remedy

    with unit_of_work():
        require_role(actor, ACCEPTING_ROLES, "不予受理一件事")
        children = _not_accepted(parent, "不予受理")
        if not (reasons or "").strip():
            raise TransitionError("不予受理须写明具体理由")
        _end_whole(parent, children, CaseState.rejected, "reject", actor, reasons)
        issue_notice(
            parent,
            "rejection",
            actor,
            {
                **_head(parent),
                "item_code": parent.bundle.code,
                "reasons": reasons.strip(),
                "basis": basis,
                "remedy": _remedy(parent),
                "members": _members_content(parent),
            },
        )
    return parent


def deem_accepted_bundle(parent: Case, actor: Actor) -> None:
    """视为受理 of an online bundle (行政许可法 §32), inside ``clockops.deem_accepted``, which
    checked role, state and the lead item's correction-notice limit: every member counts as
    accepted from the receipt date (the files uploaded as handed in), each is routed to its
    departments, and ONE acceptance notice marked as deemed lists every member."""
    from onewindow.cases.clockops import DEEMED_BASIS, recompute_due
    from onewindow.cases.routing import start_routing

    with unit_of_work():
        received = parent.received_at.date()
        p = plan(parent.bundle, (parent.data or {}).get("answers") or {})
        by_code = {m.basic_code: m for m in p.members}
        for child in _children(parent):
            handed_in = {m.material_id: MaterialStatus.submitted for m in child.materials if m.files}
            _apply_statuses(child, handed_in, actor, "视为受理")
            child.accepted_on, child.accepted_by = received, actor.username
            recompute_due(child)  # due date and correction deadline counted from the receipt date
            _member_due(child, p, by_code[child.item.basic_code])
            child.pickup_date = child.due_date
            transition(
                child,
                CaseState.in_review,
                "deem_accepted",
                actor,
                reason=DEEMED_BASIS,
                payload={"parent": parent.number, "accepted_on": received.isoformat()},
            )
            start_routing(child, actor)
        parent.accepted_on = received
        _bundle_accepted(
            parent, actor, p, DEEMED_BASIS, action="deem_accepted", extra={"deemed": True, "basis": DEEMED_BASIS}
        )


def withdraw_bundle(parent: Case, actor: Actor, reason: str) -> Case:
    """申请人撤回 a whole bundle before it was accepted: every member and the parent withdrawn
    (once accepted, members are withdrawn one by one, or all at once after a denial)."""
    with unit_of_work():
        children = _not_accepted(parent, "撤回申请")
        _end_whole(parent, children, CaseState.withdrawn, "withdraw", actor, (reason or "").strip() or "申请人撤回")
    return parent
