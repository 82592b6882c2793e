"""audit checkpoints

Revision ID: 0011_audit_checkpoints
Revises: 0010_licence_verify_code
Create Date: 2026-12-02

Signed audit checkpoints: the Merkle root of every case's chain head, signed with SM2
under a key kept outside the database (``onewindow audit checkpoint``, daily job), and
the heads each checkpoint signed, so ``onewindow audit verify`` detects a timeline
rewritten with recomputed hashes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_audit_checkpoints"
down_revision = "0010_licence_verify_code"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("case_count", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ow_audit_checkpoint_created_at", "ow_audit_checkpoint", ["created_at"], unique=False)
    op.create_table(
        "ow_audit_checkpoint_head",
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["checkpoint_id"], ["ow_audit_checkpoint.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("checkpoint_id", "case_id"),
    )


def downgrade() -> None:
    op.drop_table("ow_audit_checkpoint_head")
    op.drop_index("ix_ow_audit_checkpoint_created_at", table_name="ow_audit_checkpoint")
    op.drop_table("ow_audit_checkpoint")
