"""supervision: the department index of cards on (department_id, rule); no index on the case of open step cards

Revision ID: s0005_card_backfill_indexes
Revises: s0004_card_open_bytewise
Create Date: 2026-11-30

The first scan after installing raises a million cards, the case cards and the step
cards on two connections at once; every index of the table costs each card an insert.

``ix_supervision_card_dept_open (department_id, cleared_at)`` gave every open card of a
department the same key: both connections inserted into the same last leaf page and
waited on each other's page lock, so running the two inserts side by side gained little
over running them one after the other. Keyed on (department_id, rule) the two rules'
cards go to different pages. The screens read cards by department (the card list's
scope), optionally by rule; none reads them by department and clearing time. The rule
compares byte-wise on PostgreSQL, as in ``uq_supervision_card_open`` (s0004).

``ix_supervision_card_step_case`` (s0003) let an incremental scan find the open step
cards of changed cases, those of steps deleted by a return for correction included.
The scan now finds them by subject through ``uq_supervision_card_open`` (the changed
cases' steps read through the steps' case index), and the card of a deleted step is
cleared in the transition that deletes it (the ``steps_removed`` hook): one insert
fewer per step card.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005_card_backfill_indexes"
down_revision = "s0004_card_open_bytewise"
branch_labels = None
depends_on = None

TABLE = "supervision_card"
STEP_OPEN = "step_id IS NOT NULL AND cleared_at IS NULL"


def upgrade() -> None:
    op.drop_index("ix_supervision_card_dept_open", table_name=TABLE)
    op.create_index(
        "ix_supervision_card_dept_rule",
        TABLE,
        ["department_id", "rule"],
        postgresql_ops={"rule": "varchar_pattern_ops"},
    )
    op.drop_index("ix_supervision_card_step_case", table_name=TABLE)


def downgrade() -> None:
    op.create_index(
        "ix_supervision_card_step_case",
        TABLE,
        ["case_id"],
        sqlite_where=sa.text(STEP_OPEN),
        postgresql_where=sa.text(STEP_OPEN),
    )
    op.drop_index("ix_supervision_card_dept_rule", table_name=TABLE)
    op.create_index("ix_supervision_card_dept_open", TABLE, ["department_id", "cleared_at"])
