"""Acceptance at the comprehensive window [003 §四(五)], through the one engine."""

import datetime as dt

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import ApplicationInvalid, PermissionDenied, TransitionError
from onewindow.cases.models import ApplicantType, Case, CaseState, Channel, MaterialStatus
from onewindow.models.items import Item

PERSON = "440304200002291236"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def application(item_id, **kw):
    item = db.session.get(Item, item_id)
    return engine.Application(
        item=item,
        applicant_type=kw.pop("applicant_type", ApplicantType.person),
        applicant_name=kw.pop("name", "张三"),
        applicant_id=kw.pop("applicant_id", PERSON),
        channel=kw.pop("channel", Channel.window),
        **kw,
    )


def all_present(item_id):
    return {m.id: MaterialStatus.submitted for m in db.session.get(Item, item_id).materials}


def test_case_number_is_implementation_code_date_and_daily_serial(ctx, make_item, actor):
    item_id = make_item()
    with travel_to(dt.datetime(2026, 11, 23, 9, 0)):
        first = engine.accept(application(item_id), actor("acceptor"), all_present(item_id))
        second = engine.accept(application(item_id), actor("acceptor"), all_present(item_id))
    code = db.session.get(Item, item_id).implementation_code
    assert len(first.number) == 43
    assert first.number == f"{code}202611230001"
    assert second.number == f"{code}202611230002"


def test_acceptance_notice_states_due_date_pickup_date_and_place(ctx, make_item, actor):
    item_id = make_item(promised=5)
    with travel_to(dt.date(2026, 11, 20)):  # a Friday: counting starts on Monday the 23rd
        case = engine.accept(application(item_id), actor("acceptor"), all_present(item_id))
    notice = next(n for n in case.notices if n.kind == "acceptance")
    assert case.state == CaseState.in_review
    assert notice.content["due_date"] == "2026-11-27"
    assert notice.content["pickup_date"] == "2026-11-27"
    assert "出件窗口" in notice.content["pickup_place"]
    assert notice.content["query_code"] == case.query_code


def test_missing_required_material_cannot_be_accepted(ctx, make_item, actor):
    item_id = make_item()
    statuses = all_present(item_id)
    first = next(iter(statuses))
    statuses[first] = MaterialStatus.missing
    with pytest.raises(TransitionError, match="缺少 “申请书”"):
        engine.accept(application(item_id), actor("acceptor"), statuses)
    assert db.session.query(Case).count() == 0  # nothing half-written


def test_deferred_acceptance_only_for_materials_marked_deferrable(ctx, make_item, actor):
    item_id = make_item()
    materials = db.session.get(Item, item_id).materials
    statuses = {m.id: MaterialStatus.submitted for m in materials}
    statuses[materials[1].id] = MaterialStatus.missing  # 身份证明 is required
    statuses[materials[2].id] = MaterialStatus.missing
    with travel_to(dt.date(2026, 11, 23)):
        with pytest.raises(TransitionError, match="“身份证明” 是必要材料，不能容缺"):
            engine.accept_deferred(
                application(item_id),
                actor("acceptor"),
                statuses,
                commitment="十日内补交",
                supply_deadline=dt.date(2026, 11, 27),
            )


def test_deferred_acceptance_records_commitment_and_blocks_release(ctx, make_item, actor):
    item_id = make_item()
    materials = db.session.get(Item, item_id).materials
    statuses = {m.id: MaterialStatus.submitted for m in materials}
    statuses[materials[2].id] = MaterialStatus.missing  # 场所使用证明 is deferrable
    with travel_to(dt.date(2026, 11, 23)):
        case = engine.accept_deferred(
            application(item_id),
            actor("acceptor"),
            statuses,
            commitment="本人承诺于11月27日前补交场所使用证明",
            supply_deadline=dt.date(2026, 11, 27),
        )
        commitment = next(n for n in case.notices if n.kind == "deferral_commitment")
        assert case.simulated and commitment.content["deferred"] == ["场所使用证明"]
        step = case.steps[0]
        engine.approve_step(case, step.id, actor("approver"), "同意（模拟审批）")
        assert case.state == CaseState.approved
        with pytest.raises(TransitionError, match="模拟审批结果不得发放"):
            engine.hand_to_output(case, actor("approver"), "许可证1份")
        engine.supply_material(case, actor("acceptor"), materials[2].id)
        engine.hand_to_output(case, actor("approver"), "许可证1份")
    assert case.state == CaseState.at_output and not case.simulated


