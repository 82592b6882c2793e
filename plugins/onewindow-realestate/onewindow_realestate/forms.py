"""Application forms of the real-estate items (``register_item_forms``). Field names are
those the demo pack declares, so the core acceptance workbench collects them."""

from __future__ import annotations

from decimal import Decimal

from wtforms import DecimalField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Regexp, ValidationError

from onewindow import Form, resident_id_problem
from onewindow_realestate.models import UNIT_NUMBER

PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


def _resident_id(_form, field):
    problem = resident_id_problem(field.data or "")
    if field.data and problem:
        raise ValidationError(problem)  # GB 11643 checksum


def _unit_number():
    return StringField(
        "不动产单元号",
        validators=[
            InputRequired(message="请填写28位不动产单元号"),
            Regexp(
                UNIT_NUMBER,
                message="不动产单元号须为28位：12位数字（县级区划+地籍区/子区）、2位大写字母、"
                "5位数字、1位大写字母、8位数字，可在不动产权证书上查到",
            ),
        ],
    )


class _Unit(Form):
    applicant_name = StringField("申请人（权利人）姓名", validators=[InputRequired(message="请填写权利人姓名")])
    id_number = StringField("公民身份号码", validators=[InputRequired(message="请填写公民身份号码"), _resident_id])
    property_address = TextAreaField(
        "不动产坐落", validators=[InputRequired(message="请填写不动产坐落"), Length(max=300)]
    )
    unit_number = _unit_number()
    phone = StringField(
        "联系电话",
        validators=[InputRequired(message="请填写联系电话"), Regexp(PHONE, message="请填写手机号码或带区号的固定电话")],
    )


class TransferForm(_Unit):
    """不动产转移登记（存量房买卖）: the seller (current right holder) applies with the buyer."""

    buyer_name = StringField("买受人姓名", validators=[InputRequired(message="请填写买受人姓名")])
    buyer_id = StringField(
        "买受人身份证号码", validators=[InputRequired(message="请填写买受人身份证号码"), _resident_id]
    )
    price = DecimalField(
        "成交价格（元）",
        places=2,
        validators=[InputRequired(message="请填写成交价格"), NumberRange(min=Decimal("1"), message="成交价格须大于0")],
    )


class MortgageForm(_Unit):
    """不动产抵押权首次登记."""

    bank_name = StringField("抵押权人（金融机构）名称", validators=[InputRequired(message="请填写抵押权人名称")])
    debt_amount = DecimalField(
        "被担保主债权数额（万元）",
        places=2,
        validators=[
            InputRequired(message="请填写被担保主债权数额"),
            NumberRange(min=Decimal("0.01"), message="主债权数额须大于0"),
        ],
    )
