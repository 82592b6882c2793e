"""Enterprise establishment in real Chromium: one form at the window (with a refused
share split first), parallel approval, the register entry, pickup at the output window."""

import pytest
from area1_browser import approve_in_inbox, hand_to_output, pick_up, seal_in_browser, sign_in
from area1_helpers import PERSON, PERSON2
from onewindow_enterprise.models import Enterprise

from onewindow.app import db
from onewindow.cases.models import Case

pytestmark = pytest.mark.browser


def test_establishment_from_one_form_to_the_business_licence(page, live_server, demo_logins, app):
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/enterprise/name-check/?name=云溪县青山科技有限公司")
    assert page.locator("#ow-name-result.ow-name-free").count() == 1
    page.goto(f"{live_server}/enterprise/establish/")
    for name, value in {
        "applicant_name": "王五",
        "applicant_id": PERSON,
        "company_name": "云溪县青山科技有限公司",
        "registered_capital": "100",
        "address": "云溪县云溪镇人民路1号",
        "business_scope": "软件开发",
        "legal_rep_name": "王五",
        "legal_rep_id": PERSON,
        "phone": "13800000000",
        "shareholders-0-name": "王五",
        "shareholders-0-id_number": PERSON,
        "shareholders-0-share": "60",
        "shareholders-1-name": "赵六",
        "shareholders-1-id_number": PERSON2,
        "shareholders-1-share": "30",
    }.items():
        page.fill(f"[name='{name}']", value)
    page.click("#ow-establish-submit")
    page.wait_for_selector("#ow-establish-form")
    assert "各股东出资比例合计为 90%，须等于 100%" in page.inner_text("body")
    page.fill("[name='shareholders-1-share']", "40")
    page.click("#ow-establish-submit")
    page.wait_for_selector("#ow-case")
    with app.app_context():
        number = db.session.query(Case).one().number

    sign_in(page, live_server, "approver", demo_logins["approver"])
    approve_in_inbox(page, live_server, number)
    sign_in(page, live_server, "admin", demo_logins["admin"])  # the merged departments' steps
    approve_in_inbox(page, live_server, number)
    sign_in(page, live_server, "approver", demo_logins["approver"])
    hand_to_output(page, live_server, number, "营业执照正本1份、副本1份")
    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    page.goto(f"{live_server}/output/")
    row = page.locator("#ow-output tr", has_text=number)
    assert row.locator(".ow-seal-state").inner_text() == "待加盖电子印章"
    row.locator(".ow-do-deliver_pickup input[name=signee_name]").fill("王五")
    row.locator(".ow-do-deliver_pickup input[name=signee_id]").fill(PERSON)
    row.locator(".ow-do-deliver_pickup button").click()
    page.wait_for_load_state()
    assert "尚未加盖电子印章" in page.inner_text("body")  # an unsealed licence has no legal effect

    seal_in_browser(page, live_server, demo_logins, app, number, "seal_admin")
    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    pick_up(page, live_server, number, "王五", PERSON)
    with app.app_context():
        assert db.session.query(Case).filter_by(number=number).one().state.name == "delivered"
        code = db.session.query(Enterprise).one().uscc

    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/enterpriseview/list/")
    assert code in page.inner_text("body")
    page.goto(f"{live_server}/enterprise/name-check/?name=云溪县青山科技有限公司&region=369921")
    assert code in page.inner_text("#ow-name-result")
