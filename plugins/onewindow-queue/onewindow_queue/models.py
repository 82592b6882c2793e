"""The hall's queues kept by the plugin ``queue`` (tables ``queue_…``): queues per zone and
business type, priority groups, the per-queue daily counter and the tickets."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Table, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Item, LabelledEnum, Model, Window, Zone, enum_column

queue_window = Table(
    "queue_queue_window",
    Model.metadata,
    Column("queue_id", Integer, ForeignKey("queue_queue.id", ondelete="CASCADE"), primary_key=True),
    Column("window_id", Integer, ForeignKey("ow_window.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(Model):
    """排队队列: one per zone and business type; its windows call from it."""

    __tablename__ = "queue_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("ow_zone.id"), nullable=False, index=True)
    zone: Mapped[Zone] = relationship()
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # business type shown at the terminal
    #: The item a ticket of this queue is usually for (start acceptance opens its form).
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_item.id"))
    item: Mapped[Optional[Item]] = relationship()
    prefix: Mapped[str] = mapped_column(String(4), nullable=False, unique=True)  # ticket A001 …
    windows: Mapped[list[Window]] = relationship(secondary=queue_window)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"{self.prefix} {self.name}"


class PriorityGroup(Model):
    """优先群体 (老年人, 残疾人, 现役军人 …): served before ordinary tickets, lower rank first."""

    __tablename__ = "queue_priority_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    rank: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class Counter(Model):
    """The last number handed out by a queue on a day: one row, updated atomically per take."""

    __tablename__ = "queue_counter"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queue_queue.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False)


class TakenBy(LabelledEnum):
    anonymous = _l("Anonymous")
    mobile = _l("Mobile number")
    id_card = _l("ID card number")


class TicketState(LabelledEnum):
    waiting = _l("Waiting")
    called = _l("Called")
    absent = _l("Absent (missed call)")
    serving = _l("Being served")
    done = _l("Served")


class Ticket(Model):
    """排队号: its number is unique per queue and day; ``token`` makes a terminal's retry safe."""

    __tablename__ = "queue_ticket"
    __table_args__ = (UniqueConstraint("queue_id", "day", "seq", name="uq_queue_ticket_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue_queue.id"), nullable=False, index=True)
    queue: Mapped[Queue] = relationship(foreign_keys=[queue_id])
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(8), nullable=False)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    taken_by: Mapped[TakenBy] = mapped_column(enum_column(TakenBy), nullable=False)
    holder: Mapped[Optional[str]] = mapped_column(String(18))  # mobile or ID card number
    priority_group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queue_priority_group.id"))
    priority_group: Mapped[Optional[PriorityGroup]] = relationship()
    state: Mapped[TicketState] = mapped_column(enum_column(TicketState), nullable=False, index=True)
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    called_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    window_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_window.id"))
    window: Mapped[Optional[Window]] = relationship(foreign_keys=[window_id])
    called_by: Mapped[Optional[str]] = mapped_column(String(128))
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    #: Its place in line: the take time, moved back when it returns after 过号; a transfer keeps it.
    queued_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    absent_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    returns: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    #: 转号: the queue or the one window that calls it now (its number stays that of ``queue``).
    to_queue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queue_queue.id"))
    to_queue: Mapped[Optional[Queue]] = relationship(foreign_keys=[to_queue_id])
    to_window_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_window.id"))
    to_window: Mapped[Optional[Window]] = relationship(foreign_keys=[to_window_id])

    @property
    def serving_queue_id(self) -> int:
        return self.to_queue_id or self.queue_id

    @property
    def masked_holder(self) -> str:
        """The holder as lists show it (house rule: identifiers masked)."""
        value = self.holder or ""
        if not value:
            return ""
        if self.taken_by == TakenBy.mobile:
            return value[:3] + "****" + value[-4:]
        return value[:6] + "*" * (len(value) - 10) + value[-4:]

    def __repr__(self) -> str:
        return self.number


