"""enterprise: the enterprise register, shareholders, credit-code counters

Revision ID: e0001_enterprise
Revises:
Create Date: 2026-11-26

The first revision of the plugin's own branch ``enterprise``; it needs the core's case
tables (0006_cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0001_enterprise"
down_revision = None
branch_labels = ("enterprise",)
depends_on = "0006_cases"


def upgrade() -> None:
    op.create_table(
        "enterprise_enterprise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("company_type", sa.String(length=100), nullable=False),
        sa.Column("registered_capital", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("business_scope", sa.Text(), nullable=False),
        sa.Column("legal_rep_name", sa.String(length=100), nullable=False),
        sa.Column("legal_rep_id", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deregistered_on", sa.Date(), nullable=True),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("last_case_number", sa.String(length=43), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_index("ix_enterprise_enterprise_case_number", "enterprise_enterprise", ["case_number"])
    op.create_index("ix_enterprise_enterprise_department_id", "enterprise_enterprise", ["department_id"])
    op.create_index("ix_enterprise_enterprise_region_code", "enterprise_enterprise", ["region_code"])
    op.create_index(
        "uq_enterprise_name_live",
        "enterprise_enterprise",
        ["region_code", "name_key"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "enterprise_shareholder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("share", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise_enterprise.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enterprise_shareholder_enterprise_id", "enterprise_shareholder", ["enterprise_id"])
    op.create_table(
        "enterprise_code_counter",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_code"),
    )


def downgrade() -> None:
    op.drop_table("enterprise_code_counter")
    op.drop_table("enterprise_shareholder")
    op.drop_table("enterprise_enterprise")
