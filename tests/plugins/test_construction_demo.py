"""A demo construction project through all five phases; agent tracking; the dashboard;
and the platform without either area plugin."""

import datetime as dt

import pytest
from construction_helpers import (  # noqa: F401  (site is a fixture)
    MON,
    add_and_pay,
    approve_all,
    open_cases,
    project,
    sign_all,
    site,
)
from onewindow_construction import service

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, CaseState, MaterialStatus
from onewindow.errors import ValidationError
from onewindow.models.items import Item


def test_demo_project_goes_through_the_five_phases(site, actor):
    acceptor = actor("acceptor")
    p = project()
    approve_all(open_cases(p, "initiation", acceptor, ["110401000000"]))

    land = open_cases(p, "land", acceptor)
    approve_all(land)
    sign_all(p.phase("land"))  # 联合勘验
    add_and_pay(p, "land", [("耕地开垦费", 180000), ("土地复垦费", 42000)], "PJ-2026-0101")
    assert p.phase("land").state.name == "complete"

    approve_all(open_cases(p, "planning", acceptor))
    sign_all(p.phase("planning"))  # 联合审图 by 住建, 消防, 自然资源
    assert p.phase("planning").state.name == "complete"

    permit = open_cases(p, "permit", acceptor)
    joint_case = next(c for c in permit if c.item.basic_code == "010412000000")
    assert [s.state.name for s in joint_case.steps] == ["active"] * 3  # parallel departments
    with travel_to(MON):
        service.add_fee(p, "permit", "城市基础设施配套费", 360000, "acceptor")
        service.add_fee(p, "permit", "防空地下室易地建设费", 84000, "acceptor")
    approve_all(permit)
    assert p.phase("permit").state.name == "open"  # waits for the permit-stage fees
    with travel_to(MON):
        service.pay_stage(p, "permit", "PJ-2026-0102", "acceptor")
    db.session.commit()
    assert p.phase("permit").state.name == "complete"

    approve_all(open_cases(p, "acceptance", acceptor))
    assert [t.kind.name for t in p.phase("acceptance").joint_tasks] == ["acceptance", "mapping"]
    sign_all(p.phase("acceptance"))  # 联合验收 + 联合测绘
    add_and_pay(p, "acceptance", [("竣工测绘费", 12000)], "PJ-2026-0103")
    assert [ph.state.name for ph in p.phases] == ["complete"] * 5
    rows = service.progress(p)
    assert [len(r["cases"]) for r in rows] == [1, 2, 2, 2, 2]
    assert all(r["elapsed"] == 0 and not r["overdue"] for r in rows)  # all on Monday 23 Nov


def test_agent_must_hold_the_agent_role(site):
    p = project()
    with pytest.raises(ValidationError, match="不是代办员"):
        service.assign_agent(p, "acceptor", "admin")


def test_agent_tracking_shows_where_the_project_stands_and_what_is_overdue(site, actor, client, login):
    from onewindow.staff import create_staff

    create_staff(username="agent_wang", password="Agent-pass-123", roles=["agent"], first_name="代办员")
    p = project()
    service.assign_agent(p, "agent_wang", "admin")
    db.session.commit()
    open_cases(p, "initiation", actor("acceptor"), ["010402000000"])  # 核准: 10 working days
    with travel_to(dt.date(2026, 12, 9)):  # 12 working days later
        rows = service.progress(p)
    first = rows[0]
    assert first["elapsed"] == 12 and first["limit"] == 10 and first["overdue"]
    assert first["cases"][0]["overdue"] and first["cases"][0]["state"] == CaseState.in_review
    login(client, "agent_wang", "Agent-pass-123")
    page = client.get("/construction/dashboard/tracking").get_data(as_text=True)
    assert p.code in page and "企业投资项目核准" in page


def test_dashboard_shows_phase_progress(site, actor, client, login):
    p = project()
    approve_all(open_cases(p, "initiation", actor("acceptor"), ["110401000000"]))
    login(client, "supervisor")
    page = client.get("/construction/dashboard/").get_data(as_text=True)
    assert p.name in page and "1/5" in page


def _accept_standalone(basic_code, acceptor):
    item = db.session.query(Item).filter_by(basic_code=basic_code, is_current=True).one()
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.company,
        applicant_name="某公司",
        applicant_id="91440300MA5G7K2L82",
        data={
            "company_name": "某公司",
            "credit_code": "91440300MA5G7K2L82",
            "contact_name": "王五",
            "contact_id": "440304200002291236",
            "phone": "13800000000",
            "address": "云溪县",
            "project_name": "x",
            "project_code": "2026-369921-47-01-000999",
            "total_investment": "1",
            "site": "云溪县",
        },
    )
    with travel_to(MON):
        return engine.accept(application, acceptor, {m.id: MaterialStatus.submitted for m in item.materials})


def test_without_the_construction_plugin_the_rest_keeps_working(make_app, actor, login):
    app = make_app(config={"PLUGINS_DISABLED": ["construction"]})
    client = app.test_client()
    with app.app_context():
        case = _accept_standalone("010406000000", actor("acceptor"))  # a planning item, no phase rule
        assert case.state == CaseState.in_review
    login(client, "admin")
    assert client.get("/construction/dashboard/").status_code == 404
    assert client.get("/market/agencies").status_code == 200


def test_without_the_intermediary_plugin_the_rest_keeps_working(make_app, login):
    app = make_app(config={"PLUGINS_DISABLED": ["intermediary"]})
    client = app.test_client()
    assert client.get("/market/agencies").status_code == 404
    login(client, "admin")
    assert client.get("/construction/dashboard/").status_code == 200
    assert client.get("/intermediary/desk/").status_code == 404
