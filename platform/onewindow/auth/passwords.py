"""The password policy (密码策略), applied on every path that sets a password.

A password has at least ``PASSWORD_MIN_LENGTH`` (10) characters, is not one of the
common passwords shipped in ``common_passwords.txt`` (compared case-insensitively), is
not one character repeated, and neither equals nor contains the user name. The paths:
Flask-AppBuilder's add-user and reset-password screens (``FAB_PASSWORD_COMPLEXITY_VALIDATOR``
is :func:`fab_password_validator`), ``onewindow user create`` and every caller of
``create_staff``, and the security manager's ``add_user`` / ``reset_password`` that any
API or plugin goes through.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app, g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

from onewindow.errors import ValidationError

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
DEFAULT_MIN_LENGTH = 10
#: User names shorter than this are not searched for inside passwords ("li" is in too many words).
MIN_NAME_IN_PASSWORD = 3


class WeakPassword(ValidationError):
    """The password breaks the policy; the message says which rule and how to fix it."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _min_length() -> int:
    try:
        return int(current_app.extensions["onewindow"].settings["PASSWORD_MIN_LENGTH"])
    except (RuntimeError, KeyError):
        return DEFAULT_MIN_LENGTH


def password_problem(password: str, username: str | None = None) -> str | None:
    """The first rule ``password`` breaks, as a Chinese sentence; None when it is acceptable."""
    password = password or ""
    minimum = _min_length()
    if len(password) < minimum:
        return _(
            "The password must have at least %(minimum)d characters (it has %(length)d).",
            minimum=minimum,
            length=len(password),
        )
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) == 1:
        return _("This password is one of the most common passwords; choose one that is harder to guess.")
    name = (username or "").strip().lower()
    if name and (lowered == name or (len(name) >= MIN_NAME_IN_PASSWORD and name in lowered)):
        return _("The password must not be or contain the user name.")
    return None


def check_password(password: str, username: str | None = None) -> None:
    """Raise :class:`WeakPassword` when ``password`` breaks the policy."""
    problem = password_problem(password, username)
    if problem:
        raise WeakPassword(problem)


def _username_of_request() -> str | None:
    """The user whose password a Flask-AppBuilder form is setting.

    FAB hands its validator the password only: the add-user form carries the user
    name, the admin's reset-password screen the user's id (``pk``), and the
    reset-my-password screen belongs to the signed-in user.
    """
    if not has_request_context():
        return None
    if request.form.get("username"):
        return request.form["username"]
    sm = current_app.extensions["appbuilder"].sm
    pk = request.args.get("pk")
    if pk and pk.isdigit():
        user = sm.get_user_by_id(int(pk))
        return user.username if user else None
    user = getattr(g, "user", None)
    return getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None


def fab_password_validator(password: str) -> None:
    """``FAB_PASSWORD_COMPLEXITY_VALIDATOR``: the policy on FAB's password forms."""
    problem = password_problem(password, _username_of_request())
    if problem:
        raise PasswordComplexityValidationError(problem)
