"""WTForms of the supervision desk (labels are English msgids, shown in Chinese)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from onewindow_supervision.models import ComplaintChannel, EvaluationChannel, EvaluationLevel


def _choices(enum_cls):
    return [(m.name, str(m.value)) for m in enum_cls]


class EvaluationForm(FlaskForm):
    case_number = StringField(_l("Case number"), validators=[DataRequired()])
    level = SelectField(_l("Evaluation"), choices=_choices(EvaluationLevel))
    channel = SelectField(_l("Channel"), choices=_choices(EvaluationChannel))
    comment = TextAreaField(_l("Comment"), validators=[Optional()])


class ComplaintForm(FlaskForm):
    channel = SelectField(_l("Channel"), choices=_choices(ComplaintChannel))
    case_number = StringField(_l("Case number (complaint about a case)"), validators=[Optional()])
    window = SelectField(_l("Window (complaint about a window)"), coerce=int, validators=[Optional()])
    department = SelectField(_l("Department (complaint about a department)"), coerce=int, validators=[Optional()])
    complainant = StringField(_l("Complainant"), validators=[DataRequired()])
    phone = StringField(_l("Phone"), validators=[Optional()])
    content = TextAreaField(_l("Complaint"), validators=[DataRequired()])


class MeasuresForm(FlaskForm):
    measures = TextAreaField(_l("Rectification measures"), validators=[DataRequired()])


class CallbackForm(FlaskForm):
    result = TextAreaField(_l("Callback result"), validators=[DataRequired()])
    satisfied = SelectField(
        _l("Applicant satisfied with the rectification"), choices=[("yes", _l("Yes")), ("no", _l("No"))]
    )


class AppealForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the appeal"), validators=[DataRequired()])


class AppealDecisionForm(FlaskForm):
    upheld = SelectField(_l("Decision"), choices=[("yes", _l("Uphold the appeal")), ("no", _l("Reject the appeal"))])
    decision = TextAreaField(_l("Reasons for the decision"), validators=[DataRequired()])


class AssignForm(FlaskForm):
    department = SelectField(_l("Department"), coerce=int)


class HandleForm(FlaskForm):
    handling = TextAreaField(_l("Findings and handling"), validators=[DataRequired()])
    reply = TextAreaField(_l("Reply to the complainant"), validators=[DataRequired()])


class CloseForm(FlaskForm):
    reply = TextAreaField(_l("Final reply (leave empty to keep the department's)"), validators=[Optional()])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[DataRequired()])


class DemandForm(FlaskForm):
    case_number = StringField(_l("Case number"), validators=[DataRequired()])
    demanded = TextAreaField(_l("Material demanded outside the list"), validators=[DataRequired()])


class MonthForm(FlaskForm):
    month = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired()])
