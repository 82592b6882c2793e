"""Forms of the intermediary desk; rules live in :mod:`.service`, forms only parse input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from onewindow_intermediary.models import SERVICE_TYPES, AgencyStatus, Method

_TYPES = [(t, t) for t in SERVICE_TYPES]
_SCORES = [(i, str(i)) for i in (5, 4, 3, 2, 1)]


class AgencyForm(FlaskForm):
    name = StringField(_l("Agency name"), [InputRequired()])
    credit_code = StringField(_l("Unified social credit code"), [InputRequired()])
    service_types = SelectMultipleField(_l("Service types"), choices=_TYPES)
    qualifications = TextAreaField(_l("Qualifications (one per line)"))
    staff = TextAreaField(_l("Staff (one per line: name and qualification)"))
    linked_departments = SelectMultipleField(
        _l("Linked departments (conflict of interest)"), coerce=int, validate_choice=False
    )
    contact = StringField(_l("Contact person"))
    phone = StringField(_l("Phone"))


class StatusForm(FlaskForm):
    agency = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    status = SelectField(_l("Status"), choices=[(s.name, str(s.value)) for s in AgencyStatus])
    reason = TextAreaField(_l("Reason"), [InputRequired()])


class PurchaseForm(FlaskForm):
    title = StringField(_l("Purchase title"), [InputRequired()])
    owner_name = StringField(_l("Project owner"), [InputRequired()])
    owner_credit_code = StringField(_l("Owner's unified social credit code"), [InputRequired()])
    government_funded = BooleanField(_l("Government-funded project"))
    posting_department = SelectField(
        _l("Posting department (government-funded projects)"), coerce=int, validate_choice=False
    )
    approving_department = SelectField(_l("Approving department served"), coerce=int, validate_choice=False)
    service_type = SelectField(_l("Service type"), choices=_TYPES)
    budget_ceiling = DecimalField(_l("Budget ceiling (yuan)"), [InputRequired()])
    method = SelectField(_l("Selection method"), choices=[(m.name, str(m.value)) for m in Method])
    signup_opens = DateField(_l("Sign-up opens"), [InputRequired()])
    signup_closes = DateField(_l("Sign-up closes"), [InputRequired()])
    description = TextAreaField(_l("Scope of the service"))


class SignUpForm(FlaskForm):
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)
    agency = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    quote = DecimalField(_l("Quote (yuan)"), [InputRequired()])
    quality_score = DecimalField(_l("Quality score (0-100, quality-and-price method)"), [Optional()])


class ScoreForm(FlaskForm):
    bid = SelectField(_l("Bid"), coerce=int, validate_choice=False)
    quality_score = DecimalField(_l("Quality score (0-100)"), [InputRequired()])


class SelectForm(FlaskForm):
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)


class ContractForm(FlaskForm):
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)
    number = StringField(_l("Contract number"), [InputRequired()])
    amount = DecimalField(_l("Contract amount (yuan)"), [InputRequired()])
    signed_on = DateField(_l("Signed on"), [InputRequired()])


class CompletionForm(FlaskForm):
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)
    completed_on = DateField(_l("Completed on"), [InputRequired()])
    note = TextAreaField(_l("Service result (report name, reference)"), [InputRequired()])


class FilingForm(FlaskForm):
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)
    filing_number = StringField(_l("Filing number"), [InputRequired()])
    filed_on = DateField(_l("Filed on"), [InputRequired()])


class EvaluationForm(FlaskForm):
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)
    time = SelectField(_l("Timeliness (1-5)"), coerce=int, choices=_SCORES)
    quality = SelectField(_l("Quality (1-5)"), coerce=int, choices=_SCORES)
    price = SelectField(_l("Price (1-5)"), coerce=int, choices=_SCORES)
    comment = TextAreaField(_l("Comment"))


class ComplaintForm(FlaskForm):
    agency = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    purchase = SelectField(_l("Purchase"), coerce=int, validate_choice=False)
    complainant = StringField(_l("Complainant"), [InputRequired()])
    content = TextAreaField(_l("Complaint"), [InputRequired()])


class HandleForm(FlaskForm):
    complaint = SelectField(_l("Complaint"), coerce=int, validate_choice=False)
    handling = TextAreaField(_l("Findings and handling"), [InputRequired()])
