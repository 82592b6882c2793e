"""Cases (办件): the application, its materials, department steps, notices and events.

A case changes only through ``onewindow.cases.engine``. ``version`` is SQLAlchemy's
optimistic lock: two staff acting on the same case at once get one success and one
:class:`~onewindow.cases.errors.ConflictError`. Events are append-only and chained by
hash; ``onewindow audit verify`` names any broken link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.models.bundles import Bundle
from onewindow.models.items import Item, Material
from onewindow.models.org import Department, LabelledEnum, Window, enum_column


def utcnow() -> dt.datetime:
    """Beijing local time, naive (the centre's business clock; stored as such)."""
    from onewindow.cases.clock import now

    return now()


class Channel(LabelledEnum):
    """受理渠道 [DOMAIN: A case, step 1]."""

    window = _l("At the window")
    online = _l("Online")
    post = _l("By post")
    terminal = _l("Self-service terminal")


class ApplicantType(LabelledEnum):
    person = _l("Natural person")
    company = _l("Legal person or organisation")


class CaseState(LabelledEnum):
    submitted = _l("Submitted, awaiting pre-review")  # 网上申请待预审
    pre_reviewed = _l("Pre-review passed, awaiting originals")  # 预审通过，待核验原件
    correction = _l("Awaiting corrections")  # 补齐补正
    rejected = _l("Not accepted")  # 不予受理
    in_review = _l("Under review")  # 审批中
    suspended = _l("Clock stopped (special procedure)")  # 特别程序
    approved = _l("Approved, result being prepared")  # 准予许可
    denied = _l("Denied")  # 不予许可
    at_output = _l("At the output window")  # 已交出件窗口
    posted = _l("Posted to the applicant")  # 已邮寄
    delivered = _l("Delivered")  # 已送达
    withdrawn = _l("Withdrawn by the applicant")  # 申请人撤回


#: States in which the case's clock runs or may run again (supervision scans these).
OPEN_STATES = {
    CaseState.submitted,
    CaseState.pre_reviewed,
    CaseState.correction,
    CaseState.in_review,
    CaseState.suspended,
    CaseState.approved,
    CaseState.at_output,
    CaseState.posted,
}
FINAL_STATES = {CaseState.rejected, CaseState.denied, CaseState.delivered, CaseState.withdrawn}


class MaterialStatus(LabelledEnum):
    submitted = _l("Handed in")
    from_library = _l("Pulled from the e-licence library")
    deferred = _l("Deferred (容缺)")
    missing = _l("Missing")
    faulty = _l("Needs correction")
    not_needed = _l("Not applicable")


class StepState(LabelledEnum):
    waiting = _l("Waiting for an earlier step")
    active = _l("In the department's inbox")
    approved = _l("Approved")
    consented = _l("Consent by silence at the deadline")  # 超时默认
    denied = _l("Denied")
    returned = _l("Returned for correction")
    closed = _l("Closed by another department's decision")


class Case(Model):
    __tablename__ = "ow_case"
    __table_args__ = (
        Index("ix_ow_case_state_due", "state", "due_date"),
        # A department's cases, per state, oldest/newest first: the inbox queues at 1,000,000
        # cases (migration 0007).
        Index("ix_ow_case_dept_state", "department_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(43), unique=True, nullable=False)  # 办件编号
    query_code: Mapped[str] = mapped_column(String(8), nullable=False)  # printed on the notice
    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id"), nullable=False, index=True)
    item: Mapped[Item] = relationship()
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    department: Mapped[Department] = relationship()  # implementing (lead) department
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState), nullable=False, index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), nullable=False)
    window_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_window.id"))
    window: Mapped[Optional[Window]] = relationship()

    applicant_type: Mapped[ApplicantType] = mapped_column(enum_column(ApplicantType), nullable=False)
    applicant_name: Mapped[str] = mapped_column(String(200), nullable=False)
    applicant_id: Mapped[str] = mapped_column(String(18), nullable=False, index=True)  # 身份证号 / 信用代码
    applicant_phone: Mapped[Optional[str]] = mapped_column(String(40))
    applicant_address: Mapped[Optional[str]] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    received_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    pre_review_due: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    accepted_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    accepted_by: Mapped[Optional[str]] = mapped_column(String(128))  # 受理人: the window staff of the last acceptance
    correction_deadline: Mapped[Optional[dt.date]] = mapped_column(Date)  # department's correction limit
    due_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    due_confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    pickup_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    stopped_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # §45 suspended working days
    extended_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # §42 extension
    suspended_since: Mapped[Optional[dt.date]] = mapped_column(Date)
    simulated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 模拟审批 under 容缺受理
    supply_deadline: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    corrections_issued: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    decision: Mapped[Optional[str]] = mapped_column(String(20))  # approved / denied
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    result_summary: Mapped[Optional[str]] = mapped_column(Text)
    licence_identifier: Mapped[Optional[str]] = mapped_column(String(120))
    delivery_method: Mapped[Optional[str]] = mapped_column(String(20))  # pickup / post
    tracking_number: Mapped[Optional[str]] = mapped_column(String(40))
    signee: Mapped[Optional[str]] = mapped_column(String(100))
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    confidential: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    # head of the event hash chain: seq and hash of the last event (onewindow.cases.core)
    chain_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    chain_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="0" * 64, server_default="0" * 64)

    # 一件事一次办: a bundle is accepted as one parent case (``bundle_id`` set, no parent)
    # with a child case per applicable member (``bundle_id`` and ``parent_id`` set)
    bundle_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_bundle.id"), index=True)
    bundle: Mapped[Optional[Bundle]] = relationship()
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_case.id"), index=True)

    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}

    materials: Mapped[list["CaseMaterial"]] = relationship(
        back_populates="case", order_by="CaseMaterial.position", cascade="all, delete-orphan"
    )
    steps: Mapped[list["CaseStep"]] = relationship(
        back_populates="case", order_by="CaseStep.position", cascade="all, delete-orphan"
    )
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.seq", cascade="all, delete-orphan"
    )
    notices: Mapped[list["Notice"]] = relationship(
        back_populates="case", order_by="Notice.id", cascade="all, delete-orphan"
    )

    # written by setting ``parent_id`` (the parent is stored first): read-only relationships
    parent: Mapped[Optional["Case"]] = relationship(remote_side=[id], viewonly=True)
    children: Mapped[list["Case"]] = relationship(viewonly=True, order_by="Case.id")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_bundle(self) -> bool:
        """The parent case of a bundle (一件事): its members are its children."""
        return self.bundle_id is not None and self.parent_id is None

    @property
    def held(self) -> bool:
        """A bundle's member accepted and routed but waiting for the members it comes after
        (``after`` in the pack): none of its steps has started (``cases.bundles.release_waiting``)."""
        return (
            self.parent_id is not None
            and self.state == CaseState.in_review
            and bool(self.steps)
            and all(s.state == StepState.waiting for s in self.steps)
        )

    @property
    def review_materials(self) -> list["CaseMaterial"]:
        """The materials a reviewer can name a problem on: the case's own; for a bundle's
        parent its members' materials, a material several members need once."""
        if not self.is_bundle:
            return list(self.materials)
        seen: dict[str, CaseMaterial] = {}
        for child in self.children:
            for m in child.materials:
                seen.setdefault(m.name, m)
        return list(seen.values())

    @property
    def bundle_materials(self) -> list[tuple[str, list["CaseMaterial"], list["CaseMaterialFile"]]]:
        """A bundle's materials as its lead department reviews them: each material once (by
        name, in the members' order), with the member materials it stands for and their
        files (a file shared by several members once)."""
        seen: dict[str, list[CaseMaterial]] = {}
        for child in self.children if self.is_bundle else []:
            for m in child.materials:
                seen.setdefault(m.name, []).append(m)
        out = []
        for name, mats in seen.items():
            files = {f.sha256: f for m in reversed(mats) for f in m.files}  # the first member's row wins
            out.append((name, mats, sorted(files.values(), key=lambda f: f.id)))
        return out

    @property
    def masked_id(self) -> str:
        """The applicant's ID as lists and public pages show it (masked)."""
        from onewindow.validators import mask_resident_id

        return mask_resident_id(self.applicant_id)

    @property
    def outstanding_deferred(self) -> list["CaseMaterial"]:
        return [m for m in self.materials if m.status == MaterialStatus.deferred]

    def __repr__(self) -> str:
        return self.number


