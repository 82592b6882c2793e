"""Login brute force (issue #21): per-account lockout on every login path, per-address
limits on login posts, the admin's lockout screen, and the password policy on every
path that sets a password."""

import datetime as dt

import pytest
from click.testing import CliRunner

from onewindow.app import db
from onewindow.auth import lockout
from onewindow.auth.lockout import LoginLocked, LoginLockout, guarded_login
from onewindow.auth.passwords import WeakPassword, password_problem
from onewindow.models import Staff

LOCKED = "登录失败次数过多，请 15 分钟后再试"
NO_ADDRESS_LIMIT = {"AUTH_RATE_LIMITED": False}


def _ui_login(client, username, password):
    return client.post("/login/", data={"username": username, "password": password}, follow_redirects=True)


def _api_login(client, username, password):
    return client.post(
        "/api/v1/security/login", json={"username": username, "password": password, "provider": "db", "refresh": True}
    )


def _signed_in(client) -> bool:
    return client.get("/departmentview/list/").status_code == 200


# --- lockout ------------------------------------------------------------------


def test_49_wrong_passwords_on_the_login_screen_then_the_right_one_is_refused(make_app, demo_logins):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    for _ in range(49):
        _ui_login(client, "acceptor", "wrong-password")
    page = _ui_login(client, "acceptor", demo_logins["acceptor"]).get_data(as_text=True)
    assert LOCKED in page
    assert not _signed_in(client)


def test_49_wrong_passwords_on_the_api_then_the_right_one_is_refused(make_app, demo_logins):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    for _ in range(49):
        _api_login(client, "acceptor", "wrong-password")
    response = _api_login(client, "acceptor", demo_logins["acceptor"])
    assert response.status_code == 429
    assert response.get_json()["message"] == LOCKED
    assert response.headers["Retry-After"] == str(15 * 60)
    assert "access_token" not in response.get_json()


