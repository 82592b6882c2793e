"""Real-estate registration rules and what an approved case writes to the register.

- :func:`application_problems` (``validate_application``): the unit exists in the
  register of the registering department's county, the applicant is its right holder
  (the seller: his certificate is then pulled from the e-licence library by the core,
  not demanded [003 §六(四)]), the buyer is another person, a mortgaged unit is not
  mortgaged twice in this simplified register.
- :func:`on_transition` (``case_transition``): approval of a transfer records the new
  owner, the deed tax (:mod:`.deedtax`), retires the seller's certificate in the library
  and opens the water/electricity/gas follow-up tasks (水电气联动过户); approval of a
  mortgage records it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from onewindow import TransitionError, clock, db
from onewindow_realestate.deedtax import deed_tax
from onewindow_realestate.models import UNIT_NUMBER, Mortgage, PropertyUnit, TaskStatus, Transfer, Utility, UtilityTask

TRANSFER, MORTGAGE = "realestate.transfer", "realestate.mortgage"
CERTIFICATE = "realestate_property_certificate"


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def unit_by_number(number: str) -> PropertyUnit | None:
    return db.session.query(PropertyUnit).filter_by(unit_number=(number or "").strip().upper()).one_or_none()


def is_first_home(buyer_id: str, except_unit: PropertyUnit | None = None) -> bool:
    """家庭唯一住房, read from the register: the buyer holds no other residential unit."""
    owned = db.session.query(PropertyUnit).filter(PropertyUnit.owner_id == (buyer_id or "").strip().upper())
    return not any(u.residential for u in owned if u is not except_unit)


def estimate(unit: PropertyUnit, buyer_id: str, price) -> tuple[bool, Decimal, Decimal]:
    first = is_first_home(buyer_id, unit)
    rate, tax = deed_tax(_decimal(price) or Decimal("0"), first, unit.area, unit.residential)
    return first, rate, tax


def application_problems(case, data: dict, report: Callable[[str, str], None]) -> None:
    key = getattr(case.item, "form_key", None)
    if key not in (TRANSFER, MORTGAGE):
        return
    number = str(data.get("unit_number") or "").strip().upper()
    county = case.item.department.region.code[:6]
    with db.session.no_autoflush:
        if not re.fullmatch(UNIT_NUMBER, number):
            return  # the form reports a malformed or missing unit number
        if not number.startswith(county):
            report("不动产单元号", f"不动产单元号 {number} 的前6位是区划代码，应为本县 {county}")
            return
        unit = unit_by_number(number)
        if unit is None:
            report("不动产单元号", f"登记簿中没有不动产单元 {number}，请核对不动产权证书上的单元号")
            return
        holder = (case.applicant_id or "").strip().upper()
        if unit.owner_id != holder:
            report(
                "申请人",
                f"不动产单元 {number} 的登记权利人是“{unit.owner_name}”，与申请人不一致；转移、抵押须由权利人申请",
            )
        if str(data.get("id_number") or "").strip().upper() not in ("", holder):
            report("公民身份号码", "表单中的公民身份号码须与申请人（权利人）一致")
        if key == TRANSFER and str(data.get("buyer_id") or "").strip().upper() == holder:
            report("买受人身份证号码", "买受人与出卖人是同一人，不能办理转移登记")
        if key == MORTGAGE and unit.mortgaged:
            report("不动产单元号", f"不动产单元 {number} 已设定抵押，请先办理抵押权注销登记")


def on_transition(case, event) -> None:
    key = getattr(case.item, "form_key", None)
    if key == TRANSFER and event.action == "decide" and event.to_state == "approved":
        record_transfer(case)
    elif key == TRANSFER and event.action == "hand_to_output":
        transfer = db.session.query(Transfer).filter_by(case_number=case.number).one_or_none()
        if transfer is not None and case.licence_identifier:
            transfer.unit.certificate = case.licence_identifier  # the buyer's new certificate
    elif key == MORTGAGE and event.action == "decide" and event.to_state == "approved":
        record_mortgage(case)


def _unit_for(case) -> PropertyUnit:
    number = str((case.data or {}).get("unit_number") or "")
    unit = unit_by_number(number)
    if unit is None or unit.owner_id != (case.applicant_id or "").upper():
        raise TransitionError(f"不动产单元 {number} 已不属于申请人，不能登簿（可能已被其他办件转移）")
    return unit


def record_transfer(case) -> Transfer:
    data = case.data or {}
    unit = _unit_for(case)
    first, rate, tax = estimate(unit, str(data.get("buyer_id")), data.get("price"))
    transfer = Transfer(
        case_number=case.number,
        unit=unit,
        department_id=case.department_id,
        seller_name=unit.owner_name,
        seller_id=unit.owner_id,
        buyer_name=str(data.get("buyer_name") or "").strip(),
        buyer_id=str(data.get("buyer_id") or "").strip().upper(),
        price=_decimal(data.get("price")) or Decimal("0"),
        first_home=first,
        deed_tax_rate=rate,
        deed_tax=tax,
        registered_on=clock.today(),
    )
    transfer.old_certificate = _retire_certificate(case, unit) or unit.certificate
    unit.owner_name, unit.owner_id = transfer.buyer_name, transfer.buyer_id
    for utility in Utility:  # 水电气联动过户: pushed to each utility, followed up by the centre
        transfer.tasks.append(UtilityTask(utility=utility, status=TaskStatus.pending, department_id=case.department_id))
    db.session.add(transfer)
    return transfer


def _retire_certificate(case, unit: PropertyUnit) -> str | None:
    """The seller's certificate stops being valid once the right is transferred (原证注销);
    returns its identifier."""
    from onewindow import holder_licences, revoke_for_case

    retired = None
    for licence in holder_licences(unit.owner_id, CERTIFICATE):
        if (licence.data or {}).get("unit_number") != unit.unit_number:
            continue
        revoke_for_case(licence, case, f"不动产转移登记，原证注销（办件 {case.number}）")
        retired = retired or licence.identifier
    return retired


def record_mortgage(case) -> Mortgage:
    data = case.data or {}
    unit = _unit_for(case)
    unit.mortgaged = True
    mortgage = Mortgage(
        case_number=case.number,
        unit=unit,
        department_id=case.department_id,
        mortgagee=str(data.get("bank_name") or "").strip(),
        debt_amount=_decimal(data.get("debt_amount")) or Decimal("0"),
        registered_on=clock.today(),
    )
    db.session.add(mortgage)
    return mortgage


def licence_fields(case, licence_type) -> dict[str, Any] | None:
    code = getattr(licence_type, "code", None)
    key = getattr(case.item, "form_key", None)
    if code == CERTIFICATE and key == TRANSFER:
        transfer = db.session.query(Transfer).filter_by(case_number=case.number).one_or_none()
        if transfer is None:
            return None
        unit = transfer.unit
        return {
            "holder": transfer.buyer_name,
            "unit_number": unit.unit_number,
            "location": unit.location,
            "area": f"{unit.area:f}",
            "use": unit.use,
            "right_type": unit.right_type,
            # 权利人 of the new certificate is the buyer, not the applying seller
            "_holder": {"name": transfer.buyer_name, "id": transfer.buyer_id, "id_type": "resident_id"},
        }
    return None
