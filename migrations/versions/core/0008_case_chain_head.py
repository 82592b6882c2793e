"""case chain head

Revision ID: 0008_case_chain_head
Revises: 0007_case_list_indexes
Create Date: 2026-11-30

The head of each case's event hash chain (``chain_seq``, ``chain_hash``: sequence
number and hash of its last event) kept on the case row, which every transition
updates anyway under the version check:

* a transition appends its event without reading the timeline first;
* ``onewindow audit verify`` detects events deleted from the end of a timeline, which
  the chain alone cannot show (the remaining links are intact).

Existing cases get the head of their recorded timeline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_case_chain_head"
down_revision = "0007_case_list_indexes"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), server_default=GENESIS, nullable=False))
    op.execute(
        "UPDATE ow_case SET "
        "chain_seq = COALESCE((SELECT MAX(e.seq) FROM ow_case_event e WHERE e.case_id = ow_case.id), 0), "
        f"chain_hash = COALESCE((SELECT e.hash FROM ow_case_event e WHERE e.case_id = ow_case.id "
        f"ORDER BY e.seq DESC LIMIT 1), '{GENESIS}')"
    )


def downgrade() -> None:
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("chain_seq")
