"""cases of a state in id order, served by an index

Revision ID: 0022_case_state_order
Revises: 0021_grant_version
Create Date: 2026-12-03

A department's list filtered by state counts the cases both of the department
(``ow_case_department``, in case order) and of the state. Keyed on ``state`` alone,
PostgreSQL found the state's rows through a bitmap and hashed them against the
department's (133 ms for the approver's in-review cases at 1,000,000 cases); keyed
(state, id), both come in id order and are merged, stopping at the count's cap (17 ms).
SQLite's index on ``state`` already held the row id after it; the new index is the
same there. The old index is a prefix of the new one and goes.
"""

from __future__ import annotations

from alembic import op

revision = "0022_case_state_order"
down_revision = "0021_grant_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ow_case_state_id", "ow_case", ["state", "id"])
    op.drop_index("ix_ow_case_state", table_name="ow_case")


def downgrade() -> None:
    op.create_index("ix_ow_case_state", "ow_case", ["state"])
    op.drop_index("ix_ow_case_state_id", table_name="ow_case")
