"""login lockouts and session versions

Revision ID: 0012_login_security
Revises: 0011_audit_checkpoints
Create Date: 2026-12-02

``ow_login_lockout`` counts failed logins per login name and records lockouts (the
admin's “登录锁定” screen); ``ab_user.session_version`` is raised by logout and password
changes so that older sessions and tokens stop working; ``ow_rate_limit`` holds
Flask-Limiter's counters when ``RATE_LIMIT_STORAGE_URL = "database"`` (issue #21).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_login_security"
down_revision = "0011_audit_checkpoints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_login_lockout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("last_address", sa.String(length=64), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("lifted_by", sa.String(length=128), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "identifier", name="uq_ow_login_lockout_kind_identifier"),
    )
    with op.batch_alter_table("ow_login_lockout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_login_lockout_locked_until"), ["locked_until"], unique=False)
    op.create_table(
        "ow_rate_limit",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    op.drop_table("ow_rate_limit")
    with op.batch_alter_table("ow_login_lockout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_login_lockout_locked_until"))
    op.drop_table("ow_login_lockout")
