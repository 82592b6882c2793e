"""intermediary: agencies, purchases, bids, selections, evaluations, complaints

Revision ID: i0001_intermediary
Revises:
Create Date: 2026-11-26

The first revision of the plugin's own branch ``intermediary``; it needs the core's
organisation and case tables (0006_cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0001_intermediary"
down_revision = None
branch_labels = ("intermediary",)
depends_on = "0006_cases"


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "intermediary_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("service_types", sa.JSON(), nullable=False),
        sa.Column("qualifications", sa.JSON(), nullable=False),
        sa.Column("staff", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("status", _enum("agencystatus", "active", "suspended", "blacklisted"), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("score", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("evaluation_count", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("registered_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code"),
    )
    op.create_table(
        "intermediary_agency_department",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["intermediary_agency.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.PrimaryKeyConstraint("agency_id", "department_id"),
    )
    op.create_table(
        "intermediary_purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_credit_code", sa.String(length=18), nullable=False),
        sa.Column("government_funded", sa.Boolean(), nullable=False),
        sa.Column("posting_department_id", sa.Integer(), nullable=True),
        sa.Column("approving_department_id", sa.Integer(), nullable=False),
        sa.Column("service_type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("budget_ceiling", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("method", _enum("method", "lowest_price", "random_draw", "quality_price"), nullable=False),
        sa.Column("signup_opens", sa.Date(), nullable=False),
        sa.Column("signup_closes", sa.Date(), nullable=False),
        sa.Column(
            "state",
            _enum("purchasestate", "open", "selected", "contracted", "completed", "filed", "evaluated", "cancelled"),
            nullable=False,
        ),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        sa.Column("posted_by", sa.String(length=128), nullable=False),
        sa.Column("contract_number", sa.String(length=60), nullable=True),
        sa.Column("contract_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("contract_signed_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completion_note", sa.Text(), nullable=True),
        sa.Column("filing_number", sa.String(length=60), nullable=True),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["approving_department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["posting_department_id"], ["ow_department.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "intermediary_bid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("quality_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("signed_up_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["intermediary_agency.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["intermediary_purchase.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purchase_id", "agency_id", name="uq_intermediary_bid_agency"),
    )
    op.create_index("ix_intermediary_bid_purchase_id", "intermediary_bid", ["purchase_id"])
    op.create_index("ix_intermediary_bid_agency_id", "intermediary_bid", ["agency_id"])
    op.create_table(
        "intermediary_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("method", _enum("method", "lowest_price", "random_draw", "quality_price"), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result_bid_id", sa.Integer(), nullable=False),
        sa.Column("selected_at", sa.DateTime(), nullable=False),
        sa.Column("selected_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["purchase_id"], ["intermediary_purchase.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["result_bid_id"], ["intermediary_bid.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purchase_id"),
    )
    op.create_table(
        "intermediary_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("time_score", sa.Integer(), nullable=False),
        sa.Column("quality_score", sa.Integer(), nullable=False),
        sa.Column("price_score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.Column("evaluated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["intermediary_agency.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["intermediary_purchase.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purchase_id"),
    )
    op.create_index("ix_intermediary_evaluation_agency_id", "intermediary_evaluation", ["agency_id"])
    op.create_table(
        "intermediary_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=True),
        sa.Column("complainant", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", _enum("complaintstate", "open", "handled"), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("handling", sa.Text(), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["intermediary_agency.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["intermediary_purchase.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_intermediary_complaint_agency_id", "intermediary_complaint", ["agency_id"])


def downgrade() -> None:
    for table in (
        "intermediary_complaint",
        "intermediary_evaluation",
        "intermediary_selection",
        "intermediary_bid",
        "intermediary_purchase",
        "intermediary_agency_department",
        "intermediary_agency",
    ):
        op.drop_table(table)
