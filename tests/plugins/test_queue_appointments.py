"""预约办理: slots from the opening hours on working days, capacities under concurrent
bookings, change and cancel until the deadline, limits per person and day, the no-show rule,
the check-in that gives a priority ticket, and the reminder recorded for the notification."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from onewindow_queue import appointments as appt
from onewindow_queue import service
from onewindow_queue.models import Appointment, AppointmentState, Queue, SlotBooking, Ticket
from sqlalchemy import select

from onewindow import ValidationError, Window, Zone, clock, db

PERSON = "440304200002291236"
OTHER = "11010519491231002X"
MOBILE = "13800138000"
WED = dt.datetime(2026, 12, 2, 8, 0)  # a working day
T0900, T0930 = dt.time(9, 0), dt.time(9, 30)


@pytest.fixture
def ctx(app):
    with app.app_context(), clock.travel_to(WED):
        yield app


def resident(n: int) -> str:
    """A valid synthetic resident ID (GB 11643 check character)."""
    body = f"11010119900307{n:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def rule(app, **values):
    app.extensions["onewindow"].plugins.plugin_sections["queue"] = values


def queue() -> Queue:
    return db.session.execute(select(Queue).join(Zone).where(Zone.number == 1)).scalar_one()


def test_slots_follow_the_opening_hours_on_working_days_only(ctx):
    q = queue()
    labels = [s.label for s in appt.slots(q, WED.date())]
    assert labels[:2] == ["09:00–09:30", "09:30–10:00"] and labels[-1] == "16:30–17:00" and len(labels) == 13
    assert appt.slots(q, dt.date(2026, 12, 5)) == []  # Saturday
    assert appt.slots(q, dt.date(2026, 12, 20)) == []  # beyond book_days_ahead
    assert dt.date(2026, 12, 5) not in appt.bookable_days()


def test_a_slot_takes_no_more_than_its_capacity_even_under_concurrent_bookings(ctx):
    rule(ctx, slot_capacity=3)
    q, app = queue(), ctx
    people = [resident(n) for n in range(1, 7)]
    start = threading.Barrier(len(people))

    def book(person: str) -> bool:
        with app.app_context(), clock.travel_to(WED):
            start.wait()
            try:
                appt.book(q.id, WED.date(), T0900, person, MOBILE)
                return True
            except ValidationError:
                return False
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        booked = list(pool.map(book, people))
    db.session.rollback()
    assert sum(booked) == 3
    assert db.session.execute(select(SlotBooking.booked)).scalar_one() == 3
    with pytest.raises(ValidationError, match="已约满"):
        appt.book(q.id, WED.date(), T0900, OTHER, MOBILE)


def test_one_appointment_per_person_and_day(ctx):
    q = queue()
    appt.book(q.id, WED.date(), T0900, PERSON, MOBILE)
    with pytest.raises(ValidationError, match="每人每天最多预约 1 次"):
        appt.book(q.id, WED.date(), T0930, PERSON, MOBILE)
    assert db.session.execute(select(SlotBooking.booked)).scalar_one() == 1  # all or nothing
    appt.book(q.id, dt.date(2026, 12, 3), T0900, PERSON, MOBILE)


def test_bad_identity_is_refused_naming_the_field(ctx):
    with pytest.raises(ValidationError, match="身份证号码"):
        appt.book(queue().id, WED.date(), T0900, "440304200002291235", MOBILE)
    with pytest.raises(ValidationError, match="手机号码"):
        appt.book(queue().id, WED.date(), T0900, PERSON, "2380013800")
    with pytest.raises(ValidationError, match="不是可预约的时段"):
        appt.book(queue().id, WED.date(), dt.time(12, 15), PERSON, MOBILE)


def test_change_and_cancel_until_the_deadline_free_the_place(ctx):
    q = queue()
    booking = appt.book(q.id, WED.date(), dt.time(14, 0), PERSON, MOBILE)
    appt.change(booking, WED.date(), dt.time(15, 0))
    counts = dict(db.session.execute(select(SlotBooking.starts, SlotBooking.booked)).all())
    assert counts == {dt.time(14, 0): 0, dt.time(15, 0): 1}
    with clock.travel_to(dt.datetime(2026, 12, 2, 13, 30)):  # 1.5 h before: past the 2 h deadline
        with pytest.raises(ValidationError, match="开始前 2 小时内不能取消"):
            appt.cancel(booking)
    appt.cancel(booking)
    assert booking.state == AppointmentState.cancelled
    assert db.session.execute(select(SlotBooking.booked).where(SlotBooking.starts == dt.time(15, 0))).scalar() == 0


def test_three_no_shows_bar_booking_for_thirty_days(ctx):
    q = queue()
    for day in (dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)):
        with clock.travel_to(dt.datetime.combine(day, dt.time(8, 0))):
            appt.book(q.id, day, T0900, PERSON, MOBILE)
    with pytest.raises(ValidationError, match="爽约次数已达上限，2026-12-25 前不能预约"):
        appt.book(q.id, WED.date(), T0900, PERSON, MOBILE)
    states = db.session.execute(select(Appointment.state)).scalars().all()
    assert states == [AppointmentState.no_show] * 3
    rule(ctx, no_show_limit=4)
    appt.book(q.id, WED.date(), T0900, PERSON, MOBILE)


def test_check_in_gives_a_ticket_served_before_the_others_and_only_once(ctx):
    q = queue()
    booking = appt.book(q.id, WED.date(), T0930, PERSON, MOBILE)
    walk_in = service.take(q.id, "walk-in-token-1")
    with pytest.raises(ValidationError, match="09:00 后签到"):
        appt.check_in(PERSON)  # 08:00, the slot at 09:30 opens check-in at 09:00
    with clock.travel_to(dt.datetime(2026, 12, 2, 9, 10)):
        ticket = appt.check_in(PERSON)
        again = appt.check_in(PERSON)
        assert again.id == ticket.id and ticket.priority_group.name == "预约办理"
        window = db.session.execute(select(Window).where(Window.code == "A01")).scalar_one()
        assert service.call_next(window, "chief_rep").id == ticket.id
        assert service.call_next(window, "chief_rep").id == walk_in.ticket_id
    db.session.refresh(booking)
    assert booking.state == AppointmentState.checked_in and booking.ticket_id == ticket.id
    with pytest.raises(ValidationError, match="没有您的有效预约"):
        appt.check_in(OTHER)
    assert db.session.execute(select(Ticket).where(Ticket.holder == OTHER)).first() is None


def test_the_reminder_is_recorded_due_a_day_before(ctx):
    booking = appt.book(queue().id, dt.date(2026, 12, 4), T0900, PERSON, MOBILE)
    assert booking.remind_at == dt.datetime(2026, 12, 3, 9, 0) and booking.reminded_at is None
