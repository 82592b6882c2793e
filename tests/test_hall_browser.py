"""The online hall end to end in real Chromium at phone size (390×844): register, find an item
by pinyin initials, apply online with uploads, get the department's correction notice (its
screen), answer it, get accepted, follow the case in 我的办件, receive the result, rate it
不满意 and see the rectification open; the case shows on the staff side and in 网上办理率."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.models import Case, CaseState
from onewindow.models.items import Item
from tests.plugins.test_hall_accounts import MOBILE, PASSWORD, last_code
from tests.test_browser_cases import sign_in
from tests.test_hall_apply import PDF, PERSON

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_citizen_applies_online_answers_the_correction_and_rates_the_result(
    _chromium, page, live_server, demo_logins, make_item, app, actor
):
    item_id = make_item(name="云溪网办测试许可", visits=0)
    with app.app_context():
        item = db.session.get(Item, item_id)
        first, second = item.materials[0].id, item.materials[1].id

    phone = _chromium.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    me = phone.new_page()
    try:
        # the public home at phone size, large-text mode on
        me.goto(f"{live_server}/")
        assert me.locator("#hall-home").is_visible() and _fits_the_screen(me)
        me.click("#hall-large-text")
        assert "hall-large" in me.evaluate("document.documentElement.className")

        # register through the account screens (the code comes from the notification outbox)
        me.click("#hall-register-link")
        me.fill("#name", "张三丰")
        me.fill("#id_number", PERSON)
        me.fill("#mobile", MOBILE)
        me.click("#send-code")
        me.wait_for_load_state()
        me.fill("#code", last_code(app, MOBILE))
        me.fill("#password", PASSWORD)
        me.fill("#password2", PASSWORD)
        me.click("#register")
        me.wait_for_load_state()

        # find the item by its pinyin initials and apply with uploads
        me.goto(f"{live_server}/")
        me.fill("#hall-q", "yxwbcs")
        me.click("#hall-search-go")
        me.click("#hall-results >> text=云溪网办测试许可")
        me.wait_for_selector("#hall-guide")
        assert _fits_the_screen(me)
        me.click("#hall-apply")
        me.wait_for_selector("#hall-apply-form")
        me.set_input_files(f"#hall-files-{first}", [_pdf("申请书.pdf")])
        me.set_input_files(f"#hall-files-{second}", [_pdf("身份证明.pdf")])
        me.click("#hall-submit")
        me.wait_for_selector("#hall-case")
        assert me.get_attribute("#hall-case", "data-state") == "submitted"
        with app.app_context():
            case = db.session.query(Case).filter_by(item_id=item_id).one()
            number, case_id = case.number, case.id
            assert case.channel.name == "online" and sum(len(m.files) for m in case.materials) == 2

        # the department pre-reviews on its case screen: one correction notice
        sign_in(page, live_server, "approver", demo_logins["approver"])
        page.goto(f"{live_server}/caseview/show/{case_id}")
        page.fill(f"#ow-action-pre_review input[name=problem-{first}]", "申请书未签字")
        page.click("#ow-action-pre_review button")
        page.wait_for_load_state()

        # the applicant sees what to supply by when, and answers online
        me.goto(f"{live_server}/hall/my/cases/{number}")
        correction = me.inner_text("#hall-correction")
        assert "申请书未签字" in correction and re.search(r"\d{4}-\d{2}-\d{2}", correction)
        me.set_input_files(f"#hall-supply-{first}", [_pdf("签字后的申请书.pdf")])
        me.locator(f"#hall-supply-{first} ~ button").click()
        me.wait_for_selector("#hall-case")

        # accepted at the acceptance workbench
        sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
        page.goto(f"{live_server}/workbench/case/{number}")
        page.click("#ow-accept-submit")
        page.wait_for_load_state()
        with app.app_context():
            assert db.session.query(Case).filter_by(number=number).one().state == CaseState.in_review

        # 我的办件 follows it
        me.goto(f"{live_server}/hall/my/")
        assert me.get_attribute(f"#hall-cases tr[data-number='{number}']", "data-state") == "in_review"
        assert _fits_the_screen(me)

        # the result is decided and delivered
        with app.app_context():
            case = db.session.query(Case).filter_by(number=number).one()
            engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
            engine.hand_to_output(case, actor("approver"), "许可证1份")
            engine.deliver_pickup(case, actor("output_clerk"), "张三丰", PERSON)

        # rated 不满意: the rectification opens
        me.goto(f"{live_server}/hall/my/cases/{number}")
        me.check("#hall-level-dissatisfied")
        me.check("#hall-rate-form input[value='多次跑动']")
        me.fill("#hall-comment", "补正通知前没有电话告知")
        assert _fits_the_screen(me)
        me.click("#hall-rate")
        me.wait_for_selector("#hall-rectification")
        assert me.get_attribute("#hall-rectification", "data-state") == "open"
    finally:
        phone.close()

    # the same case on the staff side, and counted in 网上办理率
    sign_in(page, live_server, "supervisor", demo_logins["supervisor"])
    page.goto(f"{live_server}/caseview/show/{case_id}")
    assert number in page.content()
    from onewindow_supervision.indicators import indicators

    with app.app_context():
        today = dt.date.today()
        total = indicators(today - dt.timedelta(days=30), today + dt.timedelta(days=1))[-1]
        assert total.online >= 1 and total.online_rate and total.online_rate > 0


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 768}])
def test_hall_pages_fit_the_screen_and_request_nothing_from_outside(_chromium, live_server, app, viewport):
    with app.app_context():
        code = db.session.query(Item).filter_by(basic_code="011001000000", is_current=True).one().implementation_code
    context = _chromium.new_context(locale="zh-CN", viewport=viewport)
    pg = context.new_page()
    outside: list[str] = []
    pg.on(
        "request",
        lambda r: None if r.url.startswith(live_server) or r.url.startswith("data:") else outside.append(r.url),
    )
    try:
        for path in ("/", "/hall/items?q=gtgsh", f"/hall/items/{code}"):
            pg.goto(f"{live_server}{path}")
            assert _fits_the_screen(pg), path
        pg.click("#hall-large-text")
        pg.reload()
        assert "hall-large" in pg.evaluate("document.documentElement.className")  # remembered
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.tagName") in {"A", "BUTTON", "INPUT"}  # keyboard-usable
    finally:
        context.close()
    assert outside == []
