"""What a staff member sees (real Chromium, CSRF on): the lockout message after repeated
failures, the logout button (a POST form) in the user menu, and no page blocked by the CSP."""

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app):
    return make_app(config={"WTF_CSRF_ENABLED": True})


def _sign_in(page, live_server, username, password):
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def _csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


def test_staff_member_sees_the_lockout_message_with_the_wait(page, live_server, demo_logins):
    for _ in range(4):
        _sign_in(page, live_server, "acceptor", "wrong-password")
        assert "用户名或密码错误" in page.inner_text("body")
    _sign_in(page, live_server, "acceptor", "wrong-password")
    assert "登录失败次数过多，请 15 分钟后再试" in page.inner_text("body")
    _sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    assert "登录失败次数过多，请 15 分钟后再试" in page.inner_text("body")
    assert page.url.startswith(f"{live_server}/login/")


def test_logout_button_in_the_user_menu_signs_out(page, live_server, demo_logins):
    violations = _csp_violations(page)
    _sign_in(page, live_server, "admin", demo_logins["admin"])
    assert "当前登录" in page.inner_text("#ow-whoami")
    page.click("a.dropdown-toggle:has(.fa-user)")
    page.click("#ow-logout")
    page.wait_for_load_state()
    page.goto(f"{live_server}/departmentview/list/")
    assert "/login/" in page.url
    assert violations == []


def test_screens_with_scripts_run_under_the_content_security_policy(page, live_server, demo_logins):
    violations = _csp_violations(page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, "admin", demo_logins["admin"])
    page.goto(f"{live_server}/users/add")
    page.click(".select2-container")  # select2 (a script) has run
    page.wait_for_selector(".select2-results li:has-text('acceptor')")
    page.goto(f"{live_server}/loginlockoutview/list/")
    page.goto(f"{live_server}/swagger/v1")
    page.wait_for_selector("#swagger-ui .info", timeout=15000)
    assert violations == [] and errors == []
