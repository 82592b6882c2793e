"""How values appear on screens: one filter for every FAB list and show page.

``ow_display`` turns booleans into 是/否, ``None`` into an empty cell and timestamps into
the centre's local time (the ``TIMEZONE`` setting, default Asia/Shanghai) to the minute.
Stored timestamps are naive times of that zone (``onewindow.clock``); timezone-aware ones
are converted. Flask-AppBuilder stamps its own columns (``created_on``, ``changed_on``,
``last_login``) with the server's naive local time: ``server_time`` converts those.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from onewindow.cases.clock import zone


def local_time(value: dt.datetime) -> str:
    """A timestamp as the centre reads it: in the configured zone, to the minute."""
    if value.tzinfo is not None:
        value = value.astimezone(zone()).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M")


def server_time(value: dt.datetime | None) -> str:
    """A naive timestamp of the server's own zone (Flask-AppBuilder's ``datetime.now()``
    columns) shown in the centre's zone; FAB formatter for those columns."""
    if value is None:
        return ""
    return local_time(value if value.tzinfo is not None else value.astimezone())


def display(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) and "label" in v for v in value):
        # form field definitions (items, licence types): the labels a clerk reads, with their keys
        return "、".join(f"{v['label']}（{v['name']}）" if v.get("name") else str(v["label"]) for v in value)
    return value


#: Chinese titles of the error pages a browser can meet (the API answers JSON instead).
ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("You may not open this page"),
    404: _l("No such page or record"),
    405: _l("This address does not accept this method"),
    500: _l("Internal error"),
}


def error_page(exc: HTTPException):
    """A Chinese page for an HTTP error of a screen; the status code is kept."""
    code = exc.code or 500
    title = str(ERROR_TITLES.get(code) or gettext("Request failed"))
    return render_template("onewindow/error.html", code=code, title=title, path=request.path), code


def init_app(app: Flask) -> None:
    app.jinja_env.filters["ow_display"] = display
    app.jinja_env.filters["ow_time"] = local_time
