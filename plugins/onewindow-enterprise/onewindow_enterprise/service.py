"""Enterprise registration rules and what an approved case writes to the register.

- :func:`application_problems` — the ``validate_application`` rules: name pre-check
  (名称自主申报: a name identical to a live enterprise of the region is refused, naming
  it), shares summing to 100 %, change / deregistration find the enterprise by its code.
- :func:`on_transition` — ``case_transition``: on approval, establishment assigns the
  credit code (:mod:`.codes`) and creates the enterprise; change applies the change;
  deregistration closes the enterprise and revokes its business licences.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError

from onewindow import TransitionError, clock, db
from onewindow_enterprise.codes import assign_uscc
from onewindow_enterprise.forms import decimal_or_none, structured_rows
from onewindow_enterprise.models import ACTIVE, DEREGISTERED, Enterprise, Shareholder

ESTABLISH, CHANGE, DEREGISTER = "enterprise.establishment", "enterprise.change", "enterprise.deregistration"
LICENCE_TYPE = "enterprise_business_licence"
HUNDRED = Decimal("100")


def name_key(name: str) -> str:
    """Names compared for the duplicate rule: NFKC (full-width brackets and letters fold to
    half-width), no spaces, upper case — 云溪（Yunxi）科技 equals 云溪(YUNXI)科技."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).upper()


def region_of(department) -> str:
    return department.region.code[:6]


def live_enterprise(region: str, name: str, exclude_id: int | None = None) -> Enterprise | None:
    """The live enterprise of ``region`` whose name equals ``name`` (normalised), if any."""
    query = db.session.query(Enterprise).filter(
        Enterprise.region_code == region, Enterprise.name_key == name_key(name), Enterprise.status == ACTIVE
    )
    if exclude_id is not None:
        query = query.filter(Enterprise.id != exclude_id)
    return query.first()


def by_code(code: str) -> Enterprise | None:
    return db.session.query(Enterprise).filter_by(uscc=(code or "").strip().upper()).one_or_none()


def name_problem(region: str, name: str, exclude_id: int | None = None) -> str | None:
    found = live_enterprise(region, name, exclude_id)
    if found is None:
        return None
    return (
        f"名称“{name.strip()}”与本辖区已登记的企业“{found.name}”（统一社会信用代码 {found.uscc}）相同，"
        "不能使用，请另行申报名称"
    )


def shareholder_rows(data: dict) -> list[dict]:
    """Shareholders from case data: a structured list, or the form's flat keys."""
    rows = structured_rows(data.get("shareholders"))
    if rows:
        return rows
    flat: dict[int, dict] = {}
    for key, value in data.items():
        m = re.fullmatch(r"shareholders-(\d+)-(\w+)", key)
        if m:
            flat.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [flat[n] for n in sorted(flat)]


def application_problems(case, data: dict, report: Callable[[str, str], None]) -> None:
    item = case.item
    key = getattr(item, "form_key", None)
    if key not in (ESTABLISH, CHANGE, DEREGISTER):
        return
    region = region_of(item.department)
    with db.session.no_autoflush:
        if key == ESTABLISH:
            _establishment_problems(region, data, report)
        else:
            _existing_problems(key, region, data, report)


def _establishment_problems(region: str, data: dict, report) -> None:
    name = str(data.get("company_name") or "").strip()
    if name:
        problem = name_problem(region, name)
        if problem:
            report("企业名称", problem)
    rows = shareholder_rows(data)
    shares = [decimal_or_none(r.get("share")) for r in rows]
    if rows and all(s is not None for s in shares):
        total = sum(shares, Decimal("0"))
        if total != HUNDRED:  # 各股东认缴出资比例之和须为100%
            report("股东出资比例", f"各股东出资比例合计为 {total.normalize():f}%，须等于 100%")
    ids = [str(r.get("id_number") or "").strip().upper() for r in rows]
    repeated = sorted({i for i in ids if i and ids.count(i) > 1})
    if repeated:
        report("股东", f"证件号码 {'、'.join(repeated)} 重复出现；同一股东只填写一行")


def _existing_problems(key: str, region: str, data: dict, report) -> None:
    code = str(data.get("credit_code") or "").strip().upper()
    if not code:
        return  # the form reports the missing code
    found = by_code(code)
    if found is None or found.region_code != region:
        report("统一社会信用代码", f"本辖区企业登记簿中没有统一社会信用代码为 {code} 的企业，请核对")
        return
    if found.status != ACTIVE:
        report("统一社会信用代码", f"企业“{found.name}”（{code}）已于 {found.deregistered_on} 注销")
        return
    given = str(data.get("company_name") or "").strip()
    if given and name_key(given) != found.name_key:
        report("企业名称", f"与登记簿记载的名称“{found.name}”不一致，请核对")
    if key == CHANGE:
        _change_problems(found, data, report)


def _change_problems(found: Enterprise, data: dict, report) -> None:
    what, new = data.get("change_items"), str(data.get("new_value") or "").strip()
    if not new:
        return
    if what == "名称":
        problem = name_problem(found.region_code, new, exclude_id=found.id)
        if problem:
            report("变更后内容", problem)
    elif what == "注册资本" and (decimal_or_none(new) is None or decimal_or_none(new) <= 0):
        report("变更后内容", f"变更后的注册资本“{new}”须为大于0的数字（万元）")


