"""queue: appointments (预约办理) and the booked count of each slot

Revision ID: q0003_appointments
Revises: q0002_calling_and_cases
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "q0003_appointments"
down_revision = "q0002_calling_and_cases"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "queue_slot_booking",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queue_queue.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "day", "starts"),
    )
    op.create_table(
        "queue_appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("state", _enum("appointmentstate", "booked", "cancelled", "checked_in", "no_show"), nullable=False),
        sa.Column("channel", _enum("appointmentchannel", "online", "phone", "terminal"), nullable=False),
        sa.Column("booked_at", sa.DateTime(), nullable=False),
        sa.Column("booked_by", sa.String(length=128), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("remind_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["queue_id"], ["queue_queue.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["queue_ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_queue_appointment_day", "queue_appointment", ["day"])
    op.create_index("ix_queue_appointment_id_number", "queue_appointment", ["id_number"])
    op.create_index("ix_queue_appointment_state", "queue_appointment", ["state"])
    op.create_index("ix_queue_appointment_remind_at", "queue_appointment", ["remind_at"])


def downgrade() -> None:
    op.drop_table("queue_appointment")
    op.drop_table("queue_slot_booking")
