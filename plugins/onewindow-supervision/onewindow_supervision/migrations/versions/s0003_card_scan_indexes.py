"""supervision: cards lose the indexes on case and on rule + due date; a partial index on the case of open step cards

Revision ID: s0003_card_scan_indexes
Revises: s0002_card_references
Create Date: 2026-11-30

The deadline scan raises a card per overdue case and step: a million cards after
installing, each paying for every index of the table. ``ix_supervision_card_rule_due``
served only the incremental scan's window over the cards' due dates, and
``ix_supervision_card_case_id`` only its look-up of the cards of changed cases (no view,
screen, indicator, report or job reads cards by case or by due date). The scan now
finds case cards and the window's cards by subject through ``uq_supervision_card_open``;
what remains needs a case index only for the open step cards (a step deleted by a
return for correction leaves no subject row to start from): a partial index, which
cards leave when they are cleared.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003_card_scan_indexes"
down_revision = "s0002_card_references"
branch_labels = None
depends_on = None

TABLE = "supervision_card"
STEP_OPEN = "step_id IS NOT NULL AND cleared_at IS NULL"


def upgrade() -> None:
    op.drop_index("ix_supervision_card_rule_due", table_name=TABLE)
    op.drop_index("ix_supervision_card_case_id", table_name=TABLE)
    op.create_index(
        "ix_supervision_card_step_case",
        TABLE,
        ["case_id"],
        sqlite_where=sa.text(STEP_OPEN),
        postgresql_where=sa.text(STEP_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_supervision_card_step_case", table_name=TABLE)
    op.create_index("ix_supervision_card_case_id", TABLE, ["case_id"])
    op.create_index("ix_supervision_card_rule_due", TABLE, ["rule", "due_date"])
