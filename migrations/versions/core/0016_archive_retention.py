"""reuse of files, e-archive packages, retention

Revision ID: 0016_archive_retention
Revises: 0015_notification_outbox
Create Date: 2026-12-02

* ``ow_case_material_file``: ``storage_key`` no longer unique (a reused file points at the
  bytes of its source), ``reused_from_id`` (材料复用) and ``purged_at`` (retention).
* ``ow_item.retention_years``: how long the item's case files are kept (保管期限).
* ``ow_case_archive``: the e-archive package (电子归档包) of each closed case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_archive_retention"
down_revision = "0015_notification_outbox"
branch_labels = None
depends_on = None

FILES = "ow_case_material_file"
# SQLite reflects the unnamed unique constraint of 0014 without a name: the batch names it
# by this convention so that it can be dropped (alembic's documented way).
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"uq_{FILES}_storage_key"
    return f"{FILES}_storage_key_key"  # PostgreSQL's name for it


def upgrade() -> None:
    with op.batch_alter_table(FILES, naming_convention=CONVENTION) as batch:
        batch.drop_constraint(_unique_name(), type_="unique")
        batch.add_column(sa.Column("reused_from_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_ow_case_material_file_reused_from", FILES, ["reused_from_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_ow_case_material_file_storage_key", ["storage_key"])
        batch.create_index("ix_ow_case_material_file_reused_from_id", ["reused_from_id"])
    with op.batch_alter_table("ow_item") as batch:
        batch.add_column(sa.Column("retention_years", sa.Integer(), nullable=True))
    op.create_table(
        "ow_case_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("ow_case_archive")
    with op.batch_alter_table("ow_item") as batch:
        batch.drop_column("retention_years")
    with op.batch_alter_table(FILES) as batch:
        batch.drop_index("ix_ow_case_material_file_reused_from_id")
        batch.drop_index("ix_ow_case_material_file_storage_key")
        batch.drop_constraint("fk_ow_case_material_file_reused_from", type_="foreignkey")
        batch.drop_column("purged_at")
        batch.drop_column("reused_from_id")
        batch.create_unique_constraint(f"{FILES}_storage_key_key", ["storage_key"])
