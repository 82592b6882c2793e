"""WTForms' own messages are Chinese for a Chinese user in every form the platform and the
plugins build themselves (issue #15 item 6): "This field is required." was English on the
workbench's application form and the plugins' forms, which derive from ``wtforms.Form``
rather than FAB's ``FlaskForm``."""

from __future__ import annotations

import inspect

from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, StringField
from wtforms.validators import DataRequired

import onewindow


class _Sample(onewindow.Form):
    name = StringField("名称", validators=[DataRequired()])
    amount = DecimalField("金额")


def test_a_required_field_left_empty_says_so_in_chinese(app):
    with app.test_request_context("/"):
        form = _Sample(formdata=MultiDict({"amount": "一百"}))
        assert not form.validate()
        assert form.errors["name"] == ["该字段是必填字段。"]
        assert form.errors["amount"] == ["不是有效的小数。"]


def test_the_item_application_form_answers_in_chinese(app, make_item):
    from onewindow.app import db
    from onewindow.models.items import Item

    with app.app_context():
        item = db.session.get(Item, make_item())
        form_cls = onewindow.build_application_form(item)
        assert issubclass(form_cls, onewindow.Form)


def test_every_plugin_form_derives_from_the_translated_base():
    from onewindow_enterprise import forms as enterprise
    from onewindow_realestate import forms as realestate

    plain = [
        f"{module.__name__}.{name}"
        for module in (enterprise, realestate)
        for name, cls in vars(module).items()
        if inspect.isclass(cls)
        and cls.__module__ == module.__name__
        and issubclass(cls, __import__("wtforms").Form)
        and not issubclass(cls, onewindow.Form)
    ]
    assert not plain, f"forms answering in English (derive from onewindow.Form): {plain}"
