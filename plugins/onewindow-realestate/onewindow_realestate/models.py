"""The real-estate register kept by the plugin ``realestate`` (tables ``realestate_…``):
property units (不动产单元) with their current right holder, transfers with the deed tax,
the utility follow-up tasks of a transfer (水电气联动过户) and mortgages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Department, LabelledEnum, Model, enum_column

#: 不动产单元号 (GB/T 37346): 6-digit county + 6-digit cadastral zone/subzone, 2-letter land
#: right type, 5-digit parcel, 1-letter building type, 8-digit building/unit number.
UNIT_NUMBER = r"^\d{12}[A-Z]{2}\d{5}[A-Z]\d{8}$"


class PropertyUnit(Model):
    """不动产单元 as registered: where it is, what it is, who holds the right now."""

    __tablename__ = "realestate_property_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_number: Mapped[str] = mapped_column(String(28), unique=True, nullable=False)
    location: Mapped[str] = mapped_column(String(300), nullable=False)  # 坐落
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)  # 建筑面积 m²
    use: Mapped[str] = mapped_column(String(40), nullable=False)  # 用途: 住宅 / 商业 / …
    right_type: Mapped[str] = mapped_column(String(100), nullable=False)  # 权利类型
    owner_name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    certificate: Mapped[Optional[str]] = mapped_column(String(120))  # e-licence identifier
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    mortgaged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @property
    def residential(self) -> bool:
        return "住宅" in (self.use or "")

    def __repr__(self) -> str:
        return f"{self.unit_number} {self.location}"


class Transfer(Model):
    """转移登记 of one unit from seller to buyer, with the deed tax estimated at approval."""

    __tablename__ = "realestate_transfer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(43), unique=True, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("realestate_property_unit.id"), nullable=False, index=True)
    unit: Mapped[PropertyUnit] = relationship()
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    seller_name: Mapped[str] = mapped_column(String(200), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(18), nullable=False)
    buyer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    buyer_id: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    first_home: Mapped[bool] = mapped_column(Boolean, nullable=False)
    deed_tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), nullable=False)
    deed_tax: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    registered_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    old_certificate: Mapped[Optional[str]] = mapped_column(String(120))
    tasks: Mapped[list["UtilityTask"]] = relationship(back_populates="transfer", order_by="UtilityTask.id")

    def __repr__(self) -> str:
        return self.case_number


class Utility(LabelledEnum):
    water = _l("Water")
    electricity = _l("Electricity")
    gas = _l("Gas")


class TaskStatus(LabelledEnum):
    pending = _l("Pushed, awaiting the utility")
    in_progress = _l("Being handled by the utility")
    done = _l("Account transferred")
    failed = _l("Failed (contact the applicant)")


class UtilityTask(Model):
    """水电气联动过户: one follow-up per utility account, opened when the transfer is approved."""

    __tablename__ = "realestate_utility_task"
    __table_args__ = (UniqueConstraint("transfer_id", "utility", name="uq_realestate_utility_task"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("realestate_transfer.id"), nullable=False, index=True)
    transfer: Mapped[Transfer] = relationship(back_populates="tasks")
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    utility: Mapped[Utility] = mapped_column(enum_column(Utility), nullable=False)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus), nullable=False)
    note: Mapped[Optional[str]] = mapped_column(Text)
    updated_by: Mapped[Optional[str]] = mapped_column(String(128))
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"{self.transfer} {self.utility}"


class Mortgage(Model):
    """抵押权首次登记 on a unit."""

    __tablename__ = "realestate_mortgage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(43), unique=True, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("realestate_property_unit.id"), nullable=False, index=True)
    unit: Mapped[PropertyUnit] = relationship()
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    mortgagee: Mapped[str] = mapped_column(String(200), nullable=False)
    debt_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)  # 万元
    registered_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
