"""Hall figures on the supervision dashboard (dashboard_sections): waiting and service time per
queue, window and staff, abandoned tickets, appointment no-shows, and the average waiting time
per day as a server-drawn SVG chart."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from onewindow_queue import appointments as appt
from onewindow_queue import figures, service
from onewindow_queue.models import Ticket
from queue_helpers import PERSON, ctx, queue_of, window  # noqa: F401 (fixtures)
from sqlalchemy import select

from onewindow import clock, db


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute)


@pytest.fixture
def history(ctx):
    """Two days at F01: on the 1st a 10-minute and a 30-minute wait; on the 2nd a 20-minute
    wait served 15 minutes, one 过号 never back, one left waiting; one appointment no-show."""
    queue, f01 = queue_of(6), window("F01")
    with clock.travel_to(at(1, 9)):
        take = lambda: service.take(queue.id, uuid.uuid4().hex)  # noqa: E731
        first, second = take(), take()
    with clock.travel_to(at(1, 9, 10)):
        service.call_next(f01, "acceptor")
    with clock.travel_to(at(1, 9, 30)):
        service.call_next(f01, "acceptor")
        service.finish(f01, second.ticket_id)
    with clock.travel_to(at(2, 9)):
        third, absent, left = take(), take(), take()
    with clock.travel_to(at(2, 9, 20)):
        service.call_next(f01, "acceptor")
    with clock.travel_to(at(2, 9, 35)):
        service.call_next(f01, "acceptor")  # third served 15 minutes
        service.mark_absent(f01, absent.ticket_id)
    with clock.travel_to(at(1, 8)):
        appt.book(queue.id, dt.date(2026, 12, 2), dt.time(9, 0), PERSON, "13800138000")
    return first, third, left


def test_period_figures_per_queue_window_and_staff(history):
    with clock.travel_to(at(3, 8)):
        f = figures.period(dt.date(2026, 12, 1), dt.date(2026, 12, 2))
        appt.mark_no_shows()
        db.session.commit()
        f2 = figures.period(dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    queue_row = next(r for r in f.by_queue if r.name.endswith(queue_of(6).name))
    # waits 10, 30, 20, 35 → 23.8; services 20 (first), 0 (second), 15 (third) → 11.7
    assert (queue_row.tickets, queue_row.average_wait, queue_row.average_service) == (5, 23.8, 11.7)
    assert queue_row.abandoned == 2 and f.abandoned == 2  # the 过号 and the one left waiting
    assert [(r.name, r.tickets) for r in f.by_window] == [("F01", 4)]
    assert [r.name for r in f.by_staff] == ["acceptor"]
    assert f.daily_wait == [(dt.date(2026, 12, 1), 20.0), (dt.date(2026, 12, 2), 27.5)]
    assert (f2.appointments, f2.no_shows) == (1, 1)


def test_the_supervision_dashboard_shows_the_hall_section_with_its_chart(client, login, history):
    login(client, "supervisor")
    page = client.get("/supervision/?start=2026-12-01&end=2026-12-02").get_data(as_text=True)
    assert "大厅：等候与办理时长" in page and 'id="chart-queue-wait"' in page and "<svg" in page
    assert "每日平均等候时长" in page and "弃号数" in page and "预约爽约" in page
    assert "<title>2026-12-01: 20.0</title>" in page
    assert db.session.execute(select(Ticket)).first() is not None
