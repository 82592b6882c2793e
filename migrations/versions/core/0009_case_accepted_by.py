"""case accepted_by

Revision ID: 0009_case_accepted_by
Revises: 0008_case_chain_head
Create Date: 2026-11-30

Who accepted the case (受理人: the window staff of its last acceptance, ``accept`` or
``accept_deferred``) kept on the case row, set by the engine when it accepts. The
e-supervision scan attributes every case's and deferred supply's card to that person;
it read the acceptance events for it, and over a million cases (two million events)
that join was the longest part of a full scan.

Existing cases get the actor of their last acceptance event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_case_accepted_by"
down_revision = "0008_case_chain_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_by", sa.String(length=128), nullable=True))
    op.execute(
        "UPDATE ow_case SET accepted_by = (SELECT e.actor FROM ow_case_event e WHERE e.case_id = ow_case.id "
        "AND e.action IN ('accept', 'accept_deferred') ORDER BY e.seq DESC LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.drop_column("accepted_by")
