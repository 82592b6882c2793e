"""The demo county's seals and about three months of history (`onewindow init --demo`).

Every case is driven through the engine's public façade (:mod:`onewindow.cases.engine`)
with the engine's clock moved back (:func:`onewindow.cases.clock.travel_to`), so each
event is hash-chained as on a real day and ``onewindow audit verify`` passes. The
history is deterministic (a seeded random generator over the working days before
today) and written only on an instance that has no case yet: running the demo init
again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from stdnum.cn import ric, uscc

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import now as clock_now
from onewindow.cases.clock import travel_to
from onewindow.cases.core import Actor
from onewindow.cases.models import ApplicantType, Case, CaseState, Channel, MaterialStatus
from onewindow.errors import OneWindowError
from onewindow.models import Department, Staff
from onewindow.models.items import HandlingType, Item, ItemStatus, Necessity, RoutingMode

log = logging.getLogger("onewindow.demo")
ACTOR = "onewindow init --demo"
#: How far back the history reaches, in working days (about three months).
HISTORY_WORKDAYS = 62
CASES_PER_WORKDAY = 5
SEED = 20261202

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
]
GIVEN += [
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "志明",
    "海燕",
    "晓东",
    "玉梅",
    "俊",
    "慧",
    "欣怡",
    "子豪",
    "浩然",
]
COMPANY_WORDS = [
    "云溪",
    "桃源",
    "明湖",
    "城南",
    "青山",
    "瑞丰",
    "鑫源",
    "恒通",
    "华宇",
    "锦程",
    "宏达",
    "嘉禾",
    "润泽",
    "启航",
]
COMPANY_KINDS = [
    "商贸有限公司",
    "建筑工程有限公司",
    "餐饮管理有限公司",
    "物流有限公司",
    "科技有限公司",
    "农业发展有限公司",
]
STREETS = ["行政中心路", "桃源大道", "城东路", "滨河路", "新华街", "建设路", "人民路", "青山路"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Text fields of the pack that carry a format (their ``regex``): a value of that shape.
PATTERNED: dict[str, Callable[[random.Random], str]] = {
    "project_code": lambda rng: f"2026-369921-47-01-{rng.randrange(10**6):06d}",
    "unit_number": lambda rng: f"369921001001GB{rng.randrange(10**5):05d}F{rng.randrange(10**8):08d}",
    "bank_account": lambda rng: f"6217{rng.randrange(10**15):015d}",
}


def create_department_seals() -> int:
    """An electronic seal for every department that has none yet; returns how many were made."""
    from onewindow.licences import seals

    made = 0
    for dept in db.session.scalars(select(Department).order_by(Department.id)):
        if seals.active_seal(db.session, dept.id) is None:
            seals.create_seal(db.session, dept, ACTOR)
            made += 1
    db.session.commit()
    return made


# --- synthetic applicants -------------------------------------------------------------


def resident_id(rng: random.Random) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(16000))
    body = f"369921{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the 17 digits before the check digit


def credit_code(rng: random.Random) -> str:
    body = "91369921" + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


@dataclass
class Applicant:
    person: str
    person_id: str
    company: str
    company_id: str
    phone: str
    address: str


def applicant(rng: random.Random) -> Applicant:
    return Applicant(
        person=rng.choice(SURNAMES) + rng.choice(GIVEN),
        person_id=resident_id(rng),
        company="云溪县" + rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_KINDS),
        company_id=credit_code(rng),
        phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        address=f"云溪县{rng.choice(['云溪镇', '桃源乡', '城南街道'])}{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
    )


def form_data(item: Item, who: Applicant, rng: random.Random) -> dict[str, Any]:
    """The item's low-code form filled in as the window would."""
    data: dict[str, Any] = {}
    for f in item.fields or []:
        kind, name = f.type.name, f.name
        if kind == "credit_code":
            data[name] = who.company_id
        elif kind == "id_number":
            data[name] = who.person_id
        elif kind == "phone":
            data[name] = who.phone
        elif kind == "address":
            data[name] = who.address
        elif kind == "number":
            data[name] = rng.randrange(1, 500)
        elif kind == "date":
            data[name] = (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))).isoformat()
        elif kind == "select":
            data[name] = (f.choices or [""])[0]
        elif name in PATTERNED:
            data[name] = PATTERNED[name](rng)
        elif "company" in name or "unit" in name:
            data[name] = who.company
        else:
            data[name] = who.person if "name" in name else f"{item.name}（{who.person}）"
    return data