def test_the_failure_that_reaches_the_limit_says_how_long_to_wait(make_app):
    client = make_app(config={**NO_ADDRESS_LIMIT, "LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 30}).test_client()
    pages = [_ui_login(client, "approver", "wrong-password").get_data(as_text=True) for _ in range(3)]
    assert LOCKED not in pages[1] and "用户名或密码错误" in pages[1]
    assert "登录失败次数过多，请 30 分钟后再试" in pages[2]


def test_screen_and_api_failures_count_together(make_app, demo_logins):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    for _ in range(3):
        _ui_login(client, "approver", "wrong-password")
    for _ in range(2):
        _api_login(client, "approver", "wrong-password")
    assert LOCKED in _ui_login(client, "approver", demo_logins["approver"]).get_data(as_text=True)


def test_a_successful_login_clears_earlier_failures(make_app, demo_logins):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    for _ in range(4):
        _api_login(client, "acceptor", "wrong-password")
    assert _api_login(client, "acceptor", demo_logins["acceptor"]).status_code == 200
    for _ in range(4):
        _api_login(client, "acceptor", "wrong-password")
    assert _api_login(client, "acceptor", demo_logins["acceptor"]).status_code == 200


def test_failures_older_than_the_window_are_not_counted(make_app, demo_logins, monkeypatch):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    start = dt.datetime(2026, 12, 1, 1, 0)
    monkeypatch.setattr(lockout, "utcnow", lambda: start)
    for _ in range(4):
        _api_login(client, "acceptor", "wrong-password")
    monkeypatch.setattr(lockout, "utcnow", lambda: start + dt.timedelta(minutes=16))
    _api_login(client, "acceptor", "wrong-password")  # first of a new window
    assert _api_login(client, "acceptor", demo_logins["acceptor"]).status_code == 200


def test_the_lockout_ends_after_the_lockout_period(make_app, demo_logins, monkeypatch):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    start = dt.datetime(2026, 12, 1, 1, 0)
    monkeypatch.setattr(lockout, "utcnow", lambda: start)
    for _ in range(5):
        _api_login(client, "acceptor", "wrong-password")
    monkeypatch.setattr(lockout, "utcnow", lambda: start + dt.timedelta(minutes=14))
    locked = _api_login(client, "acceptor", demo_logins["acceptor"])
    assert locked.status_code == 429 and "请 1 分钟后再试" in locked.get_json()["message"]
    monkeypatch.setattr(lockout, "utcnow", lambda: start + dt.timedelta(minutes=15, seconds=1))
    assert _api_login(client, "acceptor", demo_logins["acceptor"]).status_code == 200


def test_unknown_user_names_are_locked_like_real_ones(make_app):
    client = make_app(config=NO_ADDRESS_LIMIT).test_client()
    answers = [_api_login(client, "nobody-here", "wrong-password").status_code for _ in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]


def test_admin_sees_the_lockout_and_lifts_it(make_app, demo_logins, login):
    app = make_app(config=NO_ADDRESS_LIMIT)
    attacker = app.test_client()
    for _ in range(5):
        _api_login(attacker, "acceptor", "wrong-password")
    admin = app.test_client()
    login(admin, "admin")
    listing = admin.get("/loginlockoutview/list/").get_data(as_text=True)
    assert "acceptor" in listing and "已锁定" in listing
    with app.app_context():
        row = db.session.query(LoginLockout).filter_by(identifier="acceptor").one()
        assert row.lockouts == 1 and row.last_address == "127.0.0.1"
        row_id = row.id
    admin.post("/loginlockoutview/action_post", data={"action": "lift", "rowid": [str(row_id)]})
    with app.app_context():
        row = db.session.get(LoginLockout, row_id)
        assert row.locked_until is None and row.lifted_by == "admin"
    assert _api_login(attacker, "acceptor", demo_logins["acceptor"]).status_code == 200


def test_only_the_admin_sees_lockouts(client, login):
    login(client, "supervisor")
    assert client.get("/loginlockoutview/list/").status_code in (302, 403)


def test_other_login_kinds_reuse_the_guard(app):
    """Citizen logins and one-time codes (later) call guarded_login with their own kind."""
    with app.test_request_context("/"):
        for _ in range(4):
            assert guarded_login("sms_code", "13800000000", lambda: None) is None
        with pytest.raises(LoginLocked) as locked:
            guarded_login("sms_code", "13800000000", lambda: None)
        assert str(locked.value) == LOCKED
        with pytest.raises(LoginLocked):
            guarded_login("sms_code", "13800000000", lambda: "the right code")
        assert guarded_login("staff", "13800000000", lambda: "another kind") == "another kind"


# --- per-address limits on login posts ------------------------------------------


def test_login_posts_are_limited_per_address(make_app):
    client = make_app(config={"AUTH_RATE_LIMIT": "3 per minute", "LOGIN_MAX_FAILURES": 100}).test_client()
    answers = [client.post("/login/", data={"username": f"u{i}", "password": "x"}).status_code for i in range(4)]
    assert answers == [302, 302, 302, 429]
    assert "请求过于频繁" in client.post("/login/", data={"username": "u", "password": "x"}).get_data(as_text=True)


def test_api_login_is_limited_per_address(make_app):
    client = make_app(config={"AUTH_RATE_LIMIT": "3 per minute", "LOGIN_MAX_FAILURES": 100}).test_client()
    answers = [_api_login(client, f"u{i}", "x").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]
    assert "请求过于频繁" in _api_login(client, "u", "x").get_json()["message"]


# --- password policy --------------------------------------------------------------


@pytest.mark.parametrize(
    "password, username, reason",
    [
        ("1", "li4", "至少 10 个字符"),
        ("12345678", "li4", "至少 10 个字符"),
        ("1234567890", "li4", "最常见的密码"),
        ("Password123", "li4", "最常见的密码"),
        ("aaaaaaaaaaaa", "li4", "最常见的密码"),
        ("zhangsan2026", "zhangsan", "用户名"),
        ("Acceptor-secure", "acceptor", "用户名"),
    ],
)
def test_password_policy_refuses(app, password, username, reason):
    with app.app_context():
        assert reason in password_problem(password, username)


def test_password_policy_accepts_a_long_uncommon_password(app):
    with app.app_context():
        assert password_problem("云溪县-window-7q", "li4") is None


def _add_user_form(password, username="li4"):
    return {
        "first_name": "四",
        "last_name": "李",
        "username": username,
        "active": "y",
        "email": f"{username}@example.invalid",
        "roles": "",
        "password": password,
        "conf_password": password,
    }


def _role_id(app, name):
    with app.app_context():
        return str(app.appbuilder.sm.find_role(name).id)


def test_add_user_screen_refuses_password_1(app, client, login):
    login(client, "admin")
    form = _add_user_form("1")
    form["roles"] = _role_id(app, "acceptor")
    page = client.post("/users/add", data=form, follow_redirects=True).get_data(as_text=True)
    assert "密码至少 10 个字符" in page
    with app.app_context():
        assert db.session.query(Staff).filter_by(username="li4").count() == 0


def test_add_user_screen_refuses_the_user_name_as_password(app, client, login):
    login(client, "admin")
    form = _add_user_form("li4wang-li4wang", username="li4wang")
    form["roles"] = _role_id(app, "acceptor")
    page = client.post("/users/add", data=form, follow_redirects=True).get_data(as_text=True)
    assert "不得是或包含用户名" in page
    with app.app_context():
        assert db.session.query(Staff).filter_by(username="li4wang").count() == 0


def test_add_user_screen_accepts_a_good_password(app, client, login):
    login(client, "admin")
    form = _add_user_form("云溪县-window-7q")
    form["roles"] = _role_id(app, "acceptor")
    client.post("/users/add", data=form, follow_redirects=True)
    with app.app_context():
        assert db.session.query(Staff).filter_by(username="li4").count() == 1


def test_admin_reset_password_screen_refuses_a_weak_password(app, client, login, demo_logins):
    login(client, "admin")
    with app.app_context():
        pk = db.session.query(Staff).filter_by(username="acceptor").one().id
    page = client.post(
        f"/resetpassword/form?pk={pk}",
        data={"password": "acceptor123", "conf_password": "acceptor123"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "不得是或包含用户名" in page
    assert _api_login(app.test_client(), "acceptor", demo_logins["acceptor"]).status_code == 200


def test_cli_refuses_12345678(ow_database, tmp_path):
    from onewindow.cli import cli

    env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")}
    result = CliRunner().invoke(
        cli, ["user", "create", "--username", "li4", "--password", "12345678", "--role", "acceptor"], env=env
    )
    assert result.exit_code == 1
    assert "--password: 密码至少 10 个字符" in result.output


def test_security_manager_refuses_weak_passwords_for_any_caller(app):
    with app.app_context():
        sm = app.appbuilder.sm
        with pytest.raises(WeakPassword):
            sm.add_user("wang5", "五", "王", "wang5@example.invalid", sm.find_role("acceptor"), password="wang5")
        user = db.session.query(Staff).filter_by(username="acceptor").one()
        with pytest.raises(WeakPassword):
            sm.reset_password(user.id, "1234567890")


# --- several processes: counters in the database ------------------------------------


def test_database_storage_shares_login_limits_between_processes(make_app):
    """Two app instances (two processes of one deployment) count in the same table."""
    config = {"RATE_LIMIT_STORAGE_URL": "database", "AUTH_RATE_LIMIT": "3 per minute", "LOGIN_MAX_FAILURES": 100}
    first, second = make_app(config=config).test_client(), make_app(config=config).test_client()
    answers = [
        _api_login(first, "u1", "x").status_code,
        _api_login(second, "u2", "x").status_code,
        _api_login(first, "u3", "x").status_code,
        _api_login(second, "u4", "x").status_code,
    ]
    assert answers == [401, 401, 401, 429]


def test_database_storage_counts_public_lookups_too(make_app):
    client = make_app(
        config={"RATE_LIMIT_STORAGE_URL": "database", "PUBLIC_LOOKUP_RATE_LIMIT": "2 per minute"}
    ).test_client()
    assert [client.get("/progress/X?code=Y").status_code for _ in range(3)] == [404, 404, 429]
