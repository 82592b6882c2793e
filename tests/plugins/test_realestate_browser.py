"""Real-estate transfer in real Chromium: acceptance at the core workbench, parallel
approval, delivery, then the utility follow-up status updated on its screen."""

from decimal import Decimal

import pytest
from area1_browser import approve_in_inbox, hand_to_output, pick_up, seal_in_browser, sign_in
from area1_helpers import PERSON, PERSON2, RE
from onewindow_realestate.models import PropertyUnit, UtilityTask

from onewindow.app import db
from onewindow.cases.models import Case
from onewindow.models import Department

pytestmark = pytest.mark.browser
UNIT = "369921001001GB00001F00010001"


def test_transfer_from_the_window_to_the_utility_follow_up(page, live_server, demo_logins, app):
    with app.app_context():
        dept = db.session.query(Department).filter_by(credit_code=RE).one()
        db.session.add(
            PropertyUnit(
                unit_number=UNIT,
                location="云溪县云溪镇人民路1号1栋101室",
                area=Decimal("85.5"),
                use="住宅",
                right_type="房屋所有权",
                owner_name="王五",
                owner_id=PERSON,
                department=dept,
                mortgaged=False,
            )
        )
        db.session.commit()
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/?q=转移登记")
    page.click("text=不动产转移登记（存量房买卖）")
    page.fill("input[name=applicant_name]", "王五")
    page.fill("input[name=applicant_id]", PERSON)
    for name, value in {
        "applicant_name": "王五",
        "id_number": PERSON,
        "property_address": "云溪县云溪镇人民路1号1栋101室",
        "unit_number": UNIT,
        "phone": "13800000000",
        "buyer_name": "赵六",
        "buyer_id": PERSON2,
        "price": "1000000",
    }.items():
        page.fill(f"[name=f_{name}]", value)
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    with app.app_context():
        number = db.session.query(Case).one().number

    sign_in(page, live_server, "approver_re", demo_logins["approver_re"])
    approve_in_inbox(page, live_server, number, "登记审核通过")
    sign_in(page, live_server, "admin", demo_logins["admin"])  # tax and housing steps
    approve_in_inbox(page, live_server, number)
    sign_in(page, live_server, "approver_re", demo_logins["approver_re"])
    hand_to_output(page, live_server, number, "不动产权证书1本")
    seal_in_browser(page, live_server, demo_logins, app, number, "seal_admin_re")
    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    pick_up(page, live_server, number, "王五", PERSON)
    with app.app_context():
        assert db.session.query(Case).filter_by(number=number).one().state.name == "delivered"
        water = db.session.query(UtilityTask).filter_by(utility="water").one().id

    sign_in(page, live_server, "approver_re", demo_logins["approver_re"])
    page.goto(f"{live_server}/utilitytaskview/list/")
    assert page.locator("table tr", has_text=number).count() == 3
    page.goto(f"{live_server}/utilitytaskview/edit/{water}")
    page.select_option("select[name=status]", "done")
    page.fill("[name=note]", "自来水公司已完成过户")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    with app.app_context():
        task = db.session.get(UtilityTask, water)
        assert (task.status.name, task.updated_by) == ("done", "approver_re")
