"""Account lockout after repeated failed logins (登录失败锁定), for every login path.

Every login path asks :func:`guarded_login` to run its own credential check: the staff
login screen and ``POST /api/v1/security/login`` (both through the security manager's
``auth_user_db``), and later the citizens' logins and one-time codes, each under its own
``kind``. After ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_FAILURE_WINDOW_MINUTES``
the account is locked for ``LOGIN_LOCKOUT_MINUTES``: while locked, even the right
password is refused with :class:`LoginLocked`, whose message names the wait.

The counters live in the database (``ow_login_lockout``, one row per kind and login
name), so every process of a deployment shares them; the admin sees them on the
“登录锁定” screen and lifts a lockout there (:func:`lift`). Unknown login names are
counted like real ones, so a lockout never tells whether an account exists.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Callable, Optional, TypeVar

from flask import current_app, has_request_context, request
from flask_appbuilder import Model
from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, String, UniqueConstraint, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.errors import OneWindowError

T = TypeVar("T")
STAFF = "staff"
IDENTIFIER_MAX = 255


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class LoginLockout(Model):
    """登录失败记录: failed logins of one login name within the window, and its lockout."""

    __tablename__ = "ow_login_lockout"
    __table_args__ = (UniqueConstraint("kind", "identifier", name="uq_ow_login_lockout_kind_identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    identifier: Mapped[str] = mapped_column(String(IDENTIFIER_MAX), nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    last_failure_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    last_address: Mapped[Optional[str]] = mapped_column(String(64))
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    lockouts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lifted_by: Mapped[Optional[str]] = mapped_column(String(128))
    lifted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"{self.kind}:{self.identifier}"

    # Shown on the admin's screen, in Beijing time.
    @property
    def status(self) -> str:
        return str(_("Locked") if self.is_locked() else _("Not locked"))

    @property
    def locked_until_local(self) -> str:
        return _beijing(self.locked_until)

    @property
    def last_failure_local(self) -> str:
        return _beijing(self.last_failure_at)

    @property
    def lifted_at_local(self) -> str:
        return _beijing(self.lifted_at)


def _beijing(value: dt.datetime | None) -> str:
    from onewindow.display import local_time

    if value is None:
        return ""
    return local_time(value.replace(tzinfo=dt.timezone.utc))


class LoginLocked(OneWindowError):
    """The account is locked; ``minutes`` is the wait, rounded up."""

    def __init__(self, minutes: int):
        self.minutes = max(1, minutes)
        super().__init__(_("Too many failed logins; try again in %(minutes)d minutes.", minutes=self.minutes))


def _setting(key: str) -> int:
    return int(current_app.extensions["onewindow"].settings[key])


def _session():
    from onewindow.app import db

    return db.session


def _normalise(identifier: str | None) -> str:
    return (identifier or "").strip().lower()[:IDENTIFIER_MAX]


def _address() -> str | None:
    return (request.remote_addr or "")[:64] if has_request_context() else None


def _row(kind: str, identifier: str) -> LoginLockout | None:
    return (
        _session()
        .execute(select(LoginLockout).where(LoginLockout.kind == kind, LoginLockout.identifier == identifier))
        .scalar_one_or_none()
    )


def _wait_minutes(until: dt.datetime, now: dt.datetime) -> int:
    return math.ceil((until - now).total_seconds() / 60)


def check_not_locked(kind: str, identifier: str | None) -> None:
    """Raise :class:`LoginLocked` if ``identifier`` of ``kind`` is locked now."""
    row = _row(kind, _normalise(identifier))
    now = utcnow()
    if row is not None and row.is_locked(now):
        raise LoginLocked(_wait_minutes(row.locked_until, now))


def record_failure(kind: str, identifier: str | None) -> None:
    """Count one failed attempt; lock the account (and raise) at the limit.

    One atomic UPDATE per failure, so concurrent attempts from several processes are
    all counted; a failure after the window has passed starts a new window.
    """
    name = _normalise(identifier)
    if not name:
        return
    session = _session()
    now = utcnow()
    window_start = now - dt.timedelta(minutes=_setting("LOGIN_FAILURE_WINDOW_MINUTES"))
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(LoginLockout)
    session.execute(
        insert.values(kind=kind, identifier=name, failures=0, window_started_at=now, lockouts=0).on_conflict_do_nothing(
            index_elements=["kind", "identifier"]
        )
    )
    expired = LoginLockout.window_started_at < window_start
    session.execute(
        update(LoginLockout)
        .where(LoginLockout.kind == kind, LoginLockout.identifier == name)
        .values(
            failures=case((expired, 1), else_=LoginLockout.failures + 1),
            window_started_at=case((expired, now), else_=LoginLockout.window_started_at),
            last_failure_at=now,
            last_address=_address(),
        )
        .execution_options(synchronize_session=False)
    )
    row = _row(kind, name)
    session.refresh(row)
    locked = None
    if row.failures >= _setting("LOGIN_MAX_FAILURES") and not row.is_locked(now):
        row.locked_until = now + dt.timedelta(minutes=_setting("LOGIN_LOCKOUT_MINUTES"))
        row.lockouts += 1
        row.failures = 0
        row.window_started_at = now
        locked = LoginLocked(_wait_minutes(row.locked_until, now))
    session.commit()
    if locked is not None:
        current_app.logger.warning("login locked: %s %r after repeated failures from %s", kind, name, _address())
        raise locked


def record_success(kind: str, identifier: str | None) -> None:
    """A successful login clears the failures counted so far."""
    row = _row(kind, _normalise(identifier))
    if row is not None and row.failures:
        row.failures = 0
        _session().commit()


def clear_lockout(kind: str, identifier: str | None) -> None:
    """Forget the failures and lift the lockout of ``identifier`` (no commit: the caller's
    transaction), e.g. when the account holder has just proved who they are by resetting
    the password with a one-time code."""
    row = _row(kind, _normalise(identifier))
    if row is not None:
        row.failures = 0
        row.locked_until = None


def guarded_login(kind: str, identifier: str | None, verify: Callable[[], Optional[T]]) -> Optional[T]:
    """Run ``verify()`` (the credential check) under the lockout rules.

    Raises :class:`LoginLocked` without calling ``verify`` while the account is locked,
    and when this failure is the one that locks it. ``verify`` returns the
    authenticated object or None; the caller shows the generic "wrong login" message
    for None. Citizen logins and one-time codes call this with their own ``kind``.
    """
    check_not_locked(kind, identifier)
    result = verify()
    if result:
        record_success(kind, identifier)
    else:
        record_failure(kind, identifier)
    return result


def lift(row: LoginLockout, by: str) -> None:
    """The admin lifts a lockout (解除锁定): the account can log in at once."""
    row.locked_until = None
    row.failures = 0
    row.lifted_by = by
    row.lifted_at = utcnow()
