"""Staff screens of the hall: the clerk's calling desk and the admin's queue settings.
Thin adapters over :mod:`.service`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import IntegerField, TimeField
from wtforms.validators import DataRequired, NumberRange

from onewindow import PermissionDenied, ValidationError, Window, clock, db
from onewindow_queue import appointments, service
from onewindow_queue.models import PriorityGroup, Queue, SlotPlan, TakenBy, Ticket

TEMPLATES = str(Path(__file__).resolve().parent / "templates")

LABELS = {
    "zone": _l("Zone"),
    "name": _l("Name"),
    "item": _l("Usual item"),
    "prefix": _l("Ticket prefix"),
    "windows": _l("Windows"),
    "active": _l("Active"),
    "rank": _l("Rank (1 is served first)"),
    "number": _l("Ticket"),
    "queue": _l("Queue"),
    "day": _l("Day"),
    "taken_by": _l("Taken by"),
    "masked_holder": _l("Holder"),
    "priority_group": _l("Priority group"),
    "state": _l("State"),
    "taken_at": _l("Taken at"),
    "called_at": _l("Called at"),
    "window": _l("Window"),
    "called_by": _l("Called by"),
    "calls": _l("Calls"),
    "finished_at": _l("Finished at"),
    "starts": _l("Starts"),
    "ends": _l("Ends"),
    "label": _l("Time"),
    "capacity": _l("Capacity"),
}


class QueueView(ModelView):
    datamodel = SQLAInterface(Queue)
    list_title = _l("Queues")
    show_title = add_title = edit_title = _l("Queue")
    label_columns = LABELS
    list_columns = ["prefix", "name", "zone", "item", "active"]
    show_columns = add_columns = edit_columns = ["zone", "name", "prefix", "item", "windows", "active"]
    base_order = ("prefix", "asc")


class PriorityGroupView(ModelView):
    datamodel = SQLAInterface(PriorityGroup)
    list_title = _l("Priority groups")
    show_title = add_title = edit_title = _l("Priority group")
    label_columns = LABELS
    list_columns = show_columns = add_columns = edit_columns = ["name", "rank", "active"]
    base_order = ("rank", "asc")


class SlotPlanView(ModelView):
    """预约时段: slots of every working day, per item or per zone, with their capacities."""

    datamodel = SQLAInterface(SlotPlan)
    list_title = _l("Appointment slots")
    show_title = add_title = edit_title = _l("Appointment slot")
    label_columns = LABELS
    list_columns = ["item", "zone", "label", "capacity", "active"]
    search_columns = ["item", "zone", "capacity", "active"]  # FAB has no search filter of a time
    show_columns = add_columns = edit_columns = ["item", "zone", "starts", "ends", "capacity", "active"]
    description_columns = {
        "item": _l("An item's own slots replace its zone's when it is booked for; leave empty for a zone's slots."),
        "zone": _l("Slots of every queue of the zone; leave empty for an item's slots."),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "starts": TimeField(_l("Starts"), format="%H:%M", validators=[DataRequired()], widget=BS3TextFieldWidget()),
        "ends": TimeField(_l("Ends"), format="%H:%M", validators=[DataRequired()], widget=BS3TextFieldWidget()),
        "capacity": IntegerField(_l("Capacity"), validators=[DataRequired(), NumberRange(min=1, max=999)]),
    }
    base_order = ("starts", "asc")

    def pre_add(self, item: SlotPlan) -> None:
        problem = appointments.plan_problem(item)
        if problem:
            raise ValidationError(problem)

    pre_update = pre_add


class TicketView(ModelView):
    """Today's and past tickets; the holder's number is shown masked."""

    datamodel = SQLAInterface(Ticket)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Tickets")
    show_title = _l("Ticket")
    label_columns = LABELS
    list_columns = ["number", "queue", "day", "state", "priority_group", "taken_at", "window"]
    show_columns = list_columns + ["taken_by", "masked_holder", "called_at", "called_by", "calls", "finished_at"]
    search_columns = ["number", "queue", "day", "state"]
    base_order = ("id", "desc")


def _my_window_ids() -> set[int]:
    return {w.id for w in getattr(g.user, "windows", [])}


class QueueDeskView(BaseView):
    """叫号台: only the windows the clerk is assigned to (staff ↔ window in the core)."""

    route_base = "/queue/desk"
    template_folder = TEMPLATES
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        mine = _my_window_ids()
        windows = db.session.execute(select(Window).where(Window.id.in_(mine or {0})).order_by(Window.code)).scalars()
        panels = []
        targets = db.session.execute(select(Queue).where(Queue.active.is_(True)).order_by(Queue.prefix)).scalars().all()
        calling_windows = sorted({w for q in targets for w in q.windows if w.active}, key=lambda w: w.code)
        for window in windows:
            queues = service.queues_of(window)
            if not queues:
                continue
            current = service.current(window)
            by_id = bool(current and current.taken_by == TakenBy.id_card and current.holder)
            panels.append(
                {
                    "window": window,
                    "queues": queues,
                    "waiting": service.waiting([q.id for q in queues], window_id=window.id),
                    "absent": service.absent_today([q.id for q in queues]),
                    "targets": targets,
                    "other_windows": [w for w in calling_windows if w.id != window.id],
                    "current": current,
                    "holder": current.masked_holder if current else "",
                    # A ticket taken by ID card: the clerk sees the person's open cases at the call.
                    "open_cases": service.open_cases_of(current.holder) if by_id else [],
                    "appointments": appointments.upcoming_of(current.holder) if by_id else [],
                    "paused": service.paused(window),
                }
            )
        return self.render_template("queue/desk.html", panels=panels, title=str(_l("Calling desk")))

    @expose("/act", methods=["POST"])
    @has_access
    def act(self):
        form = request.form
        try:
            window = service.window_for(_my_window_ids(), int(form.get("window_id") or 0))
        except PermissionDenied:
            abort(403)
        action = form.get("action")
        ticket_id = int(form.get("ticket_id") or 0)
        by = g.user.username
        try:
            if action == "call":
                called = service.call_next(window, by)
                flash(
                    str(_l("Called %(number)s", number=called.number)) if called else str(_l("Nobody is waiting")),
                    "info",
                )
            elif action == "recall":
                service.recall(window, ticket_id)
            elif action == "absent":
                service.mark_absent(window, ticket_id)
            elif action == "finish":
                service.finish(window, ticket_id)
            elif action == "return":
                service.return_absent(window, ticket_id)
            elif action == "transfer":
                target = form.get("target", "")
                kind, _sep, raw = target.partition(":")
                if kind not in ("queue", "window") or not raw.isdigit():
                    raise ValidationError("转号: 请选择一个目标队列或目标窗口")
                service.transfer(
                    window,
                    ticket_id,
                    to_queue_id=int(raw) if kind == "queue" else None,
                    to_window_id=int(raw) if kind == "window" else None,
                )
            elif action in ("pause", "resume"):
                service.set_paused(window, by, action == "pause")
            elif action == "accept":
                return redirect(_acceptance_url(service.start_serving(window, ticket_id)))
            else:
                raise ValidationError(f"操作 {action!r}: 未知操作；请使用叫号台上的按钮")
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("QueueDeskView.index"))


class QueueAppointmentView(BaseView):
    """电话预约: staff book for a caller (channel phone) and see the coming appointments."""

    route_base = "/queue/appointments"
    template_folder = TEMPLATES
    default_view = "index"

    def _page(self, error: str | None = None, booked=None):
        from onewindow_queue import appointments as appt
        from onewindow_queue.booking import chosen, slot_table
        from onewindow_queue.models import Appointment

        queue, items, item = chosen(request.values)
        coming = db.session.execute(
            select(Appointment)
            .where(Appointment.day >= clock.today(), Appointment.state.in_(appt.ACTIVE))
            .order_by(Appointment.day, Appointment.starts)
            .limit(200)
        ).scalars()
        return self.render_template(
            "queue/appointments.html",
            queues=db.session.execute(select(Queue).where(Queue.active.is_(True)).order_by(Queue.prefix))
            .scalars()
            .all(),
            queue=queue,
            items=items,
            item=item,
            table=slot_table(queue, item),
            coming=list(coming),
            form=request.values,
            error=error,
            booked=booked,
            kiosk=False,
            title=str(_l("Appointments")),
        )

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/book", methods=["POST"])
    @has_access
    def book(self):
        from onewindow_queue import appointments as appt
        from onewindow_queue.booking import parse_slot
        from onewindow_queue.models import AppointmentChannel

        form = request.form
        try:
            if not form.get("queue_id", "").isdigit():
                raise ValidationError(str(_l("Choose the business first.")))
            day, start = parse_slot(form.get("slot", ""))
            booked = appt.book(
                int(form["queue_id"]),
                day,
                start,
                form.get("id_number", ""),
                form.get("mobile", ""),
                AppointmentChannel.phone,
                by=g.user.username,
                item_id=int(form["item_id"]) if form.get("item_id", "").isdigit() else None,
            )
        except ValidationError as exc:
            db.session.rollback()
            return self._page(error=str(exc)), 400
        return self._page(booked=booked)


class QueueFiguresView(BaseView):
    """等候时长统计: per queue and day, taken / waiting / served / absent and average times."""

    route_base = "/queue/figures"
    template_folder = TEMPLATES
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        raw = request.args.get("day") or clock.today().isoformat()
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            flash(str(_l("Day %(day)s: write it as YYYY-MM-DD, e.g. 2026-12-02", day=raw)), "danger")
            day = clock.today()
        return self.render_template(
            "queue/figures.html", rows=service.figures(day), day=day, title=str(_l("Waiting-time figures"))
        )


def _acceptance_url(ticket: Ticket) -> str:
    """The workbench with the applicant filled in from the ticket (ID card or mobile)."""
    prefill = {}
    if ticket.taken_by == TakenBy.id_card and ticket.holder:
        prefill = {"applicant_type": "person", "applicant_id": ticket.holder}
    elif ticket.taken_by == TakenBy.mobile and ticket.holder:
        prefill = {"phone": ticket.holder}
    if ticket.window_id:
        prefill["window_id"] = str(ticket.window_id)
    if ticket.queue.item_id:
        base = url_for("WorkbenchView.new", item_id=ticket.queue.item_id)
    else:
        base = url_for("WorkbenchView.index")
    return base + ("?" + urlencode(prefill) if prefill else "")
