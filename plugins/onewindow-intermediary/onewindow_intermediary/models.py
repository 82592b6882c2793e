"""Records of the intermediary supermarket (中介超市) [000 §三(九); DOMAIN "Service areas"].

Every table carries the plugin key as prefix (``intermediary_``). Rows change only
through :mod:`onewindow_intermediary.service`; the screens are thin adapters over it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Department, LabelledEnum, Model, enum_column


def _now() -> dt.datetime:
    from onewindow import clock

    return clock.now()


#: The service types agencies register for and purchases ask for (data a county may extend).
SERVICE_TYPES = ("安全评价", "环境影响评价", "工程咨询", "消防检测", "施工图审查", "测绘", "工程勘察", "造价咨询")


class AgencyStatus(LabelledEnum):
    active = _l("Active")
    suspended = _l("Suspended")
    blacklisted = _l("Blacklisted")


class Method(LabelledEnum):
    """How the agency is chosen (比选方式)."""

    lowest_price = _l("Lowest price")
    random_draw = _l("Random draw among qualified agencies")
    quality_price = _l("Quality and price score")


class PurchaseState(LabelledEnum):
    open = _l("Sign-up open")
    selected = _l("Agency selected, result published")
    contracted = _l("Contract signed")
    completed = _l("Service completed")
    filed = _l("Filed")
    evaluated = _l("Evaluated")
    cancelled = _l("Cancelled")


class ComplaintState(LabelledEnum):
    open = _l("Open")
    handled = _l("Handled")


#: Departments an agency is linked to (subordinate unit, shared staff, former 红顶中介):
#: such an agency may not bid for work that department approves [000 §三(九) 中介脱钩].
agency_department = Table(
    "intermediary_agency_department",
    Model.metadata,
    Column("agency_id", ForeignKey("intermediary_agency.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("ow_department.id"), primary_key=True),
)


class IntermediaryAgency(Model):
    """A registered agency (告知性登记: recorded on notice, not approved)."""

    __tablename__ = "intermediary_agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    service_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    qualifications: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    staff: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # "姓名 职称/执业资格"
    contact: Mapped[Optional[str]] = mapped_column(String(100))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    status: Mapped[AgencyStatus] = mapped_column(enum_column(AgencyStatus), nullable=False, default=AgencyStatus.active)
    status_reason: Mapped[Optional[str]] = mapped_column(Text)
    linked_departments: Mapped[list[Department]] = relationship(secondary=agency_department)
    score: Mapped[Optional[Decimal]] = mapped_column(Numeric(4, 2))  # public score, mean of evaluations (1–5)
    evaluation_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    registered_by: Mapped[str] = mapped_column(String(128), nullable=False)

    def offers(self, service_type: str) -> bool:
        return service_type in (self.service_types or [])

    def __repr__(self) -> str:
        return self.name


class IntermediaryPurchase(Model):
    """A purchase of an intermediary service posted by a project owner or, for a
    government-funded project, by a department (项目业主发布采购公告)."""

    __tablename__ = "intermediary_purchase"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_credit_code: Mapped[str] = mapped_column(String(18), nullable=False)
    government_funded: Mapped[bool] = mapped_column(nullable=False, default=False)
    posting_department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_department.id"))
    posting_department: Mapped[Optional[Department]] = relationship(foreign_keys=[posting_department_id])
    # the department whose approval the service prepares: the conflict-of-interest rule's subject
    approving_department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    approving_department: Mapped[Department] = relationship(foreign_keys=[approving_department_id])
    service_type: Mapped[str] = mapped_column(String(40), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    budget_ceiling: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    method: Mapped[Method] = mapped_column(enum_column(Method), nullable=False)
    signup_opens: Mapped[dt.date] = mapped_column(Date, nullable=False)
    signup_closes: Mapped[dt.date] = mapped_column(Date, nullable=False)
    state: Mapped[PurchaseState] = mapped_column(enum_column(PurchaseState), nullable=False, default=PurchaseState.open)
    posted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    posted_by: Mapped[str] = mapped_column(String(128), nullable=False)
    contract_number: Mapped[Optional[str]] = mapped_column(String(60))
    contract_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    contract_signed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    completed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    completion_note: Mapped[Optional[str]] = mapped_column(Text)
    filing_number: Mapped[Optional[str]] = mapped_column(String(60))  # 备案号
    filed_on: Mapped[Optional[dt.date]] = mapped_column(Date)

    bids: Mapped[list["IntermediaryBid"]] = relationship(
        back_populates="purchase", order_by="IntermediaryBid.id", cascade="all, delete-orphan"
    )
    selection: Mapped[Optional["IntermediarySelection"]] = relationship(
        back_populates="purchase", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def selected_agency(self) -> Optional[Agency]:
        return self.selection.result_bid.agency if self.selection else None

    def __repr__(self) -> str:
        return self.title


class IntermediaryBid(Model):
    """An agency's sign-up with its quote (报名及报价)."""

    __tablename__ = "intermediary_bid"
    __table_args__ = (UniqueConstraint("purchase_id", "agency_id", name="uq_intermediary_bid_agency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_id: Mapped[int] = mapped_column(
        ForeignKey("intermediary_purchase.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purchase: Mapped["IntermediaryPurchase"] = relationship(back_populates="bids")
    agency_id: Mapped[int] = mapped_column(ForeignKey("intermediary_agency.id"), nullable=False, index=True)
    agency: Mapped["IntermediaryAgency"] = relationship()
    quote: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    quality_score: Mapped[Optional[Decimal]] = mapped_column(Numeric(5, 2))  # 0–100, for quality_price
    signed_up_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    recorded_by: Mapped[str] = mapped_column(String(128), nullable=False)

    def __repr__(self) -> str:
        return f"{self.agency} · {self.quote}"


class IntermediarySelection(Model):
    """The published selection with everything needed to check it (公开、可复核)."""

    __tablename__ = "intermediary_selection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_id: Mapped[int] = mapped_column(
        ForeignKey("intermediary_purchase.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    purchase: Mapped["IntermediaryPurchase"] = relationship(back_populates="selection")
    method: Mapped[Method] = mapped_column(enum_column(Method), nullable=False)
    seed: Mapped[Optional[str]] = mapped_column(String(64))  # random draw only
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)  # candidates, scores
    result_bid_id: Mapped[int] = mapped_column(ForeignKey("intermediary_bid.id"), nullable=False)
    result_bid: Mapped["IntermediaryBid"] = relationship()
    selected_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    selected_by: Mapped[str] = mapped_column(String(128), nullable=False)


class IntermediaryEvaluation(Model):
    """The owner's evaluation of the agency after completion; feeds the public score."""

    __tablename__ = "intermediary_evaluation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_id: Mapped[int] = mapped_column(
        ForeignKey("intermediary_purchase.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    purchase: Mapped["IntermediaryPurchase"] = relationship()
    agency_id: Mapped[int] = mapped_column(ForeignKey("intermediary_agency.id"), nullable=False, index=True)
    agency: Mapped["IntermediaryAgency"] = relationship()
    time_score: Mapped[int] = mapped_column(Integer, nullable=False)
    quality_score: Mapped[int] = mapped_column(Integer, nullable=False)
    price_score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    evaluated_by: Mapped[str] = mapped_column(String(128), nullable=False)

    @property
    def mean(self) -> Decimal:
        return (Decimal(self.time_score + self.quality_score + self.price_score) / 3).quantize(Decimal("0.01"))


class IntermediaryComplaint(Model):
    """A complaint about an agency, recorded and handled."""

    __tablename__ = "intermediary_complaint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("intermediary_agency.id"), nullable=False, index=True)
    agency: Mapped["IntermediaryAgency"] = relationship()
    purchase_id: Mapped[Optional[int]] = mapped_column(ForeignKey("intermediary_purchase.id", ondelete="SET NULL"))
    purchase: Mapped[Optional["IntermediaryPurchase"]] = relationship()
    complainant: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[ComplaintState] = mapped_column(
        enum_column(ComplaintState), nullable=False, default=ComplaintState.open
    )
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    recorded_by: Mapped[str] = mapped_column(String(128), nullable=False)
    handling: Mapped[Optional[str]] = mapped_column(Text)
    handled_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    handled_by: Mapped[Optional[str]] = mapped_column(String(128))


# Short names for the plugin's own code; the mapped class names carry the plugin key,
# because FAB's one declarative registry is shared with every other plugin.
Agency, Purchase, Bid = IntermediaryAgency, IntermediaryPurchase, IntermediaryBid
Selection, Evaluation, Complaint = IntermediarySelection, IntermediaryEvaluation, IntermediaryComplaint
