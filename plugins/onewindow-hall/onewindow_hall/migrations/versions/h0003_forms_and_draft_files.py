"""hall: blank forms and samples of the guides, files of drafts

Revision ID: h0003_forms_and_draft_files
Revises: h0002_applications
Create Date: 2026-12-03

``hall_form_file``: the blank forms and samples a pack ships (``hall.forms``), served on the
guide page; ``hall_draft_file``: files uploaded on a draft, moved to the case on submit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0003_forms_and_draft_files"
down_revision = "h0002_applications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hall_form_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_key", sa.String(length=60), nullable=False),
        sa.Column("basic_code", sa.String(length=12), nullable=False),
        sa.Column("material", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hall_form_file_pack_key", "hall_form_file", ["pack_key"])
    op.create_index("ix_hall_form_file_basic_code", "hall_form_file", ["basic_code"])
    op.create_table(
        "hall_draft_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["hall_draft.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["material_id"], ["ow_item_material.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hall_draft_file_draft_id", "hall_draft_file", ["draft_id"])


def downgrade() -> None:
    op.drop_table("hall_draft_file")
    op.drop_table("hall_form_file")
