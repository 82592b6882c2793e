"""预约办理: slots from the opening hours on the platform's working days, booking (online, by
phone at the desk, at the terminal), change and cancel until a deadline, limits per person and
day, the no-show rule, and the check-in that gives a priority ticket.

A slot's capacity is kept by one row per (queue, day, start), raised by a single conditional
``INSERT … ON CONFLICT DO UPDATE … WHERE booked < capacity``: two bookings of the last place
cannot both succeed. Each booking records when its reminder is due (``remind_at``); the job
``queue.reminders`` sends every due one once by SMS through ``onewindow.notify.send`` and marks
it (``reminded_at``), claiming it by a conditional update first so that two overlapping runs
never send it twice. A change of time clears the mark: the new time gets its own reminder.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update

from onewindow import (
    ValidationError,
    clock,
    db,
    get_calendar,
    local_time,
    notify,
    public_base_url,
    resident_id_problem,
)
from onewindow_queue import service
from onewindow_queue.models import (
    Appointment,
    AppointmentChannel,
    AppointmentState,
    PriorityGroup,
    Queue,
    SlotBooking,
    TakenBy,
    Ticket,
)

ACTIVE = (AppointmentState.booked, AppointmentState.checked_in)


@dataclass(frozen=True)
class Slot:
    starts: dt.time
    ends: dt.time
    capacity: int
    left: int

    @property
    def label(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"


def _hours() -> list[tuple[dt.time, dt.time]]:
    spans = []
    for span in service.settings()["opening_hours"]:
        start, _sep, end = str(span).partition("-")
        try:
            spans.append((dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())))
        except ValueError as exc:
            raise ValidationError(
                f'onewindow.toml [plugins.queue] opening_hours: {span!r} 应写作 "09:00-12:00"（{exc}）'
            ) from exc
    return spans


def bookable_days(today: dt.date | None = None) -> list[dt.date]:
    """Working days from tomorrow up to ``book_days_ahead`` days ahead (today's slots too,
    while some start later today)."""
    today = today or clock.today()
    calendar = get_calendar()
    ahead = int(service.settings()["book_days_ahead"])
    return [d for d in (today + dt.timedelta(days=n) for n in range(0, ahead + 1)) if calendar.is_workday(d)]


def slots(queue: Queue, day: dt.date) -> list[Slot]:
    """The day's slots of a queue with the places left; none on a holiday or out of range."""
    if day not in bookable_days():
        return []
    rule = service.settings()
    length, capacity = dt.timedelta(minutes=int(rule["slot_minutes"])), int(rule["slot_capacity"])
    booked = dict(
        db.session.execute(
            select(SlotBooking.starts, SlotBooking.booked).where(
                SlotBooking.queue_id == queue.id, SlotBooking.day == day
            )
        ).all()
    )
    now = clock.now()
    result = []
    for start, end in _hours():
        moment = dt.datetime.combine(day, start)
        while moment + length <= dt.datetime.combine(day, end):
            if moment > now:
                taken = booked.get(moment.time(), 0)
                result.append(Slot(moment.time(), (moment + length).time(), capacity, max(capacity - taken, 0)))
            moment += length
    return result


def check_person(id_number: str, mobile: str) -> tuple[str, str]:
    id_number = (id_number or "").strip().upper()
    problem = resident_id_problem(id_number)
    if problem:
        raise ValidationError(f"身份证号码: {problem}")
    mobile = (mobile or "").strip()
    if not (len(mobile) == 11 and mobile.isdigit() and mobile.startswith("1")):
        raise ValidationError(f"手机号码 {mobile!r}: 应为以 1 开头的 11 位数字，请重新输入")
    return id_number, mobile


def mark_no_shows(now: dt.datetime | None = None) -> int:
    """爽约: booked appointments whose slot has ended without a check-in (idempotent; a job)."""
    now = now or clock.now()
    stale = [
        a.id
        for a in db.session.execute(
            select(Appointment).where(Appointment.state == AppointmentState.booked, Appointment.day <= now.date())
        ).scalars()
        if dt.datetime.combine(a.day, a.ends) <= now
    ]
    if stale:
        db.session.execute(update(Appointment).where(Appointment.id.in_(stale)).values(state=AppointmentState.no_show))
    return len(stale)


