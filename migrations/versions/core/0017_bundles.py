"""bundles (一件事一次办)

Revision ID: 0017_bundles
Revises: 0016_archive_retention
Create Date: 2026-12-02

``ow_bundle`` and ``ow_bundle_member``: bundles of items a county declares in its pack
(``bundles:``), each member with its condition on the intake answers and the members it waits for.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_bundles"
down_revision = "0016_archive_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_bundle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_key", sa.String(length=60), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), nullable=False),
        sa.Column("output_window_id", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("same_materials", sa.JSON(), nullable=False),
        sa.Column("declared_days", sa.Integer(), nullable=True),
        sa.Column("computed_days", sa.Integer(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("guide", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_on", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_department_id"], ["ow_department.id"]),
        sa.ForeignKeyConstraint(["output_window_id"], ["ow_window.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_key", "code", name="uq_ow_bundle_pack_code"),
    )
    op.create_index("ix_ow_bundle_pack_key", "ow_bundle", ["pack_key"])
    op.create_table(
        "ow_bundle_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("basic_code", sa.String(length=12), nullable=False),
        sa.Column("implementation_code", sa.String(length=31), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("field_keys", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bundle_id"], ["ow_bundle.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ow_bundle_member_bundle_id", "ow_bundle_member", ["bundle_id"])
    op.create_index("ix_ow_bundle_member_implementation_code", "ow_bundle_member", ["implementation_code"])


def downgrade() -> None:
    op.drop_index("ix_ow_bundle_member_implementation_code", table_name="ow_bundle_member")
    op.drop_index("ix_ow_bundle_member_bundle_id", table_name="ow_bundle_member")
    op.drop_table("ow_bundle_member")
    op.drop_index("ix_ow_bundle_pack_key", table_name="ow_bundle")
    op.drop_table("ow_bundle")
