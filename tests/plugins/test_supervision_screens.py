"""Supervisor screens: dashboard indicators, open cards by department/window/staff, reports,
department scoping; and a browser test that opens the dashboard in real Chromium."""

import datetime as dt
import io

import pytest
from onewindow_supervision import service
from onewindow_supervision.indicators import indicators
from onewindow_supervision.models import Card
from supervision_helpers import PERSON, RE, accepted, ctx, scan_on  # noqa: F401 (fixtures)

from onewindow import unit_of_work
from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to


@pytest.fixture
def demo_data(app, make_item, accepted, actor, scan_on):
    """Two cases of the market regulator (one on time and well rated, one overdue) and one
    online case of the real-estate centre; the scheduler's scan has run."""
    with app.app_context():
        quick = accepted(make_item(promised=1, handling="immediate"))
        with travel_to(dt.date(2026, 11, 23)):
            engine.decide_on_the_spot(quick, actor("chief_rep"), True, "当场办结")
            engine.hand_to_output(quick, actor("approver"), "许可证1份")
            engine.deliver_pickup(quick, actor("output_clerk"), "张三", PERSON)
            with unit_of_work():
                service.record_evaluation(quick, actor("acceptor"), "very_satisfied", "window")
        accepted(make_item(promised=2))
        from onewindow.cases.models import Channel

        accepted(make_item(department=RE), channel=Channel.online)
        scan_on(dt.date(2026, 11, 30))
    return app


def test_indicators_for_the_demo_data(demo_data):
    with demo_data.app_context():
        rows = {r.name: r for r in indicators(dt.date(2026, 11, 1), dt.date(2026, 11, 30))}
        amr = next(r for name, r in rows.items() if "市场" in name)
        total = rows["合计"]
        assert (amr.received, amr.accepted, amr.immediate_rate) == (2, 2, 50.0)
        assert (amr.decided, amr.on_time_rate, amr.average_workdays, amr.satisfaction_rate) == (1, 100.0, 0.0, 100.0)
        assert amr.red == 2  # the overdue case and its step
        assert total.received == 3 and total.online_rate == pytest.approx(33.3)


