"""The one way to change the intermediary supermarket: registry, purchase, selection,
contract, completion, filing, evaluation and complaints.

Functions check every rule before writing anything and raise
:class:`onewindow.ValidationError` with a message saying what is wrong and how to
fix it. They do not commit: callers wrap them in :func:`onewindow.unit_of_work` (screens, CLI) so
that one action is one transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from flask import current_app, has_app_context
from sqlalchemy import func, select

from onewindow import Department, ValidationError, clock, db, uscc_problem
from onewindow_intermediary import selection as methods
from onewindow_intermediary.models import (
    SERVICE_TYPES,
    Agency,
    AgencyStatus,
    Bid,
    Complaint,
    ComplaintState,
    Evaluation,
    Method,
    Purchase,
    PurchaseState,
    Selection,
)

KEY = "intermediary"
#: ``[plugins.intermediary]`` in onewindow.toml.
CONFIG_DEFAULTS = {
    "min_bidders": 3,  # at least three qualified agencies before selection [issue 7; 比选 practice]
    "quality_weight": 70,  # 综合评分法 weights, points out of 100
    "price_weight": 30,
}


def settings() -> dict[str, Any]:
    if has_app_context() and "onewindow" in current_app.extensions:
        return current_app.extensions["onewindow"].plugin_config(KEY)
    return dict(CONFIG_DEFAULTS)


def _money(value: Any, what: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what}“{value}”不是金额，请填写数字（元），如 48000") from None
    if amount <= 0:
        raise ValidationError(f"{what}须大于 0 元")
    return amount


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"请填写{what}")
    return value


def _lines(values: Iterable[str] | str | None) -> list[str]:
    if isinstance(values, str):
        values = values.replace("；", "\n").replace(";", "\n").splitlines()
    return [v.strip() for v in values or [] if v and v.strip()]


# --- registry (告知性登记) ------------------------------------------------------


def register_agency(
    *,
    name: str,
    credit_code: str,
    service_types: Iterable[str],
    by: str,
    qualifications: Iterable[str] | str = (),
    staff: Iterable[str] | str = (),
    linked_department_ids: Iterable[int] = (),
    contact: str | None = None,
    phone: str | None = None,
) -> Agency:
    """Record an agency on notice (告知性登记): the platform checks identity and completeness,
    it does not approve the agency [000 §三(九)]."""
    name = _text(name, "中介机构名称")
    code = (credit_code or "").strip().upper()
    problem = uscc_problem(code)
    if problem:
        raise ValidationError(f"统一社会信用代码 {code or '（空）'}：{problem}")
    if db.session.execute(select(Agency.id).where(Agency.credit_code == code)).first():
        raise ValidationError(f"统一社会信用代码 {code} 的中介机构已登记，请在目录中查找并修改，不要重复登记")
    types = _lines(service_types)
    if not types:
        raise ValidationError(f"请至少选择一个服务类别（{'、'.join(SERVICE_TYPES)}）")
    unknown = [t for t in types if t not in SERVICE_TYPES]
    if unknown:
        raise ValidationError(f"服务类别 {'、'.join(unknown)} 不在目录中；可选：{'、'.join(SERVICE_TYPES)}")
    departments = [db.session.get(Department, i) for i in linked_department_ids]
    agency = Agency(
        name=name,
        credit_code=code,
        service_types=types,
        qualifications=_lines(qualifications),
        staff=_lines(staff),
        contact=contact,
        phone=phone,
        status=AgencyStatus.active,
        linked_departments=[d for d in departments if d is not None],
        registered_by=by,
        registered_at=clock.now(),
        evaluation_count=0,
    )
    db.session.add(agency)
    db.session.flush()
    return agency


def set_status(agency: Agency, status: AgencyStatus | str, reason: str, by: str) -> Agency:
    """Suspend (暂停), blacklist (列入黑名单) or reinstate an agency; a reason is always recorded."""
    status = AgencyStatus[status] if isinstance(status, str) else status
    agency.status_reason = f"{_text(reason, '理由')}（{by} {clock.now():%Y-%m-%d}）"
    agency.status = status
    return agency


# --- purchases ----------------------------------------------------------------


def post_purchase(
    *,
    title: str,
    owner_name: str,
    owner_credit_code: str,
    service_type: str,
    budget_ceiling: Any,
    method: Method | str,
    signup_opens: dt.date,
    signup_closes: dt.date,
    approving_department_id: int,
    by: str,
    government_funded: bool = False,
    posting_department_id: int | None = None,
    description: str = "",
) -> Purchase:
    """发布采购公告: service type, budget ceiling, selection method and sign-up window."""
    method = Method[method] if isinstance(method, str) else method
    code = (owner_credit_code or "").strip().upper()
    problem = uscc_problem(code)
    if problem:
        raise ValidationError(f"项目业主统一社会信用代码 {code or '（空）'}：{problem}")
    if service_type not in SERVICE_TYPES:
        raise ValidationError(f"服务类别“{service_type}”不在目录中；可选：{'、'.join(SERVICE_TYPES)}")
    if signup_closes < signup_opens:
        raise ValidationError(f"报名截止日 {signup_closes} 早于报名开始日 {signup_opens}，请调整报名期限")
    if signup_closes < clock.today():
        raise ValidationError(f"报名截止日 {signup_closes} 已过，请设置今天或以后的日期")
    if db.session.get(Department, approving_department_id) is None:
        raise ValidationError("请选择该中介服务所服务的审批部门（用于回避关联中介）")
    if government_funded and not posting_department_id:
        raise ValidationError("政府投资项目由项目主管部门发布采购，请选择发布部门")
    purchase = Purchase(
        title=_text(title, "采购项目名称"),
        owner_name=_text(owner_name, "项目业主"),
        owner_credit_code=code,
        service_type=service_type,
        budget_ceiling=_money(budget_ceiling, "预算上限"),
        method=method,
        signup_opens=signup_opens,
        signup_closes=signup_closes,
        approving_department_id=approving_department_id,
        government_funded=government_funded,
        posting_department_id=posting_department_id,
        description=description or "",
        state=PurchaseState.open,
        posted_by=by,
        posted_at=clock.now(),
    )
    db.session.add(purchase)
    db.session.flush()
    return purchase


def bid_problem(purchase: Purchase, agency: Agency, quote: Decimal) -> str | None:
    """Why ``agency`` may not bid ``quote`` for ``purchase`` (None: it is qualified)."""
    if agency.status == AgencyStatus.blacklisted:
        return f"中介机构“{agency.name}”已被列入黑名单，不能报名参加中介服务采购"
    if agency.status == AgencyStatus.suspended:
        return f"中介机构“{agency.name}”已被暂停，暂停期间不能报名参加中介服务采购"
    if not agency.offers(purchase.service_type):
        return (
            f"中介机构“{agency.name}”登记的服务类别（{'、'.join(agency.service_types)}）"
            f"不含“{purchase.service_type}”，不具备报名资格"
        )
    # 中介脱钩: an agency linked to the approving department may not serve its approvals [000 §三(九)]
    if any(d.id == purchase.approving_department_id for d in agency.linked_departments):
        return (
            f"中介机构“{agency.name}”与审批部门“{purchase.approving_department.name}”存在关联关系，"
            "按回避规定不能参与该部门审批事项的中介服务"
        )
    if quote > purchase.budget_ceiling:
        return f"报价 {quote} 元超过采购预算上限 {purchase.budget_ceiling} 元，请报不高于上限的价格"
    return None


def sign_up(purchase: Purchase, agency: Agency, quote: Any, by: str, quality_score: Any = None) -> Bid:
    """报名: within the sign-up window, once per agency, qualified and under the ceiling."""
    if purchase.state != PurchaseState.open:
        raise ValidationError(f"采购“{purchase.title}”当前为“{purchase.state}”，不再接受报名")
    today = clock.today()
    if not purchase.signup_opens <= today <= purchase.signup_closes:
        raise ValidationError(
            f"报名期限为 {purchase.signup_opens} 至 {purchase.signup_closes}，今天（{today}）不能报名"
        )
    if any(b.agency_id == agency.id for b in purchase.bids):
        raise ValidationError(f"中介机构“{agency.name}”已报名该采购，不能重复报名")
    amount = _money(quote, "报价")
    problem = bid_problem(purchase, agency, amount)
    if problem:
        raise ValidationError(problem)
    bid = Bid(purchase=purchase, agency=agency, quote=amount, recorded_by=by, signed_up_at=clock.now())
    db.session.add(bid)
    if quality_score not in (None, ""):
        score_bid(bid, quality_score, by)
    db.session.flush()
    return bid


def score_bid(bid: Bid, quality_score: Any, by: str) -> Bid:
    """The evaluation panel's quality score (0–100) of a bid, for the quality-and-price method."""
    if bid.purchase.state != PurchaseState.open:
        raise ValidationError("选取结果已公布，不能再修改质量评分")
    try:
        score = Decimal(str(quality_score))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"质量评分“{quality_score}”不是数字，请填写 0–100") from None
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError(f"质量评分 {score} 超出 0–100")
    bid.quality_score = score
    return bid


