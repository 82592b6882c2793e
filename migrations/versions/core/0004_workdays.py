"""working-day calendar

Revision ID: 0004_workdays
Revises: 0003_packs
Create Date: 2026-11-25

Official holiday arrangements (节假日安排) that override chinesecalendar: one row per
year (confirmed, from which notice, entered by whom) and one per date (holiday or
make-up working day).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_workdays"
down_revision = "0003_packs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_calendar_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.String(length=100), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year"),
    )
    op.create_table(
        "ow_calendar_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("date"),
    )


def downgrade() -> None:
    op.drop_table("ow_calendar_day")
    op.drop_table("ow_calendar_year")
