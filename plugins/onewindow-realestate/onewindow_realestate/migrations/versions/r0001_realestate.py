"""realestate: property units, transfers, utility follow-up tasks, mortgages

Revision ID: r0001_realestate
Revises:
Create Date: 2026-11-26

The first revision of the plugin's own branch ``realestate``; it needs the core's case
tables (0006_cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001_realestate"
down_revision = None
branch_labels = ("realestate",)
depends_on = "0006_cases"


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "realestate_property_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_number", sa.String(length=28), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("area", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("use", sa.String(length=40), nullable=False),
        sa.Column("right_type", sa.String(length=100), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=18), nullable=False),
        sa.Column("certificate", sa.String(length=120), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("mortgaged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_number"),
    )
    op.create_index("ix_realestate_property_unit_department_id", "realestate_property_unit", ["department_id"])
    op.create_index("ix_realestate_property_unit_owner_id", "realestate_property_unit", ["owner_id"])
    op.create_table(
        "realestate_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("seller_name", sa.String(length=200), nullable=False),
        sa.Column("seller_id", sa.String(length=18), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_id", sa.String(length=18), nullable=False),
        sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("first_home", sa.Boolean(), nullable=False),
        sa.Column("deed_tax_rate", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("deed_tax", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("old_certificate", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["realestate_property_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number"),
    )
    op.create_index("ix_realestate_transfer_buyer_id", "realestate_transfer", ["buyer_id"])
    op.create_index("ix_realestate_transfer_department_id", "realestate_transfer", ["department_id"])
    op.create_index("ix_realestate_transfer_unit_id", "realestate_transfer", ["unit_id"])
    op.create_table(
        "realestate_utility_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("utility", _enum("utility", "water", "electricity", "gas"), nullable=False),
        sa.Column("status", _enum("taskstatus", "pending", "in_progress", "done", "failed"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["transfer_id"], ["realestate_transfer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transfer_id", "utility", name="uq_realestate_utility_task"),
    )
    op.create_index("ix_realestate_utility_task_department_id", "realestate_utility_task", ["department_id"])
    op.create_index("ix_realestate_utility_task_transfer_id", "realestate_utility_task", ["transfer_id"])
    op.create_table(
        "realestate_mortgage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("mortgagee", sa.String(length=200), nullable=False),
        sa.Column("debt_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["realestate_property_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number"),
    )
    op.create_index("ix_realestate_mortgage_department_id", "realestate_mortgage", ["department_id"])
    op.create_index("ix_realestate_mortgage_unit_id", "realestate_mortgage", ["unit_id"])


def downgrade() -> None:
    op.drop_table("realestate_mortgage")
    op.drop_table("realestate_utility_task")
    op.drop_table("realestate_transfer")
    op.drop_table("realestate_property_unit")
