"""Hall operations plugin (大厅管理), key ``queue``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``queue``.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from onewindow import can, hookimpl, menu, read
from onewindow_queue import (
    models,  # noqa: F401  (tables on FAB's metadata)
    service,
)

KEY = "queue"
CATEGORY = "Hall"
HERE = Path(__file__).resolve().parent
DESK_ROLES = ("acceptor", "chief_rep", "output_clerk")

#: ``[plugins.queue]`` in onewindow.toml.
CONFIG_DEFAULTS = {
    "absent_return_minutes": 30,  # 过号 tickets may come back within this many minutes (0: never)
    "absent_returns_max": 1,  # how often one ticket may come back
    "absent_return_behind": 3,  # it waits again behind this many of those waiting (0: its old place)
    "pad_minutes": 10,  # the rating pad asks about a ticket served at most this long ago
    "pad_reasons": [  # reasons offered with a bad rating (GB/T 39734 差评 categories)
        "等候时间过长",
        "服务态度不好",
        "业务不熟练、解释不清楚",
        "要求提交的材料过多",
        "办事指南不清晰",
        "需要多次跑动",
        "其他",
    ],
    # 预约办理
    "opening_hours": ["09:00-12:00", "13:30-17:00"],  # on working days of the platform's calendar
    "slot_minutes": 30,
    "slot_capacity": 4,  # appointments per slot and queue
    "book_days_ahead": 7,  # calendar days ahead one may book
    "change_deadline_hours": 2,  # change or cancel until this long before the slot starts
    "per_person_per_day": 1,  # active appointments of one ID number per day
    "no_show_limit": 3,  # this many no-shows within no_show_window_days …
    "no_show_window_days": 180,
    "no_show_ban_days": 30,  # … bar booking for this many days after the last one
    "reminder_hours": 24,  # the reminder is due this long before the slot
    "checkin_early_minutes": 30,  # check-in opens this long before the slot; it closes at the slot's end
    "appointment_group": "预约办理",  # the priority group of check-in tickets (its rank is the rule)
}


@hookimpl
def register_config(register):
    register(KEY, dict(CONFIG_DEFAULTS))


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def install_pack(pack, session):
    # Queues follow the zones and windows the pack installs; the admin refines them.
    service.seed_queues(session)


@hookimpl
def register_views(register):
    from onewindow_queue.views import (
        PriorityGroupView,
        QueueAppointmentView,
        QueueDeskView,
        QueueFiguresView,
        QueueView,
        SlotPlanView,
        TicketView,
    )

    menu_ = {"category": CATEGORY, "category_label": _l("Hall"), "icon": "fa-ticket"}
    register(QueueDeskView, name="Calling desk", label=_l("Calling desk"), **menu_)
    register(TicketView, name="Tickets", label=_l("Tickets"), **menu_)
    register(QueueAppointmentView, name="Appointments", label=_l("Appointments"), **menu_)
    register(QueueFiguresView, name="Waiting-time figures", label=_l("Waiting-time figures"), **menu_)
    register(QueueView, name="Queues", label=_l("Queues"), **menu_)
    register(PriorityGroupView, name="Priority groups", label=_l("Priority groups"), **menu_)
    register(SlotPlanView, name="Appointment slots", label=_l("Appointment slots"), **menu_)


@hookimpl
def register_permissions(register):
    desk = (
        can("QueueDeskView", "index", "act")
        + can("QueueAppointmentView", "index", "book")
        + read("TicketView")
        + menu(CATEGORY, "Calling desk", "Tickets", "Appointments")
    )
    for role in DESK_ROLES:
        register(role, desk)
    register(
        "supervisor",
        read("TicketView", "QueueView", "PriorityGroupView")
        + can("QueueFiguresView", "index")
        + menu(CATEGORY, "Tickets", "Queues", "Waiting-time figures"),
    )


@hookimpl
def register_jobs(register):
    register("queue.no_shows", "onewindow_queue.appointments:no_show_job", trigger="cron", minute=5)
    register("queue.reminders", "onewindow_queue.appointments:reminder_job", trigger="cron", minute="*/10")


@hookimpl
def case_transition(case, event):
    # The case records its ticket: the one its clerk is serving at its window when the case
    # begins (its first event); later transitions at that window serve other people.
    if event.seq == 1:
        service.link_case(case, event.actor)


@hookimpl
def dashboard_sections(start, end):
    from flask import render_template
    from markupsafe import Markup

    from onewindow_queue import figures

    html = render_template("queue/dashboard_section.html", f=figures.period(start, end))
    return [(_l("Hall: waiting and service times"), Markup(html))]


@hookimpl
def app_ready(app):
    from onewindow_queue import booking  # noqa: F401  (the booking pages on the same blueprint)
    from onewindow_queue.public import THROTTLED, bp

    app.register_blueprint(bp)
    # The terminal's lookups count with the public progress and licence pages (per address).
    limiter = app.extensions["appbuilder"].sm.limiter
    rate = app.extensions["onewindow"].settings["PUBLIC_LOOKUP_RATE_LIMIT"]
    for endpoint, scope in THROTTLED.items():
        app.view_functions[endpoint] = limiter.shared_limit(rate, scope=scope, methods=["POST"])(
            app.view_functions[endpoint]
        )
