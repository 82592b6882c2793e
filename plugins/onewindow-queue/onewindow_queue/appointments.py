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
from sqlalchemy import func, or_, select, update

from onewindow import (
    Item,
    ItemStatus,
    ValidationError,
    clock,
    db,
    get_calendar,
    local_time,
    mask_resident_id,
    notify,
    public_base_url,
    resident_id_problem,
)
from onewindow_queue import service
from onewindow_queue.models import (
    Appointment,
    AppointmentChannel,
    AppointmentState,
    ItemSlotBooking,
    PriorityGroup,
    Queue,
    SlotBooking,
    SlotPlan,
    TakenBy,
    Ticket,
)

ACTIVE = (AppointmentState.booked, AppointmentState.checked_in)


class BookingRefused(ValidationError):
    """A refusal of the appointment service (booking, change, cancel, check-in): its message
    is always a catalogue entry (``tests/test_user_messages_catalogued.py`` checks it)."""


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
            raise BookingRefused(
                _(
                    'onewindow.toml [plugins.queue] opening_hours: %(span)s should be written as "09:00-12:00" '
                    "(%(error)s)",
                    span=repr(span),
                    error=exc,
                )
            ) from exc
    return spans


def bookable_days(today: dt.date | None = None) -> list[dt.date]:
    """Working days from tomorrow up to ``book_days_ahead`` days ahead (today's slots too,
    while some start later today)."""
    today = today or clock.today()
    calendar = get_calendar()
    ahead = int(service.settings()["book_days_ahead"])
    return [d for d in (today + dt.timedelta(days=n) for n in range(0, ahead + 1)) if calendar.is_workday(d)]


def _configured() -> list[tuple[dt.time, dt.time, int]]:
    """The slots of ``opening_hours`` cut into ``slot_minutes``, each of ``slot_capacity``."""
    rule = service.settings()
    length, capacity = dt.timedelta(minutes=int(rule["slot_minutes"])), int(rule["slot_capacity"])
    day = dt.date(2000, 1, 3)  # any day: only the times matter
    result = []
    for start, end in _hours():
        moment = dt.datetime.combine(day, start)
        while moment + length <= dt.datetime.combine(day, end):
            result.append((moment.time(), (moment + length).time(), capacity))
            moment += length
    return result


def _planned(condition) -> list[tuple[dt.time, dt.time, int]]:
    rows = db.session.execute(
        select(SlotPlan.starts, SlotPlan.ends, SlotPlan.capacity)
        .where(condition, SlotPlan.active.is_(True))
        .order_by(SlotPlan.starts)
    ).all()
    return [(r.starts, r.ends, r.capacity) for r in rows]


def plan(queue: Queue, item: Item | None = None) -> tuple[Item | None, list[tuple[dt.time, dt.time, int]]]:
    """Whose slots a booking uses, and them: ``(item, slots)`` when the item has slots of its
    own (counted per item), else ``(None, slots)`` of the queue's zone (counted per queue):
    the zone's own, or the configured opening hours when the admin defined none."""
    if item is not None and (own := _planned(SlotPlan.item_id == item.id)):
        return item, own
    return None, _planned(SlotPlan.zone_id == queue.zone_id) or _configured()


def items_with_slots(queue: Queue) -> list[Item]:
    """Items of the queue's zone (and its usual item) in force that have slots of their own:
    the booking page offers them next to the business."""
    return list(
        db.session.execute(
            select(Item)
            .where(
                or_(Item.zone_id == queue.zone_id, Item.id == (queue.item_id or 0)),
                Item.status == ItemStatus.active,
                select(SlotPlan.id).where(SlotPlan.item_id == Item.id, SlotPlan.active.is_(True)).exists(),
            )
            .order_by(Item.name)
        ).scalars()
    )


def bookable_item(queue: Queue, item_id: int | None) -> Item | None:
    """The item a booking is for (``None``: the business as a whole): one in force of the
    queue's zone, or the queue's usual item."""
    if not item_id:
        return None
    item = db.session.get(Item, item_id)
    offered = item is not None and item.status == ItemStatus.active and queue.zone_id in (item.zone_id, None)
    if not (offered or (item is not None and item.id == queue.item_id)):
        raise BookingRefused(
            _("Item %(item)s: not booked at %(queue)s; choose one of the items listed", item=item_id, queue=queue.name)
        )
    return item


