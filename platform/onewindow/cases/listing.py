"""Counting for case lists over a large table (1,000,000 cases and more).

An exact ``COUNT(*)`` reads every matching row: at a million cases that is most of a
list request, and for a department's scope several times the page itself. Lists
therefore count at most :data:`COUNT_CAP` + 1 rows (``SELECT count(*) FROM (… LIMIT
cap+1)``), the same on SQLite and PostgreSQL. A count above the cap means "more than
``COUNT_CAP``" and is shown as such (``超过 10,000 条``), never as a total.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import ListWidget
from sqlalchemy.orm import Query

#: Lists count exactly up to this many rows; beyond it they say "more than".
COUNT_CAP = 10_000


def bounded_count(query: Query, cap: int | None = None) -> tuple[int, bool]:
    """``(count, exact)``: the number of rows of ``query`` if at most ``cap`` (default
    :data:`COUNT_CAP`), else ``(cap, False)``."""
    cap = COUNT_CAP if cap is None else cap
    counted = query.order_by(None).limit(cap + 1).count()
    return (counted, True) if counted <= cap else (cap, False)


class BoundedCountInterface(SQLAInterface):
    """FAB data interface whose list count stops at ``COUNT_CAP`` + 1 (= "more than")."""

    def query_count(self, query, filters=None, select_columns=None) -> int:
        # FAB's own count goes through a private helper; these public steps are its filtering part
        # (ordering and paging do not change a count)
        inner = self.apply_inner_select_joins(query, select_columns, aliases_mapping={})
        inner = self.apply_filters(inner, self.get_inner_filters(filters))
        counted, exact = bounded_count(inner)
        return counted if exact else counted + 1


class BoundedCountListWidget(ListWidget):
    """FAB's list whose record count reads "more than N" when the count was cut off."""

    template = "cases/bounded_list.html"

    def __call__(self, **kwargs):
        kwargs.setdefault("count_cap", COUNT_CAP)
        return super().__call__(**kwargs)
