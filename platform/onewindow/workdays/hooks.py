"""Hook implementations of the workdays core part (registered by app.CORE_PARTS)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

import onewindow.workdays.models  # noqa: F401  (tables on FAB's metadata for the schema check)
from onewindow.plugins import hookimpl

CALENDAR = "Calendar"
MENU = {"category": CALENDAR, "category_label": _l("Working-day calendar"), "icon": "fa-calendar"}


@hookimpl
def register_views(register):
    from onewindow.workdays.views import CalendarDayView, CalendarImportView, CalendarYearView

    register(CalendarYearView, name="Arrangement years", label=_l("Holiday arrangements by year"), **MENU)
    register(CalendarDayView, name="Arrangement dates", label=_l("Holiday arrangement dates"), **MENU)
    register(CalendarImportView, name="Import arrangement", label=_l("Import a holiday arrangement"), **MENU)


@hookimpl
def register_permissions(register):
    # Supervisors (电子监察) check the clock the deadlines run on; only the admin changes it.
    read = [
        (perm, view)
        for view in ("CalendarYearView", "CalendarDayView")
        for perm in ("can_list", "can_show", "can_get", "can_info")
    ]
    menus = [("menu_access", m) for m in (CALENDAR, "Arrangement years", "Arrangement dates")]
    register("supervisor", read + menus)


@hookimpl
def register_commands(register):
    from onewindow.workdays.cli import calendar

    register(calendar)


@hookimpl
def app_ready(app):
    from onewindow.workdays.views import format_due_date

    # {{ case.due_date|ow_due_date(case.due_confirmed) }} flags unconfirmed due dates.
    app.add_template_filter(format_due_date, "ow_due_date")