def test_supervisor_dashboard_shows_indicators_and_charts(demo_data, login):
    client = demo_data.test_client()
    login(client, "supervisor")
    page = client.get("/supervision/?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    # its own four charts, plus the hall's waiting-time chart (queue plugin, dashboard_sections)
    assert 'id="supervision-kpis"' in page and page.count("<svg") == 4 + page.count('id="chart-queue-wait"')
    assert "云溪县市场监督管理局" in page or "市场监管" in page
    css = client.get("/supervision/static/supervision.css")
    assert css.status_code == 200 and b".ow-bar" in css.data


def test_open_cards_by_department_window_and_staff(demo_data, login):
    client = demo_data.test_client()
    login(client, "supervisor")
    page = client.get("/supervision/open-cards").get_data(as_text=True)
    assert 'id="open-cards"' in page and "acceptor" in page and "企业登记综合受理1号窗口" in page


def test_department_roles_see_only_their_departments_cards(demo_data, login):
    with demo_data.app_context():
        card_id = db.session.query(Card.id).first()[0]
    other = demo_data.test_client()
    login(other, "approver_re")  # 不动产登记中心: the cards are the market regulator's
    assert other.get(f"/supervisioncardview/show/{card_id}").status_code == 404
    own = demo_data.test_client()
    login(own, "approver")
    assert own.get(f"/supervisioncardview/show/{card_id}").status_code == 200
    assert own.get("/supervision/").status_code in (302, 403)  # the dashboard is the supervisor's


def test_acceptor_records_an_evaluation_through_the_form(demo_data, login):
    with demo_data.app_context():
        from onewindow.cases.models import Case, CaseState

        case = db.session.query(Case).filter(Case.state == CaseState.in_review).first()
        number = case.number
    client = demo_data.test_client()
    login(client, "acceptor")
    response = client.post(
        "/supervision/desk/evaluate",
        data={"case_number": number, "level": "satisfied", "channel": "window"},
        follow_redirects=True,
    )
    assert "尚未办结" in response.get_data(as_text=True)


def test_monthly_report_is_stored_once_as_excel_and_pdf(demo_data, login):
    from onewindow_supervision.jobs import monthly_report
    from onewindow_supervision.models import MonthlyReport
    from openpyxl import load_workbook

    with demo_data.app_context():
        assert monthly_report(dt.date(2026, 12, 1)) == "2026-11"
        assert monthly_report(dt.date(2026, 12, 1)) is None  # idempotent
        report = db.session.query(MonthlyReport).one()
        sheet = load_workbook(io.BytesIO(report.xlsx))["按部门"]
        assert sheet["A2"].value == "名称" and report.pdf.startswith(b"%PDF")
    client = demo_data.test_client()
    login(client, "supervisor")
    download = client.get(f"/supervisionreportview/download/{report.id}/xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"


@pytest.mark.browser
def test_supervisor_opens_the_dashboard_in_a_browser(demo_data, live_server, page, demo_logins):
    page.goto(f"{live_server}/login/")
    page.fill("#username", "supervisor")
    page.fill("#password", demo_logins["supervisor"])
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/supervision/?start=2026-11-01&end=2026-11-30")
    page.wait_for_selector("#supervision-kpis")
    # its own four charts, plus the hall's waiting-time chart when the queue plugin shows one
    assert page.locator("figure.ow-chart svg").count() == 4 + page.locator("#chart-queue-wait").count()
    assert page.locator("figure.ow-chart rect").count() >= 1
    assert "合计" in page.inner_text("body")


def test_every_supervision_screen_opens_for_the_supervisor(demo_data, login):
    client = demo_data.test_client()
    login(client, "supervisor")
    for url in [
        "/supervisioncardview/list/",
        "/supervisionevaluationview/list/",
        "/supervisionrectificationview/list/",
        "/supervisioncomplaintview/list/",
        "/supervisionreportview/list/",
        "/supervision/desk/evaluate",
        "/supervision/desk/complain",
        "/supervision/desk/demand",
        "/supervisionevaluationview/show/1",
    ]:
        assert client.get(url).status_code == 200, url


def test_complaint_goes_through_the_screens_from_filing_to_reply(demo_data, login):
    from onewindow_supervision.models import Complaint

    acceptor = demo_data.test_client()
    login(acceptor, "acceptor")
    assert acceptor.get("/supervision/desk/complain").status_code == 200
    response = acceptor.post(
        "/supervision/desk/complain",
        data={
            "channel": "hotline",
            "case_number": "",
            "window": "0",
            "department": "0",
            "complainant": "李四",
            "phone": "",
            "content": "窗口推诿",
        },
        follow_redirects=True,
    )
    assert "投诉须指向" in response.get_data(as_text=True)
    with demo_data.app_context():
        from onewindow.models import Department

        dept_id = db.session.query(Department.id).filter_by(credit_code="11369921102345608H").scalar()
    acceptor.post(
        "/supervision/desk/complain",
        data={
            "channel": "hotline",
            "case_number": "",
            "window": "0",
            "department": str(dept_id),
            "complainant": "李四",
            "phone": "",
            "content": "窗口推诿",
        },
    )
    with demo_data.app_context():
        complaint = db.session.query(Complaint).one()
        cid = complaint.id
    supervisor = demo_data.test_client()
    login(supervisor, "supervisor")
    show = supervisor.get(f"/supervisioncomplaintview/show/{cid}").get_data(as_text=True)
    assert f"/supervision/desk/assign/{cid}" in show
    supervisor.post(f"/supervision/desk/assign/{cid}", data={"department": str(dept_id)})
    approver = demo_data.test_client()
    login(approver, "approver")
    approver.post(f"/supervision/desk/handle/{cid}", data={"handling": "属实", "reply": "已整改"})
    supervisor.post(f"/supervision/desk/close/{cid}", data={"reply": ""})
    with demo_data.app_context():
        assert db.session.get(Complaint, cid).state.name == "closed"
