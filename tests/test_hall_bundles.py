"""一件事 in the online hall: listed next to the items, a guide page, the online application
(intake questions → members, a shared field once, a shared material once with its uploads),
submitted as one online parent with its children; 我的办件 shows the bundle as one application
with each member's state and due date; the correction notice answered per merged material."""

from __future__ import annotations

import io

from test_bundle_cases import COMPANY, ESTABLISH, REP, approver_of, kaiban, merged_answers

from onewindow.app import db
from onewindow.cases import bundles as bundle_cases
from onewindow.cases import engine
from onewindow.cases.models import Case, CaseState, Channel
from tests.test_hall_apply import _citizen, _sign_in
from tests.test_material_files import pdf


def _company_citizen(app, client):
    """王五 (REP), legal representative of the company that opens the restaurant."""
    from onewindow_hall.models import Citizen, CitizenKind, CompanyMember, MemberRole

    citizen_id = _citizen(app, id_number=REP, name="王五")
    with app.app_context():
        person = db.session.get(Citizen, citizen_id)
        company = Citizen(
            kind=CitizenKind.company,
            name="云溪县味道餐饮有限公司",
            uscc=COMPANY,
            legal_rep_name="王五",
            legal_rep_id_number=REP,
        )
        company.members.append(CompanyMember(person=person, role=MemberRole.legal_rep))
        db.session.add(company)
        db.session.commit()
        company_id = company.id
    _sign_in(client, citizen_id)
    return company_id


def _form(app, company_id, wastewater="1", skip=()):
    with app.app_context():
        plan = bundle_cases.plan(kaiban(), {"discharges_wastewater": wastewater == "1"})
        names = [m.name for m in plan.materials]
    data = {"q_discharges_wastewater": wastewater, "company": str(company_id)}
    data.update({f"f_{k}": v for k, v in merged_answers().items()})
    data[f"x{ESTABLISH}_shareholders-0-name"] = "王五"
    data[f"x{ESTABLISH}_shareholders-0-id_number"] = REP
    data[f"x{ESTABLISH}_shareholders-0-share"] = "100"
    for n, name in enumerate(names):
        if name not in skip:
            data[f"mm{n}"] = (io.BytesIO(pdf(b"%d" % n + b" " * 100)), f"{name}.pdf")
    return data, names


def test_the_home_lists_the_bundles_and_the_guide_shows_members_materials_limit(app, client):
    home = client.get("/").get_data(as_text=True)
    assert "开办餐饮店" in home and "/hall/bundles/kaiban-canyin" in home
    page = client.get("/hall/bundles/kaiban-canyin")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "企业设立登记" in body and "城镇污水排入排水管网许可" in body
    assert "是否向城镇排水管网排放污水：是" in body  # when the member applies
    with app.app_context():
        assert f"{kaiban().promised_days} 个工作日" in body
    assert body.count("<td>营业执照") == 1  # a material three members need, listed once


def test_browsing_an_audience_lists_its_bundles_next_to_its_items(client):
    people = client.get("/hall/items?audience=person").get_data(as_text=True)
    companies = client.get("/hall/items?audience=legal_person").get_data(as_text=True)
    assert 'data-bundle="tuixiu"' in people and 'data-bundle="kaiban-canyin"' not in people
    assert 'data-bundle="kaiban-canyin"' in companies and 'data-bundle="tuixiu"' not in companies


def test_applying_online_makes_one_online_parent_with_its_children(app, client):
    company_id = _company_citizen(app, client)
    intake = client.get("/hall/bundles/kaiban-canyin/apply?q_discharges_wastewater=0")
    assert intake.status_code == 200 and "排水许可申请表" not in intake.get_data(as_text=True)
    data, _names = _form(app, company_id, wastewater="0")
    answer = client.post("/hall/bundles/kaiban-canyin/apply", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    number = answer.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        parent = db.session.query(Case).filter_by(number=number).one()
        assert parent.is_bundle and parent.channel == Channel.online and parent.state == CaseState.submitted
        assert len(parent.children) == 3  # no wastewater: no 排水许可
        licence = [m for c in parent.children for m in c.materials if m.name == "营业执照"]
        assert len(licence) == 2 and all(len(m.files) == 1 for m in licence)
    mine = client.get("/hall/my/").get_data(as_text=True)
    assert f'data-number="{number}"' in mine and "食品经营许可证核发" in mine


def test_a_refused_file_submits_nothing_and_names_the_material(app, client):
    company_id = _company_citizen(app, client)
    data, names = _form(app, company_id)
    bad = names.index("公司章程")
    data[f"mm{bad}"] = (io.BytesIO(b"plain text, not a scan"), "公司章程.pdf")
    with app.app_context():
        before = db.session.query(Case).count()
    answer = client.post("/hall/bundles/kaiban-canyin/apply", data=data, content_type="multipart/form-data")
    assert answer.status_code == 400 and "公司章程" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Case).count() == before


def test_the_correction_is_answered_online_and_the_bundle_shows_each_member(app, client, actor):
    company_id = _company_citizen(app, client)
    data, _names = _form(app, company_id, skip=("营业执照",))
    number = (
        client.post("/hall/bundles/kaiban-canyin/apply", data=data, content_type="multipart/form-data")
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    with app.app_context():
        parent = db.session.query(Case).filter_by(number=number).one()
        engine.pre_review(parent, actor(approver_of(parent.department_id)), False, "营业执照请上传")
        merged = [m.name for m in bundle_cases.plan(kaiban(), {"discharges_wastewater": True}).materials]
    page = client.get(f"/hall/my/cases/{number}").get_data(as_text=True)
    assert 'id="hall-correction"' in page and "营业执照" in page and 'id="hall-bundle-case"' in page
    answer = client.post(
        f"/hall/my/cases/{number}/bundle-files",
        data={"material": str(merged.index("营业执照")), "files": (io.BytesIO(pdf(b"licence")), "营业执照.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    with app.app_context():
        parent = db.session.query(Case).filter_by(number=number).one()
        holders = [c for c in parent.children for m in c.materials if m.name == "营业执照" and m.files]
        assert len(holders) == 3


def test_another_citizen_cannot_see_or_answer_the_bundle(app, client):
    company_id = _company_citizen(app, client)
    data, _names = _form(app, company_id)
    number = (
        client.post("/hall/bundles/kaiban-canyin/apply", data=data, content_type="multipart/form-data")
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    other = _citizen(app, id_number="11010519491231002X", name="李四", mobile="13900139000")
    _sign_in(client, other)
    assert client.get(f"/hall/my/cases/{number}").status_code == 404
    assert client.post(f"/hall/my/cases/{number}/bundle-files", data={"material": "0"}).status_code == 404


def test_the_applicant_gets_one_message_for_the_whole_bundle_not_one_per_member(app, client, actor):
    from sqlalchemy import select

    from onewindow.notify.models import Notification

    def sent() -> list[str]:
        with app.app_context():
            rows = db.session.execute(select(Notification).where(Notification.kind == "hall.case_changed")).scalars()
            return [n.body for n in rows]

    company_id = _company_citizen(app, client)
    data, _names = _form(app, company_id)
    number = (
        client.post("/hall/bundles/kaiban-canyin/apply", data=data, content_type="multipart/form-data")
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    before = len(sent())
    with app.app_context():
        parent = db.session.query(Case).filter_by(number=number).one()
        engine.pre_review(parent, actor(approver_of(parent.department_id)), True)
    new = sent()[before:]
    assert len(new) == 1 and number in new[0] and "开办餐饮店" in new[0]
