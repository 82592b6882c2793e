"""Which cases a user may see, by the department rule of :mod:`onewindow.security`: a
department's cases are those it implements or has a step in; centre roles see all."""

from __future__ import annotations

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, select, union
from sqlalchemy.orm import aliased

from onewindow.cases.models import Case, CaseStep
from onewindow.security import scoped_department


def case_condition(user):
    """SQL condition on ``Case`` for ``user`` (None = unrestricted).

    A department sees a case when it is the lead department or has a step:
    ``id IN (cases of D UNION case ids of D's steps)``. The id list comes from two
    index-only scans (``ix_ow_case_dept_state``, ``ix_ow_case_step_dept_case``, both of
    migration 0007) and is evaluated once per query; its cost grows with the
    department's cases, not with the table (``bench/case_list.py``; figures in
    ``bench/RESULTS.md``). Forms avoided: ``department_id = D OR id IN (steps)`` (SQLite
    sorts all the department's rows for a page; PostgreSQL walks the whole primary key
    for a small department) and a correlated ``EXISTS`` per row (seconds at 20,000 cases
    on SQLite).
    """
    dept = scoped_department(user)  # the one department rule (security)
    if dept is True:
        return None
    if dept is None:
        return false()
    lead = aliased(Case)
    return Case.id.in_(
        union(
            select(lead.id).where(lead.department_id == dept),
            select(CaseStep.case_id).where(CaseStep.department_id == dept),
        )
    )


def may_see(user, case: Case) -> bool:
    dept = scoped_department(user)
    if dept is True or dept is None:
        return dept is True
    return case.department_id == dept or any(s.department_id == dept for s in case.steps)


class CaseScope(BaseFilter):
    """FAB base filter applying :func:`case_condition` to the current user."""

    name = "Case scope"
    arg_name = "case_scope"

    def apply(self, query, value):
        condition = case_condition(getattr(g, "user", None))
        return query if condition is None else query.filter(condition)
