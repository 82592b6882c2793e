"""The intermediary supermarket in real Chromium: select an agency by random draw at the
desk, see the seed and the re-run check, then read the public directory without login."""

import pytest
from intermediary_helpers import AFTER, agency, purchase, sign_up
from onewindow_intermediary.models import Purchase

from onewindow.app import db
from onewindow.cases.clock import travel_to

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def test_random_draw_at_the_desk_and_the_public_directory(page, live_server, demo_logins, app):
    with app.app_context():
        p = purchase("random_draw", title="云溪化工仓储项目安全评价（浏览器测试）")
        for n, quote in ((1, 30000), (2, 31000), (3, 32000)):
            sign_up(p, agency(n), quote)
        pid = p.id
    with travel_to(AFTER):  # the live server shares the engine clock: sign-up has closed
        sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
        page.goto(f"{live_server}/intermediarypurchaseview/show/{pid}")
        page.click("#intermediary-select")
        page.click("#intermediary-submit")
        page.wait_for_selector("#intermediary-selection")
        seed = page.inner_text("#intermediary-seed")
        assert len(seed) == 16
        assert page.inner_text("#intermediary-recheck") in ("same result", "结果一致")
    with app.app_context():
        chosen = db.session.get(Purchase, pid).selection
        assert chosen.seed == seed and chosen.selected_by == "acceptor"
        winner = chosen.result_bid.agency.name

    page.context.clear_cookies()
    page.goto(f"{live_server}/market/agencies")
    directory = page.inner_text("#intermediary-directory")
    assert "云溪第1评价咨询有限公司" in directory and "云溪第3评价咨询有限公司" in directory
    assert winner in page.inner_text("#intermediary-results") and seed in page.inner_text("#intermediary-results")
