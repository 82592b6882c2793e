"""Enum selects on the generated add and edit forms answer bad input with a form error.

Flask-AppBuilder's ``EnumField`` turns an empty or unknown choice into an uncaught
``KeyError`` (its ``coerce``) and its ``pre_validate`` raises a bare ``ValueError``, which
WTForms does not catch: ``POST /regionview/add`` with the level left empty answered 500.
:class:`SafeEnumField` subclasses it through its public methods, and
:func:`use_safe_enum_fields` puts it in place of every ``EnumField`` of the registered
model views' ``add_form`` / ``edit_form`` (FAB's public form attributes), once, at start.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.fields import EnumField
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError


class SafeEnumField(EnumField):
    """FAB's ``EnumField``; an empty choice is no value, an unknown one a field error."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] in ("", "__None"):
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except (KeyError, ValueError):
            self.data = None
            raise ValueError(self.gettext("Not a valid choice.")) from None

    def pre_validate(self, form):
        if self.data is None:
            if self.flags.optional:
                return
            raise ValidationError(self.gettext("This field is required."))
        try:
            super().pre_validate(form)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _replace(form_cls: Any) -> int:
    replaced = 0
    for name in dir(form_cls):
        unbound = getattr(form_cls, name, None)
        if isinstance(unbound, UnboundField) and unbound.field_class is EnumField:
            setattr(form_cls, name, UnboundField(SafeEnumField, *unbound.args, **unbound.kwargs))
            replaced += 1
    return replaced


def use_safe_enum_fields(appbuilder: Any) -> int:
    """Every registered model view's add and edit forms get :class:`SafeEnumField`."""
    replaced = 0
    for view in appbuilder.baseviews:
        for form_cls in {getattr(view, "add_form", None), getattr(view, "edit_form", None)} - {None}:
            replaced += _replace(form_cls)
    return replaced
