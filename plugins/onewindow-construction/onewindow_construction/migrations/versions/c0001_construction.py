"""construction: projects, phases, project cases, joint tasks, sign-offs, fees, agents

Revision ID: c0001_construction
Revises:
Create Date: 2026-11-26

The first revision of the plugin's own branch ``construction``; it needs the core's
organisation, staff and case tables (0006_cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0001_construction"
down_revision = None
branch_labels = ("construction",)
depends_on = "0006_cases"


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "construction_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_credit_code", sa.String(length=18), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("total_investment", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "construction_phase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("key", _enum("phasekey", "initiation", "land", "planning", "permit", "acceptance"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.JSON(), nullable=False),
        sa.Column("limit_days", sa.Integer(), nullable=False),
        sa.Column("state", _enum("phasestate", "waiting", "open", "complete"), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("commitment", sa.Boolean(), nullable=False),
        sa.Column("commitment_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["lead_department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["construction_project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "key", name="uq_construction_phase_key"),
    )
    op.create_index("ix_construction_phase_project_id", "construction_phase", ["project_id"])
    op.create_table(
        "construction_project_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["phase_id"], ["construction_phase.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["construction_project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index("ix_construction_project_case_project_id", "construction_project_case", ["project_id"])
    op.create_index("ix_construction_project_case_phase_id", "construction_project_case", ["phase_id"])
    op.create_table(
        "construction_joint_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("jointkind", "survey", "drawing_review", "mapping", "acceptance"), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["phase_id"], ["construction_phase.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_construction_joint_task_phase_id", "construction_joint_task", ["phase_id"])
    op.create_table(
        "construction_signoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.String(length=128), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["construction_joint_task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "department_id", name="uq_construction_signoff_dept"),
    )
    op.create_index("ix_construction_signoff_task_id", "construction_signoff", ["task_id"])
    op.create_table(
        "construction_fee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stage", _enum("feestage", "land", "permit", "acceptance"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("receipt_number", sa.String(length=60), nullable=True),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["construction_project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_construction_fee_project_id", "construction_fee", ["project_id"])
    op.create_table(
        "construction_agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["construction_project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id"),
    )
    op.create_index("ix_construction_agent_staff_id", "construction_agent", ["staff_id"])


def downgrade() -> None:
    for table in (
        "construction_agent",
        "construction_fee",
        "construction_signoff",
        "construction_joint_task",
        "construction_project_case",
        "construction_phase",
        "construction_project",
    ):
        op.drop_table(table)
