"""Hall figures over a period for the supervision dashboard (``dashboard_sections``): waiting
time (take → first call) and service time (call → finished) per queue, window and staff,
abandoned tickets (过号 never back, or still waiting when the day ended), appointment
no-shows, and the average waiting time per day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from onewindow import clock, db
from onewindow_queue.models import Appointment, AppointmentState, Queue, Ticket, TicketState

MAX_DAYS = 92  # a quarter: the dashboard's period is bounded, so is this read


@dataclass(frozen=True)
class Row:
    name: str
    tickets: int
    average_wait: float | None  # minutes
    average_service: float | None
    abandoned: int


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _minutes(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    return (b - a).total_seconds() / 60 if a and b else None


def abandoned(ticket: Ticket, today: dt.date) -> bool:
    """弃号: marked absent and never back, or still waiting after its day."""
    return ticket.state == TicketState.absent or (ticket.state == TicketState.waiting and ticket.day < today)


def _rows(tickets: list[Ticket], key, today: dt.date) -> list[Row]:
    groups: dict[str, list[Ticket]] = {}
    for t in tickets:
        name = key(t)
        if name:
            groups.setdefault(name, []).append(t)
    rows = []
    for name, group in sorted(groups.items()):
        waits = [m for t in group if (m := _minutes(t.taken_at, t.called_at)) is not None]
        services = [
            m for t in group if t.state == TicketState.done and (m := _minutes(t.called_at, t.finished_at)) is not None
        ]
        rows.append(Row(name, len(group), _mean(waits), _mean(services), sum(abandoned(t, today) for t in group)))
    return rows


@dataclass(frozen=True)
class PeriodFigures:
    by_queue: list[Row]
    by_window: list[Row]
    by_staff: list[Row]
    abandoned: int
    appointments: int
    no_shows: int
    daily_wait: list[tuple[dt.date, float | None]]


def period(start: dt.date, end: dt.date) -> PeriodFigures:
    start = max(start, end - dt.timedelta(days=MAX_DAYS - 1))
    today = clock.today()
    tickets = list(db.session.execute(select(Ticket).where(Ticket.day.between(start, end))).scalars())
    queues = {q.id: f"{q.prefix} {q.name}" for q in db.session.execute(select(Queue)).scalars()}
    by_day: dict[dt.date, list[float]] = {}
    for t in tickets:
        wait = _minutes(t.taken_at, t.called_at)
        if wait is not None:
            by_day.setdefault(t.day, []).append(wait)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    states = dict(
        db.session.execute(
            select(Appointment.state, func.count(Appointment.id))
            .where(Appointment.day.between(start, end))
            .group_by(Appointment.state)
        ).all()
    )
    return PeriodFigures(
        by_queue=_rows(tickets, lambda t: queues.get(t.queue_id, ""), today),
        by_window=_rows(tickets, lambda t: t.window.code if t.window else "", today),
        by_staff=_rows(tickets, lambda t: t.called_by or "", today),
        abandoned=sum(abandoned(t, today) for t in tickets),
        appointments=sum(states.values()),
        no_shows=states.get(AppointmentState.no_show, 0),
        daily_wait=[(d, _mean(by_day[d]) if d in by_day else None) for d in days if d in by_day or d.weekday() < 5],
    )
