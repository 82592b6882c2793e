"""Construction project approval (建设工程审批): five phases in order, one form per phase,
parallel cases, joint tasks, staged fees [003 附件4; 000 §三(五)]."""

import datetime as dt
from decimal import Decimal

import pytest
from construction_helpers import (  # noqa: F401  (site is a fixture)
    DRC,
    ECO,
    FIRE,
    HOUSING,
    MON,
    NR,
    add_and_pay,
    approve_all,
    dept_actor,
    open_cases,
    project,
    sign_all,
    site,
)
from onewindow_construction import service
from onewindow_construction.models import ConstructionProjectCase, PhaseState

from onewindow.app import db
from onewindow.cases.clock import travel_to
from onewindow.cases.errors import ApplicationInvalid
from onewindow.cases.models import Case, CaseState
from onewindow.errors import ValidationError


def _states(p):
    return [ph.state.name for ph in p.phases]


def test_project_has_five_phases_in_order_with_their_lead_departments(site):
    p = project()
    assert [ph.key.name for ph in p.phases] == ["initiation", "land", "planning", "permit", "acceptance"]
    assert [ph.lead_department.credit_code for ph in p.phases] == [DRC, NR, NR, HOUSING, HOUSING]
    assert _states(p) == ["open", "waiting", "waiting", "waiting", "waiting"]
    assert p.phases[0].opened_on == MON and p.phases[0].due_date == dt.date(2026, 12, 7)  # 10 working days
    assert FIRE in p.phases[4].responsible


def test_project_code_must_have_the_national_format(site):
    with pytest.raises(ValidationError, match="项目代码“2026-1”格式不正确"):
        service.create_project(
            code="2026-1", name="x", owner_name="y", owner_credit_code="91440300MA5G7K2L82", by="acceptor"
        )


def test_one_form_opens_one_case_per_item_running_in_parallel(site, actor):
    p = project()
    approve_all(open_cases(p, "initiation", actor("acceptor"), ["110401000000"]))
    cases = open_cases(p, "land", actor("acceptor"))
    assert [c.item.basic_code for c in cases] == ["010404000000", "010405000000"]
    assert all(c.state == CaseState.in_review for c in cases)  # both under review at once
    assert all(c.data["project_name"] == "年产5万吨新材料项目" for c in cases)
    links = db.session.query(ConstructionProjectCase).filter_by(phase_id=p.phase("land").id).all()
    assert sorted(link.case_id for link in links) == sorted(c.id for c in cases)


def test_a_case_of_a_phase_out_of_order_is_refused(site, actor):
    p = project()
    before = db.session.query(Case).count()
    with pytest.raises(ApplicationInvalid, match="“立项”阶段尚未完成，不能办理“用地”阶段的事项"):
        open_cases(p, "land", actor("acceptor"))
    assert db.session.query(Case).count() == before  # nothing written
    with pytest.raises(ApplicationInvalid, match="“用地”阶段尚未完成"):
        open_cases(p, "planning", actor("acceptor"))


def test_commitment_filing_lets_a_phase_start_while_the_previous_is_open(site, actor):
    p = project()
    open_cases(p, "initiation", actor("acceptor"), ["010402000000"])  # 核准 still under review
    service.mark_commitment(p.phase("land"), "承诺按期补齐用地手续，未履行承诺的承担相应法律责任", "acceptor")
    db.session.commit()
    cases = open_cases(p, "land", actor("acceptor"))
    assert len(cases) == 2 and p.phase("land").state == PhaseState.open
    assert p.phase("initiation").state == PhaseState.open


def test_commitment_filing_never_skips_a_phase(site, actor):
    p = project()
    service.mark_commitment(p.phase("planning"), "承诺", "acceptor")
    with pytest.raises(ApplicationInvalid, match="虽实行承诺备案，也须在“用地”阶段开始后办理"):
        open_cases(p, "planning", actor("acceptor"))


def test_commitment_cannot_be_marked_once_the_phase_started(site):
    p = project()
    with pytest.raises(ValidationError, match="立项阶段是第一个阶段"):
        service.mark_commitment(p.phase("initiation"), "承诺", "acceptor")
    with pytest.raises(ValidationError, match="书面承诺"):
        service.mark_commitment(p.phase("land"), " ", "acceptor")


