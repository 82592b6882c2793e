"""queue: queues per zone and business type, priority groups, daily counters, tickets

Revision ID: q0001_queue
Revises:
Create Date: 2026-12-02

The first revision of the plugin's own branch ``queue``; it needs the core's organisation
and item tables (0006_cases and before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "q0001_queue"
down_revision = None
branch_labels = ("queue",)
depends_on = "0006_cases"


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "queue_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("prefix", sa.String(length=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"]),
        sa.ForeignKeyConstraint(["zone_id"], ["ow_zone.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_index("ix_queue_queue_zone_id", "queue_queue", ["zone_id"])
    op.create_table(
        "queue_queue_window",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queue_queue.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "window_id"),
    )
    op.create_table(
        "queue_priority_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "queue_counter",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queue_queue.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "day"),
    )
    op.create_table(
        "queue_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("taken_by", _enum("takenby", "anonymous", "mobile", "id_card"), nullable=False),
        sa.Column("holder", sa.String(length=18), nullable=True),
        sa.Column("priority_group_id", sa.Integer(), nullable=True),
        sa.Column("state", _enum("ticketstate", "waiting", "called", "absent", "serving", "done"), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("called_by", sa.String(length=128), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["priority_group_id"], ["queue_priority_group.id"]),
        sa.ForeignKeyConstraint(["queue_id"], ["queue_queue.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue_id", "day", "seq", name="uq_queue_ticket_seq"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_queue_ticket_queue_id", "queue_ticket", ["queue_id"])
    op.create_index("ix_queue_ticket_state", "queue_ticket", ["state"])
    op.create_table(
        "queue_window_pause",
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("paused_by", sa.String(length=128), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("window_id"),
    )


def downgrade() -> None:
    op.drop_table("queue_window_pause")
    op.drop_table("queue_ticket")
    op.drop_table("queue_counter")
    op.drop_table("queue_priority_group")
    op.drop_table("queue_queue_window")
    op.drop_table("queue_queue")
