"""Service items (事项) — every element of a national item record, stored as data.

Items are versioned: one row per (implementation code, version); ``is_current`` marks
the version new cases are accepted under, and cases pin the row they were accepted
under. Set-up, change, split, delegation and cancellation are recorded as
:class:`ItemEvent` rows with who, when and why (no 明减暗增).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.models.org import Department, LabelledEnum, Window, Zone, enum_column


def _now() -> dt.datetime:
    """Beijing local time, naive: every stored timestamp follows the one clock (``onewindow.clock``)."""
    from onewindow.cases.clock import now

    return now()


class HandlingType(LabelledEnum):
    """办件类型 [003 §二 5]."""

    immediate = _l("Immediate (即办件)")
    promised = _l("Promised (承诺件)")
    joint = _l("Joint (联办件)")
    reported = _l("Reported upwards (上报件)")


class ServiceMode(LabelledEnum):
    """Hengyang's service-mode classes [001 §五(四)1]."""

    zero_visit = _l("Zero visits (零上门)")
    immediate = _l("Done on the spot (即办)")
    window_post = _l("Accept at window, deliver by post (窗口受理快递送达)")
    online_prereview = _l("Online pre-review (网上预审)")
    appointment = _l("Visit by appointment (预约上门)")


class ItemStatus(LabelledEnum):
    active = _l("In force")
    superseded = _l("Superseded by a newer version")
    cancelled = _l("Cancelled")


class Necessity(LabelledEnum):
    """材料必要性: 必要 / 非必要 / 容缺后补 (may be deferred under 容缺受理)."""

    required = _l("Required (必要)")
    optional = _l("Optional (非必要)")
    deferrable = _l("Deferrable (容缺后补)")


class MaterialForm(LabelledEnum):
    original = _l("Original")
    copy = _l("Copy")
    electronic = _l("Electronic")


class MaterialSource(LabelledEnum):
    """Government-issued materials can be pulled from the e-licence library [003 §六(四)]."""

    applicant = _l("Prepared by the applicant")
    government = _l("Issued by a government department")
    other = _l("Other")


class RoutingMode(LabelledEnum):
    sequential = _l("Sequential (串联)")
    parallel = _l("Parallel (并联)")


class FieldType(LabelledEnum):
    """Types of the low-code application-form fields."""

    text = _l("Text")
    number = _l("Number")
    date = _l("Date")
    select = _l("Choice")
    id_number = _l("Resident ID number")
    credit_code = _l("Unified social credit code")
    phone = _l("Phone number")
    address = _l("Address")


class ItemAction(LabelledEnum):
    """Lifecycle of the item itself [000 §三(二)]."""

    setup = _l("Set up")
    change = _l("Changed")
    split = _l("Split")
    delegate = _l("Delegated")
    cancel = _l("Cancelled")


class ItemType(Model):
    """事项类型 code table: data, since provinces number the types differently."""

    __tablename__ = "ow_item_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


