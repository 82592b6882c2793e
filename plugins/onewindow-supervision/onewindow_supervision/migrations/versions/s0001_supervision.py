"""supervision: cards, evaluations, rectifications, complaints, monthly reports

Revision ID: s0001_supervision
Revises:
Create Date: 2026-11-25

The first revision of the plugin's own branch ``supervision``; it needs the core's
case tables (0006_cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001_supervision"
down_revision = None
branch_labels = ("supervision",)
depends_on = "0006_cases"


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "supervision_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "rule",
            _enum(
                "cardrule",
                "case_due",
                "step_due",
                "pre_review_due",
                "deemed_acceptance",
                "supply_due",
                "rectification_due",
                "material_demand",
            ),
            nullable=False,
        ),
        sa.Column("level", _enum("cardlevel", "yellow", "red"), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("staff", sa.String(length=128), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_reason", sa.String(length=40), nullable=True),
        sa.Column("escalated_to", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["step_id"], ["ow_case_step.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervision_card_case_id", "supervision_card", ["case_id"])
    op.create_index("ix_supervision_card_dept_open", "supervision_card", ["department_id", "cleared_at"])
    op.create_index("ix_supervision_card_rule_due", "supervision_card", ["rule", "due_date"])
    # one open card per rule and subject: what makes double runs and two schedulers harmless
    op.create_index(
        "uq_supervision_card_open",
        "supervision_card",
        ["rule", "subject_id"],
        unique=True,
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )

    op.create_table(
        "supervision_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            _enum("evaluationlevel", "very_satisfied", "satisfied", "fair", "dissatisfied", "very_dissatisfied"),
            nullable=False,
        ),
        sa.Column("channel", _enum("evaluationchannel", "window", "online", "phone"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("staff", sa.String(length=128), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("appeal_state", _enum("appealstate", "pending", "upheld", "rejected"), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appealed_by", sa.String(length=128), nullable=True),
        sa.Column("appealed_at", sa.DateTime(), nullable=True),
        sa.Column("appeal_decision", sa.Text(), nullable=True),
        sa.Column("appeal_decided_by", sa.String(length=128), nullable=True),
        sa.Column("appeal_decided_at", sa.DateTime(), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index("ix_supervision_evaluation_department_id", "supervision_evaluation", ["department_id"])
    op.create_index("ix_supervision_evaluation_evaluated_at", "supervision_evaluation", ["evaluated_at"])

    op.create_table(
        "supervision_rectification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", _enum("rectificationstate", "open", "submitted", "closed", "cancelled"), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=128), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("callback_by", sa.String(length=128), nullable=True),
        sa.Column("callback_at", sa.DateTime(), nullable=True),
        sa.Column("callback_result", sa.Text(), nullable=True),
        sa.Column("callback_satisfied", sa.Boolean(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["evaluation_id"], ["supervision_evaluation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("evaluation_id"),
    )
    op.create_index("ix_supervision_rectification_case_id", "supervision_rectification", ["case_id"])
    op.create_index("ix_supervision_rectification_deadline", "supervision_rectification", ["deadline"])
    op.create_index("ix_supervision_rectification_department_id", "supervision_rectification", ["department_id"])

    op.create_table(
        "supervision_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("channel", _enum("complaintchannel", "hotline", "window", "online", "letter"), nullable=False),
        sa.Column("target", _enum("complainttarget", "case", "window", "department"), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("complainant", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", _enum("complaintstate", "received", "assigned", "handled", "closed"), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("received_by", sa.String(length=128), nullable=False),
        sa.Column("assigned_by", sa.String(length=128), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("handling", sa.Text(), nullable=True),
        sa.Column("handled_by", sa.String(length=128), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_supervision_complaint_case_id", "supervision_complaint", ["case_id"])
    op.create_index("ix_supervision_complaint_department_id", "supervision_complaint", ["department_id"])

    op.create_table(
        "supervision_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("generated_at", sa.DateTime(), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period"),
    )

    op.create_table(
        "supervision_scan_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("upper", sa.Date(), nullable=True),
        sa.Column("lower", sa.Date(), nullable=True),
        sa.Column("full_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("supervision_scan_state")
    op.drop_table("supervision_report")
    op.drop_table("supervision_complaint")
    op.drop_table("supervision_rectification")
    op.drop_table("supervision_evaluation")
    op.drop_table("supervision_card")
