"""Who the citizen is: :func:`current_citizen` and the :func:`citizen_required` view decorator.

A citizen's login lives in the Flask session under its own key (``hall_citizen``), apart
from the staff login (Flask-AppBuilder / Flask-Login): logging in to the hall never makes
anyone a staff user, and a staff login is not a citizen login.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable, Optional, TypeVar, cast

from flask import g, redirect, request, session, url_for

from onewindow import db
from onewindow_hall.models import Citizen, CitizenKind
from onewindow_hall.settings import setting

SESSION_KEY = "hall_citizen"

F = TypeVar("F", bound=Callable[..., Any])


def _idle_seconds() -> int:
    """A citizen session ends after ``[plugins.hall] session_idle_minutes`` without a request."""
    return int(setting("session_idle_minutes")) * 60


def log_in(citizen: Citizen) -> None:
    """Start the citizen's session (a fresh one: no staff or earlier citizen state carries over)."""
    session.pop(SESSION_KEY, None)
    session[SESSION_KEY] = {"id": citizen.id, "at": int(time.time())}
    g.pop("hall_citizen", None)


def log_out() -> None:
    session.pop(SESSION_KEY, None)
    g.pop("hall_citizen", None)


def current_citizen() -> Optional[Citizen]:
    """The person account logged in to the hall in this request, or None.

    None as well when the session has been idle too long or the account was deactivated.
    """
    if "hall_citizen" in g:
        return cast(Optional[Citizen], g.hall_citizen)
    citizen = None
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and isinstance(data.get("id"), int):
        now = int(time.time())
        if now - int(data.get("at") or 0) <= _idle_seconds():
            found = db.session.get(Citizen, data["id"])
            if found is not None and found.active and found.kind == CitizenKind.person:
                citizen = found
                if now - int(data["at"]) > 60:  # refresh the idle clock at most once a minute
                    session[SESSION_KEY] = {"id": found.id, "at": now}
        if citizen is None:
            session.pop(SESSION_KEY, None)
    g.hall_citizen = citizen
    return citizen


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def citizen_required(view: F) -> F:
    """Let only a logged-in citizen through; others go to the hall login with ``next=`` this page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_citizen() is None:
            path = request.full_path if request.query_string else request.path
            return redirect(url_for("hall.login", next=path))
        return view(*args, **kwargs)

    return cast(F, wrapper)