def test_correction_notice_lists_every_missing_material_at_once(ctx, make_item, actor):
    item_id = make_item()
    materials = db.session.get(Item, item_id).materials
    # only the form was handed in, and it is unsigned; the two others are missing
    case = engine.request_correction(application(item_id), actor("acceptor"), {materials[0].id: "申请书未签名"})
    notice = next(n for n in case.notices if n.kind == "correction")
    listed = {entry["material"]: entry["problem"] for entry in notice.content["items"]}
    assert listed == {"申请书": "申请书未签名", "身份证明": "未提交", "场所使用证明": "未提交"}
    assert case.state == CaseState.correction


def test_correction_notice_lists_only_the_materials_marked_missing_or_faulty(ctx, make_item, actor):
    """一次性告知 of exactly what is wrong: what the window checked as handed in is not on it."""
    item_id = make_item(
        materials=[
            ("申请书", "required", "applicant", None),
            ("身份证明", "required", "applicant", None),
            ("营业执照", "required", "applicant", None),
            ("场所使用证明", "required", "applicant", None),
            ("委托书", "deferrable", "applicant", None),
        ]
    )
    m = db.session.get(Item, item_id).materials
    marks = {
        m[0].id: MaterialStatus.submitted,
        m[1].id: MaterialStatus.submitted,
        m[2].id: MaterialStatus.submitted,
        m[3].id: MaterialStatus.missing,
        m[4].id: MaterialStatus.faulty,
    }
    case = engine.request_correction(
        application(item_id), actor("acceptor"), {m[4].id: "委托书缺少委托人签名"}, materials=marks
    )
    notice = next(n for n in case.notices if n.kind == "correction")
    listed = {entry["material"]: entry["problem"] for entry in notice.content["items"]}
    assert listed == {"场所使用证明": "未提交", "委托书": "委托书缺少委托人签名"}
    statuses = {entry.name: entry.status for entry in case.materials}
    assert statuses["申请书"] == MaterialStatus.submitted and statuses["委托书"] == MaterialStatus.faulty


def test_a_material_marked_faulty_needs_its_problem_written_out(ctx, make_item, actor):
    item_id = make_item()
    m = db.session.get(Item, item_id).materials
    with pytest.raises(TransitionError, match="身份证明.*需补正"):
        engine.request_correction(
            application(item_id),
            actor("acceptor"),
            {},
            materials={m[0].id: "submitted", m[1].id: "faulty", m[2].id: "submitted"},
        )
    assert db.session.query(Case).count() == 0


def test_second_correction_notice_needs_a_recorded_reason(ctx, make_item, actor):
    item_id = make_item()
    first_material = db.session.get(Item, item_id).materials[0].id
    case = engine.request_correction(application(item_id), actor("acceptor"), {first_material: "未签名"})
    with pytest.raises(TransitionError, match="一次性告知"):
        engine.request_correction(case, actor("acceptor"), {first_material: "印章不清"})
    engine.request_correction(
        case,
        actor("acceptor"),
        {first_material: "印章不清"},
        override_reason="申请人补正时更换了申请书，新材料存在新问题",
    )
    assert case.corrections_issued == 2
    assert case.events[-1].reason.startswith("申请人补正时更换")


def test_corrected_case_can_then_be_accepted(ctx, make_item, actor):
    item_id = make_item()
    case = engine.request_correction(application(item_id), actor("acceptor"), {}, general="材料不齐")
    engine.accept(case, actor("acceptor"), all_present(item_id))
    assert case.state == CaseState.in_review


def test_the_acceptor_is_recorded_on_the_case_when_it_is_accepted(ctx, make_item, actor):
    """受理人: who accepted the case is kept on it (the staff its supervision cards name),
    not who issued a correction notice before."""
    item_id = make_item()
    case = engine.request_correction(application(item_id), actor("acceptor"), {}, general="材料不齐")
    assert case.accepted_by is None and case.accepted_on is None
    with travel_to(dt.date(2026, 11, 24)):
        engine.accept(case, actor("acceptor"), all_present(item_id))
    db.session.expire_all()
    stored = db.session.get(type(case), case.id)
    assert (stored.accepted_by, stored.accepted_on) == ("acceptor", dt.date(2026, 11, 24))


def test_rejection_requires_reasons(ctx, make_item, actor):
    item_id = make_item()
    with pytest.raises(TransitionError, match="具体理由"):
        engine.reject(application(item_id), actor("acceptor"), "  ")
    case = engine.reject(application(item_id), actor("acceptor"), "申请事项依法不需要取得行政许可")
    notice = next(n for n in case.notices if n.kind == "rejection")
    assert case.state == CaseState.rejected and "不需要取得行政许可" in notice.content["reasons"]


