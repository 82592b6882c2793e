"""Sessions and tokens (issue #21): logout by POST with CSRF ends every session and token of
the account, a password change too, refresh tokens are bounded, and every bad token is 401."""

import datetime as dt
import re

import jwt
import pytest

from onewindow.app import db
from onewindow.models import Staff

PROTECTED = "/departmentview/list/"


def _signed_in(client) -> bool:
    return client.get(PROTECTED).status_code == 200


def _copy_session(app, source):
    """A second browser holding a copy of ``source``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def _tokens(client, username, password):
    response = client.post(
        "/api/v1/security/login", json={"username": username, "password": password, "provider": "db", "refresh": True}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_session_cookie_copied_before_logout_is_refused_after(app, client, login):
    login(client, "acceptor")
    thief = _copy_session(app, client)
    assert _signed_in(thief)
    client.post("/logout/")
    assert not _signed_in(client)
    assert not _signed_in(thief)


def test_logout_by_get_is_refused(client, login):
    login(client, "acceptor")
    assert client.get("/logout/").status_code == 405
    assert _signed_in(client)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_logout_needs_the_csrf_token_and_the_menu_sends_it(make_app, demo_logins):
    app = make_app(config={"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    token = _csrf(client.get("/login/").get_data(as_text=True))
    client.post("/login/", data={"username": "acceptor", "password": demo_logins["acceptor"], "csrf_token": token})
    assert client.post("/logout/").status_code == 400  # a forged cross-site logout
    assert _signed_in(client)
    page = client.get(PROTECTED).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout/" id="ow-logout-form".*?</form>', page, re.S).group(0)
    client.post("/logout/", data={"csrf_token": _csrf(form)})
    assert not _signed_in(client)


def test_password_change_ends_other_sessions_but_keeps_the_one_that_changed_it(app, client, login):
    login(client, "acceptor")
    other = _copy_session(app, client)
    new = "云溪县-window-7q"
    client.post("/resetmypassword/form", data={"password": new, "conf_password": new})
    assert _signed_in(client)
    assert not _signed_in(other)
    fresh = app.test_client()
    login(fresh, "acceptor", new)


def test_admin_password_reset_ends_the_users_sessions_and_tokens(app, client, login, demo_logins):
    user_browser = app.test_client()
    login(user_browser, "acceptor")
    tokens = _tokens(app.test_client(), "acceptor", demo_logins["acceptor"])
    login(client, "admin")
    with app.app_context():
        pk = db.session.query(Staff).filter_by(username="acceptor").one().id
    new = "云溪县-window-7q"
    client.post(f"/resetpassword/form?pk={pk}", data={"password": new, "conf_password": new})
    assert not _signed_in(user_browser)
    assert _signed_in(client)  # the admin's own session is untouched
    api = app.test_client()
    assert api.get("/api/v1/staff/", headers=_bearer(tokens["access_token"])).status_code == 401
    assert api.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401


def test_refresh_token_is_revoked_by_logout(app, demo_logins, login):
    api = app.test_client()
    tokens = _tokens(api, "acceptor", demo_logins["acceptor"])
    assert api.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 200
    browser = app.test_client()
    login(browser, "acceptor")
    browser.post("/logout/")
    assert api.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401
    assert api.get("/api/v1/staff/", headers=_bearer(tokens["access_token"])).status_code == 401


def test_api_logout_revokes_the_callers_tokens(app, demo_logins):
    api = app.test_client()
    tokens = _tokens(api, "acceptor", demo_logins["acceptor"])
    assert api.post("/api/v1/security/logout", headers=_bearer(tokens["access_token"])).status_code == 200
    assert api.get("/api/v1/staff/", headers=_bearer(tokens["access_token"])).status_code == 401
    assert api.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401
    assert _tokens(api, "acceptor", demo_logins["acceptor"])["access_token"]  # a new login works


def _resign(app, token, **changes):
    """The token as the server would have issued it with ``changes`` (signed with the app's key)."""
    claims = jwt.decode(token, app.config["SECRET_KEY"], algorithms=["HS256"])
    claims.update(changes)
    return jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")


def test_refresh_tokens_live_one_day(app, demo_logins):
    api = app.test_client()
    refresh = _tokens(api, "acceptor", demo_logins["acceptor"])["refresh_token"]
    claims = jwt.decode(refresh, app.config["SECRET_KEY"], algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 24 * 3600


def test_refresh_token_older_than_the_bound_is_401(app, demo_logins):
    api = app.test_client()
    refresh = _tokens(api, "acceptor", demo_logins["acceptor"])["refresh_token"]
    issued = int((dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)).timestamp())
    old = _resign(app, refresh, iat=issued, nbf=issued, exp=issued + 24 * 3600)
    response = api.post("/api/v1/security/refresh", headers=_bearer(old))
    assert response.status_code == 401
    assert "令牌已过期" in response.get_json()["message"]


def test_refresh_bound_is_configurable(make_app, demo_logins):
    api = make_app(config={"JWT_REFRESH_TOKEN_EXPIRES_HOURS": 8}).test_client()
    claims = jwt.decode(
        _tokens(api, "acceptor", demo_logins["acceptor"])["refresh_token"], options={"verify_signature": False}
    )
    assert claims["exp"] - claims["iat"] == 8 * 3600


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return ".".join([header, flipped, signature])


@pytest.mark.parametrize(
    "case",
    [
        "tampered",
        "bad signature",
        "garbage",
        "empty bearer",
        "not bearer",
        "expired",
        "refresh used as access",
        "none algorithm",
        "deleted user",
    ],
)
def test_every_bad_token_is_401_never_422(app, demo_logins, case):
    api = app.test_client()
    access = _tokens(api, "acceptor", demo_logins["acceptor"])
    token, refresh = access["access_token"], access["refresh_token"]
    headers = {
        "tampered": _bearer(_tamper(token)),
        "bad signature": _bearer(
            jwt.encode(jwt.decode(token, options={"verify_signature": False}), "not-the-key", algorithm="HS256")
        ),
        "garbage": _bearer("abc.def.ghi"),
        "empty bearer": {"Authorization": "Bearer "},
        "not bearer": {"Authorization": f"Token {token}"},
        "expired": _bearer(_resign(app, token, exp=int(dt.datetime.now(dt.timezone.utc).timestamp()) - 60)),
        "refresh used as access": _bearer(refresh),
        "none algorithm": _bearer(
            jwt.encode(jwt.decode(token, options={"verify_signature": False}), None, algorithm="none")
        ),
        "deleted user": _bearer(_resign(app, token, sub="999999")),
    }[case]
    response = api.get("/api/v1/staff/", headers=headers)
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["message"].startswith(("令牌", "需要"))


def test_missing_token_on_a_write_is_401(client):
    assert client.post("/api/v1/cases/", json={}).status_code == 401
