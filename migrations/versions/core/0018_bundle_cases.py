"""bundle cases (一件事一次办: parent and child cases)

Revision ID: 0018_bundle_cases
Revises: 0017_bundles
Create Date: 2026-12-03

``ow_case.bundle_id`` marks a bundle's parent case (and its children) with the bundle
accepted; ``ow_case.parent_id`` points a member's child case to its parent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_bundle_cases"
down_revision = "0017_bundles"
branch_labels = None
depends_on = None


COLUMNS = (("bundle_id", "ow_bundle"), ("parent_id", "ow_case"))


def upgrade() -> None:
    # ADD COLUMN … REFERENCES, no copy of ow_case: a batch recreate on SQLite re-checks
    # the foreign keys of every existing row (and alembic's SQLite dialect has no ALTER of
    # constraints); SQLite accepts the reference inline on a column without default
    for column, parent in COLUMNS:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE ow_case ADD COLUMN {column} INTEGER REFERENCES {parent} (id)")
        else:
            op.add_column("ow_case", sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(f"ow_case_{column}_fkey", "ow_case", parent, [column], ["id"])
        op.create_index(f"ix_ow_case_{column}", "ow_case", [column])


def downgrade() -> None:
    op.drop_index("ix_ow_case_parent_id", table_name="ow_case")
    op.drop_index("ix_ow_case_bundle_id", table_name="ow_case")
    with op.batch_alter_table("ow_case") as batch:
        batch.drop_column("parent_id")
        batch.drop_column("bundle_id")
