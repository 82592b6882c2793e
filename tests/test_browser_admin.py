"""A newcomer logs into the Chinese admin UI and finds the demo organisation (real Chromium)."""

import pytest

pytestmark = pytest.mark.browser


def test_admin_logs_in_and_sees_chinese_organisation_screens(page, live_server, demo_logins):
    page.goto(f"{live_server}/login/")
    page.fill("#username", "admin")
    page.fill("#password", demo_logins["admin"])
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert "当前登录" in page.inner_text("#ow-whoami")
    page.click("text=组织机构")
    page.click("a:has-text('部门')")
    page.wait_for_selector("text=云溪县市场监督管理局")
    assert "统一社会信用代码" in page.content()


def test_approver_sees_only_own_department_staff(page, live_server, demo_logins):
    page.goto(f"{live_server}/login/")
    page.fill("#username", "approver_re")
    page.fill("#password", demo_logins["approver_re"])
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/departmentstaffview/list/")
    body = page.inner_text("body")
    assert "approver_re" in body and "chief_rep" not in body
