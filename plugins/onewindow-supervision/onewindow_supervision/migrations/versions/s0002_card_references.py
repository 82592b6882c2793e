"""supervision: cards keep their case, step, department and window ids without foreign keys

Revision ID: s0002_card_references
Revises: s0001_supervision
Create Date: 2026-11-30

The deadline scan raises a card per overdue case and step: a million cards at once
after installing. PostgreSQL checked four foreign keys per inserted card (each a
``SELECT … FOR KEY SHARE`` that also writes a row lock into the case, step and
department rows): two thirds of the backfill's time. Cards are derived records that the
scan writes from rows it has just read, and they outlive the steps a department's
return for correction deletes (the key used to be set to NULL; now it stays as history),
so the ids stay and the constraints go.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002_card_references"
down_revision = "s0001_supervision"
branch_labels = None
depends_on = None

TABLE = "supervision_card"
REFERENCES = [
    ("case_id", "ow_case", None),
    ("step_id", "ow_case_step", "SET NULL"),
    ("department_id", "ow_department", None),
    ("window_id", "ow_window", None),
]
#: SQLite's foreign keys have no names: batch mode names them by this convention.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
INDEXES = [
    ("ix_supervision_card_case_id", ["case_id"], {}),
    ("ix_supervision_card_dept_open", ["department_id", "cleared_at"], {}),
    ("ix_supervision_card_rule_due", ["rule", "due_date"], {}),
    (
        "uq_supervision_card_open",
        ["rule", "subject_id"],
        {
            "unique": True,
            "sqlite_where": sa.text("cleared_at IS NULL"),
            "postgresql_where": sa.text("cleared_at IS NULL"),
        },
    ),
]


def _fk_name(column: str, referred: str) -> str:
    return NAMING["fk"] % {"table_name": TABLE, "column_0_name": column, "referred_table_name": referred}


def _sqlite_rebuild(change) -> None:
    # batch mode copies the table; the partial unique index is re-created explicitly
    for name, _columns, _kw in INDEXES:
        op.drop_index(name, table_name=TABLE)
    with op.batch_alter_table(TABLE, recreate="always", naming_convention=NAMING) as batch:
        change(batch)
    for name, columns, kw in INDEXES:
        op.create_index(name, TABLE, columns, **kw)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":

        def drop(batch):
            for column, referred, _ondelete in REFERENCES:
                batch.drop_constraint(_fk_name(column, referred), type_="foreignkey")

        _sqlite_rebuild(drop)
        return
    for fk in sa.inspect(bind).get_foreign_keys(TABLE):
        op.drop_constraint(fk["name"], TABLE, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":

        def add(batch):
            for column, referred, ondelete in REFERENCES:
                batch.create_foreign_key(_fk_name(column, referred), referred, [column], ["id"], ondelete=ondelete)

        _sqlite_rebuild(add)
        return
    for column, referred, ondelete in REFERENCES:
        op.create_foreign_key(f"{TABLE}_{column}_fkey", TABLE, referred, [column], ["id"], ondelete=ondelete)