class WindowPause(Model):
    """A paused window (暂停服务) calls no tickets until the clerk resumes it."""

    __tablename__ = "queue_window_pause"

    window_id: Mapped[int] = mapped_column(ForeignKey("ow_window.id", ondelete="CASCADE"), primary_key=True)
    paused_by: Mapped[str] = mapped_column(String(128), nullable=False)
    paused_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class TicketCase(Model):
    """The case a ticket led to (受理 started from a called ticket): one ticket, several cases
    possible (several items at one visit); a case has at most one ticket."""

    __tablename__ = "queue_ticket_case"

    case_id: Mapped[int] = mapped_column(ForeignKey("ow_case.id", ondelete="CASCADE"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("queue_ticket.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ticket: Mapped[Ticket] = relationship()
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class AppointmentState(LabelledEnum):
    booked = _l("Booked")
    cancelled = _l("Cancelled")
    checked_in = _l("Checked in")
    no_show = _l("No-show")


class AppointmentChannel(LabelledEnum):
    online = _l("Online")
    phone = _l("By phone (staff)")
    terminal = _l("At the terminal")


class SlotBooking(Model):
    """How many appointments a slot (queue, day, start) holds: raised only while below the
    capacity, in one conditional statement, so concurrent bookings never overfill it."""

    __tablename__ = "queue_slot_booking"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queue_queue.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    starts: Mapped[dt.time] = mapped_column(Time, primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, nullable=False)


class SlotPlan(Model):
    """预约时段 defined by the admin: a slot of every working day with its capacity, for one
    item (事项) or for one zone (服务区: each of its queues). An item's own slots replace its
    zone's; a zone without any takes ``opening_hours``/``slot_minutes``/``slot_capacity``."""

    __tablename__ = "queue_slot_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_zone.id", ondelete="CASCADE"), index=True)
    zone: Mapped[Optional[Zone]] = relationship()
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_item.id", ondelete="CASCADE"), index=True)
    item: Mapped[Optional[Item]] = relationship()
    starts: Mapped[dt.time] = mapped_column(Time, nullable=False)
    ends: Mapped[dt.time] = mapped_column(Time, nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    @property
    def label(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"

    def __repr__(self) -> str:
        return f"{self.item or self.zone} {self.label}"


class ItemSlotBooking(Model):
    """How many appointments an item's own slot (item, day, start) holds; as :class:`SlotBooking`."""

    __tablename__ = "queue_item_slot_booking"

    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    starts: Mapped[dt.time] = mapped_column(Time, primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, nullable=False)


class Appointment(Model):
    """预约办理: a slot of a queue booked by a person (ID card number + mobile)."""

    __tablename__ = "queue_appointment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), nullable=False, unique=True)  # 预约号 told to the citizen
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue_queue.id"), nullable=False)
    queue: Mapped[Queue] = relationship()
    #: Booked for this item on the item's own slots (counted in ``queue_item_slot_booking``).
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_item.id"))
    item: Mapped[Optional[Item]] = relationship()
    day: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    starts: Mapped[dt.time] = mapped_column(Time, nullable=False)
    ends: Mapped[dt.time] = mapped_column(Time, nullable=False)
    id_number: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    mobile: Mapped[str] = mapped_column(String(11), nullable=False)
    state: Mapped[AppointmentState] = mapped_column(enum_column(AppointmentState), nullable=False, index=True)
    channel: Mapped[AppointmentChannel] = mapped_column(enum_column(AppointmentChannel), nullable=False)
    booked_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    booked_by: Mapped[str] = mapped_column(String(128), nullable=False)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    checked_in_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queue_ticket.id"))
    ticket: Mapped[Optional[Ticket]] = relationship()
    #: When the reminder is due, and when the job ``queue.reminders`` sent it (cleared by a change of time).
    remind_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    reminded_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    @property
    def masked_id(self) -> str:
        return self.id_number[:6] + "*" * 8 + self.id_number[-4:]

    def __repr__(self) -> str:
        return self.code
