"""case list indexes

Revision ID: 0007_case_list_indexes
Revises: 0006_cases
Create Date: 2026-11-30

Indexes for the case lists at 1,000,000 cases (bench/case_list.py). Each replaces a
single-column index on ``department_id`` whose queries it still serves, so writes
maintain no more indexes than before.

* ``ow_case_step (department_id, case_id)``: the department scope asks "which cases
  have a step of department D" (``onewindow.cases.scope``); the old index answered with
  one table lookup per step (66,667 per request for one department), this one from the
  index alone.
* ``ow_case (department_id, state, id)``: a department's cases, and its queues per state
  in id order (inbox: approved, submitted, suspended), without reading every case of
  the department.
"""

from __future__ import annotations

from alembic import op

revision = "0007_case_list_indexes"
down_revision = "0006_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.create_index("ix_ow_case_dept_state", ["department_id", "state", "id"], unique=False)
        batch_op.drop_index("ix_ow_case_department_id")
    with op.batch_alter_table("ow_case_step", schema=None) as batch_op:
        batch_op.create_index("ix_ow_case_step_dept_case", ["department_id", "case_id"], unique=False)
        batch_op.drop_index("ix_ow_case_step_department_id")


def downgrade() -> None:
    with op.batch_alter_table("ow_case_step", schema=None) as batch_op:
        batch_op.create_index("ix_ow_case_step_department_id", ["department_id"], unique=False)
        batch_op.drop_index("ix_ow_case_step_dept_case")
    with op.batch_alter_table("ow_case", schema=None) as batch_op:
        batch_op.create_index("ix_ow_case_department_id", ["department_id"], unique=False)
        batch_op.drop_index("ix_ow_case_dept_state")