def plan_problem(row: SlotPlan) -> str | None:
    """Why the admin's slot cannot be saved (in Chinese through the catalogue), or ``None``."""
    if (row.item is None and row.item_id is None) == (row.zone is None and row.zone_id is None):
        return _("Appointment slot: choose either an item or a zone (one of the two)")
    if row.starts is None or row.ends is None or row.starts >= row.ends:
        return _("Appointment slot: it must end after it starts (e.g. 09:00 to 09:30)")
    if not row.capacity or row.capacity < 1:
        return _("Appointment slot: the capacity is at least 1 person")
    return None


def slots(queue: Queue, day: dt.date, item: Item | None = None) -> list[Slot]:
    """The day's slots of a queue (or of one of its items) with the places left; none on a
    holiday or out of range."""
    if day not in bookable_days():
        return []
    owner, planned = plan(queue, item)
    if owner is not None:
        counted = select(ItemSlotBooking.starts, ItemSlotBooking.booked).where(
            ItemSlotBooking.item_id == owner.id, ItemSlotBooking.day == day
        )
    else:
        counted = select(SlotBooking.starts, SlotBooking.booked).where(
            SlotBooking.queue_id == queue.id, SlotBooking.day == day
        )
    booked = dict(db.session.execute(counted).all())
    now = clock.now()
    return [
        Slot(start, end, capacity, max(capacity - booked.get(start, 0), 0))
        for start, end, capacity in planned
        if dt.datetime.combine(day, start) > now
    ]


def _check_id(id_number: str) -> None:
    problem = resident_id_problem(id_number)
    if problem:
        raise BookingRefused(_("ID card number: %(problem)s", problem=problem))


def check_person(id_number: str, mobile: str) -> tuple[str, str]:
    id_number = (id_number or "").strip().upper()
    _check_id(id_number)
    mobile = (mobile or "").strip()
    if not (len(mobile) == 11 and mobile.isdigit() and mobile.startswith("1")):
        raise BookingRefused(
            _("Mobile number %(mobile)s: 11 digits starting with 1 expected; enter it again", mobile=repr(mobile))
        )
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
    service.write_first()
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


def _reserve(queue: Queue, day: dt.date, starts: dt.time, item: Item | None = None) -> tuple[Slot, Item | None]:
    """One place of the slot, counted on the item's own slots or the queue's; ``(slot, the
    item counted on or None)``."""
    owner, _planned_slots = plan(queue, item)
    slot = next((s for s in slots(queue, day, item) if s.starts == starts), None)
    if slot is None:
        raise BookingRefused(
            _(
                "Slot %(day)s %(start)s (%(queue)s): not a slot open for booking; choose one of the slots listed",
                day=day,
                start=f"{starts:%H:%M}",
                queue=owner.name if owner is not None else queue.name,
            )
        )
    if owner is not None:
        table, key = ItemSlotBooking.__table__, {"item_id": owner.id}
    else:
        table, key = SlotBooking.__table__, {"queue_id": queue.id}
    dialect = db.session.get_bind().dialect.name
    stmt = service.upsert(dialect)(table).values(**key, day=day, starts=starts, booked=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[next(iter(key))], table.c.day, table.c.starts],
        set_={"booked": table.c.booked + 1},
        where=table.c.booked < slot.capacity,
    ).returning(table.c.booked)
    if db.session.execute(stmt).scalar() is None:
        raise BookingRefused(
            _(
                "Slot %(day)s %(slot)s (%(queue)s): fully booked; choose another slot",
                day=day,
                slot=slot.label,
                queue=owner.name if owner is not None else queue.name,
            )
        )
    return slot, owner


def _release(appointment: Appointment) -> None:
    if appointment.item_id is not None:
        table, key = ItemSlotBooking, ItemSlotBooking.item_id == appointment.item_id
    else:
        table, key = SlotBooking, SlotBooking.queue_id == appointment.queue_id
    db.session.execute(
        update(table)
        .where(key, table.day == appointment.day, table.starts == appointment.starts, table.booked > 0)
        .values(booked=table.booked - 1)
    )


