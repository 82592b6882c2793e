"""Printing at the self-service terminal (自助终端打印): a case's notices after the public
lookup (case number + query code; never the window's handover sheets, never without the
lookup), and a licence's public verification page in a printable layout (masked as the
public page shows it without the verification code)."""

from __future__ import annotations

import subprocess
import tempfile
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from test_public_licence_pages import (  # noqa: F401 (fixture)
    ADDRESS,
    OWNER,
    OWNER_ID,
    _certificate,
    certificate_item,
    pages,
)

from onewindow.app import db
from onewindow.cases.models import Case
from onewindow.testing import ARTIFACTS


@pytest.fixture
def case(app, make_item, actor):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent / "plugins"))
    from queue_helpers import accept_at

    with app.app_context():
        accepted = accept_at(make_item(), "A01", actor("acceptor"))
        kinds = sorted(n.kind for n in accepted.notices)
        yield accepted.id, accepted.number, accepted.query_code, kinds


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True, check=True).stdout


def test_a_looked_up_case_prints_its_acceptance_notice_and_not_the_handover_sheet(client, app, case):
    case_id, number, code, kinds = case
    assert "acceptance" in kinds and "handover" in kinds  # the case has both
    page = client.post("/queue/terminal/print/case", data={"number": number, "code": code})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "受理通知书" in html and "材料交接表" not in html
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        notices = {n.kind: n.id for n in db.session.get(Case, case_id).notices}
    wrapper = client.get(f"/queue/terminal/print/notice/{notices['acceptance']}").get_data(as_text=True)
    assert 'id="print-now"' in wrapper and f"/queue/terminal/print/notice/{notices['acceptance']}.pdf" in wrapper
    pdf = client.get(f"/queue/terminal/print/notice/{notices['acceptance']}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("inline;") and pdf.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "受理通知书" in pdf_text(pdf.data) and number in pdf_text(pdf.data)
    assert client.get(f"/queue/terminal/print/notice/{notices['handover']}.pdf").status_code == 404


def test_notices_print_only_after_the_lookup_and_not_after_the_terminal_resets(client, app, case):
    case_id, number, code, _kinds = case
    with app.app_context():
        notice_id = next(n.id for n in db.session.get(Case, case_id).notices if n.kind == "acceptance")
    assert client.get(f"/queue/terminal/print/notice/{notice_id}.pdf").status_code == 404  # no lookup
    wrong = client.post("/queue/terminal/print/case", data={"number": number, "code": "WRONG234"})
    assert wrong.status_code == 404 and "未查询到办件" in wrong.get_data(as_text=True)
    assert client.get(f"/queue/terminal/print/notice/{notice_id}.pdf").status_code == 404
    client.post("/queue/terminal/print/case", data={"number": number, "code": code})
    assert client.get(f"/queue/terminal/print/notice/{notice_id}.pdf").status_code == 200
    client.get("/queue/terminal")  # the next citizen starts at the terminal's first page
    assert client.get(f"/queue/terminal/print/notice/{notice_id}.pdf").status_code == 404


def test_a_confidential_case_prints_nothing(client, app, case):
    case_id, number, code, _kinds = case
    db.session.execute(update(Case).where(Case.id == case_id).values(confidential=True))  # 涉密 (the fixture's context)
    db.session.commit()
    response = client.post("/queue/terminal/print/case", data={"number": number, "code": code})
    assert response.status_code == 404 and "print-notices" not in response.get_data(as_text=True)


def test_a_licence_prints_its_verification_page_masked_as_the_public_sees_it(pages):  # noqa: F811
    licence = _certificate(pages)
    form = pages.client.get("/queue/terminal/print").get_data(as_text=True)
    assert 'data-key="-"' in form and "60000" in form
    page = pages.client.post("/queue/terminal/print/licence", data={"licence": licence.number})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-status="valid"' in html and "@media print" in html
    assert licence.identifier in html and "赵*" in html and "云溪县****" in html
    assert OWNER not in html and ADDRESS not in html and OWNER_ID not in html
    assert licence.verify_code not in html and licence.access_code not in html
    by_identifier = pages.client.post("/queue/terminal/print/licence", data={"licence": licence.identifier})
    assert by_identifier.status_code == 200 and licence.number in by_identifier.get_data(as_text=True)
    unknown = pages.client.post("/queue/terminal/print/licence", data={"licence": "530100-999-000001"})
    assert unknown.status_code == 404 and "证照编号" in unknown.get_data(as_text=True)


def test_terminal_lookups_count_under_the_public_lookup_limit(make_app):
    client = make_app(config={"PUBLIC_LOOKUP_RATE_LIMIT": "2 per minute"}).test_client()
    guesses = [client.post("/queue/terminal/print/case", data={"number": "N1", "code": c}) for c in "abc"]
    assert [r.status_code for r in guesses] == [404, 404, 429]
    assert client.get("/queue/terminal/print").status_code == 200  # the form itself is not counted
    # the progress lookup at the terminal shares the public progress page's counter
    assert client.post("/queue/terminal/progress", data={"number": "N1", "code": "d"}).status_code == 429
    assert client.get("/progress/N1?code=e").status_code == 429


def keys(page, field: str, text: str) -> None:
    """Type with the terminal's on-screen keys (the fields are read-only: no keyboard)."""
    page.click(field)
    form = page.locator("form", has=page.locator(field))
    for key in text:
        form.locator(f"button[data-key='{key}']").click()
    assert page.input_value(field) == text


@pytest.mark.browser
def test_at_the_terminal_a_citizen_prints_a_notice_and_a_licence_page(page, live_server, app, case, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_SEAL_KEK", raising=False)
    _id, number, code, _kinds = case
    with app.app_context():
        licence = _certificate(SimpleNamespace(item=certificate_item()))
        licence_number = licence.number
    out = ARTIFACTS / "terminal"
    out.mkdir(parents=True, exist_ok=True)
    for name, size in (("landscape", {"width": 1920, "height": 1080}), ("portrait", {"width": 1080, "height": 1920})):
        page.set_viewport_size(size)
        page.goto(f"{live_server}/queue/terminal")
        page.screenshot(path=str(out / f"terminal-{name}.png"))
        page.click("#print-link")
        page.wait_for_selector("#case-form")
        page.screenshot(path=str(out / f"print-{name}.png"))

    # a notice: case number and query code with the on-screen keys, then 打印
    keys(page, "#case-number", number)
    keys(page, "#case-code", code)
    page.click("#case-go")
    page.wait_for_selector("#print-notices")
    assert "受理通知书" in page.inner_text("#print-notices") and "材料交接表" not in page.inner_text("#print-notices")
    page.click("#print-notices a.big")
    frame = page.wait_for_selector("#print-frame")
    pdf = page.request.get(f"{live_server}{frame.get_attribute('src')}")  # the kiosk's own session
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    assert "受理通知书" in pdf_text(pdf.body())
    # 打印 prints the framed PDF (frame.contentWindow.print()); not pressed here: headless Chromium
    # crashes printing a PDF viewer frame. The PDF itself is what the test reads above.
    page.screenshot(path=str(out / "notice-portrait.png"))

    # a licence: its number, then the printable verification page, masked
    page.click("text=查询其他办件或证照")
    keys(page, "#licence-number", licence_number)
    page.click("#licence-go")
    page.wait_for_selector("#licence-sheet")
    assert page.get_attribute("#verify-result", "data-status") == "valid"
    sheet = page.inner_text("#licence-sheet")
    assert licence_number in sheet and "赵*" in sheet and OWNER not in sheet and OWNER_ID not in sheet
    page.screenshot(path=str(out / "licence-portrait.png"))
    page.emulate_media(media="print")
    assert not page.is_visible("#print-now")  # the printed page is the sheet only
