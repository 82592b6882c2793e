"""a version number of the role grants, kept by the database

Revision ID: 0021_grant_version
Revises: 0020_case_departments
Create Date: 2026-12-03

Every worker caches the role grants (``onewindow.permcache``) and, on the first check of
each request, compared a fingerprint of the grant tables: counts and sums over
``ab_permission_view_role`` and ``ab_permission_view``, five aggregates per request.
``ow_grant_version`` is one row whose number the database raises whenever a statement
changes a grant, a permission view, a permission's or view menu's name or a role, through
FAB's screens, ``onewindow init`` or SQL by hand (triggers, in that statement's
transaction), so a request reads one row by its primary key instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_grant_version"
down_revision = "0020_case_departments"
branch_labels = None
depends_on = None

#: the tables whose changes a cached grant could depend on
TABLES = ("ab_permission_view_role", "ab_permission_view", "ab_permission", "ab_view_menu", "ab_role")
_BUMP = "UPDATE ow_grant_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "ow_grant_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO ow_grant_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ow_grant_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{_BUMP};\nRETURN NULL;\nEND\n$$"
        )
        for table in TABLES:  # once per statement, whatever the number of rows
            op.execute(
                f"CREATE TRIGGER ow_grant_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ow_grant_version_bump()"
            )
        return
    for table in TABLES:  # SQLite has row triggers only (and no TRUNCATE)
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ow_grant_version_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS ow_grant_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ow_grant_version_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS ow_grant_version_{table}_{event}")
    op.drop_table("ow_grant_version")
