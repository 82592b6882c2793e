"""item packs

Revision ID: 0003_packs
Revises: 0002_items
Create Date: 2026-11-25

Installed item packs and their history; the content hash that keeps unchanged items
from getting a new version on upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_packs"
down_revision = "0002_items"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("installed_by", sa.String(length=128), nullable=False),
        sa.Column("installed_on", sa.DateTime(), nullable=False),
        sa.Column("updated_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "ow_pack_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_key", sa.String(length=60), nullable=False),
        sa.Column(
            "action",
            sa.Enum("install", "upgrade", "uninstall", name="packaction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("from_version", sa.String(length=20), nullable=True),
        sa.Column("to_version", sa.String(length=20), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_pack_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_pack_event_pack_key"), ["pack_key"], unique=False)
    with op.batch_alter_table("ow_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ow_item", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
    with op.batch_alter_table("ow_pack_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_pack_event_pack_key"))
    op.drop_table("ow_pack_event")
    op.drop_table("ow_pack")