def qualified_bids(purchase: Purchase) -> list[Bid]:
    """Bids still qualified at selection time (an agency suspended after signing up drops out)."""
    return [b for b in purchase.bids if bid_problem(purchase, b.agency, b.quote) is None]


def select_agency(purchase: Purchase, by: str, seed: str | None = None) -> Selection:
    """选取 by the stated method, after the sign-up window, among at least three qualified bids."""
    if purchase.state != PurchaseState.open:
        raise ValidationError(f"采购“{purchase.title}”当前为“{purchase.state}”，不能再选取")
    if clock.today() <= purchase.signup_closes:
        raise ValidationError(f"报名截止日为 {purchase.signup_closes}，报名截止后方可选取中介机构")
    cfg = settings()
    minimum = int(cfg["min_bidders"])
    bids = qualified_bids(purchase)
    if len(bids) < minimum:
        raise ValidationError(
            f"符合条件的报名中介机构只有 {len(bids)} 家，至少需要 {minimum} 家方可选取；"
            "请延长报名期限或重新发布采购公告"
        )
    candidates = [
        methods.Candidate(
            b.id,
            b.agency_id,
            b.agency.name,
            Decimal(b.quote),
            None if b.quality_score is None else Decimal(b.quality_score),
        )
        for b in bids
    ]
    if purchase.method == Method.random_draw:
        seed = (seed or "").strip() or methods.new_seed()
        winner, inputs = methods.random_draw(candidates, seed)
    elif purchase.method == Method.quality_price:
        unscored = [c.agency_name for c in candidates if c.quality is None]
        if unscored:
            raise ValidationError(f"综合评分法须先录入每家的质量评分：{'、'.join(unscored)} 尚未评分")
        seed = None
        winner, inputs = methods.quality_price(candidates, int(cfg["quality_weight"]), int(cfg["price_weight"]))
    else:
        seed = None
        winner, inputs = methods.lowest_price(candidates)
    chosen = next(b for b in bids if b.id == winner)
    result = Selection(
        purchase=purchase,
        method=purchase.method,
        seed=seed,
        inputs=inputs,
        result_bid=chosen,
        selected_by=by,
        selected_at=clock.now(),
    )
    db.session.add(result)
    purchase.state = PurchaseState.selected
    db.session.flush()
    return result


