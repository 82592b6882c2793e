"""The base of every WTForms form the platform and its plugins build themselves.

FAB's own forms derive from Flask-WTF's ``FlaskForm``, whose built-in messages ("This field
is required.", "Not a valid decimal value.") follow the user's language. A plain
``wtforms.Form`` has no translations and answers in English: derive from :class:`Form`
instead (``from onewindow import Form``), so the same messages are Chinese for a Chinese
user (issue #15: every string a user sees goes through a catalogue).
"""

from __future__ import annotations

import wtforms
from flask_wtf.i18n import translations


class Form(wtforms.Form):
    """``wtforms.Form`` with WTForms' own messages in the request's language."""

    class Meta:
        def get_translations(self, form):
            return translations
