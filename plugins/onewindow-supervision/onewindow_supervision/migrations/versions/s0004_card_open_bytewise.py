"""supervision: the unique index of open cards compares the rule byte by byte (PostgreSQL)

Revision ID: s0004_card_open_bytewise
Revises: s0003_card_scan_indexes
Create Date: 2026-11-30

``uq_supervision_card_open (rule, subject_id)`` takes an insert per raised card (a
million after installing) and a look-up per subject in every incremental scan. With
the default operator class each comparison of ``rule`` went through the database's
collation (``strcoll``), and every key of the index starts with the rule: a third of
the cost of each card insert. ``varchar_pattern_ops`` compares the characters as
they are — equality, the only test the scan, ``ON CONFLICT`` and the screens make on
the rule, is the same under both — and PostgreSQL still infers the index as the
arbiter of ``ON CONFLICT (rule, subject_id) WHERE cleared_at IS NULL``. SQLite
compares bytes already: nothing changes there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0004_card_open_bytewise"
down_revision = "s0003_card_scan_indexes"
branch_labels = None
depends_on = None

TABLE = "supervision_card"
NAME = "uq_supervision_card_open"
OPEN = "cleared_at IS NULL"


def _recreate(ops: dict | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name=TABLE)
    kw = {"postgresql_ops": ops} if ops else {}
    op.create_index(
        NAME,
        TABLE,
        ["rule", "subject_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
        **kw,
    )


def upgrade() -> None:
    _recreate({"rule": "varchar_pattern_ops"})


def downgrade() -> None:
    _recreate(None)