# --- approval -------------------------------------------------------------------


def on_transition(case, event) -> None:
    if event.action != "decide" or event.to_state != "approved":
        return
    key = getattr(case.item, "form_key", None)
    if key == ESTABLISH:
        establish(case)
    elif key == CHANGE:
        apply_change(case)
    elif key == DEREGISTER:
        deregister(case)


def establish(case) -> Enterprise:
    """Approval of 企业设立登记: credit code + register entry, inside the decision's transaction."""
    session = db.session
    data = case.data or {}
    department = case.item.department
    region = region_of(department)
    name = str(data.get("company_name") or "").strip()
    problem = name_problem(region, name)
    if problem:  # another case registered the name since acceptance
        raise TransitionError(problem)
    enterprise = Enterprise(
        uscc=assign_uscc(session, region),
        name=name,
        name_key=name_key(name),
        company_type=str(data.get("company_type") or ""),
        registered_capital=decimal_or_none(data.get("registered_capital")) or Decimal("0"),
        address=str(data.get("address") or ""),
        business_scope=str(data.get("business_scope") or ""),
        legal_rep_name=str(data.get("legal_rep_name") or ""),
        legal_rep_id=str(data.get("legal_rep_id") or "").strip().upper(),
        region_code=region,
        department=department,
        established_on=clock.today(),
        status=ACTIVE,
        case_number=case.number,
    )
    for position, row in enumerate(shareholder_rows(data), start=1):
        enterprise.shareholders.append(
            Shareholder(
                position=position,
                name=str(row.get("name") or "").strip(),
                id_number=str(row.get("id_number") or "").strip().upper(),
                share=decimal_or_none(row.get("share")) or Decimal("0"),
            )
        )
    _save(session, enterprise, name)
    return enterprise


def _save(session, enterprise: Enterprise, name: str) -> None:
    try:
        with session.begin_nested():
            session.add(enterprise)
            session.flush()
    except IntegrityError:  # uq_enterprise_name_live: a concurrent approval took the name
        raise TransitionError(f"名称“{name}”已被同时办结的另一登记使用，请另行申报名称") from None


def apply_change(case) -> Enterprise | None:
    data = case.data or {}
    enterprise = by_code(str(data.get("credit_code") or ""))
    if enterprise is None or enterprise.status != ACTIVE:
        raise TransitionError(f"企业登记簿中没有存续的统一社会信用代码 {data.get('credit_code')}，不能变更")
    what, new = data.get("change_items"), str(data.get("new_value") or "").strip()
    if new:
        if what == "名称":
            problem = name_problem(enterprise.region_code, new, exclude_id=enterprise.id)
            if problem:
                raise TransitionError(problem)
            enterprise.name, enterprise.name_key = new, name_key(new)
        elif what == "住所":
            enterprise.address = new
        elif what == "法定代表人":
            enterprise.legal_rep_name = new
        elif what == "注册资本":
            enterprise.registered_capital = decimal_or_none(new)
        elif what == "经营范围":
            enterprise.business_scope = new
    enterprise.last_case_number = case.number
    _save(db.session, enterprise, enterprise.name)
    return enterprise


def deregister(case) -> Enterprise:
    """注销: the enterprise leaves the register (its name is free again) and its business
    licences are revoked in the e-licence library."""
    from onewindow import holder_licences, revoke_for_case

    data = case.data or {}
    enterprise = by_code(str(data.get("credit_code") or ""))
    if enterprise is None or enterprise.status != ACTIVE:
        raise TransitionError(f"企业登记簿中没有存续的统一社会信用代码 {data.get('credit_code')}，不能注销")
    enterprise.status, enterprise.deregistered_on = DEREGISTERED, clock.today()
    enterprise.last_case_number = case.number
    for licence in holder_licences(enterprise.uscc, LICENCE_TYPE):
        revoke_for_case(licence, case, f"企业注销登记（办件 {case.number}）")
    return enterprise


# --- the business licence ------------------------------------------------------------


def licence_fields(case, licence_type) -> dict[str, Any] | None:
    if getattr(licence_type, "code", None) != LICENCE_TYPE:
        return None
    key = getattr(case.item, "form_key", None)
    if key == ESTABLISH:
        enterprise = db.session.query(Enterprise).filter_by(case_number=case.number).one_or_none()
    else:
        enterprise = by_code(str((case.data or {}).get("credit_code") or ""))
    if enterprise is None:
        return None
    return {
        "company_name": enterprise.name,
        "uscc": enterprise.uscc,
        "company_type": enterprise.company_type,
        "legal_rep_name": enterprise.legal_rep_name,
        "registered_capital": f"{enterprise.registered_capital:f}",
        "address": enterprise.address,
        "business_scope": enterprise.business_scope,
        "established_on": enterprise.established_on.isoformat(),
        # 持证主体 is the new enterprise, not the representative who applied
        "_holder": {"name": enterprise.name, "id": enterprise.uscc, "id_type": "credit_code"},
    }
