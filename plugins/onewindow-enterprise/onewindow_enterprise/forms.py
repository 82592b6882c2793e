"""Application forms of the enterprise items (``register_item_forms``).

The establishment form is the one form of 多证合一 [002 §二(三)2]: every certificate merged
into the business licence is applied for with these fields only.

Case data is stored structured (``shareholders`` is a list of dicts). The core validates
an application by binding the form to that data posted the browser's way
(``shareholders-0-name`` keys) and names nested errors by row.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import DecimalField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from onewindow import Form, resident_id_problem, uscc_problem

PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
COMPANY_TYPES = ["有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市）"]
CHANGE_ITEMS = ["名称", "住所", "法定代表人", "注册资本", "经营范围", "股东"]


def _resident_id(_form, field):
    problem = resident_id_problem(field.data or "")
    if field.data and problem:
        raise ValidationError(problem)  # GB 11643 checksum


def _credit_code(_form, field):
    problem = uscc_problem(field.data or "")
    if field.data and problem:
        raise ValidationError(problem)  # GB 32100 checksum


def _person_or_company(_form, field):
    """A shareholder is a natural person (resident ID) or an organisation (credit code)."""
    value = (field.data or "").strip().upper()
    if resident_id_problem(value) and uscc_problem(value):
        raise ValidationError(f"“{value}”既不是有效的居民身份证号码，也不是有效的统一社会信用代码，请核对校验位")


class ShareholderForm(Form):
    name = StringField("股东名称或姓名", validators=[InputRequired(message="请填写股东名称或姓名"), Length(max=200)])
    id_number = StringField("证件号码", validators=[InputRequired(message="请填写股东证件号码"), _person_or_company])
    share = DecimalField(
        "出资比例（%）",
        places=2,
        validators=[
            InputRequired(message="请填写出资比例"),
            NumberRange(min=Decimal("0.01"), max=100, message="出资比例须大于0且不超过100%"),
        ],
    )


def structured_rows(raw) -> list[dict]:
    """Shareholder rows from case data (stored structured: a list of dicts)."""
    return [r for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []


class EstablishmentForm(Form):
    """企业设立登记（多证合一）一表申请."""

    company_name = StringField("企业名称", validators=[InputRequired(message="请填写企业名称"), Length(min=4, max=100)])
    company_type = SelectField("企业类型", choices=[(c, c) for c in COMPANY_TYPES])
    registered_capital = DecimalField(
        "注册资本（万元）",
        places=2,
        validators=[
            InputRequired(message="请填写注册资本"),
            NumberRange(min=Decimal("0.01"), message="注册资本须大于0"),
        ],
    )
    address = TextAreaField("住所", validators=[InputRequired(message="请填写住所"), Length(max=300)])
    business_scope = TextAreaField("经营范围", validators=[InputRequired(message="请填写经营范围")])
    legal_rep_name = StringField("法定代表人姓名", validators=[InputRequired(message="请填写法定代表人姓名")])
    legal_rep_id = StringField(
        "法定代表人身份证号码", validators=[InputRequired(message="请填写法定代表人身份证号码"), _resident_id]
    )
    phone = StringField(
        "联系电话",
        validators=[InputRequired(message="请填写联系电话"), Regexp(PHONE, message="请填写手机号码或带区号的固定电话")],
    )
    postcode = StringField("邮政编码", validators=[Optional(), Regexp(r"^\d{6}$", message="邮政编码为6位数字")])
    shareholders = FieldList(FormField(ShareholderForm), label="股东（发起人）", min_entries=1)

    def validate_shareholders(self, field):
        if not field.entries:
            raise ValidationError("至少填写一名股东（发起人）")


class ChangeForm(Form):
    """企业变更登记: the enterprise is found by its credit code."""

    company_name = StringField("企业名称", validators=[InputRequired(message="请填写企业名称")])
    credit_code = StringField(
        "统一社会信用代码", validators=[InputRequired(message="请填写统一社会信用代码"), _credit_code]
    )
    change_items = SelectField("变更事项", choices=[(c, c) for c in CHANGE_ITEMS])
    new_value = StringField("变更后内容", validators=[Optional(), Length(max=300)])
    phone = StringField(
        "联系电话",
        validators=[InputRequired(message="请填写联系电话"), Regexp(PHONE, message="请填写手机号码或带区号的固定电话")],
    )


class DeregistrationForm(Form):
    """企业注销登记: the enterprise is found by its credit code."""

    company_name = StringField("单位名称", validators=[InputRequired(message="请填写单位名称")])
    credit_code = StringField(
        "统一社会信用代码", validators=[InputRequired(message="请填写统一社会信用代码"), _credit_code]
    )
    contact_name = StringField("经办人姓名", validators=[InputRequired(message="请填写经办人姓名")])
    contact_id = StringField(
        "经办人身份证号码", validators=[InputRequired(message="请填写经办人身份证号码"), _resident_id]
    )
    phone = StringField(
        "联系电话",
        validators=[InputRequired(message="请填写联系电话"), Regexp(PHONE, message="请填写手机号码或带区号的固定电话")],
    )
    address = TextAreaField("单位地址", validators=[Optional(), Length(max=300)])


def decimal_or_none(value) -> Decimal | None:
    try:
        return Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        return None
