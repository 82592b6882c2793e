"""the departments each case involves, kept by the database

Revision ID: 0020_case_departments
Revises: 0019_inbox_step_order
Create Date: 2026-12-03

A department sees a case when it is the case's lead department or has a step in it
(``onewindow.cases.scope``). That rule was ``id IN (the department's cases UNION the cases
of its steps)``: the union of about 130,000 ids for one department at 1,000,000 cases,
built and de-duplicated twice per list page (the capped count and the page).
``ow_case_department`` holds the same pairs, (department, case) once each, so the scope is
one range of its primary key.

The table is written by triggers only, in the transaction of the statement that changes a
case's lead department or a step, whoever writes it (the engine's Core statements, the ORM,
an import, SQL by hand), so it cannot drift from the rule:

* a case inserted, or its lead department changed: the new pair is added;
* a step inserted, or its case or department changed: the new pair is added;
* a step deleted or moved, a lead department changed: the old pair goes when neither the
  case's lead department nor another of its steps still holds it;
* a case deleted: its pairs go with it (foreign key ``ON DELETE CASCADE``).

``department_id`` has no foreign key of its own: every pair comes from a case's or a
step's ``department_id``, which have theirs (and each check would cost every write).

A later migration that rebuilds ``ow_case`` or ``ow_case_step`` on SQLite (alembic's batch
mode copies a table into a new one) drops that table's triggers: it must create them again
(``create_triggers`` below). ``tests/test_case_scope.py`` checks them at the head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_case_departments"
down_revision = "0019_inbox_step_order"
branch_labels = None
depends_on = None

#: (trigger name, table, event, condition on OLD/NEW or "")
TRIGGERS = (
    ("ow_case_department_case_ins", "ow_case", "INSERT", ""),
    (
        "ow_case_department_case_upd",
        "ow_case",
        "UPDATE OF id, department_id",
        "OLD.id IS DISTINCT FROM NEW.id OR OLD.department_id IS DISTINCT FROM NEW.department_id",
    ),
    ("ow_case_department_step_ins", "ow_case_step", "INSERT", ""),
    (
        "ow_case_department_step_upd",
        "ow_case_step",
        "UPDATE OF case_id, department_id",
        "OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.department_id IS DISTINCT FROM NEW.department_id",
    ),
    ("ow_case_department_step_del", "ow_case_step", "DELETE", ""),
)

#: the old pair (case, department) goes unless the lead department or a step still holds it
_DROP_OLD = """
DELETE FROM ow_case_department
 WHERE case_id = {case} AND department_id = {dept}
   AND NOT EXISTS (SELECT 1 FROM ow_case c WHERE c.id = {case} AND c.department_id = {dept})
   AND NOT EXISTS (SELECT 1 FROM ow_case_step s WHERE s.case_id = {case} AND s.department_id = {dept})"""

#: the new pair is added unless it is there (SQLite: no conflict clause, whose policy the
#: outer statement's would override inside a trigger)
_ADD_NEW_SQLITE = """
INSERT INTO ow_case_department (department_id, case_id)
SELECT {dept}, {case}
 WHERE NOT EXISTS (SELECT 1 FROM ow_case_department WHERE department_id = {dept} AND case_id = {case})"""
_ADD_NEW_PG = """
INSERT INTO ow_case_department (department_id, case_id) VALUES ({dept}, {case}) ON CONFLICT DO NOTHING"""


def _body(name: str, table: str, add: str) -> list[str]:
    """The statements of one trigger, on OLD / NEW."""
    case = "id" if table == "ow_case" else "case_id"
    old = _DROP_OLD.format(case=f"OLD.{case}", dept="OLD.department_id")
    new = add.format(case=f"NEW.{case}", dept="NEW.department_id")
    if name.endswith("_ins"):
        return [new]
    if name.endswith("_del"):
        return [old]
    return [old, new]


def create_triggers() -> None:
    """The triggers that keep ``ow_case_department`` (also for a later migration that
    rebuilds ``ow_case`` or ``ow_case_step`` on SQLite)."""
    dialect = op.get_bind().dialect.name
    for name, table, event, condition in TRIGGERS:
        if dialect == "postgresql":
            body = ";\n".join(_body(name, table, _ADD_NEW_PG))
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body};\nRETURN NULL;\nEND\n$$"
            )
            when = f" WHEN ({condition})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} EXECUTE FUNCTION {name}()")
        else:
            body = ";\n".join(_body(name, table, _ADD_NEW_SQLITE))
            # SQLite spells IS DISTINCT FROM as IS NOT
            when = f" WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')}" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}\nBEGIN\n{body};\nEND")


def drop_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, _event, _condition in TRIGGERS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "ow_case_department",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["ow_case.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("department_id", "case_id"),
    )
    op.create_index("ix_ow_case_department_case_id", "ow_case_department", ["case_id"])
    op.execute(
        "INSERT INTO ow_case_department (department_id, case_id) "
        "SELECT department_id, id FROM ow_case UNION SELECT department_id, case_id FROM ow_case_step"
    )
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_index("ix_ow_case_department_case_id", table_name="ow_case_department")
    op.drop_table("ow_case_department")
