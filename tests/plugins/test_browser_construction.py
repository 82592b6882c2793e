"""Construction approval in real Chromium: the phase's one form at the window accepts the
phase's cases; a later phase is refused while the earlier one is open; the dashboard shows it."""

import pytest
from construction_helpers import FORM, MON, project
from onewindow_construction.models import ConstructionProject

from onewindow.app import db
from onewindow.cases.clock import travel_to

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def _fill(page):
    for name, value in FORM.items():
        page.fill(f"#construction-phase-form [name={name}]", value)


def test_phase_form_accepts_the_cases_and_refuses_a_phase_out_of_order(page, live_server, demo_logins, app):
    with app.app_context():
        pid = project().id
    with travel_to(MON):
        sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
        page.goto(f"{live_server}/constructionprojectview/show/{pid}")
        page.click(".construction-open-land")
        assert "尚未完成" in page.inner_text("#construction-order-problem")
        _fill(page)
        page.click("#construction-phase-submit")
        page.wait_for_selector(".alert-danger")  # the form again, with the refusal flashed
        assert "“立项”阶段尚未完成，不能办理“用地”阶段的事项" in page.inner_text("body")

        page.goto(f"{live_server}/constructionprojectview/show/{pid}")
        page.click(".construction-open-initiation")
        page.uncheck("input[name=items][value='010402000000']")
        page.uncheck("input[name=items][value='010403000000']")
        _fill(page)
        page.click("#construction-phase-submit")
        page.wait_for_selector("#construction-project")
        assert "企业投资项目备案" in page.inner_text(".construction-phase-initiation")
    with app.app_context():
        p = db.session.get(ConstructionProject, pid)
        assert [link.case.item.basic_code for link in p.phase("initiation").links] == ["110401000000"]

    sign_in(page, live_server, "supervisor", demo_logins["supervisor"])
    page.goto(f"{live_server}/construction/dashboard/")
    assert "年产5万吨新材料项目" in page.inner_text("#construction-dashboard")