def test_a_phase_completes_when_its_cases_are_approved_and_the_next_opens(site, actor):
    p = project()
    approve_all(open_cases(p, "initiation", actor("acceptor"), ["110401000000"]))
    assert _states(p)[:2] == ["complete", "open"]
    assert p.phase("land").opened_on == MON
    assert [t.kind.name for t in p.phase("land").joint_tasks] == ["survey"]


def test_joint_task_needs_every_departments_sign_off(site, actor):
    p = project()
    approve_all(open_cases(p, "initiation", actor("acceptor"), ["110401000000"]))
    approve_all(open_cases(p, "land", actor("acceptor")))
    add_and_pay(p, "land", [("耕地开垦费", 180000)], "PJ-2026-0001")
    survey = p.phase("land").joint_tasks[0]
    assert [s.department.credit_code for s in survey.signoffs] == [NR, HOUSING, ECO]
    service.sign_off(survey, dept_actor(NR), "界址清楚，同意")
    service.sign_off(survey, dept_actor(HOUSING), "同意")
    db.session.commit()
    assert not survey.complete and p.phase("land").state == PhaseState.open  # 生态环境局 has not signed
    service.sign_off(survey, dept_actor(ECO), "无生态红线冲突")
    db.session.commit()
    assert survey.complete and p.phase("land").state == PhaseState.complete
    assert p.phase("planning").state == PhaseState.open


def test_only_the_task_departments_sign_and_only_once(site, actor):
    p = project()
    approve_all(open_cases(p, "initiation", actor("acceptor"), ["110401000000"]))
    survey = p.phase("land").joint_tasks[0]
    with pytest.raises(ValidationError, match="所在部门不在其中"):
        service.sign_off(survey, dept_actor(FIRE), "同意")
    service.sign_off(survey, dept_actor(NR), "同意")
    with pytest.raises(ValidationError, match="无需重复签署"):
        service.sign_off(survey, dept_actor(NR), "再次同意")


def test_staged_fees_are_listed_and_collected_together(site, actor):
    p = project()
    with travel_to(MON):
        service.add_fee(p, "permit", "城市基础设施配套费", "360000", "acceptor", "赣价费〔2026〕3号")
        service.add_fee(p, "permit", "防空地下室易地建设费", "84000.50", "acceptor")
        service.add_fee(p, "acceptance", "竣工测绘费", "12000", "acceptor")
    notice = service.fee_notice(p, "permit")
    assert [(f["name"], f["amount"]) for f in notice["fees"]] == [
        ("城市基础设施配套费", Decimal("360000.00")),
        ("防空地下室易地建设费", Decimal("84000.50")),
    ]
    assert notice["total"] == Decimal("444000.50") == notice["unpaid"]
    with travel_to(MON):
        paid = service.pay_stage(p, "permit", "PJ-2026-0002", "acceptor")
    assert {f.receipt_number for f in paid} == {"PJ-2026-0002"} and len(paid) == 2  # one receipt
    assert service.fee_notice(p, "permit")["unpaid"] == 0
    assert service.fee_notice(p, "acceptance")["unpaid"] == Decimal("12000.00")  # other stages untouched
    with pytest.raises(ValidationError, match="没有待缴费用"):
        service.pay_stage(p, "permit", "PJ-2", "acceptor")


def test_fee_stage_is_one_of_the_three(site):
    p = project()
    with pytest.raises(ValidationError, match="建设工程收费分三个阶段"):
        service.add_fee(p, "planning", "规划费", 100, "acceptor")


def test_unpaid_stage_fees_hold_the_phase_open(site, actor):
    p = project()
    approve_all(open_cases(p, "initiation", actor("acceptor"), ["110401000000"]))
    approve_all(open_cases(p, "land", actor("acceptor")))
    with travel_to(MON):
        service.add_fee(p, "land", "耕地开垦费", 180000, "acceptor")
    sign_all(p.phase("land"))
    assert p.phase("land").state == PhaseState.open
    with travel_to(MON):
        service.pay_stage(p, "land", "PJ-2026-0001", "acceptor")
    db.session.commit()
    assert p.phase("land").state == PhaseState.complete
