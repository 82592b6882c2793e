"""A passport in real Chromium: accepted at the exit-entry window, approved, collected at
the output window."""

import pytest
from area1_browser import approve_in_inbox, hand_to_output, pick_up, seal_in_browser, sign_in
from area1_helpers import PERSON

from onewindow.app import db
from onewindow.cases.models import Case
from onewindow.models import Staff, Window

pytestmark = pytest.mark.browser


def test_passport_from_the_exit_entry_window_to_pickup(page, live_server, demo_logins, app):
    with app.app_context():  # the acceptor also serves the exit-entry window today
        staff = db.session.query(Staff).filter_by(username="acceptor").one()
        staff.windows.append(db.session.query(Window).filter_by(code="C05").one())
        db.session.commit()
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/?q=普通护照")
    page.click("text=普通护照签发")
    page.fill("input[name=applicant_name]", "王五")
    page.fill("input[name=applicant_id]", PERSON)
    page.select_option("select[name=window_id]", label="C05 出入境业务窗口")
    for name, value in {
        "applicant_name": "王五",
        "id_number": PERSON,
        "phone": "13800000000",
        "birth_date": "2000-02-29",
    }.items():
        page.fill(f"[name=f_{name}]", value)
    page.select_option("select[name=f_gender]", "男")
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    with app.app_context():
        number = db.session.query(Case).one().number

    sign_in(page, live_server, "approver_ps", demo_logins["approver_ps"])  # the police's own approver
    approve_in_inbox(page, live_server, number)
    hand_to_output(page, live_server, number, "普通护照1本")
    seal_in_browser(page, live_server, demo_logins, app, number, "seal_admin_ps")
    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    pick_up(page, live_server, number, "王五", PERSON)
    with app.app_context():
        assert db.session.query(Case).filter_by(number=number).one().state.name == "delivered"
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/publicsecuritycaptureview/list/")
    assert number in page.inner_text("body")
