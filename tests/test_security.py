"""Roles seeded by the platform; department-scoped rows in screens and APIs."""

import pytest

from onewindow.app import db
from onewindow.models import Department, Staff
from onewindow.security import CORE_ROLES
from onewindow.setup import initialise

AMR = "11369921102345608H"  # 市场监管局 (approver's department)
RE = "113699211024247953"  # 不动产登记中心 (approver_re's department)


def _staff_id(app, username):
    with app.app_context():
        return db.session.query(Staff).filter_by(username=username).one().id


def test_every_core_role_is_seeded_with_its_key(app):
    with app.app_context():
        names = {r.name for r in app.appbuilder.sm.get_all_roles()}
    assert set(CORE_ROLES) <= names


def test_department_roles_get_permissions_and_public_gets_none(app):
    with app.app_context():
        sm = app.appbuilder.sm
        approver = {(p.permission.name, p.view_menu.name) for p in sm.find_role("approver").permissions}
        public = sm.find_role("Public").permissions
    assert ("can_list", "DepartmentStaffView") in approver
    assert ("can_add", "DepartmentView") not in approver
    assert public == []


def test_init_is_idempotent(app):
    report = initialise(app)
    assert sum(report.grants.values()) == 0


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/departmentview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_approver_cannot_add_departments(client, login):
    login(client, "approver")
    assert client.get("/departmentview/add").status_code == 403


@pytest.mark.parametrize("role", sorted(set(CORE_ROLES) - {"admin", "Public"}))
def test_every_staff_member_opens_their_own_profile_and_may_change_their_password(client, login, role):
    login(client, role)
    page = client.get("/users/userinfo/")
    assert page.status_code == 200, role
    assert role in page.get_data(as_text=True)  # their own user name, in their own profile
    assert client.get("/resetmypassword/form").status_code == 200, role
    assert client.get("/users/list/").status_code == 403, role  # the profile is not the staff list


def test_department_staff_list_shows_only_own_department(client, login):
    login(client, "approver")
    page = client.get("/departmentstaffview/list/").get_data(as_text=True)
    assert "chief_rep" in page and "seal_admin" in page
    assert "approver_re" not in page


def test_direct_show_of_other_departments_staff_is_404(app, client, login):
    login(client, "approver")
    other = _staff_id(app, "approver_re")
    own = _staff_id(app, "chief_rep")
    assert client.get(f"/departmentstaffview/show/{own}").status_code == 200
    assert client.get(f"/departmentstaffview/show/{other}").status_code == 404


def test_staff_api_is_scoped_like_the_screen(app, login):
    client = app.test_client()
    login(client, "approver")
    listing = client.get("/api/v1/staff/").get_json()
    names = {row["username"] for row in listing["result"]}
    assert "chief_rep" in names and "approver_re" not in names
    assert client.get(f"/api/v1/staff/{_staff_id(app, 'approver_re')}").status_code == 404


def test_jwt_api_login_is_scoped_too(app, demo_logins):
    client = app.test_client()
    token = client.post(
        "/api/v1/security/login",
        json={
            "username": "approver_re",
            "password": demo_logins["approver_re"],
            "provider": "db",
            "refresh": True,
        },
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    names = {r["username"] for r in client.get("/api/v1/staff/", headers=headers).get_json()["result"]}
    assert names == {"approver_re", "seal_admin_re"}  # the staff of 不动产登记中心 only


def test_supervisor_sees_every_department(client, login):
    login(client, "supervisor")
    page = client.get("/departmentstaffview/list/").get_data(as_text=True)
    assert "approver_re" in page and "chief_rep" in page


def test_user_without_department_in_scoped_role_sees_nothing(app, client, login):
    with app.app_context():
        user = db.session.query(Staff).filter_by(username="approver").one()
        user.department = None
        db.session.commit()
    login(client, "approver")
    page = client.get("/api/v1/staff/").get_json()
    assert page["count"] == 0


def _csrf(page: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_forms_require_csrf_token(make_app, demo_logins):
    app = make_app(config={"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    token = _csrf(client.get("/login/").get_data(as_text=True))
    client.post("/login/", data={"username": "admin", "password": demo_logins["admin"], "csrf_token": token})
    with app.app_context():
        region_id = db.session.query(Department).filter_by(credit_code=AMR).one().region_id
        before = db.session.query(Department).count()
    form = {"name": "云溪县文化广电旅游局", "credit_code": "91440300MA5G7K2L82", "region": str(region_id)}
    client.post("/departmentview/add", data=form)
    with app.app_context():
        assert db.session.query(Department).count() == before  # refused without the token
    form["csrf_token"] = _csrf(client.get("/departmentview/add").get_data(as_text=True))
    client.post("/departmentview/add", data=form)
    with app.app_context():
        assert db.session.query(Department).count() == before + 1
