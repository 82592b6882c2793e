"""idempotency keys and the scheduler lease

Revision ID: 0013_idempotency_lease
Revises: 0012_login_security
Create Date: 2026-12-02

``ow_idempotency_key``: the first answer of each REST request a client sent with an
``Idempotency-Key`` header (per user), so that a retry answers it again instead of
creating a second case. ``ow_scheduler_lease``: the scheduler leader's lease on
databases without advisory locks (SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_idempotency_lease"
down_revision = "0012_login_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("request", sa.String(length=300), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_ow_idempotency_key_user_key"),
    )
    op.create_index("ix_ow_idempotency_key_expires_at", "ow_idempotency_key", ["expires_at"])
    op.create_table(
        "ow_scheduler_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("ow_scheduler_lease")
    op.drop_index("ix_ow_idempotency_key_expires_at", table_name="ow_idempotency_key")
    op.drop_table("ow_idempotency_key")
