"""Application forms of the exit-entry items (``register_item_forms``); field names are
the demo pack's, so the core acceptance workbench collects them."""

from __future__ import annotations

from wtforms import DateField, Form, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from onewindow import resident_id_problem

PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
ENDORSEMENTS = ["个人旅游", "团队旅游", "探亲", "商务", "逗留"]


def _resident_id(_form, field):
    problem = resident_id_problem(field.data or "")
    if field.data and problem:
        raise ValidationError(problem)  # GB 11643 checksum


class _Person(Form):
    applicant_name = StringField("申请人姓名", validators=[InputRequired(message="请填写申请人姓名")])
    id_number = StringField("公民身份号码", validators=[InputRequired(message="请填写公民身份号码"), _resident_id])
    phone = StringField(
        "联系电话",
        validators=[InputRequired(message="请填写联系电话"), Regexp(PHONE, message="请填写手机号码或带区号的固定电话")],
    )
    address = TextAreaField("联系地址", validators=[Optional(), Length(max=200)])


class PassportForm(_Person):
    """普通护照签发: birth date and sex must agree with the resident ID (GB 11643 §4)."""

    gender = SelectField("性别", choices=[("男", "男"), ("女", "女")])
    birth_date = DateField("出生日期", validators=[InputRequired(message="请填写出生日期")])

    def validate_birth_date(self, field):
        ident = (self.id_number.data or "").strip().upper()
        if field.data and not resident_id_problem(ident) and ident[6:14] != field.data.strftime("%Y%m%d"):
            raise ValidationError(f"出生日期与公民身份号码第7至14位（{ident[6:14]}）不一致")

    def validate_gender(self, field):
        ident = (self.id_number.data or "").strip().upper()
        if not resident_id_problem(ident) and field.data != ("男" if int(ident[16]) % 2 else "女"):
            raise ValidationError("性别与公民身份号码第17位不一致（奇数为男，偶数为女）")


class EndorsementForm(_Person):
    """往来港澳通行证签注."""

    endorsement_type = SelectField("签注类型", choices=[(c, c) for c in ENDORSEMENTS])