def _check_limits(id_number: str, day: dt.date, ignore: int | None = None) -> None:
    until = banned_until(id_number)
    if until is not None:
        raise BookingRefused(
            _(
                "ID card number %(id)s: too many missed appointments, no booking before %(until)s; "
                "take a ticket at the hall instead",
                id=mask_resident_id(id_number),
                until=until,
            )
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
        raise BookingRefused(
            _(
                "%(day)s: at most %(most)s appointment(s) per person and day, and you have one that day; "
                "change the one you have instead",
                day=day,
                most=most,
            )
        )


def book(
    queue_id: int,
    day: dt.date,
    starts: dt.time,
    id_number: str,
    mobile: str,
    channel: AppointmentChannel = AppointmentChannel.online,
    by: str = "",
    item_id: int | None = None,
) -> Appointment:
    """预约: one place of a slot for a person (for one item of the business: on the item's
    own slots when it has them); all or nothing."""
    id_number, mobile = check_person(id_number, mobile)
    service.write_first()
    if mark_no_shows():  # kept even when this booking is refused
        db.session.commit()
        service.write_first()
    queue = db.session.get(Queue, queue_id)
    if queue is None or not queue.active:
        raise BookingRefused(
            _("Queue %(queue)s: unknown or closed; choose one of the businesses listed", queue=queue_id)
        )
    try:
        _check_limits(id_number, day)
        slot, owner = _reserve(queue, day, starts, bookable_item(queue, item_id))
        now = clock.now()
        begins = dt.datetime.combine(day, slot.starts)
        appointment = Appointment(
            code=secrets.token_hex(4).upper(),
            queue=queue,
            item=owner,
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
        raise BookingRefused(
            _(
                "Appointment code %(code)s: unknown or booked with another ID card number; "
                "check the code in your text message",
                code=repr(code),
            )
        )
    return found


def _changeable(appointment: Appointment, doing: str) -> None:
    """``doing`` is ``"cancel"`` or ``"change"``: each refusal has its own catalogue entry."""
    code, state = appointment.code, appointment.state
    if state != AppointmentState.booked:
        if doing == "cancel":
            raise BookingRefused(_("Appointment %(code)s is %(state)s and cannot be cancelled", code=code, state=state))
        raise BookingRefused(_("Appointment %(code)s is %(state)s and cannot be changed", code=code, state=state))
    hours = int(service.settings()["change_deadline_hours"])
    if clock.now() > dt.datetime.combine(appointment.day, appointment.starts) - dt.timedelta(hours=hours):
        if doing == "cancel":
            raise BookingRefused(
                _(
                    "Appointment %(code)s: no cancelling within %(hours)s hours of its start; call the centre",
                    code=code,
                    hours=hours,
                )
            )
        raise BookingRefused(
            _(
                "Appointment %(code)s: no change within %(hours)s hours of its start; call the centre",
                code=code,
                hours=hours,
            )
        )


def cancel(appointment: Appointment) -> Appointment:
    """取消预约 until ``change_deadline_hours`` before the slot; the place is free again."""
    service.write_first()
    _changeable(appointment, "cancel")
    _release(appointment)
    appointment.state = AppointmentState.cancelled
    appointment.cancelled_at = clock.now()
    db.session.commit()
    return appointment


def change(appointment: Appointment, day: dt.date, starts: dt.time) -> Appointment:
    """改约: the new slot is reserved and the old one freed in one transaction."""
    service.write_first()
    _changeable(appointment, "change")
    try:
        _check_limits(appointment.id_number, day, ignore=appointment.id)
        slot, owner = _reserve(appointment.queue, day, starts, appointment.item)
        _release(appointment)
        appointment.item = owner  # the item's slots may have gone meanwhile: counted where it is now
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
    _check_id(id_number)
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
        raise BookingRefused(_("Check-in: you have no appointment today (or its slot is over); take a ticket instead"))
    appointment = today[0]
    if appointment.state == AppointmentState.checked_in and appointment.ticket is not None:
        return appointment.ticket
    early = dt.timedelta(minutes=int(service.settings()["checkin_early_minutes"]))
    opens = dt.datetime.combine(appointment.day, appointment.starts) - early
    if now < opens:
        raise BookingRefused(
            _(
                "Check-in: your slot starts at %(starts)s; check in from %(opens)s",
                starts=f"{appointment.starts:%H:%M}",
                opens=f"{opens:%H:%M}",
            )
        )
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
