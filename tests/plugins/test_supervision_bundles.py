"""一件事 counted once by the supervision indicators: the centre's total counts the bundle as
one application, each department's row its own member (issue 19, item 5)."""

import datetime as dt

from onewindow_supervision.indicators import indicators
from supervision_helpers import open_cards, scan_on  # noqa: F401 (fixture)
from test_bundle_cases import MONDAY, application, ctx, every_material  # noqa: F401 (fixture)

from onewindow.app import db
from onewindow.cases import bundles as bundle_cases
from onewindow.cases.clock import travel_to
from onewindow.models import Department

MARKET, FIRE_BRIGADE, HOUSING = "11369921102345608H", "11369921102899934R", "11369921102662363Q"
PERIOD = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def figures() -> dict:
    names = {d.credit_code: d.short_name or d.name for d in db.session.query(Department)}
    rows = {r.name: r for r in indicators(*PERIOD)}
    empty = type("Empty", (), {"received": 0, "accepted": 0, "joint": 0, "immediate": 0})
    pick = {code: rows.get(names[code], empty) for code in (MARKET, FIRE_BRIGADE, HOUSING)}
    pick["total"] = rows["合计"]
    return {k: (r.received, r.accepted, r.joint, r.immediate) for k, r in pick.items()}


def test_a_bundle_counts_once_in_the_total_and_each_member_in_its_department(ctx, actor):  # noqa: F811
    before = figures()
    with travel_to(MONDAY):
        bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    after = figures()
    delta = {k: tuple(a - b for a, b in zip(after[k], before[k], strict=True)) for k in after}
    assert delta["total"] == (1, 1, 1, 0)  # one application, accepted once, 联办 (three departments), not 即办
    assert delta[MARKET][:2] == (2, 2)  # 企业设立登记 and 食品经营许可: the market regulator's own two
    assert delta[FIRE_BRIGADE][:2] == (1, 1) and delta[HOUSING][:2] == (1, 1)


def test_the_bundles_limit_is_carded_on_the_parent_and_a_members_step_on_the_member(ctx, actor, scan_on):  # noqa: F811
    from onewindow.cases.models import Case

    with travel_to(MONDAY):
        parent = bundle_cases.accept_bundle(application(), actor("acceptor"), every_material())
    parent_id = parent.id
    members = db.session.get(Case, parent_id).children
    children = {c.id for c in members}
    waiting = {c.id for c in members if c.held}  # after 企业设立登记: none of their steps started
    assert waiting and waiting < children
    scan_on(dt.date(2027, 1, 29))  # every limit long past, nothing decided
    cases = {c.case_id for c in open_cards("case_due")}
    steps = {c.case_id for c in open_cards("step_due")}
    assert parent_id in cases and not cases & children  # the bundle's limit: on the parent only
    assert steps & children == children - waiting  # each member's own running step: on the member
