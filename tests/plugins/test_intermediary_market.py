"""Intermediary supermarket (中介超市) rules: registry, sign-up, conflict of interest,
contract → completion → filing → evaluation, complaints [000 §三(九)]."""

import datetime as dt
from decimal import Decimal

import pytest
from intermediary_helpers import (  # noqa: F401  (market is a fixture)
    AFTER,
    ECO,
    NR,
    agency,
    market,
    purchase,
    select,
    sign_up,
    uscc,
    with_bids,
)
from onewindow_intermediary import service
from onewindow_intermediary.models import Agency, AgencyStatus, ComplaintState, PurchaseState

from onewindow.app import db
from onewindow.cases.clock import travel_to
from onewindow.errors import ValidationError


def test_registration_checks_the_credit_code_checksum(market):
    with pytest.raises(ValidationError, match="统一社会信用代码"):
        service.register_agency(
            name="坏码咨询公司", credit_code="91369921MA0000001X", service_types=["安全评价"], by="acceptor"
        )
    assert db.session.query(Agency).count() == 0


def test_registration_refuses_a_second_registration_of_the_same_code(market):
    agency(1)
    with pytest.raises(ValidationError, match="已登记"):
        service.register_agency(name="同码公司", credit_code=uscc(1), service_types=["测绘"], by="acceptor")


def test_registration_refuses_an_unknown_service_type(market):
    with pytest.raises(ValidationError, match="不在目录中"):
        service.register_agency(name="某公司", credit_code=uscc(2), service_types=["算命"], by="acceptor")


def test_fewer_than_three_qualified_bidders_are_refused_at_selection(market):
    p = with_bids("lowest_price", [30000, 32000])
    with pytest.raises(ValidationError, match="只有 2 家，至少需要 3 家"):
        select(p)
    assert p.state == PurchaseState.open and p.selection is None


def test_an_agency_suspended_after_signing_up_no_longer_counts(market):
    p = with_bids("lowest_price", [30000, 32000, 34000])
    service.set_status(p.bids[0].agency, "suspended", "资质证书过期", "supervisor")
    db.session.commit()
    with pytest.raises(ValidationError, match="只有 2 家"):
        select(p)


def test_quote_over_the_budget_ceiling_is_refused(market):
    p = purchase(ceiling=50000)
    with pytest.raises(ValidationError, match="报价 50000.01 元超过采购预算上限 50000.00 元"):
        sign_up(p, agency(1), "50000.01")
    assert p.bids == []


def test_blacklisted_agency_cannot_sign_up(market):
    p, a = purchase(), agency(1)
    service.set_status(a, AgencyStatus.blacklisted, "出具虚假评价报告", "supervisor")
    with pytest.raises(ValidationError, match="已被列入黑名单"):
        sign_up(p, a, 30000)


def test_suspended_agency_cannot_sign_up(market):
    p, a = purchase(), agency(1)
    service.set_status(a, AgencyStatus.suspended, "整改期间", "supervisor")
    with pytest.raises(ValidationError, match="已被暂停"):
        sign_up(p, a, 30000)


def test_status_change_needs_a_reason(market):
    with pytest.raises(ValidationError, match="请填写理由"):
        service.set_status(agency(1), AgencyStatus.blacklisted, " ", "supervisor")


def test_agency_linked_to_the_approving_department_cannot_bid(market):
    p = purchase(approving=ECO)
    linked = agency(1, linked=[ECO])
    with pytest.raises(ValidationError, match="与审批部门“云溪县生态环境局”存在关联关系"):
        sign_up(p, linked, 30000)
    other = purchase(approving=NR, title="另一个项目")
    assert sign_up(other, linked, 30000).agency is linked  # linked elsewhere only: may bid


def test_agency_without_the_service_type_cannot_bid(market):
    with pytest.raises(ValidationError, match="不具备报名资格"):
        sign_up(purchase(service_type="安全评价"), agency(1, types=["测绘"]), 30000)


