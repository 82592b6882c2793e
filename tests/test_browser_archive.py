"""Done when (issue 16), in real Chromium: files scanned (uploaded) at the window, the
approver opens them on the case page, a correction adds a file, the case closes and its
archive package verifies offline."""

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.archive import archive_closed, export, verify_package
from onewindow.cases.models import Case, CaseState
from tests.test_browser_cases import PERSON, sign_in
from tests.test_browser_material_files import accepted_with_scans
from tests.test_material_files import PDF, PNG

pytestmark = pytest.mark.browser


def close(case, actor):
    """The back office approves every step, the output window hands the result out."""
    for step in case.steps:
        if case.state == CaseState.in_review and step.state.name == "active":
            engine.approve_step(case, step.id, actor("admin"), "同意")
    engine.hand_to_output(case, actor("approver"), "许可证正本1份")
    engine.deliver_pickup(case, actor("output_clerk"), "张三", PERSON)


def test_window_scan_approver_view_correction_file_close_and_verified_archive(
    page, live_server, demo_logins, make_item, app, actor, tmp_path
):
    name = "食品经营许可（归档浏览器测试）"
    make_item(name=name)
    pk, material_id = accepted_with_scans(page, live_server, demo_logins, app, tmp_path, name)

    sign_in(page, live_server, "approver", demo_logins["approver"])
    page.goto(f"{live_server}/caseview/show/{pk}")
    for name, body in (("身份证.png", PNG), ("申请书.pdf", PDF)):
        href = page.locator(".ow-file a", has_text=name).get_attribute("href")
        assert page.request.get(f"{live_server}{href}").body() == body

    # a correction (补正) adds a signed page to the same material, on the case page
    corrected = tmp_path / "补正页.pdf"
    corrected.write_bytes(PDF.replace(b"1.4", b"1.5"))
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/caseview/show/{pk}")
    row = page.locator(f"#ow-files-{material_id}")
    row.locator("input[type=file]").set_input_files(str(corrected))
    row.locator("button[type=submit]").first.click()
    page.wait_for_selector(".ow-file a:has-text('补正页.pdf')")

    with app.app_context():
        case = db.session.get(Case, pk)
        close(case, actor)
        assert case.state == CaseState.delivered
        (record,) = archive_closed()
        package = export(case, tmp_path / "out")
    report = verify_package(package)
    assert report.problems == [] and report.files == 3 and report.notices >= 2, report.problems
    page.goto(f"{live_server}/caseview/show/{pk}")
    assert "办件已电子归档" in page.content()
