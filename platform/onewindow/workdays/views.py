"""Admin screens of the working-day calendar: arrangement years, dates, and JSON import.

Every change made here is committed by Flask-AppBuilder and then announced through
``calendar_changed`` so the case engine recomputes the due dates of open cases.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import flash, g
from flask_appbuilder import ModelView, SimpleFormView
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from sqlalchemy import inspect as sa_inspect
from wtforms import BooleanField
from wtforms.validators import ValidationError as FormError

from onewindow.workdays.models import CalendarDay, CalendarYear, _now, year_problem
from onewindow.workdays.store import notify_calendar_changed

_G_YEARS = "ow_calendar_years_changing"


def format_due_date(due: dt.date | None, confirmed: bool = True) -> Markup:
    """A due date for screens; unconfirmed ones carry a visible flag (template filter ``ow_due_date``)."""
    if due is None:
        return Markup("")
    text = escape(due.isoformat())
    if confirmed:
        return Markup(text)
    title = escape(_l("Counted with weekends only: the holiday arrangement of that year has not been entered"))
    label = escape(_l("unconfirmed"))
    return Markup(f'{text} <span class="label label-warning ow-unconfirmed" title="{title}">{label}</span>')


def _year_in_range(_form, field):
    value = field.data.year if isinstance(field.data, dt.date) else field.data
    if value is not None and (problem := year_problem(value)):
        raise FormError(problem)


def _confirmed_needs_source(form, field):
    if form.confirmed.data and not (field.data or "").strip():
        raise FormError(_l("A confirmed year names the notice it comes from"))


class _AnnouncesChanges:
    """Collect the years an edit touches (old and new values) and announce them after the commit."""

    def _year_of(self, item):
        raise NotImplementedError

    def _remember(self, item) -> None:
        years = g.setdefault(_G_YEARS, set())
        state = sa_inspect(item)
        for attr in ("date", "year"):
            if attr in state.attrs:
                for old in state.attrs[attr].history.deleted or ():
                    years.add(old.year if isinstance(old, dt.date) else old)
        if self._year_of(item) is not None:
            years.add(self._year_of(item))

    def _announce(self) -> None:
        notify_calendar_changed(g.pop(_G_YEARS, set()))

    def pre_update(self, item):
        self._remember(item)

    def pre_delete(self, item):
        self._remember(item)

    def post_add(self, item):
        g.pop(_G_YEARS, None)
        notify_calendar_changed([self._year_of(item)])

    def post_update(self, item):
        self._announce()

    def post_delete(self, item):
        self._announce()


class CalendarYearView(_AnnouncesChanges, ModelView):
    datamodel = SQLAInterface(CalendarYear)
    list_title = _l("Holiday arrangements by year")
    show_title = add_title = edit_title = _l("Holiday arrangement year")
    list_columns = ["year", "confirmed", "source", "entered_by", "entered_at"]
    show_columns = list_columns
    add_columns = edit_columns = ["year", "confirmed", "source"]
    base_order = ("year", "desc")
    label_columns = {
        "year": _l("Year"),
        "confirmed": _l("Confirmed"),
        "source": _l("Official notice"),
        "entered_by": _l("Entered by"),
        "entered_at": _l("Entered at"),
    }
    description_columns = {"source": _l("e.g. 国务院办公厅关于2027年部分节假日安排的通知")}
    # FAB makes a NOT NULL boolean "required", so an unticked box would be refused.
    add_form_extra_fields = edit_form_extra_fields = {
        "confirmed": BooleanField(
            _l("Confirmed"),
            default=False,
            description=_l(
                "Tick once the State Council's arrangement for the year has been entered as dates; "
                "until then due dates in this year are counted with weekends only and flagged"
            ),
        )
    }
    validators_columns = {"year": [_year_in_range], "source": [_confirmed_needs_source]}

    def _year_of(self, item):
        return item.year

    def pre_add(self, item):
        item.entered_by, item.entered_at = getattr(g.user, "username", None), _now()

    def pre_update(self, item):
        super().pre_update(item)
        item.entered_by, item.entered_at = getattr(g.user, "username", None), _now()


class CalendarDayView(_AnnouncesChanges, ModelView):
    datamodel = SQLAInterface(CalendarDay)
    list_title = _l("Holiday arrangement dates")
    show_title = add_title = edit_title = _l("Holiday arrangement date")
    list_columns = ["date", "weekday", "is_workday", "note"]
    show_columns = ["date", "is_workday", "note"]
    add_columns = edit_columns = ["date", "is_workday", "note"]
    search_columns = ["date", "is_workday", "note"]
    base_order = ("date", "desc")
    label_columns = {
        "date": _l("Date"),
        "weekday": _l("Weekday"),
        "is_workday": _l("Working day"),
        "note": _l("Note"),
    }
    description_columns = {"note": _l("The holiday, e.g. 春节, or 调休上班")}
    add_form_extra_fields = edit_form_extra_fields = {
        "is_workday": BooleanField(
            _l("Working day"),
            default=False,
            description=_l(
                "Ticked: a make-up working day (调休上班); not ticked: a holiday. "
                "This date overrides the built-in calendar"
            ),
        )
    }
    validators_columns = {"date": [_year_in_range]}

    def _year_of(self, item):
        return item.date.year if item.date else None


class ArrangementUploadForm(DynamicForm):
    file = FileField(
        _l("Arrangement file (JSON)"),
        validators=[FileRequired()],
        description=_l(
            '{"year": 2027, "source": "…", "holidays": [["2027-01-01", "2027-01-03", "元旦"]], '
            '"workdays": [["2027-02-07", "调休上班"]]}'
        ),
    )


class CalendarImportView(SimpleFormView):
    """Upload an official arrangement; all or nothing, with every problem listed."""

    form = ArrangementUploadForm
    form_title = _l("Import a holiday arrangement")

    def form_post(self, form):
        from onewindow.workdays.arrangement import ArrangementError, import_arrangement

        upload = form.file.data
        name = upload.filename or "upload.json"
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            flash(f"{name}: {_l('not a UTF-8 JSON file')}: {exc}", "danger")
            return None
        try:
            result = import_arrangement(data, getattr(g.user, "username", "?"), where=name)
        except ArrangementError as exc:
            flash(f"{name}: {len(exc.problems)} {_l('problem(s), nothing was imported')}", "danger")
            for problem in exc.problems:
                flash(problem, "danger")
            return None
        flash(result.summary(), "success")
        for warning in result.warnings:
            flash(warning, "warning")
        return None
