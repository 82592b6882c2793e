"""Permission checks answered per request from the signed-in user's grants, and the menu
drawn once per set of grants (``permcache``, ``views.menu``): the same answers as
Flask-AppBuilder's own checks, and a grant changed elsewhere is obeyed by the next request."""

from __future__ import annotations

from flask import g
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.sqla.models import PermissionView
from flask_login import current_user, login_user
from sqlalchemy import text

from onewindow.app import db
from onewindow.models import Staff

#: approver's menu entry of the department inbox (FAB's ``menu_item`` macro)
INBOX_ENTRY = 'href="/inbox/"'
MENU_GRANT = (
    "FROM ab_permission_view_role WHERE role_id = (SELECT id FROM ab_role WHERE name = 'approver') "
    "AND permission_view_id IN (SELECT pv.id FROM ab_permission_view pv "
    "JOIN ab_permission p ON p.id = pv.permission_id JOIN ab_view_menu v ON v.id = pv.view_menu_id "
    "WHERE p.name = 'menu_access' AND v.name = 'Department inbox')"
)


def test_each_users_answers_are_flask_appbuilders_for_every_permission(app):
    """For every demo user and every (permission, view) the platform knows, the per-request
    answer equals FAB's own ``has_access`` walk through the user's roles."""
    with app.app_context():
        sm = app.appbuilder.sm
        pairs = [(pv.permission.name, pv.view_menu.name) for pv in db.session.query(PermissionView).all()]
        users = db.session.query(Staff).all()
        assert len(pairs) > 100 and len(users) > 5
        for user in users:
            with app.test_request_context("/"):
                login_user(user)
                g.user = current_user  # as FAB's before_request does
                ours = {pair for pair in pairs if sm.has_access(*pair)}
                assert sm.request_user_pairs() is not None  # answered from the request's pairs
                fabs = {pair for pair in pairs if BaseSecurityManager.has_access(sm, *pair)}
                assert ours == fabs, (user.username, sorted(ours ^ fabs)[:5])


def test_menu_follows_a_grant_revoked_and_restored_in_another_process(app, client, login):
    login(client, "approver")
    assert INBOX_ENTRY in client.get("/caseview/list/").get_data(as_text=True)
    with app.app_context():  # as another worker would: straight to the database
        with db.engine.begin() as conn:
            kept = conn.execute(text(f"SELECT id, permission_view_id, role_id {MENU_GRANT}")).all()
            assert kept
            conn.execute(text(f"DELETE {MENU_GRANT}"))
    assert INBOX_ENTRY not in client.get("/caseview/list/").get_data(as_text=True)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) VALUES (:i, :p, :r)"),
                [{"i": i, "p": p, "r": r} for i, p, r in kept],
            )
    assert INBOX_ENTRY in client.get("/caseview/list/").get_data(as_text=True)


def test_each_user_gets_the_menu_of_their_own_grants(app, login):
    """Menus drawn for one set of grants are not shown to a user with other grants."""
    approver, acceptor, admin = app.test_client(), app.test_client(), app.test_client()
    login(approver, "approver")
    login(acceptor, "acceptor")
    login(admin, "admin")
    for _ in range(2):  # the second round is answered from the drawn menus
        assert INBOX_ENTRY in approver.get("/caseview/list/").get_data(as_text=True)
        assert INBOX_ENTRY not in acceptor.get("/caseview/list/").get_data(as_text=True)
        users_entry = admin.get("/caseview/list/").get_data(as_text=True)
        assert 'href="/users/list/"' in users_entry
        assert 'href="/users/list/"' not in approver.get("/caseview/list/").get_data(as_text=True)
