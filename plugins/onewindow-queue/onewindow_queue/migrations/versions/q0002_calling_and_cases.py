"""queue: returns after 过号, transfers (转号) and the ticket ↔ case link

Revision ID: q0002_calling_and_cases
Revises: q0001_queue
Create Date: 2026-12-02

``queued_at`` is a ticket's place in line (the take time unless it came back after 过号);
``to_queue_id`` / ``to_window_id`` say who calls a transferred ticket, whose number stays
that of its first queue (the numbering constraint is per queue and day).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "q0002_calling_and_cases"
down_revision = "q0001_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_ticket") as batch:
        batch.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("absent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("returns", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("to_queue_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("to_window_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_queue_ticket_to_queue_id", "queue_queue", ["to_queue_id"], ["id"])
        batch.create_foreign_key("fk_queue_ticket_to_window_id", "ow_window", ["to_window_id"], ["id"])
    op.create_table(
        "queue_ticket_case",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["queue_ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_queue_ticket_case_ticket_id", "queue_ticket_case", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_queue_ticket_case_ticket_id", table_name="queue_ticket_case")
    op.drop_table("queue_ticket_case")
    with op.batch_alter_table("queue_ticket") as batch:
        batch.drop_constraint("fk_queue_ticket_to_window_id", type_="foreignkey")
        batch.drop_constraint("fk_queue_ticket_to_queue_id", type_="foreignkey")
        for column in ("to_window_id", "to_queue_id", "returns", "absent_at", "queued_at"):
            batch.drop_column(column)