def test_sign_up_only_inside_the_window_and_once(market):
    p, a = purchase(), agency(1)
    with pytest.raises(ValidationError, match="今天（2026-11-28）不能报名"):
        sign_up(p, a, 30000, on=dt.date(2026, 11, 28))
    sign_up(p, a, 30000)
    with pytest.raises(ValidationError, match="不能重复报名"):
        sign_up(p, a, 29000)


def test_selection_waits_for_the_end_of_the_sign_up_window(market):
    p = with_bids("lowest_price", [30000, 32000, 34000])
    with pytest.raises(ValidationError, match="报名截止后方可选取"):
        select(p, on=dt.date(2026, 11, 27))


def test_purchase_refuses_a_window_that_ends_before_it_starts(market):
    with travel_to(dt.date(2026, 11, 23)), pytest.raises(ValidationError, match="早于报名开始日"):
        service.post_purchase(
            title="t",
            owner_name="o",
            owner_credit_code="91440300MA5G7K2L82",
            service_type="测绘",
            budget_ceiling=100,
            method="lowest_price",
            signup_opens=dt.date(2026, 11, 27),
            signup_closes=dt.date(2026, 11, 24),
            approving_department_id=1,
            by="acceptor",
        )


def _through_filing(p):
    with travel_to(AFTER):
        service.record_contract(p, "YX-ZJ-2026-001", p.selection.result_bid.quote, AFTER, "acceptor")
        service.record_completion(p, dt.date(2026, 12, 10), "《安全预评价报告》YXAP-2026-018", "acceptor")
        service.record_filing(p, "ZJBA-2026-0031", dt.date(2026, 12, 11), "acceptor")
    db.session.commit()


def test_contract_cannot_exceed_the_selected_quote(market):
    p = with_bids("lowest_price", [30000, 32000, 34000])
    select(p)
    with pytest.raises(ValidationError, match="高于中选报价"):
        service.record_contract(p, "C-1", 30001, AFTER, "acceptor")


def test_filing_needs_completion_first(market):
    p = with_bids("lowest_price", [30000, 32000, 34000])
    select(p)
    with pytest.raises(ValidationError, match="才能备案"):
        service.record_filing(p, "BA-1", AFTER, "acceptor")


def test_evaluation_updates_the_public_score(market):
    p = with_bids("lowest_price", [30000, 32000, 34000])
    select(p)
    _through_filing(p)
    winner = p.selected_agency
    service.evaluate(p, time=5, quality=4, price=3, by="acceptor", comment="按期完成")
    db.session.commit()
    assert winner.score == Decimal("4.00") and winner.evaluation_count == 1
    second = purchase(title="第二个项目")
    for i in (1, 2, 3):
        sign_up(second, db.session.get(Agency, p.bids[i - 1].agency_id), 30000 + i)
    select(second)
    _through_filing(second)
    service.evaluate(second, time=2, quality=2, price=2, by="acceptor")
    db.session.commit()
    assert winner.score == Decimal("3.00") and winner.evaluation_count == 2
    assert p.state == PurchaseState.evaluated


def test_evaluation_scores_are_one_to_five(market):
    p = with_bids("lowest_price", [30000, 32000, 34000])
    select(p)
    _through_filing(p)
    with pytest.raises(ValidationError, match="1–5"):
        service.evaluate(p, time=6, quality=4, price=3, by="acceptor")


def test_complaint_is_recorded_and_handled(market):
    a = agency(1)
    complaint = service.file_complaint(a, "云溪化工有限公司", "评价报告延期两周未交付", "acceptor")
    service.handle_complaint(complaint, "约谈机构负责人，责令三日内交付，记不良行为一次", "supervisor")
    db.session.commit()
    assert complaint.state == ComplaintState.handled and complaint.handled_by == "supervisor"
    with pytest.raises(ValidationError, match="已处理"):
        service.handle_complaint(complaint, "again", "supervisor")
