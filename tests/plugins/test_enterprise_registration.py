"""Enterprise registration (企业登记): one form, parallel handling by the merged
departments (多证合一), credit code and business licence on approval, the name rule."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from area1_helpers import (
    AMR,
    BAD_ID,
    HR,
    MONDAY,
    PERSON,
    PERSON2,
    TAX,
    accept,
    application,
    approve_all,
    deliver,
    item_by_form,
)
from onewindow_enterprise import codes, service
from onewindow_enterprise.models import Enterprise
from sqlalchemy.exc import OperationalError

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import ApplicationInvalid, ConflictError
from onewindow.cases.models import ApplicantType, StepState
from onewindow.licences.models import Licence
from onewindow.validators import uscc_problem

NAME = "云溪县青山科技有限公司"


def establishment(name=NAME, shares=("60", "40"), legal_rep_id=PERSON, **extra):
    data = {
        "company_name": name,
        "company_type": "有限责任公司（自然人投资或控股）",
        "registered_capital": "100",
        "address": "云溪县云溪镇人民路1号",
        "business_scope": "软件开发；信息技术咨询服务",
        "legal_rep_name": "王五",
        "legal_rep_id": legal_rep_id,
        "phone": "13800000000",
        "shareholders": [
            {"name": f"股东{n}", "id_number": ident, "share": share}
            for n, (ident, share) in enumerate(zip([PERSON, PERSON2, "91440300MA5G7K2L82"], shares), 1)
        ],
    }
    data.update(extra)
    return data


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def staff(actor):
    """Department credit code → the actor approving its step (admin for departments
    without demo staff)."""
    approver, admin = actor("approver"), actor("admin")
    return lambda code: approver if code == AMR else admin


def establish(actor, staff, **kw):
    case = accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), establishment(**kw)))
    return approve_all(case, staff)


def problems_of(excinfo):
    return dict(excinfo.value.problems)


def test_establishment_runs_from_one_form_to_the_delivered_business_licence(ctx, actor, staff):
    case = accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), establishment()))
    # 多证合一: the registration authority leads, tax and social security handle in parallel
    assert [(s.department.credit_code, s.is_lead, s.parallel, s.state) for s in case.steps] == [
        (AMR, True, True, StepState.active),
        (TAX, False, True, StepState.active),
        (HR, False, True, StepState.active),
    ]
    approve_all(case, staff)
    assert case.state.name == "approved"
    enterprise = db.session.query(Enterprise).filter_by(case_number=case.number).one()
    assert enterprise.name == NAME and enterprise.registered_capital == Decimal("100")
    assert [(s.name, s.share) for s in enterprise.shareholders] == [("股东1", Decimal("60")), ("股东2", Decimal("40"))]
    code = enterprise.uscc
    assert uscc_problem(code) is None and code.startswith("91369921MA")  # 9 工商, 1 企业, 369921 云溪县
    assert code[16] == codes.org_check_char(code[8:16])
    licence = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one()
    assert licence.licence_type.code == service.LICENCE_TYPE and licence.name == "营业执照"
    assert (licence.holder, licence.holder_id, licence.holder_id_type.name) == (NAME, code, "credit_code")
    assert licence.data["uscc"] == code and licence.data["legal_rep_name"] == "王五"
    assert licence.data["established_on"] == enterprise.established_on.isoformat()
    deliver(case, actor("approver"), actor("output_clerk"))
    assert case.state.name == "delivered"


def test_a_silent_merged_department_consents_at_its_deadline(ctx, actor):
    case = accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), establishment()))
    with travel_to(MONDAY):
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    with travel_to(dt.date(2026, 11, 25)):
        assert engine.apply_silence_consent(case)  # 超时默认 [002 §二(四)2]
    assert case.state.name == "approved" and db.session.query(Enterprise).count() == 1


def test_duplicate_name_is_refused_with_the_conflicting_name(ctx, actor, staff):
    first = establish(actor, staff)
    code = db.session.query(Enterprise).filter_by(case_number=first.number).one().uscc
    with pytest.raises(ApplicationInvalid) as excinfo:  # full-width brackets and spaces do not make a new name
        accept(
            actor("acceptor"),
            application(item_by_form(service.ESTABLISH), establishment(name="云溪县 青山科技有限公司")),
        )
    message = problems_of(excinfo)["企业名称"]
    assert NAME in message and code in message


def test_shares_must_add_up_to_one_hundred_per_cent(ctx, actor):
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), establishment(shares=("60", "30"))))
    assert problems_of(excinfo)["股东出资比例"] == "各股东出资比例合计为 90%，须等于 100%"


def test_invalid_legal_representative_and_shareholder_ids_are_refused(ctx, actor):
    data = establishment(legal_rep_id=BAD_ID)
    data["shareholders"][1]["id_number"] = "91440300MA5G7K2L83"
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), data))
    text = str(excinfo.value)
    assert "法定代表人身份证号码" in text and "校验" in text
    assert "91440300MA5G7K2L83" in text and "既不是有效的居民身份证号码" in text
    assert db.session.query(Enterprise).count() == 0


def test_a_faulty_shareholder_row_is_named_by_row_and_field(ctx, actor):
    """The core binds structured case data (a list of rows) as the browser posts it and
    reports each row's error under its row, so the window can tell the applicant which
    line of the one form (一表申请) to correct."""
    data = establishment()
    data["shareholders"][1]["id_number"] = "91440300MA5G7K2L83"  # wrong check character
    data["shareholders"][0]["name"] = ""
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), application(item_by_form(service.ESTABLISH), data))
    problems = problems_of(excinfo)
    assert "既不是有效的居民身份证号码" in problems["股东（发起人） 第2行 证件号码"]
    assert problems["股东（发起人） 第1行 股东名称或姓名"] == "请填写股东名称或姓名"
    assert not any(label.startswith("股东（发起人） 第3行") for label in problems)


def test_organisation_and_credit_code_check_characters():
    assert codes.org_check_char("M000100Y") == "4"  # 91350100M000100Y43 (GB 11714 check char 4)
    code = codes.build_uscc("369921", 7)
    assert code[:16] == "91369921MA000007" and uscc_problem(code) is None


def test_credit_codes_are_unique_under_concurrency(app):
    found, errors = [], []

    def allocate():
        with app.app_context():
            for _attempt in range(20):
                try:
                    found.append(codes.assign_uscc(db.session, "369921"))
                    db.session.commit()
                    return
                except OperationalError:  # SQLite "database is locked": retry as a caller would
                    db.session.rollback()
            errors.append("gave up")

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(found) == 8 and len(set(found)) == 8
    assert sorted(int(c[10:16]) for c in found) == list(range(1, 9))


def change_or_close(item_key, code, name=NAME, **data):
    body = {"company_name": name, "credit_code": code, "phone": "13800000000", **data}
    if item_key == service.DEREGISTER:
        body.update(contact_name="王五", contact_id=PERSON)
    return application(item_by_form(item_key), body, name=name, ident=code, kind=ApplicantType.company)


def test_change_finds_the_enterprise_by_its_code_and_applies_the_change(ctx, actor, staff):
    first = establish(actor, staff)
    code = db.session.query(Enterprise).filter_by(case_number=first.number).one().uscc
    case = accept(
        actor("acceptor"),
        change_or_close(service.CHANGE, code, change_items="住所", new_value="云溪县城南街道新华路8号"),
    )
    approve_all(case, staff)
    enterprise = db.session.query(Enterprise).filter_by(uscc=code).one()
    assert enterprise.address == "云溪县城南街道新华路8号" and enterprise.last_case_number == case.number
    licence = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one()
    assert licence.data["address"] == "云溪县城南街道新华路8号" and licence.holder_id == code


def test_change_refuses_a_bad_checksum_and_an_unknown_code(ctx, actor):
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), change_or_close(service.CHANGE, "91369921MA00000123", change_items="住所"))
    assert "统一社会信用代码" in str(excinfo.value)
    unknown = codes.build_uscc("369921", 999)
    with pytest.raises(ApplicationInvalid) as excinfo:
        accept(actor("acceptor"), change_or_close(service.CHANGE, unknown, change_items="住所"))
    assert (
        problems_of(excinfo)["统一社会信用代码"] == f"本辖区企业登记簿中没有统一社会信用代码为 {unknown} 的企业，请核对"
    )


def test_deregistration_closes_the_enterprise_revokes_its_licence_and_frees_the_name(ctx, actor, staff):
    first = establish(actor, staff)
    enterprise = db.session.query(Enterprise).filter_by(case_number=first.number).one()
    case = accept(actor("acceptor"), change_or_close(service.DEREGISTER, enterprise.uscc))
    approve_all(case, staff)
    assert enterprise.status == "deregistered" and enterprise.deregistered_on is not None
    licence = db.session.query(Licence).filter_by(identifier=first.licence_identifier).one()
    assert licence.status.name == "revoked"
    with pytest.raises(ApplicationInvalid) as excinfo:  # a closed enterprise cannot be changed
        accept(actor("acceptor"), change_or_close(service.CHANGE, enterprise.uscc, change_items="住所"))
    assert "已于" in problems_of(excinfo)["统一社会信用代码"]
    establish(actor, staff)  # the name is free again
    assert db.session.query(Enterprise).filter_by(name=NAME, status="active").count() == 1


def test_name_taken_between_acceptance_and_approval_refuses_the_approval(ctx, actor, staff):
    item = item_by_form(service.ESTABLISH)
    one = accept(actor("acceptor"), application(item, establishment()))
    two = accept(actor("acceptor"), application(item, establishment()))
    approve_all(one, staff)
    with pytest.raises(Exception) as excinfo:
        approve_all(two, staff)
    assert NAME in str(excinfo.value) and not isinstance(excinfo.value, ConflictError)
    assert db.session.query(Enterprise).count() == 1
