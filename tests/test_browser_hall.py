"""The hall's day in real Chromium (issue #18, "Done when"): a citizen books online, checks in
at the terminal, gets a priority ticket; the display shows the call; the clerk starts acceptance
from it, finishes; the window's rating pad records the rating."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from onewindow import Case, Window, Zone, clock, db

pytestmark = pytest.mark.browser
PERSON = "440304200002291236"
WED = dt.datetime(2026, 12, 2, 8, 40)  # a working day, 20 minutes before the 09:00 slot


def sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def test_book_check_in_call_accept_finish_and_rate(page, live_server, demo_logins, make_item, app):
    from onewindow_queue.models import Queue, Ticket, TicketCase
    from onewindow_supervision.models import Evaluation, EvaluationChannel

    item_id = make_item(name="食品经营许可（大厅测试）")
    with app.app_context():
        queue = db.session.execute(select(Queue).join(Zone).where(Zone.number == 1)).scalar_one()
        queue.item_id = item_id  # the queue's usual item: start acceptance opens its form
        db.session.commit()
        queue_id = queue.id

    with clock.travel_to(WED):
        # 1. Online booking
        page.goto(f"{live_server}/queue/book")
        page.click(f"#choose-queue button[value='{queue_id}']")
        page.check("input[name=slot][value='2026-12-02T09:00']")
        page.fill("#id_number", PERSON)
        page.fill("#mobile", "13800138000")
        page.click("#book")
        assert page.inner_text("#booking-code").strip()

        # 2. Check-in at the terminal with the on-screen keys
        page.goto(f"{live_server}/queue/terminal")
        page.click("#checkin-id")
        for key in PERSON:
            page.click(f"#keypad button[data-key='{key}']")
        assert page.input_value("#checkin-id") == PERSON
        page.click("#checkin-button")
        number = page.inner_text("#ticket-number").strip()
        assert "预约办理" in page.content()

        # 3. The clerk calls it; the hall's display shows the call
        sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
        page.goto(f"{live_server}/queue/desk/")
        page.click("#window-A01 button[value=call]")
        assert number in page.inner_text("#window-A01 .queue-current")
        assert "该申请人的预约" in page.inner_text("#window-A01")
        page.goto(f"{live_server}/queue/display?zone=1")
        page.wait_for_selector("#calls tr.latest")
        assert page.inner_text("#calls tr.latest").split() == [number, "A01"]

        # 4. Start acceptance from the ticket: the workbench has the applicant; accept; finish
        page.goto(f"{live_server}/queue/desk/")
        page.click("#window-A01 button[value=accept]")
        assert page.input_value("input[name=applicant_id]") == PERSON
        page.fill("input[name=applicant_name]", "张三")
        page.click("#ow-accept-submit")
        page.wait_for_selector("#ow-case")
        page.goto(f"{live_server}/queue/desk/")
        page.click("#window-A01 button[value=finish]")

        # 5. The rating pad facing the citizen
        page.goto(f"{live_server}/queue/pad/A01")
        assert "食品经营许可（大厅测试）" in page.content()
        page.click("button[data-level=very_satisfied]")
        page.wait_for_selector("#pad-thanks")

    with app.app_context():
        ticket = db.session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        case = db.session.execute(select(Case).where(Case.item_id == item_id)).scalar_one()
        assert db.session.get(TicketCase, case.id).ticket_id == ticket.id
        assert (
            ticket.priority_group.name == "预约办理"
            and ticket.window == db.session.execute(select(Window).where(Window.code == "A01")).scalar_one()
        )
        evaluation = db.session.execute(select(Evaluation).where(Evaluation.case_id == case.id)).scalar_one()
        assert evaluation.channel == EvaluationChannel.pad and evaluation.level.name == "very_satisfied"
