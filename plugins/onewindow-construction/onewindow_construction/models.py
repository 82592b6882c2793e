"""Construction projects and their phases, cases, joint tasks, fees and agents.

Every table carries the plugin key as prefix (``construction_``) and every mapped class
the prefix ``Construction`` (FAB's declarative registry is shared by all plugins).
Rows change only through :mod:`onewindow_construction.service`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Case, Department, LabelledEnum, Model, enum_column


def _now() -> dt.datetime:
    from onewindow import clock

    return clock.now()


class PhaseKey(LabelledEnum):
    initiation = _l("Project initiation")  # 立项
    land = _l("Land")  # 用地
    planning = _l("Planning")  # 规划
    permit = _l("Construction permit")  # 施工许可
    acceptance = _l("Completion acceptance")  # 验收


class PhaseState(LabelledEnum):
    waiting = _l("Waiting for the previous phase")
    open = _l("Open")
    complete = _l("Complete")


class JointKind(LabelledEnum):
    survey = _l("Joint site survey")  # 联合勘验
    drawing_review = _l("Joint drawing review")  # 联合审图
    mapping = _l("Joint surveying and mapping")  # 联合测绘
    acceptance = _l("Joint acceptance")  # 联合验收


class FeeStage(LabelledEnum):
    land = _l("Land stage")
    permit = _l("Construction permit stage")
    acceptance = _l("Completion acceptance stage")


class ConstructionProject(Model):
    __tablename__ = "construction_project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)  # 项目代码
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_credit_code: Mapped[str] = mapped_column(String(18), nullable=False)
    site: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    total_investment: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))  # 万元
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False)

    phases: Mapped[list["ConstructionPhase"]] = relationship(
        back_populates="project", order_by="ConstructionPhase.position", cascade="all, delete-orphan"
    )
    fees: Mapped[list["ConstructionFee"]] = relationship(
        back_populates="project", order_by="ConstructionFee.id", cascade="all, delete-orphan"
    )
    agent: Mapped[Optional["ConstructionAgent"]] = relationship(
        back_populates="project", uselist=False, cascade="all, delete-orphan"
    )

    def phase(self, key: str) -> "ConstructionPhase":
        return next(p for p in self.phases if p.key.name == key)

    def __repr__(self) -> str:
        return self.name


class ConstructionPhase(Model):
    __tablename__ = "construction_phase"
    __table_args__ = (UniqueConstraint("project_id", "key", name="uq_construction_phase_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("construction_project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    project: Mapped[ConstructionProject] = relationship(back_populates="phases")
    key: Mapped[PhaseKey] = mapped_column(enum_column(PhaseKey), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    lead_department: Mapped[Department] = relationship()
    responsible: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # credit codes
    limit_days: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[PhaseState] = mapped_column(enum_column(PhaseState), nullable=False, default=PhaseState.waiting)
    opened_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    due_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    completed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    commitment: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 承诺备案
    commitment_note: Mapped[Optional[str]] = mapped_column(Text)

    links: Mapped[list["ConstructionProjectCase"]] = relationship(
        back_populates="phase", order_by="ConstructionProjectCase.id"
    )
    joint_tasks: Mapped[list["ConstructionJointTask"]] = relationship(
        back_populates="phase", order_by="ConstructionJointTask.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.project} · {self.key}"


class ConstructionProjectCase(Model):
    """A core case handled as part of one phase of a project."""

    __tablename__ = "construction_project_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("construction_project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    phase_id: Mapped[int] = mapped_column(
        ForeignKey("construction_phase.id", ondelete="CASCADE"), nullable=False, index=True
    )
    phase: Mapped[ConstructionPhase] = relationship(back_populates="links")
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), nullable=False, unique=True)
    case: Mapped[Case] = relationship()


class ConstructionJointTask(Model):
    """One joint task (联合勘验/审图/测绘/验收) with one sign-off per department."""

    __tablename__ = "construction_joint_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase_id: Mapped[int] = mapped_column(
        ForeignKey("construction_phase.id", ondelete="CASCADE"), nullable=False, index=True
    )
    phase: Mapped[ConstructionPhase] = relationship(back_populates="joint_tasks")
    kind: Mapped[JointKind] = mapped_column(enum_column(JointKind), nullable=False)
    completed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    signoffs: Mapped[list["ConstructionSignoff"]] = relationship(
        back_populates="task", order_by="ConstructionSignoff.id", cascade="all, delete-orphan"
    )

    @property
    def complete(self) -> bool:
        return bool(self.signoffs) and all(s.signed_at is not None for s in self.signoffs)


class ConstructionSignoff(Model):
    __tablename__ = "construction_signoff"
    __table_args__ = (UniqueConstraint("task_id", "department_id", name="uq_construction_signoff_dept"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("construction_joint_task.id", ondelete="CASCADE"), nullable=False, index=True
    )
    task: Mapped[ConstructionJointTask] = relationship(back_populates="signoffs")
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    department: Mapped[Department] = relationship()
    opinion: Mapped[Optional[str]] = mapped_column(Text)
    signed_by: Mapped[Optional[str]] = mapped_column(String(128))
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


class ConstructionFee(Model):
    """One fee of a stage; a stage's fees are collected together (一次缴费)."""

    __tablename__ = "construction_fee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("construction_project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    project: Mapped[ConstructionProject] = relationship(back_populates="fees")
    stage: Mapped[FeeStage] = mapped_column(enum_column(FeeStage), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    basis: Mapped[str] = mapped_column(Text, nullable=False, default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    receipt_number: Mapped[Optional[str]] = mapped_column(String(60))
    added_by: Mapped[str] = mapped_column(String(128), nullable=False)

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


class ConstructionAgent(Model):
    """代办: the agent who accompanies the project through every phase [000 §三(七)]."""

    __tablename__ = "construction_agent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("construction_project.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    project: Mapped[ConstructionProject] = relationship(back_populates="agent")
    staff_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(128), nullable=False)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    assigned_by: Mapped[str] = mapped_column(String(128), nullable=False)
