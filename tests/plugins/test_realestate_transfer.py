"""Real-estate registration (不动产登记): transfer with parallel transaction/tax/registration,
the deed-tax rule, the seller's certificate pulled from the library, utility follow-up,
and mortgage registration."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from area1_helpers import (
    HOUSING,
    PERSON,
    PERSON2,
    RE,
    TAX,
    accept,
    application,
    approve_all,
    deliver,
    item_by_form,
)
from onewindow_realestate import service
from onewindow_realestate.deedtax import deed_tax
from onewindow_realestate.models import Mortgage, PropertyUnit, Transfer
from test_enterprise_screens import api  # noqa: F401  (the JWT client fixture)

from onewindow.app import db
from onewindow.cases.errors import ApplicationInvalid
from onewindow.cases.models import MaterialStatus
from onewindow.licences import library, seals
from onewindow.licences.models import Licence
from onewindow.models import Department, Staff
from onewindow.staff import create_staff

UNIT = "369921001001GB00001F00010001"
PRICE = "1000000"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def unit(ctx):
    dept = db.session.query(Department).filter_by(credit_code=RE).one()
    row = PropertyUnit(
        unit_number=UNIT,
        location="云溪县云溪镇人民路1号1栋101室",
        area=Decimal("85.50"),
        use="住宅",
        right_type="国有建设用地使用权/房屋所有权",
        owner_name="王五",
        owner_id=PERSON,
        department=dept,
        mortgaged=False,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def staff(actor):
    approver, admin = actor("approver_re"), actor("admin")
    return lambda code: approver if code == RE else admin


def transfer_data(**kw):
    data = {
        "applicant_name": "王五",
        "id_number": PERSON,
        "property_address": "云溪县云溪镇人民路1号1栋101室",
        "unit_number": UNIT,
        "phone": "13800000000",
        "buyer_name": "赵六",
        "buyer_id": PERSON2,
        "price": PRICE,
    }
    data.update(kw)
    return data


def test_transfer_runs_to_the_buyers_certificate_with_deed_tax_and_utility_tasks(unit, actor, staff):
    case = accept(actor("acceptor"), application(item_by_form(service.TRANSFER), transfer_data()))
    # transaction, tax and registration handled in parallel by the integrated office
    assert {s.department.credit_code for s in case.steps if s.state.name == "active"} == {RE, TAX, HOUSING}
    approve_all(case, staff)
    transfer = db.session.query(Transfer).filter_by(case_number=case.number).one()
    assert (transfer.seller_id, transfer.buyer_id, transfer.first_home) == (PERSON, PERSON2, True)
    assert transfer.deed_tax_rate == Decimal("0.01") and transfer.deed_tax == Decimal("10000.00")  # first home ≤ 90 m²
    assert (unit.owner_name, unit.owner_id) == ("赵六", PERSON2)
    assert sorted((t.utility.name, t.status.name) for t in transfer.tasks) == [
        ("electricity", "pending"),
        ("gas", "pending"),
        ("water", "pending"),
    ]
    licence = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one()
    assert (licence.name, licence.holder, licence.holder_id) == ("不动产权证书", "赵六", PERSON2)
    assert licence.data == {
        "holder": "赵六",
        "unit_number": UNIT,
        "location": unit.location,
        "area": "85.50",
        "use": "住宅",
        "right_type": "国有建设用地使用权/房屋所有权",
    }
    deliver(case, actor("approver_re"), actor("output_clerk"))
    assert case.state.name == "delivered" and unit.certificate == case.licence_identifier


def test_the_sellers_certificate_is_pulled_from_the_library_and_retired(unit, actor, staff):
    dept = db.session.query(Department).filter_by(credit_code=RE).one()
    seals.create_seal(db.session, dept, "admin")
    sealer = create_staff(username="seal_re", password="s3cret-pass", roles=["seal_admin"], department_code=RE)
    old = library.issue_for_case(
        SimpleNamespace(
            number="369921-first-registration",
            item=SimpleNamespace(licence_type_code=service.CERTIFICATE, department=dept),
            applicant_name="王五",
            applicant_id=PERSON,
            applicant_type="person",
            data={"holder": "王五", "unit_number": UNIT, "location": unit.location},
        )
    )
    seals.seal_licence(db.session, old, db.session.query(Staff).filter_by(id=sealer.id).one())
    db.session.commit()
    item = item_by_form(service.TRANSFER)
    statuses = {
        m.id: (MaterialStatus.missing if m.licence_type_code == service.CERTIFICATE else MaterialStatus.submitted)
        for m in item.materials
    }
    case = accept(actor("acceptor"), application(item, transfer_data()), statuses=statuses)
    pulled = next(m for m in case.materials if m.material.licence_type_code == service.CERTIFICATE)
    assert pulled.status == MaterialStatus.from_library and pulled.licence_identifier == old.identifier
    approve_all(case, staff)
    assert old.status.name == "revoked" and "原证注销" in old.revoke_reason
    assert db.session.query(Transfer).one().old_certificate == old.identifier


@pytest.mark.parametrize(
    "first_home, area, rate", [(True, "90", "0.01"), (True, "90.01", "0.015"), (False, "60", "0.03")]
)
def test_deed_tax_rule(first_home, area, rate):
    assert deed_tax(Decimal("1000000"), first_home, Decimal(area)) == (Decimal(rate), Decimal(rate) * 1000000)


def test_a_buyer_owning_another_home_pays_three_per_cent(unit, actor, staff):
    db.session.add(
        PropertyUnit(
            unit_number="369921001001GB00002F00010001",
            location="城南街道2号",
            area=Decimal("120"),
            use="住宅",
            right_type="房屋所有权",
            owner_name="赵六",
            owner_id=PERSON2,
            department_id=unit.department_id,
            mortgaged=False,
        )
    )
    db.session.commit()
    case = approve_all(accept(actor("acceptor"), application(item_by_form(service.TRANSFER), transfer_data())), staff)
    transfer = db.session.query(Transfer).filter_by(case_number=case.number).one()
    assert (transfer.first_home, transfer.deed_tax) == (False, Decimal("30000.00"))


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"unit_number": "36992100100GB00001F0001001"}, "不动产单元号", "须为28位"),
        ({"unit_number": "360000001001GB00001F00010001"}, "不动产单元号", "应为本县 369921"),
        ({"unit_number": "369921001001GB00009F00010001"}, "不动产单元号", "登记簿中没有不动产单元"),
        ({"buyer_id": "11010519491231002Y"}, "买受人身份证号码", ""),
        ({"buyer_id": PERSON}, "买受人身份证号码", "同一人"),
    ],
)
def test_bad_transfer_input_is_refused_with_a_clear_message(unit, actor, data, field, message):
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), application(item_by_form(service.TRANSFER), transfer_data(**data)))
    assert any(f == field and message in m for f, m in excinfo.value.problems), excinfo.value.problems


def test_only_the_right_holder_may_sell(unit, actor):
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(
            actor("acceptor"),
            application(item_by_form(service.TRANSFER), transfer_data(id_number=PERSON2), name="赵六", ident=PERSON2),
        )
    assert "登记权利人是“王五”" in dict(excinfo.value.problems)["申请人"]


def test_mortgage_registration_is_recorded_and_not_registered_twice(unit, actor, staff):
    data = {k: v for k, v in transfer_data().items() if k not in ("buyer_name", "buyer_id", "price")}
    data.update(bank_name="中国工商银行云溪支行", debt_amount="50")
    case = approve_all(accept(actor("acceptor"), application(item_by_form(service.MORTGAGE), data)), staff)
    mortgage = db.session.query(Mortgage).filter_by(case_number=case.number).one()
    assert mortgage.mortgagee == "中国工商银行云溪支行" and unit.mortgaged
    with pytest.raises(ApplicationInvalid, match="已设定抵押"):
        accept(actor("acceptor"), application(item_by_form(service.MORTGAGE), data))


@pytest.fixture
def api_world(app):
    """The unit and the transfer item's API body, set up without holding an app context
    (Flask-Login caches the user in ``g`` of a shared context across requests)."""
    with app.app_context():
        dept = db.session.query(Department).filter_by(credit_code=RE).one()
        db.session.add(
            PropertyUnit(
                unit_number=UNIT,
                location="云溪县云溪镇人民路1号1栋101室",
                area=Decimal("85.50"),
                use="住宅",
                right_type="房屋所有权",
                owner_name="王五",
                owner_id=PERSON,
                department=dept,
                mortgaged=False,
            )
        )
        db.session.commit()
        item = item_by_form(service.TRANSFER)
        code, materials = item.implementation_code, {str(m.id): "submitted" for m in item.materials}
    return lambda **data: {
        "item_code": code,
        "outcome": "accept",
        "data": transfer_data(**data),
        "materials": materials,
        "applicant": {"type": "person", "name": "王五", "id": PERSON, "phone": "13800000000"},
    }


def test_transfer_lifecycle_through_the_api(app, api_world, api):
    status, case = api("post", "/api/v1/cases/", "acceptor", json=api_world())
    assert status == 201, case
    number = case["number"]
    for step in case["steps"]:
        user = "approver_re" if step["is_lead"] else "admin"
        status, case = api(
            "post", f"/api/v1/cases/{number}/approve_step", user, json={"opinion": "同意", "step_id": step["id"]}
        )
        assert status == 200, case
    status, case = api(
        "post", f"/api/v1/cases/{number}/hand_to_output", "approver_re", json={"result_description": "不动产权证书1本"}
    )
    with app.app_context():
        from area1_helpers import seal_result

        from onewindow.cases.models import Case as _Case

        seal_result(db.session.query(_Case).filter_by(number=number).one())
    status, case = api(
        "post",
        f"/api/v1/cases/{number}/deliver_pickup",
        "output_clerk",
        json={"signee_name": "王五", "signee_id": PERSON},
    )
    assert status == 200 and case["state"] == "delivered"
    with app.app_context():
        assert db.session.query(Transfer).one().deed_tax == Decimal("10000.00")


def test_api_names_the_bad_unit_number(api_world, api):
    status, answer = api("post", "/api/v1/cases/", "acceptor", json=api_world(unit_number="123"))
    assert status == 422 and any(p["field"] == "不动产单元号" and "28位" in p["message"] for p in answer["problems"])
