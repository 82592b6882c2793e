"""Appointment reminders (job ``queue.reminders``): a due reminder goes once by SMS through
the notification outbox with what, when, where and how to change it; not-yet-due, cancelled
and already reminded ones are not sent; overlapping runs send it once; a new time gets a new
reminder."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from onewindow_queue import appointments as appt
from onewindow_queue.models import Appointment, Queue
from sqlalchemy import select, update

from onewindow import Zone, clock, db
from onewindow.notify.models import Notification, NotifyChannel

PERSON = "440304200002291236"
MOBILE = "13800138000"
WED = dt.datetime(2026, 12, 2, 8, 0)  # a working day
FRI = dt.date(2026, 12, 4)
T0900 = dt.time(9, 0)
DUE = dt.datetime(2026, 12, 3, 9, 5)  # reminder_hours (24) before Friday 09:00, and a little


@pytest.fixture
def ctx(app):
    with app.app_context(), clock.travel_to(WED):
        yield app


def queue() -> Queue:
    return db.session.execute(select(Queue).join(Zone).where(Zone.number == 1)).scalar_one()


def reminders() -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.execute(
            select(Notification).where(Notification.kind == "queue.appointment_reminder").order_by(Notification.id)
        ).scalars()
    )


def book() -> Appointment:
    return appt.book(queue().id, FRI, T0900, PERSON, MOBILE)


def test_a_due_reminder_is_sent_once_by_sms_with_what_when_where_and_how_to_change(ctx):
    booking = book()
    q = queue()
    with clock.travel_to(DUE):
        assert appt.send_reminders() == 1
    (sms,) = reminders()
    assert sms.channel == NotifyChannel.sms and sms.recipient == MOBILE and sms.subject == "预约提醒"
    assert sms.body.startswith("【一窗通】预约提醒")
    assert f"事项 {q.name}" in sms.body and "时间 2026-12-04 09:00–09:30" in sms.body
    assert f"地点 {q.zone.name}" in sms.body and f"预约号 {booking.code}" in sms.body
    assert sms.body.endswith("/queue/book/manage")
    assert db.session.get(Appointment, booking.id).reminded_at == DUE


def test_a_reminder_not_yet_due_is_not_sent(ctx):
    booking = book()
    with clock.travel_to(dt.datetime(2026, 12, 3, 8, 59)):
        assert appt.send_reminders() == 0
    assert reminders() == [] and db.session.get(Appointment, booking.id).reminded_at is None


def test_a_cancelled_appointment_gets_no_reminder(ctx):
    appt.cancel(book())
    with clock.travel_to(DUE):
        assert appt.send_reminders() == 0
    assert reminders() == []


def test_a_second_run_sends_nothing(ctx):
    book()
    with clock.travel_to(DUE):
        assert appt.send_reminders() == 1
    with clock.travel_to(DUE + dt.timedelta(minutes=10)):
        assert appt.reminder_job() == 0
    assert len(reminders()) == 1


def test_two_overlapping_runs_send_the_reminder_once(ctx):
    book()
    app, runs = ctx, 4
    start = threading.Barrier(runs)

    def run(_n: int) -> int:
        with app.app_context(), clock.travel_to(DUE):
            start.wait()
            try:
                return appt.send_reminders()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=runs) as pool:
        sent = list(pool.map(run, range(runs)))
    assert sum(sent) == 1 and len(reminders()) == 1


def test_a_claim_taken_by_another_run_is_not_sent_again(ctx, monkeypatch):
    """The run that read the appointment before another run marked it sends nothing."""
    book()
    claim = appt._claim

    def other_run_first(due, now):
        db.session.execute(update(Appointment).where(Appointment.id == due.id).values(reminded_at=now))
        db.session.commit()
        return claim(due, now)

    monkeypatch.setattr(appt, "_claim", other_run_first)
    with clock.travel_to(DUE):
        assert appt.send_reminders() == 0
    assert reminders() == []


def test_a_rescheduled_appointment_gets_a_new_reminder(ctx):
    booking = book()
    with clock.travel_to(DUE):
        assert appt.send_reminders() == 1
        booking = db.session.get(Appointment, booking.id)
        appt.change(booking, dt.date(2026, 12, 7), dt.time(9, 30))  # Monday
        assert appt.send_reminders() == 0  # the new one is due 24 h before Monday 09:30
    with clock.travel_to(dt.datetime(2026, 12, 6, 9, 31)):
        assert appt.send_reminders() == 1
    first, second = reminders()
    assert "2026-12-04 09:00" in first.body and "时间 2026-12-07 09:30–10:00" in second.body