# --- the timeline of one case ----------------------------------------------------------


@dataclass
class Staffing:
    acceptor: Actor
    output_clerk: Actor
    supervisor: Actor
    approvers: dict[int, Actor]
    seal_admins: dict[int, Staff]


@dataclass
class Run:
    """One case being played: its moments in working-day steps, stopped at today."""

    rng: random.Random
    calendar: Any
    day: dt.date
    today: dt.date
    stopped: bool = False
    last: dt.datetime | None = None
    log: list[str] = field(default_factory=list)

    def at(self, workdays: int) -> dt.datetime | None:
        """The moment ``workdays`` working days after the last one (None when it lies after now)."""
        day = self.calendar.add_workdays(self.day, workdays) if workdays else self.day
        if day > self.today:
            self.stopped = True
            return None
        self.day = day
        moment = dt.datetime.combine(day, dt.time(8, 40)) + dt.timedelta(minutes=self.rng.randrange(0, 480))
        if self.last is not None and moment <= self.last:  # later the same day: events keep their order
            moment = self.last + dt.timedelta(minutes=self.rng.randrange(10, 60))
        if day == self.today:
            moment = min(moment, clock_now() - dt.timedelta(minutes=5))
        self.last = moment
        return moment

    def do(self, workdays: int, step: Callable[[], Any]) -> bool:
        moment = self.at(workdays)
        if moment is None:
            return False
        with travel_to(moment):
            step()
        return True


SCENARIOS = {  # final shape → weight
    "pickup": 30,
    "post": 14,
    "posted": 3,
    "at_output": 5,
    "approved": 3,
    "in_review": 12,
    "late": 6,
    "special": 4,
    "correction": 5,
    "corrected": 6,
    "deferred": 5,
    "returned": 3,
    "denied": 4,
    "rejected": 4,
    "withdrawn": 3,
}


def _all_present(case_or_item: Case | Item) -> dict[int, MaterialStatus]:
    materials = case_or_item.materials
    return {getattr(m, "material_id", None) or m.id: MaterialStatus.submitted for m in materials}


