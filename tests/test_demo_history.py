"""`onewindow init --demo` shows the product: seals and staff for every department, a
sequential two-department item, and three months of history played through the engine."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from onewindow.app import create_app, db
from onewindow.cases.audit import verify_all
from onewindow.cases.clock import today
from onewindow.cases.models import Case, CaseEvent, CaseState, CaseStep
from onewindow.cli import cli
from onewindow.licences.models import Licence, LicenceStatus, Seal
from onewindow.models import Department, Staff
from onewindow.models.items import Item
from onewindow.setup import initialise

GAS_LICENCE = "010413000000"  # 燃气经营许可证核发: 住建局 then 消防救援大队
HOUSING, FIRE = "11369921102662363Q", "11369921102899934R"


@pytest.fixture(scope="module")
def demo(_ow_databases, tmp_path_factory):
    """A centre set up with `onewindow init --demo` (the history included), then run again."""
    from onewindow_supervision.models import Card, Complaint, Evaluation

    url = _ow_databases.clone()
    instance = tmp_path_factory.mktemp("demo-instance")
    app = create_app({"DATABASE_URL": url, "TESTING": True}, instance_path=instance)
    first = initialise(app, demo=True)

    def counts() -> dict[str, int]:
        kinds = {"cases": Case, "events": CaseEvent, "seals": Seal, "users": Staff}
        kinds |= {"licences": Licence, "evaluations": Evaluation, "complaints": Complaint, "cards": Card}
        return {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in kinds.items()}

    with app.app_context():
        before = counts()
    second = initialise(app, demo=True)
    with app.app_context():
        after = counts()
    ctx = app.app_context()
    ctx.push()
    yield {
        "env": {"ONEWINDOW_DATABASE_URL": url, "ONEWINDOW_INSTANCE": str(instance)},
        "first": first,
        "second": second,
        "before": before,
        "after": after,
    }
    db.session.remove()
    ctx.pop()
    _ow_databases.drop(url)


def test_demo_init_is_idempotent_history_and_seals_included(demo):
    assert demo["before"]["cases"] >= 300, demo["before"]
    assert demo["after"] == demo["before"], "a second `init --demo` must add nothing"
    assert demo["second"].history == {} and demo["second"].seals == 0


def test_every_department_has_a_seal_an_approver_and_a_seal_admin(demo):
    for dept in db.session.scalars(select(Department)):
        assert db.session.scalar(select(Seal).filter_by(department_id=dept.id, active=True)), dept.name
        roles = {
            r.name for user in db.session.scalars(select(Staff).filter_by(department_id=dept.id)) for r in user.roles
        }
        assert {"approver", "seal_admin"} <= roles, f"{dept.name}: {roles}"


def test_demo_staff_have_chinese_names(demo):
    for user in db.session.scalars(select(Staff).where(Staff.username.like("approver_%"))):
        assert all("\u4e00" <= ch <= "\u9fff" for ch in user.last_name + user.first_name), user.username


def test_sequential_item_routes_to_two_departments_in_order(demo):
    item = db.session.scalar(select(Item).filter_by(basic_code=GAS_LICENCE))
    assert item.routing_mode.name == "sequential"
    cases = db.session.scalars(select(Case).filter_by(item_id=item.id)).all()
    assert cases, "the history has cases of the sequential item"
    done = 0
    for case in [c for c in cases if c.steps]:  # routed: accepted at the window
        steps = sorted(case.steps, key=lambda s: s.position)
        assert [s.department.credit_code for s in steps] == [HOUSING, FIRE]
        if steps[1].decided_at is not None:
            assert steps[0].decided_at is not None and steps[0].decided_at <= steps[1].decided_at
            done += 1
        elif case.state == CaseState.in_review and steps[0].decided_at is None:
            assert steps[1].state.name == "waiting", "the second department waits for the first"
    assert done, "some sequential cases passed both departments"


def test_history_has_every_case_state(demo):
    states = {s for (s,) in db.session.execute(select(Case.state).distinct())}
    expected = set(CaseState) - {CaseState.submitted, CaseState.pre_reviewed}  # online only
    assert expected <= states, f"missing: {expected - states}"
    cases = db.session.scalars(select(Case)).all()
    delivered = [c for c in cases if c.state == CaseState.delivered]
    assert {c.delivery_method for c in delivered} == {"pickup", "post"}
    assert any(c.simulated and c.state == CaseState.in_review for c in cases), "容缺 awaiting supply"
    actions = {c.id: [e.action for e in c.events] for c in cases}
    assert any("request_correction" in a and "accept" in a for a in actions.values()), "corrected, then accepted"
    returned = [a for a in actions.values() if "accept" in a and "request_correction" in a[a.index("accept") :]]
    assert returned, "a department returned a case for correction after acceptance"
    assert any("supply_material" in a for a in actions.values()), "容缺 material supplied"
    open_states = {CaseState.in_review, CaseState.suspended}
    assert any(c.state in open_states and c.due_date and c.due_date < today() for c in cases), "overdue"


def test_history_spreads_over_three_months_of_working_days(demo):
    from onewindow.workdays import get_calendar

    calendar = get_calendar()
    received = [r for (r,) in db.session.execute(select(Case.received_at))]
    assert all(calendar.is_workday(r.date()) for r in received)
    assert today() - min(received).date() >= dt.timedelta(days=80)
    assert max(received) <= dt.datetime.now() + dt.timedelta(hours=9)  # never in the future (Beijing time)
    assert len({r.date() for r in received}) >= 55


def test_history_passes_the_audit_verification(demo):
    checked, broken = verify_all()
    assert checked == demo["after"]["cases"] and broken == []
    result = CliRunner().invoke(cli, ["audit", "verify"], env=demo["env"])
    assert result.exit_code == 0, result.output


def test_licences_of_delivered_cases_are_sealed(demo):
    delivered = select(Case.licence_identifier).where(
        Case.state == CaseState.delivered, Case.licence_identifier.is_not(None)
    )
    identifiers = [i for (i,) in db.session.execute(delivered)]
    assert identifiers, "some delivered cases issued an e-licence"
    for licence in db.session.scalars(select(Licence).where(Licence.identifier.in_(identifiers))):
        assert licence.status == LicenceStatus.active and licence.seal_id is not None


def test_dashboard_and_monthly_report_show_figures(demo):
    from onewindow_supervision.indicators import indicators
    from onewindow_supervision.models import BAD_LEVELS, Card, Complaint, Evaluation
    from onewindow_supervision.report import report_data

    end = today()
    rows = indicators(end - dt.timedelta(days=92), end, "department")
    named = [r for r in rows if r.key is not None]
    assert sum(r.received for r in named) >= 300
    assert sum(r.decided for r in named) > 0 and sum(r.evaluations for r in named) > 0
    assert len([r for r in named if r.received]) >= 10, "cases at most departments"
    last_month_end = end.replace(day=1) - dt.timedelta(days=1)
    report = report_data(last_month_end.replace(day=1), last_month_end)
    assert sum(r.accepted for r in report["departments"] if r.key is not None) > 0
    assert db.session.scalar(select(func.count()).select_from(Card)) > 0, "the deadline scan raised cards"
    assert db.session.scalar(select(func.count()).select_from(Complaint)) > 0
    levels = {lvl for (lvl,) in db.session.execute(select(Evaluation.level).distinct())}
    assert levels & set(BAD_LEVELS) and len(levels) >= 3


def test_every_step_of_the_history_was_decided_by_its_department(demo):
    rows = db.session.execute(
        select(CaseStep.department_id, CaseStep.decided_by).where(CaseStep.decided_by.is_not(None))
    ).all()
    assert rows
    staff = {u.username: u.department_id for u in db.session.scalars(select(Staff))}
    for department_id, decided_by in rows:
        assert decided_by == "system" or staff.get(decided_by) == department_id
