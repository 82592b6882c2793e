"""hall: item profiles of the guides (audience, themes, keywords, pinyin) and drafts of online applications

Revision ID: h0002_applications
Revises: h0001_accounts
Create Date: 2026-12-02

The hall's tables for guides and online applications, on the plugin's branch ``hall``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0002_applications"
down_revision = "h0001_accounts"
branch_labels = None
depends_on = "0006_cases"


def upgrade() -> None:
    op.create_table(
        "hall_item_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_key", sa.String(length=60), nullable=False),
        sa.Column("basic_code", sa.String(length=12), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("initials", sa.String(length=200), nullable=False),
        sa.Column("spelling", sa.String(length=800), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_key", "basic_code", name="uq_hall_item_profile_pack_code"),
    )
    op.create_index("ix_hall_item_profile_pack_key", "hall_item_profile", ["pack_key"])
    op.create_index("ix_hall_item_profile_basic_code", "hall_item_profile", ["basic_code"])
    op.create_table(
        "hall_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["citizen_id"], ["hall_citizen.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["hall_citizen.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hall_draft_citizen_id", "hall_draft", ["citizen_id"])


def downgrade() -> None:
    op.drop_table("hall_draft")
    op.drop_table("hall_item_profile")
