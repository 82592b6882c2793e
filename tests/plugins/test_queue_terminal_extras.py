"""Self-service terminal extras (自助终端): the progress lookup by case number and query code
through the core's public lookup, in kiosk form (on-screen keys, back to the terminal after a
minute), and the terminal's links to check-in, booking and the lookup."""

from __future__ import annotations

import pytest
from queue_helpers import accept_at


@pytest.fixture
def case(app, make_item, actor):
    with app.app_context():
        accepted = accept_at(make_item(), "A01", actor("acceptor"))
        yield accepted.number, accepted.query_code, str(accepted.state)


def test_the_terminal_looks_up_a_case_by_number_and_query_code(client, case):
    number, code, state = case
    form = client.get("/queue/terminal/progress").get_data(as_text=True)
    assert "办件进度查询" in form and 'data-key="Z"' in form and "60000" in form
    response = client.post("/queue/terminal/progress", data={"number": number, "code": code})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and number in page and state in page
    assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_query_code_shows_nothing_of_the_case(client, case):
    number, _code, _state = case
    response = client.post("/queue/terminal/progress", data={"number": number, "code": "WRONG234"})
    assert response.status_code == 404 and "未查询到办件" in response.get_data(as_text=True)
    assert "张" not in response.get_data(as_text=True).split("<body>")[1]


def test_the_terminal_offers_check_in_booking_and_progress(client, app):
    page = client.get("/queue/terminal").get_data(as_text=True)
    for link in ("/queue/terminal/checkin", "/queue/book?kiosk=1", "/queue/terminal/progress"):
        assert link in page
    assert "60000" in page  # auto-reset after a minute untouched
