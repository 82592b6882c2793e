"""一件事一次办 as cases: one parent, a child per applicable member, all in one transaction."""

import datetime as dt

import pytest
from test_cases_api import api, jwt  # noqa: F401 (fixtures)

from onewindow.app import db
from onewindow.cases import bundles as bundle_cases
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import ApplicantType, Case, CaseEvent, CaseState, MaterialStatus, Notice
from onewindow.cases.persistence import unit_of_work
from onewindow.models.bundles import Bundle
from onewindow.models.org import Window

KAIBAN = "kaiban-canyin"
COMPANY = "91440300MA5G7K2L82"
REP = "440304200002291236"
ESTABLISH, FOOD, FIRE, DRAIN = "011001000000", "011006000000", "010626000000", "010627000000"
MONDAY = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def kaiban() -> Bundle:
    return db.session.query(Bundle).filter_by(code=KAIBAN).one()


def merged_answers() -> dict:
    """The merged form of 开办餐饮店, each shared field once."""
    return {
        "company_name": "云溪县味道餐饮有限公司",
        "company_type": "有限责任公司（自然人独资）",
        "registered_capital": "50",
        "business_scope": "餐饮服务",
        "legal_rep_name": "王五",
        "legal_rep_id": REP,
        "phone": "13800138000",
        "address": "云溪县城关镇人民路1号",
        "credit_code": COMPANY,
        "contact_name": "王五",
        "contact_id": REP,
        "food_category": "热食类食品制售",
    }


def application(wastewater=True, **kw) -> bundle_cases.BundleApplication:
    return bundle_cases.BundleApplication(
        bundle=kaiban(),
        applicant_type=ApplicantType.company,
        applicant_name="云溪县味道餐饮有限公司",
        applicant_id=COMPANY,
        answers={"discharges_wastewater": wastewater},
        data=merged_answers(),
        window=db.session.query(Window).filter_by(code="F01").one(),
        member_data={ESTABLISH: {"shareholders": [{"name": "王五", "id_number": REP, "share": "100"}]}},
        **kw,
    )


def every_material(wastewater=True, but=()) -> dict:
    plan = bundle_cases.plan(kaiban(), {"discharges_wastewater": wastewater})
    return {m.name: MaterialStatus.submitted for m in plan.materials if m.name not in but}


def counts() -> tuple[int, int, int]:
    return (db.session.query(Case).count(), db.session.query(CaseEvent).count(), db.session.query(Notice).count())


