"""Custom show pages of Flask-AppBuilder model views, through FAB's public API only.

FAB keeps a view's row restriction and its show logic in private members
(``_base_filters``, ``_show``, ``_related_views``) that a library upgrade may change
without notice; the functions here build the same from the public attributes
(``base_filters``, ``show_widget``, ``show_columns``…), so a view that overrides
``show`` keeps the department scope (another department's row: 404) and FAB's
detail table without reaching into FAB.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flask import abort
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import Filters
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import load_only
from wtforms.validators import Optional

from onewindow.db import db


def scope_filters(view: Any) -> Filters:
    """The view's ``base_filters`` as a FAB ``Filters`` object, as FAB applies them to its
    own list, show and edit pages. Filters such as ``DepartmentScope`` read the current
    user when applied, so one object per request is the same as FAB's one per view."""
    return view.datamodel.get_filters().add_filter_list(view.base_filters)


def scoped_row(view: Any, pk: Any) -> Any:
    """The row ``pk`` of the view's model if its base filters let the current user see
    it; otherwise 404 (another department's row looks like no row at all)."""
    row = view.datamodel.get(pk, scope_filters(view))
    if row is None:
        abort(404)
    return row


def show_widgets(view: Any, pk: Any, row: Any) -> dict[str, Any]:
    """The ``widgets`` FAB's show template reads: the detail table of ``show_columns``
    (``widgets['show']``) and the related views (none: see below)."""
    if view.get_init_inner_views():
        raise TypeError(
            f"{type(view).__name__}: onewindow.views.model renders show pages without related views; "
            "keep FAB's own show for a view with related_views"
        )
    show = view.show_widget(
        pk=pk,
        label_columns=view.label_columns,
        include_columns=view.show_columns,
        value_columns=view.datamodel.get_values_item(row, view.show_columns),
        formatters_columns=view.formatters_columns,
        actions=view.actions,
        fieldsets=view.show_fieldsets,
        modelview_name=type(view).__name__,
    )
    return {"show": show, "related_views": []}


def render_show(view: Any, pk: Any, row: Any, **context: Any) -> str:
    """The view's ``show_template`` for ``row`` with FAB's detail table, plus ``context``
    for the template's own blocks."""
    view.update_redirect()  # the back button of the next page returns here, as on FAB's show
    return view.render_template(
        view.show_template,
        pk=pk,
        title=view.show_title,
        widgets=show_widgets(view, pk, row),
        related_views=view.get_init_inner_views(),
        **context,
    )


class OptionsSelect2Widget(Select2Widget):
    """FAB's ``Select2Widget``, each option written directly (``render_option``, WTForms'
    override point) instead of through WTForms' attribute builder: the same HTML, for a
    select of a county's hundreds of items drawn on every list request."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')


def related_search_field(label: Any, model: Any, order_by: Any, *columns: Any) -> QuerySelectField:
    """The search form's select of a many-to-one column (``search_form_extra_fields``),
    as FAB draws it: an option per row of ``model`` in ``order_by``'s order, loaded with
    ``columns`` only (what the row's label reads). FAB's own field counts the related
    table, loads whole rows and builds a model interface for every option to read its
    key: on the case list that was a third of the screen's time, on every request. The
    rows stay in the session: the list's own rows then find their item and department
    there instead of a query each."""

    def rows() -> list[Any]:
        return list(db.session.scalars(select(model).options(load_only(*columns)).order_by(order_by)))

    return QuerySelectField(
        label,
        query_func=rows,
        get_pk_func=attrgetter("id"),
        allow_blank=True,
        validators=[Optional()],
        widget=OptionsSelect2Widget(),
    )