def test_invalid_resident_id_is_refused_with_the_check_digit(ctx, make_item, actor):
    item_id = make_item()
    with pytest.raises(ApplicationInvalid, match="最后一位应为 6"):
        engine.accept(application(item_id, applicant_id="440304200002291237"), actor("acceptor"), all_present(item_id))


def test_company_applicant_needs_valid_credit_code(ctx, make_item, actor):
    item_id = make_item()
    with pytest.raises(ApplicationInvalid, match="统一社会信用代码"):
        engine.accept(
            application(
                item_id, applicant_type=ApplicantType.company, applicant_id="91440300MA5G7K2L83", name="某公司"
            ),
            actor("acceptor"),
            all_present(item_id),
        )


def test_in_person_item_is_refused_on_online_channel(ctx, make_item, actor):
    item_id = make_item(name="普通护照签发", in_person=True)
    with pytest.raises(ApplicationInvalid, match="须申请人本人到窗口办理"):
        engine.submit(application(item_id, channel=Channel.online), actor("acceptor"))


def test_material_outside_the_list_cannot_be_demanded(ctx, make_item, actor):
    item_id = make_item()
    with pytest.raises(TransitionError, match="清单外"):
        engine.request_correction(application(item_id), actor("acceptor"), {999999: "其他相关材料"})


def test_only_acceptors_accept(ctx, make_item, actor):
    item_id = make_item()
    with pytest.raises(PermissionDenied):
        engine.accept(application(item_id), actor("output_clerk"), all_present(item_id))


def test_online_application_is_pre_reviewed_within_two_working_days(ctx, make_item, actor):
    item_id = make_item()
    with travel_to(dt.datetime(2026, 9, 30, 16, 0)):  # before the National Day holiday
        case = engine.submit(application(item_id, channel=Channel.online), actor("acceptor"))
    # 10/1–7 are holidays, 10/8 (Thu) and 10/9 (Fri) the next working days
    assert case.pre_review_due == dt.date(2026, 10, 9)
    with travel_to(dt.date(2026, 10, 8)):
        engine.pre_review(case, actor("approver"), passed=True, opinion="材料齐全")
    assert case.state == CaseState.pre_reviewed


def _window(code):
    from onewindow.models.org import Window

    return db.session.query(Window).filter_by(code=code).one()


def test_an_item_is_accepted_only_at_a_window_serving_its_department(ctx, make_item, actor):
    """A 市场监管局 item at the 综合受理 window F01 (which serves other departments) is refused,
    naming both; with a recorded reason it goes through and the reason is in the timeline."""
    item_id = make_item()  # 市场监管局, served by A01 but not by F01
    with pytest.raises(ApplicationInvalid, match="F01"):
        engine.accept(application(item_id, window=_window("F01")), actor("acceptor"), all_present(item_id))
    assert db.session.query(Case).count() == 0
    case = engine.accept(application(item_id, window=_window("A01")), actor("acceptor"), all_present(item_id))
    assert case.state == CaseState.in_review
    other = engine.accept(
        application(item_id, window=_window("F01"), window_override="A01 窗口设备故障，经值班长同意"),
        actor("acceptor"),
        all_present(item_id),
    )
    override = next(e for e in other.events if e.action == "accept_at_other_window")
    assert override.reason == "A01 窗口设备故障，经值班长同意" and override.payload["window"] == "F01"


def test_a_clerk_accepts_only_at_a_window_assigned_to_them(ctx, make_item, actor):
    item_id = make_item()
    with pytest.raises(TransitionError, match="未被分配到窗口 B07"):
        engine.accept(application(item_id, window=_window("B07")), actor("acceptor"), all_present(item_id))
    assert db.session.query(Case).count() == 0


def test_deferred_supply_deadline_may_not_fall_after_the_due_date(ctx, make_item, actor):
    """容缺: the materials must arrive before the case is due, or the result waits for them."""
    item_id = make_item(promised=5)
    statuses = all_present(item_id)
    statuses[db.session.get(Item, item_id).materials[2].id] = MaterialStatus.missing
    with travel_to(dt.date(2026, 11, 23)):  # due 2026-11-30
        with pytest.raises(TransitionError, match="晚于办结期限 2026-11-30"):
            engine.accept_deferred(
                application(item_id),
                actor("acceptor"),
                statuses,
                commitment="承诺补交",
                supply_deadline=dt.date(2026, 12, 1),
            )
        assert db.session.query(Case).count() == 0
        case = engine.accept_deferred(
            application(item_id),
            actor("acceptor"),
            statuses,
            commitment="承诺补交",
            supply_deadline=dt.date(2026, 11, 30),
        )
    assert case.supply_deadline == dt.date(2026, 11, 30)
