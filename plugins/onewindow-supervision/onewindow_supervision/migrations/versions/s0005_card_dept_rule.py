"""supervision: the department index of cards is on (department_id, rule) instead of (department_id, cleared_at)

Revision ID: s0005_card_dept_rule
Revises: s0004_card_open_bytewise
Create Date: 2026-11-30

``ix_supervision_card_dept_open (department_id, cleared_at)`` gave every open card of a
department the same key. When the first scan after installing raises the case cards
and the step cards on two connections at once (a million cards), both connections
inserted into the same last leaf page of that index and waited on each other's page
lock: the two inserts took 5.0 and 5.5 s side by side against 2.6 and 3.3 s alone.
Keyed on (department_id, rule) the two rules' cards go to different pages (3.7 and
4.1 s side by side). The screens read cards by department (the department scope of the
card list), optionally by rule; no query reads them by department and clearing time.
The rule compares byte-wise on PostgreSQL, as in ``uq_supervision_card_open`` (s0004).
"""
from __future__ import annotations

from alembic import op

revision = "s0005_card_dept_rule"
down_revision = "s0004_card_open_bytewise"
branch_labels = None
depends_on = None

TABLE = "supervision_card"


def upgrade() -> None:
    op.drop_index("ix_supervision_card_dept_open", table_name=TABLE)
    op.create_index("ix_supervision_card_dept_rule", TABLE, ["department_id", "rule"],
                    postgresql_ops={"rule": "varchar_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_supervision_card_dept_rule", table_name=TABLE)
    op.create_index("ix_supervision_card_dept_open", TABLE, ["department_id", "cleared_at"])
