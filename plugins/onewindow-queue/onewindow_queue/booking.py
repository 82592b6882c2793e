"""The citizen's booking pages (no login): ``/queue/book`` to book a slot by ID card number and
mobile, ``/queue/book/manage`` to change or cancel it until the deadline. Also used by the
terminal (``?kiosk=1``: channel terminal). Thin adapters over :mod:`.appointments`."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from onewindow import ValidationError, db
from onewindow_queue import appointments as appt
from onewindow_queue.models import AppointmentChannel, Queue
from onewindow_queue.public import bp


def _queues() -> list[Queue]:
    return list(db.session.execute(select(Queue).where(Queue.active.is_(True)).order_by(Queue.prefix)).scalars())


def parse_slot(raw: str) -> tuple[dt.date, dt.time]:
    """``2026-12-02T09:00`` (the value of a slot button) as day and start."""
    day, _sep, start = (raw or "").partition("T")
    try:
        return dt.date.fromisoformat(day), dt.time.fromisoformat(start)
    except ValueError as exc:
        raise appt.BookingRefused(_("Slot: tap one of the slots listed on the page")) from exc


def slot_table(queue: Queue | None, item=None) -> list[tuple[dt.date, list[appt.Slot]]]:
    if queue is None:
        return []
    return [(day, slots) for day in appt.bookable_days() if (slots := appt.slots(queue, day, item))]


def chosen(form) -> tuple[Queue | None, list, object]:
    """The active queue the form names, the items it offers with their own slots, and the
    item chosen among them (``None``: the business as a whole)."""
    raw = form.get("queue_id", "")
    queue = db.session.get(Queue, int(raw)) if raw.isdigit() else None
    if queue is None or not queue.active:
        return None, [], None
    items = appt.items_with_slots(queue)
    raw_item = form.get("item_id", "")
    return queue, items, next((i for i in items if raw_item.isdigit() and i.id == int(raw_item)), None)


def _page(template: str, status: int = 200, **context):
    form = request.values
    queue, items, item = chosen(form)
    return render_template(
        template,
        queues=_queues(),
        queue=queue,
        items=items,
        item=item,
        table=slot_table(queue, item),
        form=form,
        kiosk=bool(form.get("kiosk")),
        **context,
    ), status


@bp.get("/book")
def book_page():
    return _page("queue/book.html")


@bp.post("/book")
def book():
    form = request.form
    try:
        if not form.get("queue_id", "").isdigit():
            raise ValidationError(_("Choose the business first."))
        day, start = parse_slot(form.get("slot", ""))
        channel = AppointmentChannel.terminal if form.get("kiosk") else AppointmentChannel.online
        item_id = form.get("item_id", "")
        booked = appt.book(
            int(form["queue_id"]),
            day,
            start,
            form.get("id_number", ""),
            form.get("mobile", ""),
            channel,
            item_id=int(item_id) if item_id.isdigit() else None,
        )
    except ValidationError as exc:
        db.session.rollback()
        return _page("queue/book.html", 400, error=str(exc))
    return _page("queue/book.html", booked=booked)


@bp.route("/book/manage", methods=["GET", "POST"])
def manage():
    """改约 / 取消: the appointment found by its code and the ID number it was booked with."""
    form = request.values
    if not form.get("code"):
        return _page("queue/manage.html")
    try:
        found = appt.find(form.get("code", ""), form.get("id_number", ""))
        message = None
        if request.method == "POST" and form.get("action") == "cancel":
            appt.cancel(found)
            message = _("The appointment is cancelled.")
        elif request.method == "POST" and form.get("action") == "change":
            day, start = parse_slot(form.get("slot", ""))
            appt.change(found, day, start)
            message = _("The appointment is changed.")
    except ValidationError as exc:
        db.session.rollback()
        return _page("queue/manage.html", 400, error=str(exc))
    table = slot_table(found.queue, found.item)
    return render_template("queue/manage.html", found=found, table=table, form=form, message=message, kiosk=False)
