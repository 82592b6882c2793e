"""Notifications (通知): one way to send an SMS or e-mail, whoever sends it and however it goes.

``send(recipient, kind, subject, body, channel)`` writes the notification to the outbox
(``ow_notification``) and hands it to the backend configured for its channel
(``NOTIFY_SMS_BACKEND``, ``NOTIFY_EMAIL_BACKEND``): ``outbox`` (the default: stored only,
the admin reads it on the “通知发件箱” screen), ``smtp`` (e-mail through ``SMTP_*``), or
one a plugin registers through the ``register_notification_backends`` hook (an SMS gateway).
The hall's one-time codes, the queue's appointment reminders and the case engine's notices
to applicants all go through here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from onewindow.errors import StartupError, ValidationError
from onewindow.notify.models import Notification, NotifyChannel, NotifyStatus, mask_recipient

__all__ = ["send", "mask_recipient", "Notification", "NotifyChannel", "NotifyStatus"]

OUTBOX = "outbox"
EXTENSION = "onewindow.notify"
CHANNEL_SETTINGS = {NotifyChannel.sms: "NOTIFY_SMS_BACKEND", NotifyChannel.email: "NOTIFY_EMAIL_BACKEND"}
_MOBILE = re.compile(r"1\d{10}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Backend:
    """A delivery backend: ``deliver(notification)`` sends it or raises; ``None`` means stored only."""

    name: str
    deliver: Callable[[Notification], None] | None
    channels: tuple[NotifyChannel, ...]
    source: str


def _registered(app) -> dict[str, Backend]:
    cached = app.extensions.get(EXTENSION)
    if cached is not None:
        return cached
    ow = app.extensions["onewindow"]
    backends: dict[str, Backend] = {}
    for source, args, kwargs in ow.plugins.collect("register_notification_backends"):
        name, deliver = args[0], (args[1] if len(args) > 1 else kwargs.get("deliver"))
        channels = tuple(NotifyChannel[c] for c in kwargs.get("channels", ("sms", "email")))
        if name in backends:
            raise StartupError(
                f"duplicate notification backend {name!r}: registered by {backends[name].source} and again "
                f"by {source}; rename one of them or disable one plugin (onewindow plugins disable KEY)"
            )
        backends[name] = Backend(name, deliver, channels, source)
    app.extensions[EXTENSION] = backends
    return backends


def check_configuration(app) -> None:
    """Stop startup when a channel names a backend nobody registered or that cannot serve it."""
    backends = _registered(app)
    settings = app.extensions["onewindow"].settings
    for channel, key in CHANNEL_SETTINGS.items():
        name = settings[key]
        backend = backends.get(name)
        if backend is None:
            raise StartupError(
                f"{key} = {name!r}: no such notification backend; registered: {', '.join(sorted(backends))}"
            )
        if channel not in backend.channels:
            raise StartupError(
                f"{key} = {name!r}: that backend does not send {channel.name}; "
                f"it sends {', '.join(c.name for c in backend.channels)}"
            )
    if settings["SMTP_SECURITY"] not in ("none", "starttls", "ssl"):
        raise StartupError(f"SMTP_SECURITY = {settings['SMTP_SECURITY']!r}: use none, starttls or ssl")
    if settings["NOTIFY_EMAIL_BACKEND"] == "smtp" and not (settings["SMTP_HOST"] and settings["SMTP_FROM"]):
        raise StartupError("NOTIFY_EMAIL_BACKEND = 'smtp' needs SMTP_HOST and SMTP_FROM (docs/operator.md)")


def backend_for(channel: NotifyChannel) -> Backend:
    return _registered(current_app)[current_app.extensions["onewindow"].settings[CHANNEL_SETTINGS[channel]]]


def recipient_problem(recipient: str, channel: NotifyChannel) -> str | None:
    if channel == NotifyChannel.sms and not _MOBILE.fullmatch(recipient):
        return _("An SMS needs an 11-digit mobile number starting with 1, got %(value)s.", value=recipient or "—")
    if channel == NotifyChannel.email and not _EMAIL.fullmatch(recipient):
        return _("An e-mail needs an address like name@example.cn, got %(value)s.", value=recipient or "—")
    return None


def send(
    recipient: str,
    kind: str,
    subject: str,
    body: str,
    channel: str = "sms",
    *,
    secret: bool = False,
    in_transaction: bool = False,
) -> Notification:
    """Send one notification now and record it in the outbox; return the outbox row.

    ``channel`` is ``"sms"`` or ``"email"``; ``kind`` names what it is (``hall.one_time_code``);
    ``secret`` marks a body holding a one-time code, never shown on the admin's screens.
    The row is committed with its outcome (``stored``, ``sent`` or ``failed`` with the
    backend's error): a failed delivery does not raise, the caller reads ``status``.
    Raises :class:`~onewindow.errors.ValidationError` for an unknown channel or a recipient
    the channel cannot reach, before anything is written.

    ``in_transaction=True`` (from inside a case transition, e.g. a ``case_transition`` hook):
    the row joins the caller's transaction instead of committing it, and the backend
    delivers only once that transaction commits (nothing is sent for a rolled-back one).
    """
    from onewindow.db import db

    if channel not in NotifyChannel.__members__:
        raise ValidationError(_("Unknown notification channel %(value)s; use sms or email.", value=channel or "—"))
    chosen = NotifyChannel[channel]
    recipient = (recipient or "").strip()
    problem = recipient_problem(recipient, chosen)
    if problem:
        raise ValidationError(problem)
    backend = backend_for(chosen)
    row = Notification(
        channel=chosen,
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        secret=secret,
        backend=backend.name,
        status=NotifyStatus.stored,
        created_at=dt.datetime.now(dt.timezone.utc),
    )
    db.session.add(row)
    if in_transaction:
        if backend.deliver is not None:
            db.session().info.setdefault(PENDING, []).append((row, _copy(row), backend))
        return row
    _deliver(row, backend)
    db.session.commit()
    return row


def _deliver(row: Notification, backend: Backend) -> None:
    if backend.deliver is not None:
        try:
            backend.deliver(row)
        except Exception as exc:  # any backend failure is recorded, never lost
            row.status = NotifyStatus.failed
            row.error = f"{type(exc).__name__}: {exc}"[:500]
            current_app.logger.warning("notification %s to %s failed: %s", row.kind, backend.name, row.error)
        else:
            row.status = NotifyStatus.sent
            row.sent_at = dt.datetime.now(dt.timezone.utc)


PENDING = "onewindow.notify.pending"
_COPIED = ("channel", "kind", "recipient", "subject", "body", "secret", "backend", "status", "created_at")


def _copy(row: Notification) -> Notification:
    """A detached copy the backend reads after the commit (the row itself is expired then)."""
    return Notification(**{name: getattr(row, name) for name in _COPIED})


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    """Deliver what a transaction sent ``in_transaction`` now that it is committed, and
    record each outcome on its outbox row in a short transaction of its own."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    from onewindow.db import db

    for row, copy, backend in pending:
        _deliver(copy, backend)
        (row_id,) = inspect(row).identity
        with db.engine.begin() as connection:
            connection.execute(
                update(Notification)
                .where(Notification.id == row_id)
                .values(status=copy.status, error=copy.error, sent_at=copy.sent_at)
            )


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING, None)
