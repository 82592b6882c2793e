"""files on case materials

Revision ID: 0014_case_material_files
Revises: 0013_idempotency_lease
Create Date: 2026-12-02

``ow_case_material_file``: the stored files (scans, photos, PDF, OFD) of each case
material, with the SHA-256 the event that added them carries; the bytes are in the
file store (``onewindow.storage``) under ``storage_key``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_case_material_files"
down_revision = "0013_idempotency_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_case_material_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_material_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("window", "online", "api", name="filechannel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["case_material_id"], ["ow_case_material.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
    )
    op.create_index("ix_ow_case_material_file_case_material_id", "ow_case_material_file", ["case_material_id"])


def downgrade() -> None:
    op.drop_index("ix_ow_case_material_file_case_material_id", table_name="ow_case_material_file")
    op.drop_table("ow_case_material_file")
