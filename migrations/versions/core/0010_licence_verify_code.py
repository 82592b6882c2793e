"""licence verification code

Revision ID: 0010_licence_verify_code
Revises: 0009_case_accepted_by
Create Date: 2026-12-02

Each licence gets a random verification code (``verify_code``), printed on the licence
and carried by its QR link: the public verification page shows masked fields only,
the full content needs this code (or the holder's login). Identifiers are sequential
with a computable check character, so they cannot play that part.

Existing licences are given a fresh code each, from the OS CSPRNG; reprinting their
PDF prints it. The column is then made NOT NULL.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010_licence_verify_code"
down_revision = "0009_case_accepted_by"
branch_labels = None
depends_on = None

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as onewindow.licences.library (frozen here)


def _code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def upgrade() -> None:
    with op.batch_alter_table("ow_licence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verify_code", sa.String(length=16), nullable=True))
    bind = op.get_bind()
    licence = sa.table("ow_licence", sa.column("id", sa.Integer), sa.column("verify_code", sa.String))
    ids = [row[0] for row in bind.execute(sa.select(licence.c.id).where(licence.c.verify_code.is_(None)))]
    for start in range(0, len(ids), 1000):
        bind.execute(
            licence.update().where(licence.c.id == sa.bindparam("lid")).values(verify_code=sa.bindparam("code")),
            [{"lid": i, "code": _code()} for i in ids[start : start + 1000]],
        )
    with op.batch_alter_table("ow_licence", schema=None) as batch_op:
        batch_op.alter_column("verify_code", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("ow_licence", schema=None) as batch_op:
        batch_op.drop_column("verify_code")
