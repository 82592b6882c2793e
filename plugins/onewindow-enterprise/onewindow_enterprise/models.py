"""The enterprise register (企业登记簿) of the plugin ``enterprise``; every table is prefixed
``enterprise_``.

Rows are written only by the case engine's ``case_transition`` hook when a registration
case is approved (:mod:`onewindow_enterprise.service`), never by a screen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Department, Model

ACTIVE = "active"  # 存续
DEREGISTERED = "deregistered"  # 注销


class Enterprise(Model):
    """One registered enterprise (市场主体) of a county, found by its unified social credit code."""

    __tablename__ = "enterprise_enterprise"
    __table_args__ = (
        # 名称不得与同一登记机关辖区内已登记的企业名称相同: one live name per region.
        Index(
            "uq_enterprise_name_live",
            "region_code",
            "name_key",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_key: Mapped[str] = mapped_column(String(200), nullable=False)  # normalised for the duplicate rule
    company_type: Mapped[str] = mapped_column(String(100), nullable=False)
    registered_capital: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)  # 万元
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    business_scope: Mapped[str] = mapped_column(Text, nullable=False)
    legal_rep_name: Mapped[str] = mapped_column(String(100), nullable=False)
    legal_rep_id: Mapped[str] = mapped_column(String(18), nullable=False)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()  # 登记机关
    established_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ACTIVE)
    deregistered_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    case_number: Mapped[str] = mapped_column(String(43), nullable=False, index=True)  # the establishment case
    last_case_number: Mapped[Optional[str]] = mapped_column(String(43))  # latest change / deregistration
    shareholders: Mapped[list["Shareholder"]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="Shareholder.position"
    )

    @property
    def status_label(self) -> str:
        return "存续" if self.status == ACTIVE else "注销"

    def __repr__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class Shareholder(Model):
    """股东（发起人）/ 出资人 with the share of the capital subscribed."""

    __tablename__ = "enterprise_shareholder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise_enterprise.id", ondelete="CASCADE"), nullable=False, index=True
    )
    enterprise: Mapped[Enterprise] = relationship(back_populates="shareholders")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    id_number: Mapped[str] = mapped_column(String(18), nullable=False)  # resident ID or credit code
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)  # per cent

    def __repr__(self) -> str:
        return f"{self.name} {self.share}%"


class CodeCounter(Model):
    """Last organisation-code serial used per region: the row lock makes codes unique under
    concurrency (``UPDATE … RETURNING`` queues concurrent approvals)."""

    __tablename__ = "enterprise_code_counter"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
