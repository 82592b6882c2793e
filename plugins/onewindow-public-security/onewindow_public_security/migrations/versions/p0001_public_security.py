"""public_security: in-person captures

Revision ID: p0001_public_security
Revises:
Create Date: 2026-11-26

The first revision of the plugin's own branch ``public_security``; it needs the core's
case tables (0006_cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0001_public_security"
down_revision = None
branch_labels = ("public_security",)
depends_on = "0006_cases"


def upgrade() -> None:
    op.create_table(
        "public_security_capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("captured_by", sa.String(length=128), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number"),
    )
    op.create_index("ix_public_security_capture_department_id", "public_security_capture", ["department_id"])


def downgrade() -> None:
    op.drop_table("public_security_capture")
