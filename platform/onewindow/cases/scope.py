"""Which cases a user may see, by the department rule of :mod:`onewindow.security`: a
department's cases are those it implements or has a step in; centre roles see all."""

from __future__ import annotations

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, select

from onewindow.cases.models import Case, CaseDepartment
from onewindow.security import scoped_department


def case_condition(user):
    """SQL condition on ``Case`` for ``user`` (None = unrestricted).

    A department sees a case when it is the lead department or has a step. The pairs
    (department, case) of that rule are kept by the database in ``ow_case_department``
    (``models.CaseDepartment``, triggers of migration 0020), so the condition is
    ``id IN (SELECT case_id FROM ow_case_department WHERE department_id = D)``: one range
    of that table's primary key, whose rows are already distinct and in case order.
    PostgreSQL walks it backwards beside the cases' primary key and stops at a page's
    20 rows; SQLite reads the range once (about 130,000 ids for the busiest department at
    1,000,000 cases: a few milliseconds) and seeks the cases in id order.

    Forms it replaced or avoided: ``id IN (D's cases UNION its steps' cases)`` (the union
    de-duplicated for each query: ten times this at 1,000,000 cases); ``department_id = D
    OR id IN (steps)`` (SQLite sorts all the department's rows for a page; PostgreSQL walks
    the whole primary key for a small department); a correlated ``EXISTS`` per row (a
    capped count of a small department reads the whole table). Figures in
    ``bench/RESULTS.md`` (``bench/case_list.py``).
    """
    dept = scoped_department(user)  # the one department rule (security)
    if dept is True:
        return None
    if dept is None:
        return false()
    return Case.id.in_(select(CaseDepartment.case_id).where(CaseDepartment.department_id == dept))


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
