"""The hall's citizen and company accounts: real-name registration confirmed by a one-time
code, login by password or code, lockout and rate limits, sessions apart from staff, CSRF."""

from __future__ import annotations

import datetime as dt
import re

from onewindow_hall.models import Citizen, CompanyMember, MemberRole, OneTimeCode
from sqlalchemy import select

from onewindow.app import db
from onewindow.notify.models import Notification

ID = "440304200002291236"
ID2 = "11010519491231002X"
MOBILE = "13800138000"
MOBILE2 = "13900139000"
PASSWORD = "Hall-garden-2026"
USCC = "91440300MA5G7K2L82"


def last_code(app, mobile: str) -> str:
    with app.app_context():
        body = (
            db.session.execute(
                select(Notification.body)
                .where(Notification.recipient == mobile, Notification.kind == "hall.one_time_code")
                .order_by(Notification.id.desc())
            )
            .scalars()
            .first()
        )
    return re.search(r"\d{6}", body).group(0)


def send_register_code(client, mobile=MOBILE, **extra):
    data = {"action": "send_code", "name": "张三", "id_number": ID, "mobile": mobile, **extra}
    return client.post("/hall/register", data=data)


def register(app, client, *, name="张三", id_number=ID, mobile=MOBILE, password=PASSWORD, code=None):
    assert send_register_code(client, mobile).status_code == 200
    data = {
        "action": "register",
        "name": name,
        "id_number": id_number,
        "mobile": mobile,
        "code": code or last_code(app, mobile),
        "password": password,
        "password2": password,
    }
    return client.post("/hall/register", data=data)


def login_password(client, identifier=MOBILE, password=PASSWORD):
    return client.post("/hall/login", data={"action": "password", "identifier": identifier, "password": password})


def citizens(app):
    with app.app_context():
        return db.session.execute(select(Citizen)).scalars().all()


