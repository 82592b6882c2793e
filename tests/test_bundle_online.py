"""一件事 applied for online (网上办事大厅): one parent case in channel ``online`` with a child per
applicable member, a shared material's files stored once and put on EVERY child that needs it,
all or nothing; the lead department's pre-review accepts the whole bundle (one acceptance
notice) or issues one correction notice that the applicant answers online."""

from __future__ import annotations

import io

import pytest
from test_bundle_cases import (
    COMPANY,
    DRAIN,
    ESTABLISH,
    FIRE,
    FOOD,
    KAIBAN,
    MONDAY,
    REP,
    approver_of,
    counts,
    kaiban,
    merged_answers,
)

from onewindow.app import db
from onewindow.cases import bundles as bundle_cases
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import TransitionError
from onewindow.cases.materialfiles import FileRefused, Upload
from onewindow.cases.models import (
    ApplicantType,
    Case,
    CaseEvent,
    CaseMaterialFile,
    CaseState,
    Channel,
    MaterialStatus,
    Notice,
)
from onewindow.storage import storage
from tests.test_material_files import pdf


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def application(wastewater=True) -> bundle_cases.BundleApplication:
    return bundle_cases.BundleApplication(
        bundle=kaiban(),
        applicant_type=ApplicantType.company,
        applicant_name="云溪县味道餐饮有限公司",
        applicant_id=COMPANY,
        answers={"discharges_wastewater": wastewater},
        data=merged_answers(),
        channel=Channel.online,
        phone="13800138000",
        member_data={ESTABLISH: {"shareholders": [{"name": "王五", "id_number": REP, "share": "100"}]}},
    )


def merged(wastewater=True) -> list:
    return bundle_cases.plan(kaiban(), {"discharges_wastewater": wastewater}).materials


def files_for(wastewater=True, but=(), bad: str | None = None) -> dict[str, list[Upload]]:
    """One distinct PDF per merged material (a bad one for ``bad``), none for ``but``."""
    out = {}
    for n, m in enumerate(merged(wastewater)):
        if m.name in but:
            continue
        body = b"not a pdf at all" if m.name == bad else pdf(b"%d" % n + b" " * 200)
        out[m.name] = [Upload(f"{m.name}.pdf", io.BytesIO(body))]
    return out


def submit(files=None, wastewater=True) -> Case:
    with travel_to(MONDAY):
        return bundle_cases.submit_bundle_online(
            application(wastewater), engine.applicant_actor(REP), files_for(wastewater) if files is None else files
        )


def lead_approver(actor):
    return actor(approver_of(kaiban().lead_department_id))


def shared_name() -> str:
    """A material of 开办餐饮店 that several members need (营业执照: the library holds none yet)."""
    return next(m.name for m in merged() if m.shared)


def test_online_bundle_makes_one_online_parent_and_a_received_child_per_member(ctx):
    parent = submit()
    db.session.expire_all()
    parent = db.session.get(Case, parent.id)
    assert parent.is_bundle and parent.bundle.code == KAIBAN
    assert parent.channel == Channel.online and parent.state == CaseState.submitted and parent.pre_review_due
    assert parent.department_id == kaiban().lead_department_id
    assert sorted(c.item.basic_code for c in parent.children) == sorted([ESTABLISH, FOOD, FIRE, DRAIN])
    assert {(c.state, c.channel) for c in parent.children} == {(CaseState.submitted, Channel.online)}
    assert {c.data["company_name"] for c in parent.children} == {"云溪县味道餐饮有限公司"}  # asked once