def recheck(purchase: Purchase) -> dict[str, Any]:
    """Re-run a published selection from its recorded inputs (and seed): anyone can verify it."""
    chosen = purchase.selection
    if chosen is None:
        raise ValidationError(f"采购 {purchase.id}“{purchase.title}”尚未选取，没有可复核的结果")
    again = methods.rerun(chosen.method.name, chosen.inputs)
    return {
        "purchase": purchase.id,
        "method": chosen.method.name,
        "seed": chosen.seed,
        "candidates": [c["bid_id"] for c in chosen.inputs["candidates"]],
        "recorded": chosen.result_bid_id,
        "recomputed": again,
        "matches": again == chosen.result_bid_id,
    }


# --- after selection ----------------------------------------------------------


def _require(purchase: Purchase, state: PurchaseState, doing: str) -> None:
    if purchase.state != state:
        raise ValidationError(f"采购“{purchase.title}”当前为“{purchase.state}”，须为“{state}”才能{doing}")


def record_contract(purchase: Purchase, number: str, amount: Any, signed_on: dt.date, by: str) -> Purchase:
    _require(purchase, PurchaseState.selected, "登记合同")
    amount = _money(amount, "合同金额")
    quote = purchase.selection.result_bid.quote
    if amount > quote:
        raise ValidationError(f"合同金额 {amount} 元高于中选报价 {quote} 元；合同不得改变中选结果的实质内容")
    purchase.contract_number, purchase.contract_amount = _text(number, "合同编号"), amount
    purchase.contract_signed_on, purchase.state = signed_on, PurchaseState.contracted
    return purchase


