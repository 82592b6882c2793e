"""notification outbox

Revision ID: 0015_notification_outbox
Revises: 0014_case_material_files
Create Date: 2026-12-02

``ow_notification``: every SMS and e-mail the platform sends (one-time codes, reminders,
notices), with the backend that took it and its outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_notification_outbox"
down_revision = "0014_case_material_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "channel", sa.Enum("sms", "email", name="notifychannel", native_enum=False, length=32), nullable=False
        ),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("stored", "sent", "failed", name="notifystatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ow_notification_created_at", "ow_notification", ["created_at"])
    op.create_index("ix_ow_notification_kind", "ow_notification", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_ow_notification_kind", table_name="ow_notification")
    op.drop_index("ix_ow_notification_created_at", table_name="ow_notification")
    op.drop_table("ow_notification")