def test_a_shared_material_file_lands_on_every_child_that_needs_it_stored_once(ctx):
    name = shared_name()
    needed_by = {code for code, _n in next(m for m in merged() if m.name == name).targets}
    assert len(needed_by) >= 2
    keys_before = set(storage().keys())
    parent = submit()
    db.session.expire_all()
    rows = [
        (c, f)
        for c in db.session.get(Case, parent.id).children
        for m in c.materials
        if m.name in {n for _c, n in next(x for x in merged() if x.name == name).targets}
        for f in m.files
    ]
    assert {c.item.basic_code for c, _f in rows} == needed_by  # on every child that needs it
    assert len(rows) == len(needed_by)  # one file row per child material
    assert len({f.storage_key for _c, f in rows}) == 1 and len({f.sha256 for _c, f in rows}) == 1  # same bytes
    digest = rows[0][1].sha256
    for child, _f in rows:  # the SHA-256 in each child's own hash chain
        events = db.session.query(CaseEvent).filter_by(case_id=child.id, action="add_material_files").all()
        assert any(digest in [x["sha256"] for x in e.payload["files"]] for e in events)
    stored = set(storage().keys()) - keys_before
    assert len(stored) == len(files_for())  # each merged material's file stored once, not once per child


def test_a_refused_file_stores_nothing_creates_no_case_and_names_the_material(ctx):
    before, keys_before = counts(), set(storage().keys())
    name = shared_name()
    with pytest.raises(FileRefused, match=name):
        submit(files=files_for(bad=name))
    db.session.rollback()
    assert counts() == before and set(storage().keys()) == keys_before
    assert db.session.query(CaseMaterialFile).count() == 0


def test_a_members_invalid_form_refuses_the_whole_bundle_naming_the_member(ctx):
    from onewindow.cases.errors import ApplicationInvalid

    before, keys_before = counts(), set(storage().keys())
    app = application()
    app.member_data = {}  # 企业设立登记 needs its shareholders
    with pytest.raises(ApplicationInvalid) as refused, travel_to(MONDAY):
        bundle_cases.submit_bundle_online(app, engine.applicant_actor(REP), files_for())
    db.session.rollback()
    assert any(where.startswith("企业设立登记") for where, _why in refused.value.problems)
    assert counts() == before and set(storage().keys()) == keys_before


def test_the_lead_departments_pass_accepts_every_member_with_one_acceptance_notice(ctx, actor):
    parent = submit()
    with travel_to(MONDAY):
        engine.pre_review(db.session.get(Case, parent.id), lead_approver(actor), True, "材料齐全")
    db.session.expire_all()
    parent = db.session.get(Case, parent.id)
    assert parent.state == CaseState.in_review and parent.due_date
    assert {c.state for c in parent.children} == {CaseState.in_review} and all(c.steps for c in parent.children)
    notices = [n for c in [parent, *parent.children] for n in c.notices if n.kind == "acceptance"]
    assert len(notices) == 1
    assert {m["item"]: m["due_date"] for m in notices[0].content["members"]} == {
        c.item.name: c.due_date.isoformat() for c in parent.children
    }
    uploaded = {m.name for m in merged()}
    assert all(
        m.status in (MaterialStatus.submitted, MaterialStatus.from_library)
        for c in parent.children
        for m in c.materials
        if m.name in uploaded
    )


def test_a_pass_with_a_required_material_missing_is_refused_naming_member_and_material(ctx, actor):
    name = shared_name()
    parent = submit(files=files_for(but=(name,)))
    before = counts()
    with pytest.raises(TransitionError, match=f"“{name}”"), travel_to(MONDAY):
        engine.pre_review(db.session.get(Case, parent.id), lead_approver(actor), True)
    db.session.rollback()
    assert counts() == before and db.session.get(Case, parent.id).state == CaseState.submitted


def test_a_member_is_never_pre_reviewed_on_its_own(ctx, actor):
    parent = submit()
    child = next(c for c in db.session.get(Case, parent.id).children if c.item.basic_code == FIRE)
    with pytest.raises(TransitionError, match="牵头部门"):
        engine.pre_review(child, actor(approver_of(child.department_id)), True)