def record_completion(purchase: Purchase, completed_on: dt.date, note: str, by: str) -> Purchase:
    _require(purchase, PurchaseState.contracted, "登记服务完成")
    if purchase.contract_signed_on and completed_on < purchase.contract_signed_on:
        raise ValidationError(f"完成日期 {completed_on} 早于合同签订日期 {purchase.contract_signed_on}")
    purchase.completed_on, purchase.completion_note = completed_on, _text(note, "服务成果（报告名称、文号）")
    purchase.state = PurchaseState.completed
    return purchase


def record_filing(purchase: Purchase, filing_number: str, filed_on: dt.date, by: str) -> Purchase:
    """备案: the service result is filed with the centre."""
    _require(purchase, PurchaseState.completed, "备案")
    purchase.filing_number, purchase.filed_on = _text(filing_number, "备案号"), filed_on
    purchase.state = PurchaseState.filed
    return purchase


def evaluate(purchase: Purchase, *, time: int, quality: int, price: int, by: str, comment: str = "") -> Evaluation:
    """服务评价 after completion and filing: time, quality, price 1–5; the agency's public
    score is the mean over all its evaluations."""
    _require(purchase, PurchaseState.filed, "评价")
    for label, value in (("时效", time), ("质量", quality), ("价格", price)):
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(f"{label}评分须为 1–5 的整数，收到 {value!r}")
    agency = purchase.selected_agency
    evaluation = Evaluation(
        purchase=purchase,
        agency=agency,
        time_score=time,
        quality_score=quality,
        price_score=price,
        comment=comment or "",
        evaluated_by=by,
        evaluated_at=clock.now(),
    )
    db.session.add(evaluation)
    purchase.state = PurchaseState.evaluated
    db.session.flush()
    refresh_score(agency)
    return evaluation


def refresh_score(agency: Agency) -> None:
    total, count = db.session.execute(
        select(
            func.sum(Evaluation.time_score + Evaluation.quality_score + Evaluation.price_score),
            func.count(Evaluation.id),
        ).where(Evaluation.agency_id == agency.id)
    ).one()
    agency.evaluation_count = count or 0
    agency.score = (Decimal(total) / (3 * count)).quantize(Decimal("0.01")) if count else None


# --- complaints -----------------------------------------------------------------


def file_complaint(
    agency: Agency, complainant: str, content: str, by: str, purchase: Purchase | None = None
) -> Complaint:
    complaint = Complaint(
        agency=agency,
        purchase=purchase,
        complainant=_text(complainant, "投诉人"),
        content=_text(content, "投诉内容"),
        state=ComplaintState.open,
        recorded_by=by,
        received_at=clock.now(),
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint


def handle_complaint(complaint: Complaint, handling: str, by: str) -> Complaint:
    if complaint.state != ComplaintState.open:
        raise ValidationError(f"投诉 {complaint.id} 已处理")
    complaint.handling, complaint.handled_by, complaint.handled_at = _text(handling, "处理结果"), by, clock.now()
    complaint.state = ComplaintState.handled
    return complaint
