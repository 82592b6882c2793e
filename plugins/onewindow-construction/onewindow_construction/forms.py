"""Forms of the construction desk; rules live in :mod:`.service`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from onewindow_construction.models import FeeStage


class ProjectForm(FlaskForm):
    code = StringField(_l("Project code"), [InputRequired()])
    name = StringField(_l("Project name"), [InputRequired()])
    owner_name = StringField(_l("Construction unit"), [InputRequired()])
    owner_credit_code = StringField(_l("Unified social credit code"), [InputRequired()])
    site = StringField(_l("Site"))
    total_investment = DecimalField(_l("Total investment (10,000 yuan)"), [Optional()])


class CommitmentForm(FlaskForm):
    note = TextAreaField(_l("Written commitment of the construction unit"), [InputRequired()])


class SignOffForm(FlaskForm):
    opinion = TextAreaField(_l("Opinion"), [InputRequired()])


class FeeForm(FlaskForm):
    stage = SelectField(_l("Fee stage"), choices=[(s.name, str(s.value)) for s in FeeStage])
    name = StringField(_l("Fee"), [InputRequired()])
    amount = DecimalField(_l("Amount (yuan)"), [InputRequired()])
    basis = StringField(_l("Basis of the fee"))


class PayForm(FlaskForm):
    receipt_number = StringField(_l("Receipt number"), [InputRequired()])


class AgentForm(FlaskForm):
    username = SelectField(_l("Agent"), validate_choice=False)