class CaseMaterial(Model):
    """One entry of the item's materials list as it stands for this case."""

    __tablename__ = "ow_case_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(back_populates="materials")
    material_id: Mapped[int] = mapped_column(ForeignKey("ow_item_material.id"), nullable=False)
    material: Mapped[Material] = relationship()
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[MaterialStatus] = mapped_column(enum_column(MaterialStatus), nullable=False)
    problem: Mapped[Optional[str]] = mapped_column(Text)  # what to correct
    licence_identifier: Mapped[Optional[str]] = mapped_column(String(120))  # pulled e-licence
    supplied_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    files: Mapped[list["CaseMaterialFile"]] = relationship(
        back_populates="case_material", order_by="CaseMaterialFile.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.name


class UTCDateTime(TypeDecorator):
    """An aware UTC timestamp on every database (SQLite keeps no zone: stored as UTC, read back aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(dt.timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class FileChannel(LabelledEnum):
    """Through which channel a file came (收件渠道)."""

    window = _l("At the window")
    online = _l("Online")
    api = _l("Through the API")


class CaseMaterialFile(Model):
    """One stored file of a case material (电子材料): a scan, photo, PDF or OFD.

    The bytes live in the file store (``onewindow.storage``) under ``storage_key``; the
    SHA-256 is also in the event that added the file, so the hash chain covers it."""

    __tablename__ = "ow_case_material_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_material_id: Mapped[int] = mapped_column(
        ForeignKey("ow_case_material.id", ondelete="CASCADE"), nullable=False, index=True
    )
    case_material: Mapped[CaseMaterial] = relationship(back_populates="files")
    original_name: Mapped[str] = mapped_column(String(200), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    page_count: Mapped[Optional[int]] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # not unique: a reused file (材料复用) points at the bytes of its source (migration 0015)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    added_by: Mapped[str] = mapped_column(String(128), nullable=False)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    channel: Mapped[FileChannel] = mapped_column(enum_column(FileChannel), nullable=False)
    #: the earlier case's file this one reuses (same bytes, same SHA-256); None: handed in here
    reused_from_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("ow_case_material_file.id", ondelete="SET NULL"), index=True
    )
    reused_from: Mapped[Optional["CaseMaterialFile"]] = relationship(remote_side="CaseMaterialFile.id")
    #: when retention purged the bytes (the row, its SHA-256 and the archive package stay)
    purged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return self.original_name


class CaseArchive(Model):
    """The e-archive package (电子归档包) of a closed case: a zip in the file store."""

    __tablename__ = "ow_case_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), nullable=False, unique=True)
    case: Mapped[Case] = relationship()
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # of the whole zip
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)


class CaseStep(Model):
    """A department's part of the back-office approval of one case."""

    __tablename__ = "ow_case_step"
    __table_args__ = (
        # The inbox: a department's active steps, most urgent first (migration 0018).
        Index("ix_ow_case_step_dept_state_due", "department_id", "state", "due_date", "id"),
        # "Does D still have a step in this case?" (the triggers of ow_case_department, migration
        # 0020) and the API's department filter, from the index alone (migration 0007).
        Index("ix_ow_case_step_dept_case", "department_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(back_populates="steps")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    department: Mapped[Department] = relationship()
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    parallel: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    task: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    silence_consents: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[StepState] = mapped_column(enum_column(StepState), nullable=False)
    started_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    due_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decided_by: Mapped[Optional[str]] = mapped_column(String(128))
    opinion: Mapped[Optional[str]] = mapped_column(Text)
    handover_signed_by: Mapped[Optional[str]] = mapped_column(String(128))  # 材料交接表

    def __repr__(self) -> str:
        return f"{self.case.number} · {self.department}"


class CaseDepartment(Model):
    """A department a case involves: its lead department or one with a step in it (the
    department scope of ``cases.scope``), each pair once.

    Written by the database alone: triggers of migration ``0020_case_departments`` keep it
    in the same transaction as every insert, update and delete of ``ow_case`` and
    ``ow_case_step``, whoever issues them. Read-only for the application.
    """

    __tablename__ = "ow_case_department"

    #: no foreign key: each pair comes from a case's or a step's department, which have one
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), primary_key=True, index=True)


class CaseEvent(Model):
    """Append-only trace (全程留痕): who, when, from, to, why; chained by SHA-256."""

    __tablename__ = "ow_case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_ow_case_event_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(back_populates="events")
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    from_state: Mapped[Optional[str]] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20), nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class Notice(Model):
    """A document issued for a case (受理通知书, 补齐补正通知书, …), frozen when issued."""

    __tablename__ = "ow_case_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(back_populates="notices")
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_department.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(128), nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class CaseSerial(Model):
    """Daily serial of the 43-character case number, per implementation code."""

    __tablename__ = "ow_case_serial"

    prefix: Mapped[str] = mapped_column(String(39), primary_key=True)  # implementation code + yyyyMMdd
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
