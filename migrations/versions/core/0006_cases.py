"""cases

Revision ID: 0006_cases
Revises: 0005_licences
Create Date: 2026-11-24

Cases (办件): case, materials, department steps, hash-chained events, notices, daily serials.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_cases"
down_revision = "0005_licences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_case_serial",
        sa.Column("prefix", sa.String(length=39), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix"),
    )
    op.create_table(
        "ow_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=43), nullable=False),
        sa.Column("query_code", sa.String(length=8), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "pre_reviewed",
                "correction",
                "rejected",
                "in_review",
                "suspended",
                "approved",
                "denied",
                "at_output",
                "posted",
                "delivered",
                "withdrawn",
                name="casestate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("window", "online", "post", "terminal", name="channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column(
            "applicant_type",
            sa.Enum("person", "company", name="applicanttype", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_id", sa.String(length=18), nullable=False),
        sa.Column("applicant_phone", sa.String(length=40), nullable=True),
        sa.Column("applicant_address", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("pre_review_due", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("correction_deadline", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_confirmed", sa.Boolean(), nullable=False),
        sa.Column("pickup_date", sa.Date(), nullable=True),
        sa.Column("stopped_days", sa.Integer(), nullable=False),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("suspended_since", sa.Date(), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("supply_deadline", sa.Date(), nullable=True),
        sa.Column("corrections_issued", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("result_summary", sa.Text(), nullable=True),
        sa.Column("licence_identifier", sa.String(length=120), nullable=True),
        sa.Column("delivery_method", sa.String(length=20), nullable=True),
        sa.Column("tracking_number", sa.String(length=40), nullable=True),
        sa.Column("signee", sa.String(length=100), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["ow_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["ow_window.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_case_applicant_id"), ["applicant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_pre_review_due"), ["pre_review_due"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_state"), ["state"], unique=False)
        batch_op.create_index("ix_ow_case_state_due", ["state", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_supply_deadline"), ["supply_deadline"], unique=False)

    op.create_table(
        "ow_case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "seq", name="uq_ow_case_event_seq"),
    )
    with op.batch_alter_table("ow_case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "ow_case_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "from_library",
                "deferred",
                "missing",
                "faulty",
                "not_needed",
                name="materialstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("licence_identifier", sa.String(length=120), nullable=True),
        sa.Column("supplied_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["ow_item_material.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_case_material", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_case_material_case_id"), ["case_id"], unique=False)

    op.create_table(
        "ow_case_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_case_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_case_notice_case_id"), ["case_id"], unique=False)

    op.create_table(
        "ow_case_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("parallel", sa.Boolean(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("silence_consents", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "waiting",
                "active",
                "approved",
                "consented",
                "denied",
                "returned",
                "closed",
                name="stepstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("handover_signed_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_case_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_case_step_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_step_department_id"), ["department_id"], unique=False)
        batch_op.create_index("ix_ow_case_step_dept_state", ["department_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_case_step_due_date"), ["due_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ow_case_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_case_step_due_date"))
        batch_op.drop_index("ix_ow_case_step_dept_state")
        batch_op.drop_index(batch_op.f("ix_ow_case_step_department_id"))
        batch_op.drop_index(batch_op.f("ix_ow_case_step_case_id"))

    op.drop_table("ow_case_step")
    with op.batch_alter_table("ow_case_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_case_notice_case_id"))

    op.drop_table("ow_case_notice")
    with op.batch_alter_table("ow_case_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_case_material_case_id"))

    op.drop_table("ow_case_material")
    with op.batch_alter_table("ow_case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_case_event_case_id"))

    op.drop_table("ow_case_event")
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_case_supply_deadline"))
        batch_op.drop_index("ix_ow_case_state_due")
        batch_op.drop_index(batch_op.f("ix_ow_case_state"))
        batch_op.drop_index(batch_op.f("ix_ow_case_pre_review_due"))
        batch_op.drop_index(batch_op.f("ix_ow_case_item_id"))
        batch_op.drop_index(batch_op.f("ix_ow_case_due_date"))
        batch_op.drop_index(batch_op.f("ix_ow_case_department_id"))
        batch_op.drop_index(batch_op.f("ix_ow_case_applicant_id"))

    op.drop_table("ow_case")
    op.drop_table("ow_case_serial")
