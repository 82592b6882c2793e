"""The case flow in real Chromium: accept at the window, approve in the department inbox,
hand out at the output window, look the case up publicly."""

import pytest

from onewindow.app import db
from onewindow.cases.models import Case

pytestmark = pytest.mark.browser
PERSON = "440304200002291236"


def sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def public_progress(page, live_server, number, code) -> str:
    """What anyone reads on the public progress page with the case number and query code."""
    page.context.clear_cookies()
    page.goto(f"{live_server}/progress")
    page.fill("input[name=number]", number)
    page.fill("input[name=code]", code)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    return page.inner_text("body")


def test_case_from_window_to_delivery_and_public_lookup(page, live_server, demo_logins, make_item, app):
    item_id = make_item(name="食品经营许可（浏览器测试）")
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/?q=浏览器测试")
    page.click("text=食品经营许可（浏览器测试）")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=applicant_id]", PERSON)
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    assert "审批中" in page.inner_text("#ow-case-state")
    with app.app_context():
        case = db.session.query(Case).filter_by(item_id=item_id).one()
        number, code = case.number, case.query_code

    sign_in(page, live_server, "approver", demo_logins["approver"])
    page.goto(f"{live_server}/inbox/")
    page.locator("#ow-inbox tr", has_text=number).locator("a.ow-review").click()
    page.wait_for_selector("#ow-case-data")  # approvers decide on the case page, seeing the application
    page.fill("#ow-action-approve_step textarea[name=opinion]", "符合条件，同意")
    page.click("#ow-action-approve_step button")
    page.wait_for_selector("#ow-case")
    page.goto(f"{live_server}/inbox/")
    page.wait_for_selector("#ow-ready")
    ready = page.locator("#ow-ready tr", has_text=number)
    ready.locator("input[name=result_description]").fill("食品经营许可证正本1份")
    ready.locator("button").click()
    page.wait_for_load_state()

    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    page.goto(f"{live_server}/output/")
    out = page.locator("#ow-output tr", has_text=number)
    out.locator(".ow-do-deliver_pickup input[name=signee_name]").fill("张三")
    out.locator(".ow-do-deliver_pickup input[name=signee_id]").fill(PERSON)
    out.locator(".ow-do-deliver_pickup button").click()
    page.wait_for_load_state()
    with app.app_context():
        assert db.session.query(Case).filter_by(number=number).one().state.name == "delivered"

    body = public_progress(page, live_server, number, code)
    assert number in body and "已送达" in body
    assert PERSON not in page.content()


def test_a_refused_rejection_in_the_browser_stays_a_rejection(page, live_server, demo_logins, make_item, app):
    """The clerk chooses 不予受理 and forgets the reasons: the error comes back with 不予受理
    still chosen; typing the reasons and pressing 提交 rejects the case, it never accepts it."""
    item_id = make_item(name="食品经营许可（不予受理测试）")
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/new/{item_id}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=applicant_id]", PERSON)
    page.check("input[name=outcome][value=reject]")
    page.fill("input[name=basis]", "《中华人民共和国行政许可法》第三十二条")
    page.click("#ow-accept-submit")
    page.wait_for_load_state()
    assert "具体理由" in page.inner_text("body")
    assert page.is_checked("input[name=outcome][value=reject]")
    assert page.input_value("input[name=applicant_name]") == "张三"
    page.fill("textarea[name=reasons]", "申请事项不属于本机关职权范围")
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    with app.app_context():
        case = db.session.query(Case).filter_by(item_id=item_id).one()
        assert case.state.name == "rejected" and case.due_date is None


def test_the_approver_reads_the_case_and_extends_then_returns_it_in_the_browser(
    page, live_server, demo_logins, make_item, app
):
    """On the case page the department sees the application as entered and its actions:
    the chief representative extends the limit (§42), the approver returns the case for
    correction naming the problem; the applicant's notice lists just that material."""
    item_id = make_item(name="食品经营许可（退回补正测试）")
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/new/{item_id}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=applicant_id]", PERSON)
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    with app.app_context():
        case = db.session.query(Case).filter_by(item_id=item_id).one()
        pk, due = case.id, case.due_date

    sign_in(page, live_server, "chief_rep", demo_logins["chief_rep"])
    page.goto(f"{live_server}/caseview/show/{pk}")
    extend = page.locator("#ow-action-extend")
    extend.locator("input[name=days]").fill("5")
    extend.locator("textarea[name=reason]").fill("需现场核查经营场所")
    extend.locator("input[name=approved_by]").fill("局长 李四")
    extend.locator("button").click()
    page.wait_for_selector("#ow-case")
    with app.app_context():
        assert db.session.get(Case, pk).due_date > due

    sign_in(page, live_server, "approver", demo_logins["approver"])
    page.goto(f"{live_server}/caseview/show/{pk}")
    assert page.locator("#ow-case-data").count() == 1
    form = page.locator("#ow-action-return_for_correction")
    form.locator("input[name^=problem-]").nth(1).fill("身份证明复印件不清晰")
    form.locator("button").click()
    page.wait_for_selector("#ow-case")
    assert "补正" in page.inner_text("#ow-case-state")
    with app.app_context():
        notice = [n for n in db.session.get(Case, pk).notices if n.kind == "correction"][-1]
        assert [(i["material"], i["problem"]) for i in notice.content["items"]] == [
            ("身份证明", "身份证明复印件不清晰")
        ]
