"""onewindow.views.model: custom show pages through Flask-AppBuilder's public API."""

from __future__ import annotations

import pytest

from onewindow.views.model import scope_filters, show_widgets


def _view(app, name):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def test_scope_filters_are_the_views_base_filters(app):
    view = _view(app, "LicenceView")
    filters = scope_filters(view)
    assert [(f.column_name, type(f)) for f in filters.filters] == [(c, cls) for c, cls, _v in view.base_filters]


def test_a_show_page_with_related_views_is_refused_not_rendered_without_them(app):
    view = _view(app, "ItemView")
    assert view.get_init_inner_views()
    with pytest.raises(TypeError, match="ItemView.*related_views"):
        show_widgets(view, 1, None)


def test_the_search_selects_write_their_options_as_wtforms_does():
    """The case list's item and department selects write each option themselves: the same
    HTML as WTForms' own (attributes in its order, values and labels escaped, the blank
    choice, extra attributes through WTForms)."""
    from flask_appbuilder.fieldwidgets import Select2Widget
    from wtforms.fields.choices import Choice

    from onewindow.views.model import OptionsSelect2Widget

    for choice in [
        Choice("__None", "", True, {}),
        Choice("7", '甲"<&>类', False, {}),
        Choice(True, "x", False, {}),
        Choice("8", "", False, None),
        Choice("9", "y", True, {"data-x": "1"}),
    ]:
        assert OptionsSelect2Widget.render_option(choice) == Select2Widget.render_option(choice), choice
