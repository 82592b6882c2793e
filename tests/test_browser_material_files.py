"""Electronic materials in real Chromium: two files scanned (uploaded) at the window, the
approver opens one inline on the case page."""

import pytest

from onewindow.app import db
from onewindow.cases.models import Case
from onewindow.models.items import Item
from tests.test_browser_cases import PERSON, sign_in
from tests.test_material_files import PDF, PNG

pytestmark = pytest.mark.browser


def accepted_with_scans(page, live_server, demo_logins, app, tmp_path, item_name) -> tuple[int, int]:
    """At the window: the acceptor finds the item, fills in the applicant and scans (uploads)
    身份证.png and 申请书.pdf on its first material, then accepts. (case id, material id)."""
    scans = [tmp_path / "身份证.png", tmp_path / "申请书.pdf"]
    scans[0].write_bytes(PNG)
    scans[1].write_bytes(PDF)
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/?q={item_name}")
    page.click(f"text={item_name}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=applicant_id]", PERSON)
    page.locator("#ow-materials input[type=file]").first.set_input_files([str(p) for p in scans])
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")
    with app.app_context():
        case = db.session.query(Case).join(Case.item).filter(Item.name == item_name).one()
        return case.id, case.materials[0].material_id


def test_window_uploads_two_files_and_the_approver_opens_one(page, live_server, demo_logins, make_item, app, tmp_path):
    item_id = make_item(name="食品经营许可（文件浏览器测试）")
    pk, _material_id = accepted_with_scans(
        page, live_server, demo_logins, app, tmp_path, "食品经营许可（文件浏览器测试）"
    )
    with app.app_context():
        case = db.session.get(Case, pk)
        assert case.item_id == item_id
        assert sorted(f.original_name for f in case.materials[0].files) == ["申请书.pdf", "身份证.png"]

    sign_in(page, live_server, "approver", demo_logins["approver"])
    page.goto(f"{live_server}/caseview/show/{pk}")
    link = page.locator(".ow-file a", has_text="身份证.png")
    href = link.get_attribute("href")
    answer = page.request.get(f"{live_server}{href}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("inline")
    assert answer.body() == PNG
    with page.expect_popup() as popup:
        link.click()
    popup.value.wait_for_load_state()
    assert popup.value.url.endswith(href)
