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


def upgrade() -> None:
    with op.batch_alter_table("ow_case") as batch:
        batch.add_column(sa.Column("bundle_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_ow_case_bundle_id_ow_bundle", "ow_bundle", ["bundle_id"], ["id"])
        batch.create_foreign_key("fk_ow_case_parent_id_ow_case", "ow_case", ["parent_id"], ["id"])
        batch.create_index("ix_ow_case_bundle_id", ["bundle_id"])
        batch.create_index("ix_ow_case_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("ow_case") as batch:
        batch.drop_index("ix_ow_case_parent_id")
        batch.drop_index("ix_ow_case_bundle_id")
        batch.drop_constraint("fk_ow_case_parent_id_ow_case", type_="foreignkey")
        batch.drop_constraint("fk_ow_case_bundle_id_ow_bundle", type_="foreignkey")
        batch.drop_column("parent_id")
        batch.drop_column("bundle_id")