def no_show_job() -> int:
    """The hourly job (``register_jobs``): mark the no-shows of ended slots."""
    marked = mark_no_shows()
    db.session.commit()
    return marked


def reminder_text(appointment: Appointment) -> str:
    """The SMS reminding the person of an appointment: what, when (the centre's zone), where,
    and where to change or cancel it."""
    begins = dt.datetime.combine(appointment.day, appointment.starts)
    return _(
        "OneWindow appointment reminder: %(queue)s, %(when)s–%(ends)s, at %(zone)s. Appointment code "
        "%(code)s; bring your ID card and check in at the terminal. To change or cancel: %(url)s",
        queue=appointment.queue.name,
        when=local_time(begins),
        ends=f"{appointment.ends:%H:%M}",
        zone=appointment.queue.zone.name,
        code=appointment.code,
        url=f"{public_base_url()}/queue/book/manage",
    )


@dataclass(frozen=True)
class _Due:
    id: int
    code: str
    mobile: str
    remind_at: dt.datetime
    day: dt.date
    starts: dt.time
    body: str


def _claim(due: _Due, now: dt.datetime) -> bool:
    """Mark the reminder sent unless another run (or a change of time) got there first."""
    _write_lock_first()
    claimed = db.session.execute(
        update(Appointment)
        .where(
            Appointment.id == due.id,
            Appointment.state == AppointmentState.booked,
            Appointment.reminded_at.is_(None),
            Appointment.remind_at == due.remind_at,
            Appointment.day == due.day,
            Appointment.starts == due.starts,
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def send_reminders(now: dt.datetime | None = None) -> int:
    """提醒: each booked appointment whose reminder is due and not yet sent gets one SMS to its
    mobile. Claimed before it is sent (at most once, even with two runs at the same time);
    a failed delivery stays in the outbox with its error. Returns how many were sent."""
    now = now or clock.now()
    found = db.session.execute(
        select(Appointment)
        .where(
            Appointment.state == AppointmentState.booked,
            Appointment.reminded_at.is_(None),
            Appointment.remind_at <= now,
        )
        .order_by(Appointment.remind_at, Appointment.id)
    ).scalars()
    pending = [
        _Due(a.id, a.code, a.mobile, a.remind_at, a.day, a.starts, reminder_text(a))
        for a in found
        if a.remind_at is not None and dt.datetime.combine(a.day, a.starts) > now
    ]
    sent = 0
    for due in pending:
        if not _claim(due, now):
            continue
        try:
            notify.send(due.mobile, "queue.appointment_reminder", _("Appointment reminder"), due.body, "sms")
        except ValidationError as exc:  # a mobile the channel cannot reach: logged, not retried
            current_app.logger.warning("reminder of appointment %s not sent: %s", due.code, exc)
            continue
        sent += 1
    return sent


def reminder_job() -> int:
    """The job (``register_jobs``, every ten minutes): send the due reminders."""
    return send_reminders()


def banned_until(id_number: str) -> dt.date | None:
    """The no-show rule: ``no_show_limit`` no-shows within ``no_show_window_days`` bar booking
    until ``no_show_ban_days`` after the last of them."""
    rule = service.settings()
    since = clock.today() - dt.timedelta(days=int(rule["no_show_window_days"]))
    days = (
        db.session.execute(
            select(Appointment.day)
            .where(
                Appointment.id_number == id_number,
                Appointment.state == AppointmentState.no_show,
                Appointment.day >= since,
            )
            .order_by(Appointment.day.desc())
        )
        .scalars()
        .all()
    )
    if len(days) < int(rule["no_show_limit"]):
        return None
    until = days[0] + dt.timedelta(days=int(rule["no_show_ban_days"]))
    return until if until >= clock.today() else None


def _write_lock_first() -> None:
    """Start the transaction with a write: a deferred SQLite transaction that reads and then
    writes fails at once ("database is locked") when another booking wrote meanwhile; one that
    writes first waits its turn (busy timeout). On PostgreSQL the slot row's lock does this."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE queue_slot_booking SET booked = booked WHERE 0"))


def _reserve(queue: Queue, day: dt.date, starts: dt.time) -> Slot:
    slot = next((s for s in slots(queue, day) if s.starts == starts), None)
    if slot is None:
        raise ValidationError(
            f"预约时段 {day} {starts:%H:%M}（{queue.name}）: 不是可预约的时段；请从页面列出的时段中选择"
        )
    table = SlotBooking.__table__
    dialect = db.session.get_bind().dialect.name
    stmt = service.upsert(dialect)(table).values(queue_id=queue.id, day=day, starts=starts, booked=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.queue_id, table.c.day, table.c.starts],
        set_={"booked": table.c.booked + 1},
        where=table.c.booked < slot.capacity,
    ).returning(table.c.booked)
    if db.session.execute(stmt).scalar() is None:
        raise ValidationError(f"预约时段 {day} {slot.label}（{queue.name}）: 已约满；请选择其他时段")
    return slot


def _release(appointment: Appointment) -> None:
    db.session.execute(
        update(SlotBooking)
        .where(
            SlotBooking.queue_id == appointment.queue_id,
            SlotBooking.day == appointment.day,
            SlotBooking.starts == appointment.starts,
            SlotBooking.booked > 0,
        )
        .values(booked=SlotBooking.booked - 1)
    )


def _check_limits(id_number: str, day: dt.date, ignore: int | None = None) -> None:
    until = banned_until(id_number)
    if until is not None:
        raise ValidationError(
            f"身份证号码 {id_number[:6]}********{id_number[-4:]}: 爽约次数已达上限，{until} 前不能预约；请现场取号办理"
        )
    most = int(service.settings()["per_person_per_day"])
    same_day = db.session.execute(
        select(func.count(Appointment.id)).where(
            Appointment.id_number == id_number,
            Appointment.day == day,
            Appointment.state.in_(ACTIVE),
            Appointment.id != (ignore or 0),
        )
    ).scalar()
    if same_day >= most:
        raise ValidationError(f"{day}: 每人每天最多预约 {most} 次，您当天已有预约；如需调整请修改已有预约")


def book(
    queue_id: int,
    day: dt.date,
    starts: dt.time,
    id_number: str,
    mobile: str,
    channel: AppointmentChannel = AppointmentChannel.online,
    by: str = "",
) -> Appointment:
    """预约: one place of a slot for a person; all or nothing."""
    id_number, mobile = check_person(id_number, mobile)
    _write_lock_first()
    if mark_no_shows():  # kept even when this booking is refused
        db.session.commit()
        _write_lock_first()
    queue = db.session.get(Queue, queue_id)
    if queue is None or not queue.active:
        raise ValidationError(f"队列 {queue_id}: 不存在或已停用；请选择页面上列出的业务")
    try:
        _check_limits(id_number, day)
        slot = _reserve(queue, day, starts)
        now = clock.now()
        begins = dt.datetime.combine(day, slot.starts)
        appointment = Appointment(
            code=secrets.token_hex(4).upper(),
            queue=queue,
            day=day,
            starts=slot.starts,
            ends=slot.ends,
            id_number=id_number,
            mobile=mobile,
            state=AppointmentState.booked,
            channel=channel,
            booked_at=now,
            booked_by=by or f"applicant:{id_number}",
            remind_at=max(now, begins - dt.timedelta(hours=int(service.settings()["reminder_hours"]))),
        )
        db.session.add(appointment)
        db.session.commit()
        return appointment
    except BaseException:
        db.session.rollback()
        raise


def find(code: str, id_number: str) -> Appointment:
    """The person's appointment by its code (the ID number must match)."""
    found = db.session.execute(select(Appointment).where(Appointment.code == (code or "").strip().upper())).scalar()
    if found is None or found.id_number != (id_number or "").strip().upper():
        raise ValidationError(f"预约号 {code!r}: 与身份证号码不符或不存在；请核对短信中的预约号")
    return found


def _changeable(appointment: Appointment, doing: str) -> None:
    if appointment.state != AppointmentState.booked:
        raise ValidationError(f"预约 {appointment.code}: 状态为“{appointment.state}”，不能{doing}")
    hours = int(service.settings()["change_deadline_hours"])
    if clock.now() > dt.datetime.combine(appointment.day, appointment.starts) - dt.timedelta(hours=hours):
        raise ValidationError(f"预约 {appointment.code}: 开始前 {hours} 小时内不能{doing}；如不能到场，请联系服务中心")


def cancel(appointment: Appointment) -> Appointment:
    """取消预约 until ``change_deadline_hours`` before the slot; the place is free again."""
    _write_lock_first()
    _changeable(appointment, "取消")
    _release(appointment)
    appointment.state = AppointmentState.cancelled
    appointment.cancelled_at = clock.now()
    db.session.commit()
    return appointment


def change(appointment: Appointment, day: dt.date, starts: dt.time) -> Appointment:
    """改约: the new slot is reserved and the old one freed in one transaction."""
    _write_lock_first()
    _changeable(appointment, "修改")
    try:
        _check_limits(appointment.id_number, day, ignore=appointment.id)
        slot = _reserve(appointment.queue, day, starts)
        _release(appointment)
        appointment.day, appointment.starts, appointment.ends = day, slot.starts, slot.ends
        begins = dt.datetime.combine(day, slot.starts)
        appointment.remind_at = max(clock.now(), begins - dt.timedelta(hours=int(service.settings()["reminder_hours"])))
        appointment.reminded_at = None
        db.session.commit()
        return appointment
    except BaseException:
        db.session.rollback()
        raise


def upcoming_of(id_number: str) -> list[Appointment]:
    """The person's appointments from today on (shown to the clerk calling their ticket)."""
    return list(
        db.session.execute(
            select(Appointment)
            .where(Appointment.id_number == id_number, Appointment.day >= clock.today(), Appointment.state.in_(ACTIVE))
            .order_by(Appointment.day, Appointment.starts)
        ).scalars()
    )


def _group() -> PriorityGroup:
    name = str(service.settings()["appointment_group"])
    group = db.session.execute(select(PriorityGroup).where(PriorityGroup.name == name)).scalar()
    if group is None:  # first check-in: served before every other group until the admin re-ranks it
        group = PriorityGroup(name=name, rank=0, active=True)
        db.session.add(group)
        db.session.commit()
    return group


def check_in(id_number: str) -> Ticket:
    """签到: today's appointment of this person, from ``checkin_early_minutes`` before its slot
    until the slot ends, gives a ticket of the appointment's priority group. A second
    check-in (a terminal's retry) answers the same ticket."""
    id_number = (id_number or "").strip().upper()
    problem = resident_id_problem(id_number)
    if problem:
        raise ValidationError(f"身份证号码: {problem}")
    now = clock.now()
    mark_no_shows(now)
    db.session.commit()
    today = list(
        db.session.execute(
            select(Appointment)
            .where(Appointment.id_number == id_number, Appointment.day == now.date(), Appointment.state.in_(ACTIVE))
            .order_by(Appointment.starts)
        ).scalars()
    )
    if not today:
        raise ValidationError("签到: 今天没有您的有效预约（或已超过预约时段）；请直接取号")
    appointment = today[0]
    if appointment.state == AppointmentState.checked_in and appointment.ticket is not None:
        return appointment.ticket
    early = dt.timedelta(minutes=int(service.settings()["checkin_early_minutes"]))
    opens = dt.datetime.combine(appointment.day, appointment.starts) - early
    if now < opens:
        raise ValidationError(f"签到: 您的预约时段为 {appointment.starts:%H:%M}，请于 {opens:%H:%M} 后签到")
    group = _group()
    taken = service.take(appointment.queue_id, f"appointment-{appointment.code}", TakenBy.id_card, id_number, group.id)
    appointment = db.session.get(Appointment, appointment.id)
    appointment.state = AppointmentState.checked_in
    appointment.checked_in_at = now
    appointment.ticket_id = taken.ticket_id
    db.session.commit()
    return db.session.get(Ticket, taken.ticket_id)


def no_show_figures(day: dt.date) -> dict[str, int]:
    """Appointments of a day by state (爽约 among them), for the figures page."""
    rows = db.session.execute(
        select(Appointment.state, func.count(Appointment.id)).where(Appointment.day == day).group_by(Appointment.state)
    ).all()
    counts = {state.name: 0 for state in AppointmentState}
    counts.update({state.name: n for state, n in rows})
    return counts
