"""Online application (网上申请) in the hall: the item's own form and uploads, drafts kept
(未完成的申请), submit into the engine as ``online``, the department's pre-review, one
correction notice answered online, 我的办件 / 我的证照 for the applicant only, and the
applicant's own rating (好差评) through the supervision service."""

from __future__ import annotations

import io
import re
import time

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.models import Case, CaseMaterialFile, CaseState, Channel, MaterialStatus
from onewindow.models.items import Item
from tests.test_material_files import PDF, pdf

PERSON = "440304200002291236"
OTHER = "11010519491231002X"
COMPANY_USCC = "91440300MA5G7K2L82"
SIGNED_PDF = pdf(b"% signed")


def _citizen(app, id_number=PERSON, name="张三丰", mobile="13800138000"):
    from onewindow_hall.models import Citizen, CitizenKind

    with app.app_context():
        citizen = Citizen(kind=CitizenKind.person, name=name, id_number=id_number, mobile=mobile, mobile_verified=True)
        db.session.add(citizen)
        db.session.commit()
        return citizen.id


def _sign_in(client, citizen_id):
    with client.session_transaction() as session:
        session["hall_citizen"] = {"id": citizen_id, "at": int(time.time())}


@pytest.fixture
def citizen(app, client):
    citizen_id = _citizen(app)
    _sign_in(client, citizen_id)
    return citizen_id


def _code(app, item_id):
    with app.app_context():
        return db.session.get(Item, item_id).implementation_code


def _material_ids(app, item_id):
    with app.app_context():
        return [m.id for m in db.session.get(Item, item_id).materials]


def _submit(client, app, item_id, files=True, **fields):
    data = {"action": "submit", **fields}
    if files:
        for material_id in _material_ids(app, item_id)[:2]:
            data[f"files{material_id}"] = (io.BytesIO(PDF), "申请书.pdf")
    response = client.post(f"/hall/apply/{_code(app, item_id)}", data=data, content_type="multipart/form-data")
    return response


def _case(app, number) -> Case:
    return db.session.query(Case).filter_by(number=number).one()


def _number(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]


def test_apply_page_shows_the_items_own_form_with_labels_bound_to_inputs(app, client, citizen):
    with app.app_context():
        item = db.session.query(Item).filter_by(basic_code="011004000000", is_current=True).one()
        code, fields = item.implementation_code, [f.label for f in item.fields]
    body = client.get(f"/hall/apply/{code}").get_data(as_text=True)
    assert 'id="hall-apply-form"' in body and 'name="csrf_token"' in body
    for label in fields:
        assert label in body
    for field_id in re.findall(r'<input[^>]+id="(f_[^"]+)"', body):
        assert f'<label for="{field_id}"' in body  # every input has its label
    assert re.search(r'<input type="file" id="hall-files-\d+"', body)


def test_plugin_form_of_an_item_is_the_window_form(app, client, citizen):
    with app.app_context():
        item = db.session.query(Item).filter_by(basic_code="011001000000", is_current=True).one()
        code, form_key = item.implementation_code, item.form_key
    assert form_key == "enterprise.establishment"
    body = client.get(f"/hall/apply/{code}").get_data(as_text=True)
    assert 'id="hall-application-form"' in body and 'name="f_' in body


def test_draft_is_kept_and_listed_under_unfinished_applications(app, client, citizen):
    with app.app_context():
        item = db.session.query(Item).filter_by(basic_code="011004000000", is_current=True).one()
        code = item.implementation_code
    response = client.post(f"/hall/apply/{code}", data={"action": "save", "f_trade_name": "丰记小吃"})
    assert response.status_code == 302
    draft_id = re.search(r"draft=(\d+)", response.headers["Location"]).group(1)
    my = client.get("/hall/my/").get_data(as_text=True)
    assert f'data-draft="{draft_id}"' in my and "个体工商户设立登记" in my
    again = client.get(f"/hall/apply/{code}?draft={draft_id}").get_data(as_text=True)
    assert 'value="丰记小吃"' in again
    with app.app_context():
        assert db.session.query(Case).filter_by(applicant_id=PERSON).count() == 0  # a draft is no case


def test_another_citizens_draft_answers_404(app, client, citizen):
    with app.app_context():
        code = db.session.query(Item).filter_by(basic_code="011004000000", is_current=True).one().implementation_code
    response = client.post(f"/hall/apply/{code}", data={"action": "save"})
    draft_id = re.search(r"draft=(\d+)", response.headers["Location"]).group(1)
    other = app.test_client()
    _sign_in(other, _citizen(app, OTHER, "李四", "13900139000"))
    assert other.get(f"/hall/apply/{code}?draft={draft_id}").status_code == 404
    assert other.post(f"/hall/drafts/{draft_id}/delete").status_code == 404