def test_accepting_a_bundle_makes_one_parent_and_a_child_per_applicable_member(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    db.session.expire_all()
    parent = db.session.get(Case, parent.id)
    assert parent.is_bundle and parent.bundle.code == KAIBAN
    children = parent.children
    assert sorted(c.item.basic_code for c in children) == sorted([ESTABLISH, FOOD, FIRE, DRAIN])
    assert {c.state for c in children} == {CaseState.in_review} and parent.state == CaseState.in_review
    assert all(c.steps for c in children)  # each routed to its departments by the engine


def test_a_member_whose_condition_fails_gets_no_child(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(wastewater=False), actor("acceptor"), every_material(False))
    assert DRAIN not in {c.item.basic_code for c in db.session.get(Case, parent.id).children}


def test_shared_field_is_asked_once_and_copied_to_every_child(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    children = db.session.get(Case, parent.id).children
    assert {c.data["company_name"] for c in children} == {"云溪县味道餐饮有限公司"}
    assert len(children) == 4


def test_shared_material_ticked_once_is_recorded_on_each_child_that_needs_it(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    holders = [c for c in db.session.get(Case, parent.id).children if any(m.name == "营业执照" for m in c.materials)]
    assert sorted(c.item.basic_code for c in holders) == sorted([FOOD, FIRE, DRAIN])
    assert all(next(m for m in c.materials if m.name == "营业执照").status == MaterialStatus.submitted for c in holders)
    notice = next(n for n in parent.notices if n.kind == "acceptance")
    assert [m["name"] for m in notice.content["materials"]].count("营业执照") == 1


def test_one_acceptance_notice_lists_every_member_with_its_due_date(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    parent = db.session.get(Case, parent.id)
    notices = [n for c in [parent, *parent.children] for n in c.notices if n.kind == "acceptance"]
    assert len(notices) == 1
    members = {m["item"]: m["due_date"] for m in notices[0].content["members"]}
    by_item = {c.item.name: c.due_date.isoformat() for c in parent.children}
    assert members == by_item and len(members) == 4
    # food permit waits for the registration (1 + 7 working days): due on 12-03
    assert members["食品经营许可证核发"] == "2026-12-03"


def test_missing_materials_give_one_correction_notice_covering_all_members(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(
            application(), actor("acceptor"), every_material(but=("营业执照", "公司章程"))
        )
    parent = db.session.get(Case, parent.id)
    notices = [n for c in [parent, *parent.children] for n in c.notices if n.kind == "correction"]
    assert len(notices) == 1 and parent.state == CaseState.correction
    listed = {row["material"]: row["members"] for row in notices[0].content["items"]}
    assert set(listed) == {"营业执照", "公司章程"}
    assert len(listed["营业执照"]) == 3  # one line for the three members that need it
    with travel_to(MONDAY + dt.timedelta(days=1)):
        bundle_cases.accept_bundle_correction(parent, actor("acceptor"), every_material())
    parent = db.session.get(Case, parent.id)
    assert parent.state == CaseState.in_review
    assert {c.state for c in parent.children} == {CaseState.in_review}


def test_an_error_in_the_third_child_leaves_no_parent_child_event_or_notice(ctx, actor, monkeypatch):
    before = counts()
    made = []
    real = bundle_cases._accept_member

    def failing(child_app, *args):
        made.append(child_app)
        if len(made) == 3:
            raise RuntimeError("the third child fails")
        return real(child_app, *args)

    monkeypatch.setattr(bundle_cases, "_accept_member", failing)
    with travel_to(MONDAY), pytest.raises(RuntimeError):
        bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    db.session.expire_all()
    assert counts() == before


def test_a_nested_unit_of_work_joins_the_enclosing_one(ctx, actor, make_item):
    from onewindow.models.items import Item

    item_id = make_item()
    item = db.session.get(Item, item_id)
    app = engine.Application(item, ApplicantType.person, "张三", REP)
    before = counts()
    with pytest.raises(RuntimeError), unit_of_work():
        engine.accept(app, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})
        raise RuntimeError("after the inner transition")
    db.session.expire_all()
    assert counts() == before


def approver_of(department_id: int) -> str:
    from onewindow.models import Staff

    staff = db.session.query(Staff).filter_by(department_id=department_id).all()
    return next(s.username for s in staff if any(r.name == "approver" for r in s.roles))


def seal_results(parent: Case) -> None:
    """Each department's seal admin seals the e-licence its member issued (a result without seal stays back)."""
    from onewindow.licences import seals
    from onewindow.licences.models import Licence
    from onewindow.models import Staff

    for child in parent.children:
        if not child.licence_identifier:
            continue
        if seals.active_seal(db.session, child.department_id) is None:
            seals.create_seal(db.session, child.department, "admin")
        staff = db.session.query(Staff).filter_by(department_id=child.department_id).all()
        sealer = next(s for s in staff if any(r.name == "seal_admin" for r in s.roles))
        licence = db.session.query(Licence).filter_by(identifier=child.licence_identifier).one()
        seals.seal_licence(db.session, licence, sealer)
    db.session.commit()


def decide_all(parent_id, actor, deny=()):
    for child in db.session.get(Case, parent_id).children:
        child = db.session.get(Case, child.id)
        while child.state == CaseState.in_review:
            step = next(s for s in child.steps if s.state.name == "active")
            user = approver_of(step.department_id)
            if child.item.basic_code in deny:
                engine.deny_step(child, step.id, actor(user), "不符合条件")
            else:
                engine.approve_step(child, step.id, actor(user), "同意")
    return db.session.get(Case, parent_id)


def register_company(parent_id, actor) -> None:
    """企业设立登记 approved: the members that come after it (食品, 消防, 排水) start."""
    establish = next(c for c in db.session.get(Case, parent_id).children if c.item.basic_code == ESTABLISH)
    while establish.state == CaseState.in_review:
        step = next(s for s in establish.steps if s.state.name == "active")
        engine.approve_step(establish, step.id, actor(approver_of(step.department_id)), "同意")


def test_parent_moves_to_output_when_every_child_is_decided_and_is_handed_out_with_one_signature(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
        parent = decide_all(parent.id, actor)
        assert parent.state == CaseState.at_output
        with pytest.raises(TransitionError, match="尚未移交出件窗口"):
            bundle_cases.deliver_bundle(parent, actor("output_clerk"), "王五", REP, agent=True)
        seal_results(parent)
        for child in parent.children:
            engine.hand_to_output(db.session.get(Case, child.id), actor(approver_of(child.department_id)), "证照一份")
        with pytest.raises(TransitionError, match="随整件事一并发放"):
            engine.deliver_pickup(parent.children[0], actor("output_clerk"), "王五", REP, agent=True)
        bundle_cases.deliver_bundle(db.session.get(Case, parent.id), actor("output_clerk"), "王五", REP, agent=True)
    parent = db.session.get(Case, parent.id)
    assert parent.state == CaseState.delivered
    assert {c.state for c in parent.children} == {CaseState.delivered}
    receipts = [n for c in [parent, *parent.children] for n in c.notices if n.kind == "receipt_sheet"]
    assert len(receipts) == 1 and len(receipts[0].content["members"]) == 4


def test_a_denied_member_asks_the_applicant_to_continue_or_withdraw_all(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
        register_company(parent.id, actor)
        fire = next(c for c in parent.children if c.item.basic_code == FIRE)
        step = next(s for s in fire.steps if s.state.name == "active")
        engine.deny_step(fire, step.id, actor("approver_xf"), "不符合消防安全条件")
        parent = db.session.get(Case, parent.id)
        assert parent.state == CaseState.in_review  # the others are not closed silently
        assert bundle_cases.choice_pending(parent)
        bundle_cases.record_choice(parent, actor("acceptor"), "withdraw_all", "申请人决定全部撤回")
    parent = db.session.get(Case, parent.id)
    states = {c.item.basic_code: c.state for c in parent.children}
    assert states[FIRE] == CaseState.denied and states[ESTABLISH] == CaseState.approved
    assert {s for code, s in states.items() if code not in (FIRE, ESTABLISH)} == {CaseState.withdrawn}
    assert parent.state == CaseState.at_output  # the denial decision is still handed out
    assert any(e.action == "bundle_choice" and e.payload["choice"] == "withdraw_all" for e in parent.events)


def test_progress_lookup_shows_the_bundle_with_each_member_and_its_state(app, actor):
    with app.app_context():
        with travel_to(MONDAY):
            parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
            register_company(parent.id, actor)
            fire = next(c for c in parent.children if c.item.basic_code == FIRE)
            step = next(s for s in fire.steps if s.state.name == "active")
            engine.deny_step(fire, step.id, actor("approver_xf"), "不符合消防安全条件")
        number, code = parent.number, parent.query_code
    page = app.test_client().get(f"/progress/{number}?code={code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "开办餐饮店" in text
    rows = text[text.index('id="progress-members"') :]
    for name in ("企业设立登记", "食品经营许可证核发", "城镇污水排入排水管网许可"):
        assert name in rows
    assert 'data-state="denied"' in rows and 'data-state="approved"' in rows  # 消防 denied, 企业设立 granted
    assert rows.count('data-state="in_review"') == 2


def test_the_rest_api_accepts_a_bundle_in_one_call(app, api):  # noqa: F811
    with app.app_context():
        with travel_to(MONDAY):
            materials = {name: status.name for name, status in every_material().items()}
    body = {
        "bundle": KAIBAN,
        "applicant": {"type": "company", "name": "云溪县味道餐饮有限公司", "id": COMPANY},
        "answers": {"discharges_wastewater": False},
        "data": merged_answers(),
        "member_data": {ESTABLISH: {"shareholders": [{"name": "王五", "id_number": REP, "share": "100"}]}},
        "materials": materials,
        "window_code": "F01",
    }
    with travel_to(MONDAY):
        status, answer = api("post", "/api/v1/cases/bundles", "acceptor", json=body)
    assert status == 201, answer
    assert answer["state"] == "in_review"
    with app.app_context():
        parent = db.session.query(Case).filter_by(number=answer["number"]).one()
        assert parent.is_bundle and len(parent.children) == 3  # no wastewater: no 排水许可
    status, answer = api("post", "/api/v1/cases/bundles", "approver", json=body)
    assert status == 403  # only the window accepts


def test_every_member_withdrawn_one_by_one_withdraws_the_bundle(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(wastewater=False), actor("acceptor"), every_material(False))
        with pytest.raises(TransitionError, match="逐项撤回"):
            engine.withdraw(parent, actor("acceptor"), "申请人撤回")
        for child in db.session.get(Case, parent.id).children:
            assert db.session.get(Case, parent.id).state == CaseState.in_review
            engine.withdraw(db.session.get(Case, child.id), actor("acceptor"), "申请人撤回")
    assert db.session.get(Case, parent.id).state == CaseState.withdrawn


def active_members(parent_id) -> set[str]:
    parent = db.session.get(Case, parent_id)
    return {c.item.basic_code for c in parent.children if any(s.state.name == "active" for s in c.steps)}


def test_members_after_another_start_only_when_it_is_approved(ctx, actor):
    """开办餐饮店: 食品经营许可, 消防 and 排水 come after 企业设立登记 (``after`` in the pack): at
    acceptance only the registration is in a department's hands; the three start, in parallel,
    when it is approved, each with its handover sheet then."""
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
        assert active_members(parent.id) == {ESTABLISH}
        held = {c.item.basic_code for c in db.session.get(Case, parent.id).children if c.held}
        assert held == {FOOD, FIRE, DRAIN}
        fire = next(c for c in db.session.get(Case, parent.id).children if c.item.basic_code == FIRE)
        assert not [n for n in fire.notices if n.kind == "handover"]  # nothing handed to 消防 yet
        with pytest.raises(TransitionError):
            engine.approve_step(fire, fire.steps[0].id, actor("approver_xf"), "同意")
        db.session.rollback()
        register_company(parent.id, actor)
        assert active_members(parent.id) == {FOOD, FIRE, DRAIN}
        for child in db.session.get(Case, parent.id).children:
            if child.item.basic_code != ESTABLISH:
                assert [e.action for e in child.events][-1] == "bundle_member_released"
                assert len([n for n in child.notices if n.kind == "handover"]) == len(
                    [s for s in child.steps if s.state.name == "active"]
                )


def test_members_waiting_for_a_denied_one_wait_for_the_applicants_choice(ctx, actor):
    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
        establish = next(c for c in parent.children if c.item.basic_code == ESTABLISH)
        step = next(s for s in establish.steps if s.state.name == "active")
        engine.deny_step(establish, step.id, actor(approver_of(step.department_id)), "名称不符合规定")
        parent = db.session.get(Case, parent.id)
        assert bundle_cases.choice_pending(parent) and active_members(parent.id) == set()
        assert {c.item.basic_code for c in parent.children if c.held} == {FOOD, FIRE, DRAIN}
        bundle_cases.bundle_continue(parent, actor("acceptor"), "申请人坚持办理其余事项")
        assert active_members(parent.id) == {FOOD, FIRE, DRAIN}  # their departments decide now