def test_registration_with_the_mobile_code_creates_the_account_and_logs_in(app, client):
    response = register(app, client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/hall/account")
    page = client.get("/hall/account").get_data(as_text=True)
    assert "张三" in page and "440304********1236" in page and ID not in page
    [citizen] = citizens(app)
    assert citizen.mobile_verified and citizen.password_hash != PASSWORD and citizen.created_at.tzinfo


def test_registration_refuses_a_wrong_id_check_digit_naming_the_right_one_and_writes_nothing(app, client):
    send_register_code(client)
    data = {
        "action": "register",
        "name": "张三",
        "id_number": ID[:-1] + "5",
        "mobile": MOBILE,
        "code": last_code(app, MOBILE),
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    response = client.post("/hall/register", data=data)
    assert response.status_code == 400
    assert "最后一位应为 6" in response.get_data(as_text=True)
    assert citizens(app) == []


def test_registration_reports_every_problem_at_once(app, client):
    data = {
        "action": "register",
        "name": "",
        "id_number": "123",
        "mobile": "12345",
        "code": "",
        "password": "short",
        "password2": "short",
    }
    page = client.post("/hall/register", data=data).get_data(as_text=True)
    for field in ("name-problem", "id_number-problem", "mobile-problem", "password-problem", "code-problem"):
        assert f'id="{field}"' in page
    assert citizens(app) == []


def test_registration_with_a_wrong_code_is_refused(app, client):
    send_register_code(client)
    wrong = "000000" if last_code(app, MOBILE) != "000000" else "111111"
    data = {
        "action": "register",
        "name": "张三",
        "id_number": ID,
        "mobile": MOBILE,
        "code": wrong,
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    response = client.post("/hall/register", data=data)
    assert response.status_code == 400 and citizens(app) == []


def test_codes_are_stored_hashed_expire_and_are_used_once(app, client):
    send_register_code(client)
    code = last_code(app, MOBILE)
    with app.app_context():
        row = db.session.execute(select(OneTimeCode)).scalar_one()
        assert code not in row.code_hash and len(row.code_hash) == 64
        assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
        row.expires_at = row.created_at  # expired
        db.session.commit()
    assert register(app, client, code=code).status_code == 400  # a new code was sent; the old one is void
    with app.app_context():
        assert db.session.query(OneTimeCode).filter(OneTimeCode.used_at.is_(None)).count() == 1
    fresh = last_code(app, MOBILE)
    data = {
        "action": "register",
        "name": "张三",
        "id_number": ID,
        "mobile": MOBILE,
        "code": fresh,
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    assert client.post("/hall/register", data=data).status_code == 302
    other = {**data, "id_number": ID2, "mobile": MOBILE}
    assert client.post("/hall/register", data=other).status_code == 400  # the code is used up


def test_expired_code_is_refused(app, client):
    send_register_code(client)
    code = last_code(app, MOBILE)
    with app.app_context():
        row = db.session.execute(select(OneTimeCode)).scalar_one()
        row.expires_at = row.created_at - dt.timedelta(seconds=1)
        db.session.commit()
    data = {
        "action": "register",
        "name": "张三",
        "id_number": ID,
        "mobile": MOBILE,
        "code": code,
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    response = client.post("/hall/register", data=data)
    assert response.status_code == 400 and 'id="code-problem"' in response.get_data(as_text=True)
    assert citizens(app) == []


def test_a_code_is_void_after_too_many_wrong_tries(app, client):
    send_register_code(client)
    code = last_code(app, MOBILE)
    wrong = "999999" if code != "999999" else "888888"
    data = {
        "action": "register",
        "name": "张三",
        "id_number": ID,
        "mobile": MOBILE,
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    for _ in range(5):
        assert client.post("/hall/register", data={**data, "code": wrong}).status_code == 400
    assert client.post("/hall/register", data={**data, "code": code}).status_code == 400
    assert citizens(app) == []


def test_login_by_password_with_mobile_or_id_number(app):
    register(app, app.test_client())
    for identifier in (MOBILE, ID):
        client = app.test_client()
        assert login_password(client, identifier).status_code == 302
        assert client.get("/hall/account").status_code == 200
    client = app.test_client()
    assert login_password(client, MOBILE, "Wrong-password-1").status_code == 401
    assert client.get("/hall/account").status_code == 302


def test_login_by_one_time_code(app):
    register(app, app.test_client())
    client = app.test_client()
    page = client.post("/hall/login", data={"action": "send_code", "mobile": MOBILE})
    assert page.status_code == 200
    code = last_code(app, MOBILE)
    response = client.post("/hall/login", data={"action": "code", "mobile": MOBILE, "code": code})
    assert response.status_code == 302
    assert client.get("/hall/account").status_code == 200
    again = app.test_client().post("/hall/login", data={"action": "code", "mobile": MOBILE, "code": code})
    assert again.status_code == 401  # single use


def test_code_login_for_an_unknown_number_sends_nothing_and_says_the_same(app, client):
    page = client.post("/hall/login", data={"action": "send_code", "mobile": MOBILE2})
    assert page.status_code == 200 and MOBILE2 in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Notification).count() == 0


def test_repeated_wrong_passwords_lock_the_citizen_account(make_app):
    app = make_app(config={"LOGIN_MAX_FAILURES": 3})
    register(app, app.test_client())
    client = app.test_client()
    assert login_password(client, MOBILE, "Wrong-password-1").status_code == 401
    assert login_password(client, ID, "Wrong-password-1").status_code == 401  # same account, other name
    locked = login_password(client, MOBILE, "Wrong-password-1")
    assert locked.status_code == 429 and "分钟后再试" in locked.get_data(as_text=True)
    assert login_password(app.test_client(), MOBILE).status_code == 429  # even the right password


def test_codes_are_limited_per_mobile_number(make_app):
    app = make_app(config={"plugins": {"hall": {"code_rate_per_mobile": "2 per 10 minutes"}}})
    client = app.test_client()
    assert send_register_code(client).status_code == 200
    assert send_register_code(client).status_code == 200
    refused = send_register_code(client)
    assert refused.status_code == 429
    with app.app_context():
        assert db.session.query(Notification).count() == 2


def test_codes_are_limited_per_address(make_app):
    app = make_app(config={"plugins": {"hall": {"code_rate_per_address": "2 per hour"}}})
    client = app.test_client()
    assert send_register_code(client, "13800000001").status_code == 200
    assert send_register_code(client, "13800000002").status_code == 200
    assert send_register_code(client, "13800000003").status_code == 429


def test_logins_are_limited_per_address(make_app):
    app = make_app(config={"plugins": {"hall": {"login_rate_per_address": "3 per minute"}}})
    client = app.test_client()
    for n in range(3):
        assert login_password(client, f"1380000000{n}", "Wrong-password-1").status_code == 401
    assert login_password(client, "13800000009", "Wrong-password-1").status_code == 429


def test_citizen_required_sends_to_the_hall_login_with_next(client):
    response = client.get("/hall/account?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/hall/login?next=/hall/account?x%3D1"


def test_login_follows_next_only_within_the_site(app):
    register(app, app.test_client())
    client = app.test_client()
    inside = client.post(
        "/hall/login?next=/hall/account?tab=2", data={"action": "password", "identifier": MOBILE, "password": PASSWORD}
    )
    assert inside.headers["Location"].endswith("/hall/account?tab=2")
    outside = app.test_client().post(
        "/hall/login?next=//evil.example.com/", data={"action": "password", "identifier": MOBILE, "password": PASSWORD}
    )
    assert "evil" not in outside.headers["Location"]


def test_a_citizen_never_reaches_a_staff_screen(app):
    client = app.test_client()
    register(app, client)
    for path in ("/inbox/", "/loginlockoutview/list/", "/notificationview/list/", "/api/v1/cases/NONE"):
        response = client.get(path)
        assert response.status_code in (302, 401), path
        if response.status_code == 302:
            assert "/login/" in response.headers["Location"] and "/hall/" not in response.headers["Location"]


def test_a_staff_account_is_not_a_citizen_account(app, login, demo_logins):
    staff = app.test_client()
    login(staff, "acceptor")
    assert staff.get("/hall/account").status_code == 302
    assert login_password(app.test_client(), "acceptor", demo_logins["acceptor"]).status_code == 401


def test_logout_ends_the_citizen_session(app, client):
    register(app, client)
    assert client.post("/hall/logout").status_code == 302
    assert client.get("/hall/account").status_code == 302


def test_forms_refuse_posts_without_the_csrf_token(make_app):
    app = make_app(config={"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    assert (
        client.post("/hall/login", data={"action": "password", "identifier": MOBILE, "password": "x"}).status_code
        == 400
    )
    assert send_register_code(client).status_code == 400
    assert client.post("/hall/logout").status_code == 400


def test_company_account_bound_to_its_uscc_with_the_legal_representative(app, client):
    register(app, client)  # 张三, ID — the legal representative
    data = {"name": "深圳市示例科技有限公司", "uscc": USCC, "legal_rep_name": "张三", "legal_rep_id_number": ID}
    assert client.post("/hall/account/company", data=data).status_code == 302
    agent = app.test_client()
    register(app, agent, name="李四", id_number=ID2, mobile=MOBILE2)
    with app.app_context():
        company = db.session.execute(select(Citizen).where(Citizen.uscc == USCC)).scalar_one()
        company_id = company.id
        [member] = company.members
        assert member.role == MemberRole.legal_rep and member.person.id_number == ID
    # the legal representative authorises 李四 as an agent
    assert (
        client.post(
            f"/hall/account/company/{company_id}/agents", data={"id_number": ID2, "mobile": MOBILE2}
        ).status_code
        == 302
    )
    with app.app_context():
        roles = {m.person.name: m.role for m in db.session.execute(select(CompanyMember)).scalars()}
    assert roles == {"张三": MemberRole.legal_rep, "李四": MemberRole.agent}
    assert "深圳市示例科技有限公司" in agent.get("/hall/account").get_data(as_text=True)
    # an agent cannot add agents; the USCC binds one account only
    assert (
        agent.post(f"/hall/account/company/{company_id}/agents", data={"id_number": ID, "mobile": MOBILE}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.query(CompanyMember).count() == 2
    again = agent.post("/hall/account/company", data={**data, "legal_rep_id_number": ID})
    assert again.status_code == 400 and 'id="uscc-problem"' in again.get_data(as_text=True)


def test_company_registered_by_someone_else_makes_them_its_agent(app, client):
    register(app, client, name="李四", id_number=ID2, mobile=MOBILE2)
    data = {"name": "示例公司", "uscc": USCC, "legal_rep_name": "张三", "legal_rep_id_number": ID}
    assert client.post("/hall/account/company", data=data).status_code == 302
    with app.app_context():
        assert db.session.execute(select(CompanyMember.role)).scalar_one() == MemberRole.agent


def test_company_with_a_wrong_uscc_is_refused_naming_the_check_character(app, client):
    register(app, client)
    data = {"name": "示例公司", "uscc": USCC[:-1] + "3", "legal_rep_name": "张三", "legal_rep_id_number": ID}
    response = client.post("/hall/account/company", data=data)
    assert response.status_code == 400 and "最后一位应为 2" in response.get_data(as_text=True)
    assert len(citizens(app)) == 1


def test_citizens_logging_in_at_the_same_moment_are_all_logged_in(app):
    """A hall opening at 9:00: several citizens (here one account on several phones) log in at
    once; each gets in. On SQLite a login that read and then wrote its last-login time failed
    with "database is locked" when another login wrote meanwhile."""
    import threading

    register(app, app.test_client())
    answers, barrier = [], threading.Barrier(6)

    def log_in():
        client = app.test_client()
        barrier.wait()
        answers.append(login_password(client).status_code)

    threads = [threading.Thread(target=log_in) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert answers == [302] * 6


def test_citizens_signing_in_through_the_province_at_the_same_moment_are_all_signed_in(app):
    """The same opening rush through single sign-on: the verified claims of an existing account
    arrive for several logins at once (the provider's callback); each gets its account. The
    account read and its last-login write must not be one SQLite transaction (a snapshot that
    another login wrote past cannot be upgraded to a write: "database is locked")."""
    import threading

    from onewindow_hall.sso import citizen_for_claims

    register(app, app.test_client())
    claims = {"id_number": ID, "id_number_verified": True, "name": "张三"}
    answers, errors, barrier = [], [], threading.Barrier(6)

    def sign_in():
        with app.app_context():
            barrier.wait()
            try:
                citizen = citizen_for_claims(dict(claims))
                answers.append(citizen.id_number if isinstance(citizen, Citizen) else citizen)
            except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_in) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and answers == [ID] * 6
    with app.app_context():
        person = db.session.execute(select(Citizen).where(Citizen.id_number == ID)).scalar_one()
        assert person.identity_verified and person.last_login_at is not None
