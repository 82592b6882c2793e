"""The screenshots of the user guides (docs/user/*.md), taken in real Chromium on the demo county.

One case goes through the hall as the guides describe it (acceptance, department approval,
output window, public lookup) and every screen a guide shows is photographed on the way.
By default the pictures go to test-artifacts/docs-screenshots/; to refresh the committed ones:

    ONEWINDOW_DOCS_SCREENSHOTS=docs/user/img python -m pytest tests/test_docs_screenshots.py -q

The test also fails when a guide shows a picture this test does not take, or a taken picture
no guide shows.
"""

import os
import re
from pathlib import Path

import pytest

from onewindow.app import db
from onewindow.cases.models import Case
from onewindow.demo_history import create_department_seals, generate_history
from onewindow.testing import ARTIFACTS

pytestmark = pytest.mark.browser

GUIDES = Path(__file__).resolve().parents[1] / "docs" / "user"
COMMITTED = GUIDES / "img"
VIEWPORT = {"width": 1280, "height": 800}
CALENDAR_2026 = Path(__file__).resolve().parents[1] / "item_packs" / "calendar" / "2026.json"
ITEM = "公共场所卫生许可（演示）"
PERSON = "440304200002291236"


@pytest.fixture
def shoot(page):
    out = Path(os.environ.get("ONEWINDOW_DOCS_SCREENSHOTS") or ARTIFACTS / "docs-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(VIEWPORT)
    taken = []

    def _shoot(name: str, must_show: str):
        page.wait_for_load_state()
        assert must_show in page.inner_text("body"), f"{name}: {must_show!r} not on {page.url}"
        page.screenshot(path=str(out / name))
        taken.append(name)

    _shoot.taken = taken
    return _shoot


def sign_in(page, live_server, logins, username):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", logins[username])
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def test_user_guide_screenshots(page, live_server, demo_logins, make_item, app, shoot):
    item_id = make_item(name=ITEM)
    page.goto(f"{live_server}/login/")
    shoot("login.png", "用户名")

    sign_in(page, live_server, demo_logins, "acceptor")
    shoot("acceptor-workspace.png", "我的工作台")
    page.goto(f"{live_server}/workbench/?q=演示")
    shoot("acceptor-workbench.png", ITEM)
    page.click(f"text={ITEM}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=applicant_id]", PERSON)
    shoot("acceptor-accept.png", "受理")
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    shoot("acceptor-case.png", "审批中")
    with app.app_context():
        case = db.session.query(Case).filter_by(item_id=item_id).one()
        number, code = case.number, case.query_code

    sign_in(page, live_server, demo_logins, "chief_rep")
    shoot("chief_rep-workspace.png", "我的工作台")
    page.goto(f"{live_server}/inbox/")
    shoot("chief_rep-inbox.png", number)

    sign_in(page, live_server, demo_logins, "approver")
    shoot("approver-workspace.png", "我的工作台")
    page.goto(f"{live_server}/inbox/")
    shoot("approver-inbox.png", number)
    page.locator("#ow-inbox tr", has_text=number).locator("a.ow-review").click()
    page.wait_for_selector("#ow-action-approve_step")
    page.fill("#ow-action-approve_step textarea[name=opinion]", "符合条件，同意")
    shoot("approver-case.png", "可办理的操作")
    page.click("#ow-action-approve_step button")
    page.wait_for_selector("#ow-case")
    page.goto(f"{live_server}/inbox/")
    page.wait_for_selector("#ow-ready")
    shoot("approver-ready.png", number)
    ready = page.locator("#ow-ready tr", has_text=number)
    ready.locator("input[name=result_description]").fill("公共场所卫生许可证正本1份")
    ready.locator("button").click()
    page.wait_for_load_state()

    sign_in(page, live_server, demo_logins, "output_clerk")
    shoot("output_clerk-workspace.png", "我的工作台")
    page.goto(f"{live_server}/output/")
    shoot("output_clerk-output.png", number)
    out = page.locator("#ow-output tr", has_text=number)
    out.locator(".ow-do-deliver_pickup input[name=signee_name]").fill("张三")
    out.locator(".ow-do-deliver_pickup input[name=signee_id]").fill(PERSON)
    out.locator(".ow-do-deliver_pickup button").click()
    page.wait_for_load_state()

    sign_in(page, live_server, demo_logins, "admin")
    shoot("admin-workspace.png", "我的工作台")
    page.goto(f"{live_server}/departmentview/list/")
    shoot("admin-departments.png", "云溪县市场监督管理局")
    page.goto(f"{live_server}/packview/list/")
    shoot("admin-packs.png", "demo-county")
    page.goto(f"{live_server}/calendarimportview/form")
    page.set_input_files("input[name=file]", str(CALENDAR_2026))
    shoot("admin-calendar-import.png", "导入节假日安排")
    page.click("input[type=submit], button[type=submit]")
    page.goto(f"{live_server}/calendaryearview/list/")
    shoot("admin-calendar.png", "国务院办公厅关于2026年部分节假日安排的通知")
    page.goto(f"{live_server}/caseview/list/")
    shoot("admin-cases.png", number)

    with app.app_context():  # what `onewindow init --demo` adds: seals and a history, so the figures show
        create_department_seals()
        assert generate_history(app, per_day=2, if_empty=False)
        db.session.remove()

    sign_in(page, live_server, demo_logins, "seal_admin")
    shoot("seal_admin-workspace.png", "我的工作台")
    page.goto(f"{live_server}/licenceview/list/")
    shoot("seal_admin-licences.png", "电子证照")
    page.goto(f"{live_server}/sealview/list/")
    shoot("seal_admin-seals.png", "电子印章")

    sign_in(page, live_server, demo_logins, "supervisor")
    shoot("supervisor-workspace.png", "我的工作台")
    page.goto(f"{live_server}/supervision/")
    shoot("supervisor-dashboard.png", "监察仪表盘")
    page.goto(f"{live_server}/supervisioncardview/list/")
    shoot("supervisor-cards.png", "红黄牌")

    page.context.clear_cookies()
    page.goto(f"{live_server}/progress/{number}?code={code}")
    shoot("public-progress.png", "已送达")

    shown = set()
    for guide in GUIDES.glob("*.md"):
        shown |= set(re.findall(r"\]\(img/([\w.-]+\.png)\)", guide.read_text(encoding="utf-8")))
    taken = set(shoot.taken)
    assert not shown - taken, f"guides show pictures this test does not take: {sorted(shown - taken)}"
    assert not taken - shown, f"pictures no guide shows: {sorted(taken - shown)}"
    missing = sorted(name for name in taken if not (COMMITTED / name).exists())
    assert not missing, f"not committed in docs/user/img (run with ONEWINDOW_DOCS_SCREENSHOTS=docs/user/img): {missing}"
