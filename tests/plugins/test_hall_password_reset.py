"""忘记密码: a one-time code to the account's confirmed mobile, then a new password under the
password rules; limited like the login; the same answer whether the account exists or not;
a successful reset lifts the login lockout."""

from __future__ import annotations

import re

from onewindow_hall.models import Citizen
from sqlalchemy import select
from test_hall_accounts import ID, MOBILE, MOBILE2, PASSWORD, last_code, login_password, register
from werkzeug.security import check_password_hash

from onewindow.app import db
from onewindow.notify.models import Notification

NEW_PASSWORD = "Lantern-river-2027"


def send_reset_code(client, identifier=MOBILE):
    return client.post("/hall/password-reset", data={"action": "send_code", "identifier": identifier})


def reset(client, code, identifier=MOBILE, password=NEW_PASSWORD, password2=None):
    data = {
        "action": "reset",
        "identifier": identifier,
        "code": code,
        "password": password,
        "password2": password if password2 is None else password2,
    }
    return client.post("/hall/password-reset", data=data)


def reset_codes(app):
    with app.app_context():
        return db.session.execute(select(Notification).where(Notification.kind == "hall.one_time_code")).all()


def test_login_page_offers_forgot_password(client):
    page = client.get("/hall/login").get_data(as_text=True)
    assert 'href="/hall/password-reset"' in page and "忘记密码" in page


def test_reset_by_code_to_the_confirmed_mobile_sets_the_new_password(app):
    register(app, app.test_client())
    client = app.test_client()
    assert send_reset_code(client, ID).status_code == 200  # by ID number: the code goes to the mobile
    response = reset(client, last_code(app, MOBILE), identifier=ID)
    assert response.status_code == 302 and response.headers["Location"].endswith("/hall/login")
    assert login_password(app.test_client(), MOBILE, PASSWORD).status_code == 401
    assert login_password(app.test_client(), MOBILE, NEW_PASSWORD).status_code == 302


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app):
    register(app, app.test_client())
    before = len(reset_codes(app))
    known = send_reset_code(app.test_client(), MOBILE)
    unknown = send_reset_code(app.test_client(), MOBILE2)
    assert known.status_code == unknown.status_code == 200

    def strip(page):  # the number typed and the CSRF token aside, the page is the same
        body = page.get_data(as_text=True).replace(MOBILE, "X").replace(MOBILE2, "X")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", body)

    assert strip(known) == strip(unknown)
    assert len(reset_codes(app)) == before + 1  # only the real account got a code
    wrong_known = reset(app.test_client(), "000000", MOBILE)
    wrong_unknown = reset(app.test_client(), "000000", MOBILE2)
    assert wrong_known.status_code == wrong_unknown.status_code == 400
    assert strip(wrong_known) == strip(wrong_unknown)


def test_the_new_password_follows_the_password_rules_and_a_refusal_keeps_the_code(app):
    register(app, app.test_client())
    client = app.test_client()
    send_reset_code(client)
    code = last_code(app, MOBILE)
    weak = reset(client, code, password="short")
    assert weak.status_code == 400 and 'id="password-problem"' in weak.get_data(as_text=True)
    differ = reset(client, code, password2="Something-else-99")
    assert differ.status_code == 400 and 'id="password2-problem"' in differ.get_data(as_text=True)
    assert reset(client, code).status_code == 302  # the code was not used up by the refusals
    with app.app_context():
        citizen = db.session.execute(select(Citizen)).scalar_one()
        assert check_password_hash(citizen.password_hash, NEW_PASSWORD)


def test_a_reset_code_is_used_once(app):
    register(app, app.test_client())
    client = app.test_client()
    send_reset_code(client)
    code = last_code(app, MOBILE)
    assert reset(client, code).status_code == 302
    assert reset(app.test_client(), code, password="Another-lantern-88").status_code == 400


def test_reset_codes_are_limited_per_account_known_or_not(make_app):
    app = make_app(config={"plugins": {"hall": {"code_rate_per_mobile": "2 per 10 minutes"}}})
    register(app, app.test_client())  # one code of the registration counted already
    assert send_reset_code(app.test_client(), MOBILE).status_code == 200
    assert send_reset_code(app.test_client(), MOBILE).status_code == 429
    assert send_reset_code(app.test_client(), MOBILE2).status_code == 200
    assert send_reset_code(app.test_client(), MOBILE2).status_code == 200
    assert send_reset_code(app.test_client(), MOBILE2).status_code == 429  # unknown: the same limit


def test_reset_attempts_are_limited_like_the_login(make_app):
    app = make_app(config={"plugins": {"hall": {"login_rate_per_address": "3 per minute"}}})
    client = app.test_client()
    for n in range(3):
        assert reset(client, "000000", f"1380000000{n}").status_code == 400
    assert reset(client, "000000", "13800000009").status_code == 429


def test_a_successful_reset_lifts_the_login_lockout(make_app):
    app = make_app(config={"LOGIN_MAX_FAILURES": 2})
    register(app, app.test_client())
    client = app.test_client()
    login_password(client, MOBILE, "Wrong-password-1")
    assert login_password(client, MOBILE, "Wrong-password-1").status_code == 429
    assert login_password(app.test_client(), MOBILE, PASSWORD).status_code == 429  # locked
    send_reset_code(client)
    assert reset(client, last_code(app, MOBILE)).status_code == 302
    assert login_password(app.test_client(), MOBILE, NEW_PASSWORD).status_code == 302
