"""queue: appointment slots defined per item or per zone, and the booked count of an item's slot

Revision ID: q0004_item_slots
Revises: q0003_appointments
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "q0004_item_slots"
down_revision = "q0003_appointments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_slot_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["zone_id"], ["ow_zone.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queue_slot_plan_zone_id", "queue_slot_plan", ["zone_id"])
    op.create_index("ix_queue_slot_plan_item_id", "queue_slot_plan", ["item_id"])
    op.create_table(
        "queue_item_slot_booking",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "day", "starts"),
    )
    with op.batch_alter_table("queue_appointment") as batch:
        batch.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_queue_appointment_item_id", "ow_item", ["item_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("queue_appointment") as batch:
        batch.drop_constraint("fk_queue_appointment_item_id", type_="foreignkey")
        batch.drop_column("item_id")
    op.drop_table("queue_item_slot_booking")
    op.drop_index("ix_queue_slot_plan_item_id", table_name="queue_slot_plan")
    op.drop_index("ix_queue_slot_plan_zone_id", table_name="queue_slot_plan")
    op.drop_table("queue_slot_plan")