def play_case(item: Item, staff: Staffing, run: Run, scenario: str, who: Applicant, window) -> Case | None:
    rng = run.rng
    company = any(f.type.name == "credit_code" for f in item.fields)
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.company if company else ApplicantType.person,
        applicant_name=who.company if company else who.person,
        applicant_id=who.company_id if company else who.person_id,
        channel=Channel.window,
        data=form_data(item, who, rng),
        phone=who.phone,
        address=who.address,
        window=window,
    )
    acceptor = staff.acceptor
    holder: dict[str, Case] = {}
    first = item.materials[0]
    with travel_to(run.at(0) or clock_now()):
        if scenario == "rejected":
            return engine.reject(
                application, acceptor, "申请事项不属于本行政机关职权范围", "《中华人民共和国行政许可法》第三十二条"
            )
        if scenario in ("correction", "corrected"):
            marks = {m.id: MaterialStatus.submitted for m in item.materials}
            marks[first.id] = MaterialStatus.faulty
            holder["c"] = engine.request_correction(
                application, acceptor, {first.id: "申请书未经法定代表人签字"}, materials=marks
            )
        elif scenario == "deferred" and any(m.necessity == Necessity.deferrable for m in item.materials):
            marks = {m.id: MaterialStatus.submitted for m in item.materials if m.necessity != Necessity.deferrable}
            holder["c"] = engine.accept_deferred(
                application,
                acceptor,
                marks,
                commitment="申请人承诺在补交期限内补齐容缺材料，逾期未补交的审批结果不予发放",
                supply_deadline=run.calendar.add_workdays(run.day, 1),
            )
        else:
            holder["c"] = engine.accept(application, acceptor, _all_present(item))
    case = holder["c"]
    if scenario == "correction":
        return case
    if scenario == "corrected" and not run.do(
        rng.randint(1, 3), lambda: engine.accept(case, acceptor, _all_present(case))
    ):
        return case
    if scenario == "deferred" and case.simulated:
        if rng.random() < 0.5 or not run.do(
            1,
            lambda: [
                engine.supply_material(case, acceptor, m.material_id)
                for m in case.materials
                if m.status == MaterialStatus.deferred
            ],
        ):
            return case  # 容缺 awaiting supply
    if scenario == "withdrawn":
        run.do(
            rng.randint(0, 2),
            lambda: engine.withdraw(case, engine.applicant_actor(case), "申请人因经营计划调整申请撤回"),
        )
        return case
    if scenario == "in_review":
        return case
    if scenario == "special":
        lead = case.steps[0]
        run.do(
            1,
            lambda: engine.suspend(
                case, staff.approvers[lead.department_id], "专家评审", "需组织专家对技术材料进行评审", 5
            ),
        )
        return case
    if scenario == "returned":
        lead = case.steps[0]
        material = case.materials[0].material_id
        run.do(
            rng.randint(1, 2),
            lambda: engine.return_for_correction(
                case, lead.id, staff.approvers[lead.department_id], {material: "复印件不清晰，请提交清晰复印件"}
            ),
        )
        return case
    # the departments decide, in order (sequential routing); a late case decides after its due date
    for step in list(case.steps):
        approver = staff.approvers[step.department_id]
        delay = step.days + rng.randint(1, 4) if scenario == "late" else rng.randint(0, max(1, step.days - 1))
        if scenario == "denied" and step.is_lead:
            run.do(delay, partial(engine.deny_step, case, step.id, approver, "经审查，申请人不符合法定条件"))
            return case
        if not run.do(delay, partial(engine.approve_step, case, step.id, approver, "经审查，符合法定条件，同意")):
            return case
        if case.state != CaseState.in_review:
            break
    if case.state != CaseState.approved:
        return case
    if scenario == "approved":
        return case  # 准予许可, the result being prepared
    lead = next(s for s in case.steps if s.is_lead)
    if not run.do(rng.randint(0, 1), lambda: _seal_and_hand_over(case, staff, lead.department_id)):
        return case
    if scenario == "at_output":
        return case
    clerk = staff.output_clerk
    if scenario in ("post", "posted"):
        tracking = f"EMS{rng.randrange(10**10):010d}CN"
        if not run.do(rng.randint(0, 1), lambda: engine.deliver_post(case, clerk, tracking, who.address)):
            return case
        if scenario == "post":
            if run.at(rng.randint(1, 2)) is not None:
                signed = run.day
                with travel_to(dt.datetime.combine(signed, dt.time(16, 50))):
                    engine.confirm_post_delivery(case, clerk, application.applicant_name, signed)
        return case
    run.do(rng.randint(0, 2), lambda: engine.deliver_pickup(case, clerk, who.person, who.person_id, agent=company))
    return case


def _seal_and_hand_over(case: Case, staff: Staffing, department_id: int) -> None:
    """The seal administrator seals the e-licence (if the item issues one); the result goes to output."""
    if case.licence_identifier:
        from onewindow.licences import seals
        from onewindow.licences.library import get_licence

        seals.seal_licence(
            db.session, get_licence(db.session, case.licence_identifier), staff.seal_admins[department_id]
        )
        db.session.commit()
    engine.hand_to_output(case, staff.approvers[department_id], "审批结果（证照）1份")


# --- the whole history -----------------------------------------------------------------


def demo_items() -> list[Item]:
    """Items the history uses: active, served at a window, with the pack's own form, routed in sequence."""
    items = db.session.scalars(select(Item).where(Item.status == ItemStatus.active).order_by(Item.basic_code)).all()
    return [i for i in items if i.windows and not i.form_key and i.routing_mode == RoutingMode.sequential]


def staffing() -> Staffing:
    users = db.session.scalars(select(Staff).order_by(Staff.id)).all()
    by_role: dict[str, list[Staff]] = {}
    for user in users:
        for role in user.roles:
            by_role.setdefault(role.name, []).append(user)
    approvers: dict[int, Actor] = {}
    for user in by_role.get("approver", []):
        approvers.setdefault(user.department_id, Actor.of(user))
    seal_admins: dict[int, Staff] = {}
    for user in by_role.get("seal_admin", []):
        seal_admins.setdefault(user.department_id, user)
    return Staffing(
        acceptor=Actor.of(by_role["acceptor"][0]),
        output_clerk=Actor.of(by_role["output_clerk"][0]),
        supervisor=Actor.of(by_role["supervisor"][0]),
        approvers=approvers,
        seal_admins=seal_admins,
    )


