"""the inbox's step order served by an index

Revision ID: 0019_inbox_step_order
Revises: 0018_bundle_cases
Create Date: 2026-12-03

The department inbox lists a department's active steps most urgent first
(``department_id = ? AND state = 'active' ORDER BY due_date, id LIMIT 501``). With the
index on (department, state) alone every active step of the department was read and
sorted for each page: about 22,000 rows per department at 1,000,000 cases. Keyed
(department, state, due date, id) the page is the first rows of one index range. The
old index is a prefix of the new one and goes.
"""

from __future__ import annotations

from alembic import op

revision = "0019_inbox_step_order"
down_revision = "0018_bundle_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ow_case_step_dept_state_due", "ow_case_step", ["department_id", "state", "due_date", "id"])
    op.drop_index("ix_ow_case_step_dept_state", table_name="ow_case_step")


def downgrade() -> None:
    op.create_index("ix_ow_case_step_dept_state", "ow_case_step", ["department_id", "state"])
    op.drop_index("ix_ow_case_step_dept_state_due", table_name="ow_case_step")
