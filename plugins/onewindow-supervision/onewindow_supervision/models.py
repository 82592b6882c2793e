"""E-supervision records (电子监察): cards, evaluations, rectifications, complaints, reports.

Every table carries the plugin key as prefix (``supervision_``). Cards are written
by the set-based scan (:mod:`onewindow_supervision.scan`); the partial unique index
``uq_supervision_card_open`` is what makes a double run or two schedulers harmless:
one subject (a case, a step, a rectification) has at most one open card per rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from onewindow import Case, CaseStep, Department, LabelledEnum, Model, Window, enum_column


def _now() -> dt.datetime:
    from onewindow import clock

    return clock.now()


class CardLevel(LabelledEnum):
    yellow = _l("Yellow card")  # 黄牌: about to exceed the limit
    red = _l("Red card")  # 红牌: overdue, or material demanded outside the list


class CardRule(LabelledEnum):
    """What a card is about; each rule is one source of deadlines in :mod:`.scan`."""

    case_due = _l("Case time limit")
    step_due = _l("Department step time limit")
    pre_review_due = _l("Online pre-review time limit")
    deemed_acceptance = _l("Correction notice limit passed (deemed accepted)")
    supply_due = _l("Deferred material supply deadline")
    rectification_due = _l("Rectification deadline")
    material_demand = _l("Material demanded outside the list")


class SupervisionCard(Model):
    """黄牌/红牌 [004 §二(八)1; 000 §三(十)]: raised and cleared by the scheduler."""

    __tablename__ = "supervision_card"
    __table_args__ = (
        # PostgreSQL compares the rule byte by byte, not by collation (migration s0004)
        Index(
            "uq_supervision_card_open",
            "rule",
            "subject_id",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
            postgresql_ops={"rule": "varchar_pattern_ops"},
        ),
        # the department's cards (the card list's scope), by rule; the rule in the key keeps the
        # backfill's two connections (case cards, step cards) off each other's pages (s0005)
        Index("ix_supervision_card_dept_rule", "department_id", "rule", postgresql_ops={"rule": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[CardRule] = mapped_column(enum_column(CardRule), nullable=False)
    level: Mapped[CardLevel] = mapped_column(enum_column(CardLevel), nullable=False)
    subject_id: Mapped[Optional[int]] = mapped_column(Integer)  # case, step or rectification id, per rule
    # No foreign keys (migration s0002): the scan writes a million cards at once, and a
    # key check per card per reference was most of that time. The ids come from rows the
    # scan has just read; a step deleted by a return for correction keeps its card.
    case_id: Mapped[Optional[int]] = mapped_column(Integer)
    case: Mapped[Optional[Case]] = relationship(
        primaryjoin=lambda: foreign(SupervisionCard.case_id) == Case.id, viewonly=True
    )
    step_id: Mapped[Optional[int]] = mapped_column(Integer)
    step: Mapped[Optional[CaseStep]] = relationship(
        primaryjoin=lambda: foreign(SupervisionCard.step_id) == CaseStep.id, viewonly=True
    )
    department_id: Mapped[int] = mapped_column(Integer, nullable=False)
    department: Mapped[Department] = relationship(
        primaryjoin=lambda: foreign(SupervisionCard.department_id) == Department.id, viewonly=True
    )
    window_id: Mapped[Optional[int]] = mapped_column(Integer)
    window: Mapped[Optional[Window]] = relationship(
        primaryjoin=lambda: foreign(SupervisionCard.window_id) == Window.id, viewonly=True
    )
    staff: Mapped[Optional[str]] = mapped_column(String(128))  # the acceptor of the case
    due_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    cleared_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    cleared_reason: Mapped[Optional[str]] = mapped_column(String(40))  # resolved / escalated / reviewed
    escalated_to: Mapped[str] = mapped_column(String(100), nullable=False, default="department")
    note: Mapped[Optional[str]] = mapped_column(Text)

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class EvaluationLevel(LabelledEnum):
    """好差评: five levels; the last two are bad reviews (差评)."""

    very_satisfied = _l("Very satisfied")  # 非常满意
    satisfied = _l("Satisfied")  # 满意
    fair = _l("Basically satisfied")  # 基本满意
    dissatisfied = _l("Dissatisfied")  # 不满意
    very_dissatisfied = _l("Very dissatisfied")  # 非常不满意


BAD_LEVELS = {EvaluationLevel.dissatisfied, EvaluationLevel.very_dissatisfied}


class EvaluationChannel(LabelledEnum):
    window = _l("At the window")
    online = _l("Online")
    phone = _l("By phone")
    #: 窗口评价器: the citizen's own rating on the pad facing them, right after the service.
    #: Stored as VARCHAR(32) without a CHECK constraint (``enum_column``): no schema change.
    pad = _l("Window rating pad")


class AppealState(LabelledEnum):
    pending = _l("Appeal pending")
    upheld = _l("Appeal upheld (review excluded)")
    rejected = _l("Appeal rejected")


class SupervisionEvaluation(Model):
    """电子评价 of one finished case [001 §八(四); 003 §六(二)]."""

    __tablename__ = "supervision_evaluation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id"), nullable=False, unique=True)
    case: Mapped[Case] = relationship()
    level: Mapped[EvaluationLevel] = mapped_column(enum_column(EvaluationLevel), nullable=False)
    channel: Mapped[EvaluationChannel] = mapped_column(enum_column(EvaluationChannel), nullable=False)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    window_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_window.id"))
    window: Mapped[Optional[Window]] = relationship()
    staff: Mapped[Optional[str]] = mapped_column(String(128))
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now, index=True)
    recorded_by: Mapped[str] = mapped_column(String(128), nullable=False)
    appeal_state: Mapped[Optional[AppealState]] = mapped_column(enum_column(AppealState))
    appeal_reason: Mapped[Optional[str]] = mapped_column(Text)
    appealed_by: Mapped[Optional[str]] = mapped_column(String(128))
    appealed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    appeal_decision: Mapped[Optional[str]] = mapped_column(Text)
    appeal_decided_by: Mapped[Optional[str]] = mapped_column(String(128))
    appeal_decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    excluded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # upheld appeal

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    def __repr__(self) -> str:
        return f"{self.case.number if self.case else self.case_id} · {self.level}"


class RectificationState(LabelledEnum):
    open = _l("Open, awaiting measures")
    submitted = _l("Measures submitted, awaiting callback")
    closed = _l("Closed after callback")
    cancelled = _l("Cancelled (appeal upheld)")


class SupervisionRectification(Model):
    """整改 after a bad review or a substantiated complaint, with the callback (回访)."""

    __tablename__ = "supervision_rectification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("supervision_evaluation.id"), unique=True)
    evaluation: Mapped[Optional[SupervisionEvaluation]] = relationship()
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_case.id"), index=True)
    case: Mapped[Optional[Case]] = relationship()
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[RectificationState] = mapped_column(enum_column(RectificationState), nullable=False)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    deadline: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    measures: Mapped[Optional[str]] = mapped_column(Text)
    submitted_by: Mapped[Optional[str]] = mapped_column(String(128))
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    callback_by: Mapped[Optional[str]] = mapped_column(String(128))
    callback_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    callback_result: Mapped[Optional[str]] = mapped_column(Text)
    callback_satisfied: Mapped[Optional[bool]] = mapped_column(Boolean)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"#{self.id} {self.department}"


class ComplaintChannel(LabelledEnum):
    hotline = _l("12345 hotline")
    window = _l("At the window")
    online = _l("Online")
    letter = _l("Letter")


class ComplaintTarget(LabelledEnum):
    case = _l("A case")
    window = _l("A window")
    department = _l("A department")


class ComplaintState(LabelledEnum):
    received = _l("Received")
    assigned = _l("Assigned to a department")
    handled = _l("Handled, reply drafted")
    closed = _l("Closed with a reply")


class SupervisionComplaint(Model):
    """举报投诉 (12345-style) against a case, a window or a department."""

    __tablename__ = "supervision_complaint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    channel: Mapped[ComplaintChannel] = mapped_column(enum_column(ComplaintChannel), nullable=False)
    target: Mapped[ComplaintTarget] = mapped_column(enum_column(ComplaintTarget), nullable=False)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_case.id"), index=True)
    case: Mapped[Optional[Case]] = relationship()
    window_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_window.id"))
    window: Mapped[Optional[Window]] = relationship()
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_department.id"), index=True)
    department: Mapped[Optional[Department]] = relationship()
    complainant: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[ComplaintState] = mapped_column(enum_column(ComplaintState), nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    received_by: Mapped[str] = mapped_column(String(128), nullable=False)
    assigned_by: Mapped[Optional[str]] = mapped_column(String(128))
    assigned_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    handling: Mapped[Optional[str]] = mapped_column(Text)
    handled_by: Mapped[Optional[str]] = mapped_column(String(128))
    handled_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    reply: Mapped[Optional[str]] = mapped_column(Text)
    closed_by: Mapped[Optional[str]] = mapped_column(String(128))
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return self.number


class SupervisionMonthlyReport(Model):
    """月度监察报告, generated once per month by the scheduler (idempotent by ``period``)."""

    __tablename__ = "supervision_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), nullable=False, unique=True)  # YYYY-MM
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    pdf: Mapped[Optional[bytes]] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return self.period


class SupervisionScanState(Model):
    """Where the last deadline scan stopped: the incremental scan starts from here."""

    __tablename__ = "supervision_scan_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[Optional[dt.date]] = mapped_column(Date)
    event_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # last ow_case_event id seen
    upper: Mapped[Optional[dt.date]] = mapped_column(Date)  # furthest yellow threshold of that scan
    lower: Mapped[Optional[dt.date]] = mapped_column(Date)  # nearest yellow threshold of that scan
    full_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


# Short names for the plugin's own code; the mapped classes carry the plugin prefix so
# that string look-ups in SQLAlchemy's shared registry never clash with another plugin.
Card, Evaluation, Rectification = SupervisionCard, SupervisionEvaluation, SupervisionRectification
Complaint, MonthlyReport, ScanState = SupervisionComplaint, SupervisionMonthlyReport, SupervisionScanState