def generate_history(
    app: Flask, workdays: int = HISTORY_WORKDAYS, per_day: int = CASES_PER_WORKDAY, *, if_empty: bool = True
) -> dict[str, int]:
    """Play ``per_day`` cases a working day over the last ``workdays`` working days.

    Returns counts per final state (empty when ``if_empty`` and the instance already has cases).
    """
    from onewindow.workdays import get_calendar

    if if_empty and db.session.scalar(select(func.count(Case.id))):
        return {}
    rng = random.Random(SEED)
    calendar = get_calendar()
    today = clock_now().date()
    # today too (until now) when the centre has been open a while, so this month's figures start today
    days: list[dt.date] = [today] if calendar.is_workday(today) and clock_now().hour >= 10 else []
    day = today
    while len(days) < workdays:
        day -= dt.timedelta(days=1)
        if calendar.is_workday(day):
            days.append(day)
    days.reverse()
    staff = staffing()
    items = [i for i in demo_items() if all(s.department_id in staff.approvers for s in i.steps)]
    if not items:  # a pack without a window-served, staffed sequential item: no history to play
        log.warning("demo history: no item with a window and staff for every step; no history played")
        return {}
    sequential = [i for i in items if len({s.department_id for s in i.steps}) > 1]
    names, weights = list(SCENARIOS), list(SCENARIOS.values())
    played: list[Case] = []
    for day in days:
        for _ in range(per_day):
            item = rng.choice(sequential) if sequential and rng.random() < 0.12 else rng.choice(items)
            scenario = rng.choices(names, weights)[0]
            deferrable = [  # an item done on the spot leaves no time to supply a material
                i
                for i in items
                if i.handling_type != HandlingType.immediate
                and any(m.necessity == Necessity.deferrable for m in i.materials)
            ]
            if scenario == "deferred" and deferrable:  # 容缺 needs an item with a material marked 容缺后补
                item = rng.choice(deferrable)
            window = next(w for w in item.windows if w.id in staff.acceptor.window_ids)
            run = Run(rng=rng, calendar=calendar, day=day, today=today)
            try:
                case = play_case(item, staff, run, scenario, applicant(rng), window)
            except OneWindowError as exc:  # a service-area plugin's own rules (e.g. 不动产单元号): skip the item
                db.session.rollback()
                log.info("demo history: %s left out (%s)", item.name, exc)
                items.remove(item)
                if item in sequential:
                    sequential.remove(item)
                continue
            if case is not None:
                played.append(case)
    if app.extensions["onewindow"].plugins.pm.get_plugin("supervision") is not None:
        _supervision_history(played, staff, rng)
    counts: dict[str, int] = {}
    for case in played:
        counts[case.state.name] = counts.get(case.state.name, 0) + 1
    return counts


def _supervision_history(cases: list[Case], staff: Staffing, rng: random.Random) -> None:
    """Reviews (好差评) of finished cases, a few complaints, and the deadline scan's cards."""
    from onewindow_supervision import service
    from onewindow_supervision.jobs import deadline_scan

    levels = ["very_satisfied"] * 6 + ["satisfied"] * 3 + ["fair", "dissatisfied"]
    finished = [c for c in cases if c.state in (CaseState.delivered, CaseState.denied, CaseState.rejected)]
    for case in finished:
        if rng.random() < 0.55:
            level = rng.choice(levels)
            comment = "等候时间过长，窗口解释不够耐心" if level == "dissatisfied" else ""
            with travel_to(min((case.closed_at or clock_now()) + dt.timedelta(hours=1), clock_now())):
                service.record_evaluation(case, staff.acceptor, level, rng.choice(["window", "online"]), comment)
    for case in rng.sample(finished, min(6, len(finished))):
        with travel_to(min((case.closed_at or clock_now()) + dt.timedelta(days=1), clock_now())):
            service.file_complaint(
                staff.supervisor,
                channel=rng.choice(["hotline", "online"]),
                complainant=case.applicant_name,
                content="反映办理过程中被要求重复提交材料",
                case=case,
                phone="13900000000",
            )
    db.session.commit()
    deadline_scan()
