"""Application forms of items: a plugin's form by ``form_key``, or one generated from the
fields the pack declares as data (the low-code path)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, Regexp, ValidationError

from onewindow.errors import ValidationError as OneWindowValidationError
from onewindow.forms import Form
from onewindow.models.items import FieldType, FormField, Item
from onewindow.validators import resident_id_problem, uscc_problem

#: Mainland mobile numbers and landlines with area code (0793-7210001).
PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


def _checksum(problem_fn):
    def check(_form, field):
        if field.data:
            problem = problem_fn(field.data)
            if problem:
                raise ValidationError(problem)

    return check


def _field(spec: FormField):
    validators: list[Any] = [InputRequired() if spec.required else Optional()]
    if spec.regex:
        validators.append(Regexp(spec.regex, message=f"{spec.label}格式不正确"))
    kw = {"label": spec.label, "description": spec.help_text or ""}
    kind = spec.type
    if kind == FieldType.number:
        return DecimalField(validators=validators, **kw)
    if kind == FieldType.date:
        return DateField(validators=validators, **kw)
    if kind == FieldType.select:
        return SelectField(choices=[(c, c) for c in spec.choices or []], validators=validators, **kw)
    if kind == FieldType.id_number:
        return StringField(validators=[*validators, _checksum(resident_id_problem)], **kw)  # GB 11643
    if kind == FieldType.credit_code:
        return StringField(validators=[*validators, _checksum(uscc_problem)], **kw)  # GB 32100
    if kind == FieldType.phone:
        return StringField(validators=[*validators, Regexp(PHONE, message="请填写手机号码或带区号的固定电话")], **kw)
    if kind == FieldType.address:
        return TextAreaField(validators=validators, **kw)
    return StringField(validators=validators, **kw)


def plugin_forms() -> dict[str, type]:
    """Forms registered by plugins through ``register_item_forms``, by key."""
    host = current_app.extensions["onewindow"].plugins
    return {args[0]: args[1] for _source, args, _kw in host.collect("register_item_forms")}


def build_application_form(item: Item) -> type[Form]:
    """The WTForms form class of an item version (not bound to a request)."""
    if item.form_key:
        forms = plugin_forms()
        if item.form_key not in forms:
            raise OneWindowValidationError(
                gettext(
                    "item %(code)s %(name)s: form %(form)s is registered by no loaded plugin; "
                    "install or enable the plugin that provides it",
                    code=item.basic_code,
                    name=item.name,
                    form=item.form_key,
                )
            )
        return forms[item.form_key]
    attrs = {spec.name: _field(spec) for spec in item.fields}
    return type(f"ApplicationForm_{item.basic_code}_v{item.version}", (Form,), attrs)
