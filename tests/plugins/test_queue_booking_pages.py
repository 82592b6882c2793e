"""The booking pages: /queue/book (no login, ID card number + mobile), change and cancel at
/queue/book/manage, staff booking by phone, check-in at the terminal, and the desk showing the
caller's appointments."""

from __future__ import annotations

import datetime as dt

import pytest
from onewindow_queue import appointments as appt
from onewindow_queue.models import Appointment, AppointmentChannel, AppointmentState, Queue, Ticket
from sqlalchemy import select

from onewindow import Window, Zone, clock, db

PERSON = "440304200002291236"
MOBILE = "13800138000"
WED = dt.datetime(2026, 12, 2, 8, 0)


@pytest.fixture
def ctx(app):
    with app.app_context(), clock.travel_to(WED):
        yield app


def queue() -> Queue:
    return db.session.execute(select(Queue).join(Zone).where(Zone.number == 1)).scalar_one()


def test_a_citizen_books_online_with_id_card_number_and_mobile(client, ctx):
    q = queue()
    page = client.get(f"/queue/book?queue_id={q.id}").get_data(as_text=True)
    assert "预约办理" in page and "09:00–09:30" in page and "余 4 个" in page
    response = client.post(
        "/queue/book", data={"queue_id": q.id, "slot": "2026-12-02T09:00", "id_number": PERSON, "mobile": MOBILE}
    )
    assert response.status_code == 200
    db.session.rollback()
    booked = db.session.execute(select(Appointment)).scalar_one()
    assert booked.code in response.get_data(as_text=True) and booked.channel == AppointmentChannel.online
    assert "余 3 个" in client.get(f"/queue/book?queue_id={q.id}").get_data(as_text=True)


def test_booking_with_bad_input_says_what_and_writes_nothing(client, ctx):
    q = queue()
    for data, message in [
        ({"queue_id": q.id, "slot": "2026-12-02T09:00", "id_number": "123", "mobile": MOBILE}, "身份证号码"),
        ({"queue_id": q.id, "slot": "tomorrow", "id_number": PERSON, "mobile": MOBILE}, "请点选页面列出的一个时段"),
        ({"slot": "2026-12-02T09:00", "id_number": PERSON, "mobile": MOBILE}, "请先选择业务"),
    ]:
        response = client.post("/queue/book", data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.execute(select(Appointment)).first() is None


def test_the_citizen_changes_then_cancels_by_code_and_id_number(client, ctx):
    booked = appt.book(queue().id, WED.date(), dt.time(14, 0), PERSON, MOBILE)
    wrong = client.post("/queue/book/manage", data={"code": booked.code, "id_number": "11010519491231002X"})
    assert wrong.status_code == 400 and "与身份证号码不符" in wrong.get_data(as_text=True)
    found = client.post("/queue/book/manage", data={"code": booked.code, "id_number": PERSON})
    assert "14:00" in found.get_data(as_text=True)
    changed = client.post(
        "/queue/book/manage",
        data={"code": booked.code, "id_number": PERSON, "action": "change", "slot": "2026-12-03T10:00"},
    )
    assert "预约已修改" in changed.get_data(as_text=True)
    client.post("/queue/book/manage", data={"code": booked.code, "id_number": PERSON, "action": "cancel"})
    db.session.rollback()
    again = db.session.get(Appointment, booked.id)
    assert (again.day, again.starts, again.state) == (dt.date(2026, 12, 3), dt.time(10, 0), AppointmentState.cancelled)


def test_staff_book_by_phone_and_anonymous_users_cannot(client, login, ctx):
    q = queue()
    data = {"queue_id": q.id, "slot": "2026-12-02T10:00", "id_number": PERSON, "mobile": MOBILE}
    assert client.post("/queue/appointments/book", data=data).status_code in (302, 401, 403)
    db.session.rollback()
    assert db.session.execute(select(Appointment)).first() is None
    login(client, "acceptor")
    assert "电话预约" in client.get(f"/queue/appointments/?queue_id={q.id}").get_data(as_text=True)
    client.post("/queue/appointments/book", data=data)
    db.session.rollback()
    booked = db.session.execute(select(Appointment)).scalar_one()
    assert (booked.channel, booked.booked_by) == (AppointmentChannel.phone, "acceptor")


def test_check_in_at_the_terminal_prints_a_priority_ticket(client, ctx):
    appt.book(queue().id, WED.date(), dt.time(9, 0), PERSON, MOBILE)
    assert "签到" in client.get("/queue/terminal").get_data(as_text=True)
    with clock.travel_to(dt.datetime(2026, 12, 2, 8, 45)):
        response = client.post("/queue/terminal/checkin", data={"id_number": PERSON})
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "预约办理" in page
    refused = client.post("/queue/terminal/checkin", data={"id_number": "11010519491231002X"})
    assert refused.status_code == 400 and "没有您的有效预约" in refused.get_data(as_text=True)
    db.session.rollback()
    assert len(db.session.execute(select(Ticket)).scalars().all()) == 1


def test_the_desk_shows_the_appointments_of_the_id_card_holder_called(client, login, ctx):
    from onewindow_queue import service
    from onewindow_queue.models import TakenBy

    appt.book(queue().id, dt.date(2026, 12, 4), dt.time(9, 0), PERSON, MOBILE)
    service.take(queue().id, "desk-token-0001", TakenBy.id_card, PERSON)
    login(client, "chief_rep")
    a01 = db.session.execute(select(Window).where(Window.code == "A01")).scalar_one()
    client.post("/queue/desk/act", data={"window_id": a01.id, "action": "call"})
    page = client.get("/queue/desk/").get_data(as_text=True)
    assert "该申请人的预约" in page and "2026-12-04 09:00" in page