def test_not_passed_gives_one_correction_notice_answered_online_onto_every_child(ctx, actor):
    name = shared_name()
    parent = submit(files=files_for(but=(name,)))
    charter = next(m for c in db.session.get(Case, parent.id).children for m in c.materials if m.name == "公司章程")
    with travel_to(MONDAY):
        engine.pre_review(
            db.session.get(Case, parent.id), lead_approver(actor), False, "请补正", {charter.material_id: "未签字"}
        )
    db.session.expire_all()
    parent = db.session.get(Case, parent.id)
    assert parent.state == CaseState.correction and {c.state for c in parent.children} == {CaseState.correction}
    notices = [n for c in [parent, *parent.children] for n in c.notices if n.kind == "correction"]
    assert len(notices) == 1  # one notice covering all members
    lines = {row["material"]: row for row in notices[0].content["items"]}
    assert lines["公司章程"]["problem"] == "未签字"
    assert lines[name]["problem"] == "未提交" and "、" in lines[name]["member"]  # a shared material once

    # answered online: the file goes onto every child that needs the material
    bundle_cases.add_bundle_files(
        parent, engine.applicant_actor(parent), name, [Upload("补交.pdf", io.BytesIO(pdf(b"later")))]
    )
    db.session.expire_all()
    parent = db.session.get(Case, parent.id)
    needed_by = {code for code, _n in next(m for m in merged() if m.name == name).targets}
    holders = {c.item.basic_code for c in parent.children for m in c.materials if m.files and m.name == name}
    assert holders == needed_by
    with travel_to(MONDAY):
        statuses = {m.name: MaterialStatus.submitted for m in merged()}
        bundle_cases.accept_bundle_correction(parent, actor("acceptor"), statuses)
    db.session.expire_all()
    assert db.session.get(Case, parent.id).state == CaseState.in_review
    assert db.session.query(Notice).filter_by(case_id=parent.id, kind="acceptance").count() == 1


@pytest.mark.parametrize("name", ["accept", "request_correction", "deem_accepted", "reject"])
def test_a_member_is_never_accepted_corrected_refused_or_deemed_accepted_on_its_own(ctx, actor, name):
    from onewindow.cases.transitions import run_transition

    parent = submit()
    child = next(c for c in db.session.get(Case, parent.id).children if c.item.basic_code == FOOD)
    body = {
        "accept": {"materials": {}},
        "request_correction": {"problems": {}, "general": "缺材料"},
        "reject": {"reasons": "不属于本机关职权范围"},
    }.get(name, {})
    with pytest.raises(TransitionError, match=parent.number):
        run_transition(child, name, actor("acceptor"), body)
    db.session.rollback()
    assert db.session.get(Case, child.id).state == CaseState.submitted


def test_the_lead_department_reads_every_members_file_on_the_bundles_page_and_no_other(app, login):
    """Pre-review of the whole bundle means reading every member's materials, those another
    department handles too; the bundle's page serves its members' files and nothing else (a
    guessed id of another case's file is 404)."""
    import re

    with app.app_context():
        parent = submit()
        first = submit()  # a second bundle: its files are not this bundle's
        parent_id, lead = parent.id, approver_of(parent.department_id)
        sha = {f.id: f.sha256 for c in parent.children for m in c.materials for f in m.files}
        theirs = {
            f.sha256
            for c in parent.children
            if c.department_id != parent.department_id
            for m in c.materials
            for f in m.files
        }
        other = next(f.id for c in db.session.get(Case, first.id).children for m in c.materials for f in m.files)
    client = app.test_client()
    login(client, lead)
    page = client.get(f"/caseview/show/{parent_id}").get_data(as_text=True)
    linked = [int(i) for i in re.findall(rf"/caseview/file/{parent_id}/(\d+)", page)]
    assert theirs and theirs <= {sha[i] for i in linked}  # every other department's file, each once
    assert len(linked) == len(set(sha[i] for i in linked))
    theirs_id = next(i for i in linked if sha[i] in theirs)
    opened = client.get(f"/caseview/file/{parent_id}/{theirs_id}")
    assert opened.status_code == 200 and opened.data[:4] == b"%PDF"
    assert client.get(f"/caseview/file/{parent_id}/{other}").status_code == 404