item_joint_department = Table(
    "ow_item_joint_department",
    Model.metadata,
    Column("item_id", Integer, ForeignKey("ow_item.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Integer, ForeignKey("ow_department.id"), primary_key=True),
)

item_window = Table(
    "ow_item_window",
    Model.metadata,
    Column("item_id", Integer, ForeignKey("ow_item.id", ondelete="CASCADE"), primary_key=True),
    Column("window_id", Integer, ForeignKey("ow_window.id"), primary_key=True),
)


class Item(Model):
    """事项 (one version of it)."""

    __tablename__ = "ow_item"
    __table_args__ = (UniqueConstraint("implementation_code", "version", name="uq_ow_item_impl_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # identity
    basic_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    implementation_code: Mapped[str] = mapped_column(String(31), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    item_type_id: Mapped[int] = mapped_column(ForeignKey("ow_item_type.id"), nullable=False)
    item_type: Mapped[ItemType] = relationship()
    parent_code: Mapped[Optional[str]] = mapped_column(String(31))  # 子项: implementation code of the main item
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), nullable=False, default=ItemStatus.active)
    exercise_level: Mapped[str] = mapped_column(String(1), nullable=False, default="3")  # 行使层级 code
    pack_key: Mapped[Optional[str]] = mapped_column(String(60), index=True)
    service_area: Mapped[Optional[str]] = mapped_column(String(40))  # plugin key of the service area

    # who
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    entrusted_department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_department.id"))
    entrusted_department: Mapped[Optional[Department]] = relationship(foreign_keys=[entrusted_department_id])
    joint_departments: Mapped[list[Department]] = relationship(secondary=item_joint_department)
    zone_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_zone.id"))
    zone: Mapped[Optional[Zone]] = relationship()
    windows: Mapped[list[Window]] = relationship(secondary=item_window)

    # basis and conditions
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")
    conditions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    special_procedures: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # 听证, 检验…

    # time (working days)
    legal_days: Mapped[int] = mapped_column(Integer, nullable=False)
    promised_days: Mapped[int] = mapped_column(Integer, nullable=False)
    handling_type: Mapped[HandlingType] = mapped_column(enum_column(HandlingType), nullable=False)
    correction_limit_days: Mapped[int] = mapped_column(Integer, nullable=False, default=5)  # 行政许可法 §32
    pre_review_days: Mapped[int] = mapped_column(Integer, nullable=False, default=2)  # [003 §四(一)]
    extension_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 行政许可法 §42
    extension_rule: Mapped[str] = mapped_column(Text, nullable=False, default="")
    warning_days: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # yellow card threshold
    # years the case files are kept after closing (保管期限); None: RETENTION_YEARS of the config
    retention_years: Mapped[Optional[int]] = mapped_column(Integer)

    # mode
    service_mode: Mapped[ServiceMode] = mapped_column(enum_column(ServiceMode), nullable=False)
    visits_required: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    online_depth: Mapped[int] = mapped_column(Integer, nullable=False, default=2)  # 网上办理深度 1–4
    postal_delivery: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    appointment: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    in_person_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # photo, fingerprints
    confidential: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 涉密 [003 §四(八)]

    # fees: [{"name", "standard", "basis"}]
    charged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    joint_fee: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    # routing and form
    routing_mode: Mapped[RoutingMode] = mapped_column(
        enum_column(RoutingMode), nullable=False, default=RoutingMode.sequential
    )
    form_key: Mapped[Optional[str]] = mapped_column(String(80))  # a plugin-provided form
    licence_type_code: Mapped[Optional[str]] = mapped_column(String(40))  # result licence, if any

    # guide
    guide: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # SHA-256 of the item as declared in its pack: an unchanged item makes no new version.
    content_hash: Mapped[Optional[str]] = mapped_column(String(64))

    created_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)

    materials: Mapped[list["Material"]] = relationship(
        back_populates="item", order_by="Material.position", cascade="all, delete-orphan"
    )
    steps: Mapped[list["RoutingStep"]] = relationship(
        back_populates="item", order_by="RoutingStep.position", cascade="all, delete-orphan"
    )
    fields: Mapped[list["FormField"]] = relationship(
        back_populates="item", order_by="FormField.position", cascade="all, delete-orphan"
    )
    faqs: Mapped[list["ItemFaq"]] = relationship(
        back_populates="item", order_by="ItemFaq.position", cascade="all, delete-orphan"
    )

    @property
    def lead_step(self) -> Optional["RoutingStep"]:
        return next((s for s in self.steps if s.is_lead), None)

    def __repr__(self) -> str:
        return f"{self.name}（{self.basic_code}）"


class Material(Model):
    """受理清单 entry: nothing outside the list may be demanded [003 §二 2]."""

    __tablename__ = "ow_item_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id", ondelete="CASCADE"), nullable=False, index=True)
    item: Mapped[Item] = relationship(back_populates="materials")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    necessity: Mapped[Necessity] = mapped_column(enum_column(Necessity), nullable=False)
    form: Mapped[MaterialForm] = mapped_column(enum_column(MaterialForm), nullable=False)
    copies: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    source: Mapped[MaterialSource] = mapped_column(enum_column(MaterialSource), nullable=False)
    licence_type_code: Mapped[Optional[str]] = mapped_column(String(40))  # pulled from the e-licence library
    sample_ref: Mapped[Optional[str]] = mapped_column(String(200))
    standard: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def __repr__(self) -> str:
        return self.name


class RoutingStep(Model):
    """A department's step in the back-office approval of an item."""

    __tablename__ = "ow_item_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id", ondelete="CASCADE"), nullable=False, index=True)
    item: Mapped[Item] = relationship(back_populates="steps")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    department: Mapped[Department] = relationship()
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    silence_consents: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 超时默认
    task: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    def __repr__(self) -> str:
        return f"{self.position}. {self.department}"


class FormField(Model):
    """A field of the low-code application form, declared as data."""

    __tablename__ = "ow_item_field"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id", ondelete="CASCADE"), nullable=False, index=True)
    item: Mapped[Item] = relationship(back_populates="fields")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[FieldType] = mapped_column(enum_column(FieldType), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    choices: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    regex: Mapped[Optional[str]] = mapped_column(String(200))
    help_text: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class ItemFaq(Model):
    """业务咨询知识库: a question and its answer for an item."""

    __tablename__ = "ow_item_faq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id", ondelete="CASCADE"), nullable=False, index=True)
    item: Mapped[Item] = relationship(back_populates="faqs")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False)


class ItemEvent(Model):
    """Who set up, changed, split, delegated or cancelled an item, when and why."""

    __tablename__ = "ow_item_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    implementation_code: Mapped[str] = mapped_column(String(31), nullable=False, index=True)
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_item.id"), index=True)
    item: Mapped[Optional[Item]] = relationship()
    action: Mapped[ItemAction] = mapped_column(enum_column(ItemAction), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)  # username or "pack:<key>@<version>"
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)


class PackAction(LabelledEnum):
    install = _l("Installed")
    upgrade = _l("Upgraded")
    uninstall = _l("Uninstalled")


class Pack(Model):
    """An installed item pack (事项包): a county's catalogue, versioned as a whole."""

    __tablename__ = "ow_pack"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    version: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    region_code: Mapped[Optional[str]] = mapped_column(String(12))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of the pack's files
    item_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    installed_by: Mapped[str] = mapped_column(String(128), nullable=False)
    installed_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    updated_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)

    def __repr__(self) -> str:
        return f"{self.key} {self.version}"


class PackEvent(Model):
    """History of a pack: install, upgrade, uninstall — kept after an uninstall."""

    __tablename__ = "ow_pack_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_key: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    action: Mapped[PackAction] = mapped_column(enum_column(PackAction), nullable=False)
    from_version: Mapped[Optional[str]] = mapped_column(String(20))
    to_version: Mapped[Optional[str]] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    changes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