def test_submit_creates_an_online_case_with_the_uploaded_files(app, client, citizen, make_item):
    item_id = make_item(name="网上申请测试许可")
    number = _number(_submit(client, app, item_id))
    with app.app_context():
        case = _case(app, number)
        assert case.channel == Channel.online and case.state == CaseState.submitted
        assert case.applicant_id == PERSON and case.pre_review_due is not None
        assert [len(m.files) for m in case.materials] == [1, 1, 0]
        assert {f.channel.name for m in case.materials for f in m.files} == {"online"}
    page = client.get(f"/hall/my/cases/{number}").get_data(as_text=True)
    assert 'data-state="submitted"' in page and 'id="hall-next-step">' in page


def test_invalid_application_writes_nothing_and_says_what_to_fix(app, client, citizen):
    with app.app_context():
        item = db.session.query(Item).filter_by(basic_code="011004000000", is_current=True).one()
        item_id, required = item.id, next(f.label for f in item.fields if f.required)
    response = _submit(client, app, item_id, files=False)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="hall-problems"' in body and required in body
    with app.app_context():
        assert db.session.query(Case).filter_by(applicant_id=PERSON).count() == 0


def test_correction_notice_is_answered_online_then_the_case_is_accepted(app, client, citizen, make_item, actor):
    item_id = make_item(name="补正测试许可", visits=0)
    number = _number(_submit(client, app, item_id))
    with app.app_context():
        case = _case(app, number)
        faulty = case.materials[0]
        engine.pre_review(case, actor("approver"), False, "", {faulty.material_id: "申请书未签字"})
        material_id = faulty.material_id
    page = client.get(f"/hall/my/cases/{number}").get_data(as_text=True)
    assert 'id="hall-correction"' in page and "申请书未签字" in page and "场所使用证明" in page
    assert re.search(r"\d{4}-\d{2}-\d{2}", page.split('id="hall-correction"')[1])  # supply by
    notice = re.search(rf'href="(/hall/my/cases/{number}/notices/\d+\.pdf)" data-kind="correction"', page).group(1)
    pdf = client.get(notice)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    answer = client.post(
        f"/hall/my/cases/{number}/files",
        # the signed form is another file than the first one (the same bytes again would be one file)
        data={"material_id": str(material_id), "files": (io.BytesIO(SIGNED_PDF), "签字后的申请书.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    with app.app_context():
        case = _case(app, number)
        assert [f.original_name for f in case.materials[0].files][-1] == "签字后的申请书.pdf"
        engine.accept(case, actor("acceptor"), {m.material_id: MaterialStatus.submitted for m in case.materials})
        assert _case(app, number).state == CaseState.in_review


def test_fully_online_item_is_accepted_when_pre_review_passes(app, client, citizen, make_item, actor):
    item_id = make_item(name="零跑动测试许可", visits=0)
    number = _number(_submit(client, app, item_id))
    with app.app_context():
        engine.pre_review(_case(app, number), actor("approver"), True, "材料齐全")
        assert _case(app, number).state == CaseState.in_review
    page = client.get("/hall/my/").get_data(as_text=True)
    assert f'data-number="{number}" data-state="in_review"' in page


def test_another_citizens_case_answers_404(app, client, citizen, make_item):
    number = _number(_submit(client, app, make_item(name="隐私测试许可")))
    other = app.test_client()
    _sign_in(other, _citizen(app, OTHER, "李四", "13900139000"))
    assert other.get(f"/hall/my/cases/{number}").status_code == 404
    assert other.post(f"/hall/my/cases/{number}/files", data={"material_id": "1"}).status_code == 404
    assert number not in other.get("/hall/my/").get_data(as_text=True)


def test_company_member_sees_the_companys_cases(app, client, citizen, make_item, actor):
    from onewindow_hall.models import Citizen, CitizenKind, CompanyMember, MemberRole

    with app.app_context():
        company = Citizen(kind=CitizenKind.company, name="云溪丰记餐饮有限公司", uscc=COMPANY_USCC)
        db.session.add(company)
        db.session.flush()
        db.session.add(CompanyMember(company_id=company.id, person_id=citizen, role=MemberRole.agent))
        db.session.commit()
        company_id = company.id
    item_id = make_item(name="企业测试许可")
    number = _number(_submit(client, app, item_id, company=str(company_id)))
    with app.app_context():
        case = _case(app, number)
        assert case.applicant_type.name == "company" and case.applicant_id == COMPANY_USCC
    assert f'data-number="{number}"' in client.get("/hall/my/").get_data(as_text=True)
    stranger = app.test_client()
    _sign_in(stranger, _citizen(app, OTHER, "李四", "13900139000"))
    assert stranger.get(f"/hall/my/cases/{number}").status_code == 404


def _delivered(app, client, make_item, actor) -> str:
    item_id = make_item(name="评价测试许可", visits=0)
    number = _number(_submit(client, app, item_id))
    with app.app_context():
        engine.pre_review(_case(app, number), actor("approver"), True, "")
        case = _case(app, number)
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.hand_to_output(case, actor("approver"), "许可证1份")
        engine.deliver_pickup(case, actor("output_clerk"), "张三丰", PERSON)
        assert case.state == CaseState.delivered
    return number


def test_dissatisfied_rating_online_opens_the_rectification(app, client, citizen, make_item, actor):
    from onewindow_supervision.models import Evaluation, Rectification, RectificationState

    number = _delivered(app, client, make_item, actor)
    page = client.get(f"/hall/my/cases/{number}").get_data(as_text=True)
    assert 'id="hall-rate-form"' in page and 'for="hall-level-dissatisfied"' in page
    client.post(f"/hall/my/cases/{number}/evaluation", data={"level": "dissatisfied", "reason": "多次跑动"})
    response = client.post(
        f"/hall/my/cases/{number}/evaluation", data={"level": "dissatisfied", "reason": "Had to come more than once"}
    )
    assert response.status_code == 302
    with app.app_context():
        evaluation = db.session.query(Evaluation).filter_by(case_id=_case(app, number).id).one()
        assert evaluation.channel.name == "online" and evaluation.level.name == "dissatisfied"
        rect = db.session.query(Rectification).filter_by(evaluation_id=evaluation.id).one()
        assert rect.state == RectificationState.open
    page = client.get(f"/hall/my/cases/{number}").get_data(as_text=True)
    assert 'id="hall-rectification" data-state="open"' in page and 'id="hall-rate-form"' not in page


def test_rating_before_delivery_and_a_bad_rating_without_reason_are_refused(app, client, citizen, make_item, actor):
    from onewindow_supervision.models import Evaluation

    number = _number(_submit(client, app, make_item(name="未办结测试许可")))
    client.post(f"/hall/my/cases/{number}/evaluation", data={"level": "satisfied"})
    delivered = _delivered(app, client, make_item, actor)
    client.post(f"/hall/my/cases/{delivered}/evaluation", data={"level": "very_dissatisfied"})
    with app.app_context():
        assert db.session.query(Evaluation).count() == 0


def test_applicant_may_rate_only_their_own_case_and_only_online(app, client, citizen, make_item, actor):
    from onewindow_supervision import service

    from onewindow import ValidationError

    number = _delivered(app, client, make_item, actor)
    with app.app_context():
        case = _case(app, number)
        with pytest.raises(ValidationError, match="自己的办件"):
            service.record_evaluation(case, engine.applicant_actor(OTHER), "satisfied", "online")
        with pytest.raises(ValidationError, match="网上"):
            service.record_evaluation(case, engine.applicant_actor(case), "satisfied", "window")
        db.session.rollback()


def test_complaint_filed_online_about_own_case(app, client, citizen, make_item):
    from onewindow_supervision.models import Complaint

    number = _number(_submit(client, app, make_item(name="投诉测试许可")))
    response = client.post(f"/hall/my/cases/{number}/complaint", data={"content": "窗口要求提交清单外材料"})
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.query(Complaint).one()
        assert complaint.channel.name == "online" and complaint.case.number == number


def test_a_refused_file_submits_nothing_and_names_the_material(app, client, citizen, make_item):
    """All or nothing: an application whose file is refused (here: not a PDF or image by its
    content) creates no case and stores no file; the refusal names the material."""
    item_id = make_item(name="网上申请拒收文件测试")
    first, second = _material_ids(app, item_id)[:2]
    with app.app_context():
        names = [m.name for m in db.session.get(Item, item_id).materials]
        files_before = db.session.query(CaseMaterialFile).count()
    data = {
        "action": "submit",
        f"files{first}": (io.BytesIO(PDF), "申请书.pdf"),
        f"files{second}": (io.BytesIO(b"MZ\x90\x00 not a scan"), "扫描件.pdf"),
    }
    response = client.post(f"/hall/apply/{_code(app, item_id)}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="hall-problems"' in body and names[1] in body and "扫描件.pdf" in body
    with app.app_context():
        assert db.session.query(Case).filter_by(applicant_id=PERSON).count() == 0
        assert db.session.query(CaseMaterialFile).count() == files_before
