"""The notification outbox (发件箱, ``ow_notification``): one row per notification sent.

Every notification is written here whichever backend delivers it, with the backend's
outcome; the default backend ``outbox`` only stores it (status ``stored``), so a county
without an SMS contract still sees what would have been sent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.cases.models import UTCDateTime
from onewindow.models.org import LabelledEnum, enum_column
from onewindow.validators import mask_resident_id


class NotifyChannel(LabelledEnum):
    sms = _l("SMS")
    email = _l("E-mail")


class NotifyStatus(LabelledEnum):
    stored = _l("Stored in the outbox")
    sent = _l("Sent")
    failed = _l("Failed")


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
_DIGITS = re.compile(r"\d{4,}")


def mask_recipient(value: str) -> str:
    """``138****8000`` for a mobile number, ``z***@example.cn`` for an e-mail address."""
    value = value or ""
    if "@" in value:
        local, _sep, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)


def mask_text(text: str, *, secret: bool = False) -> str:
    """The text as the admin sees it: ID and mobile numbers masked; with ``secret`` every code too."""
    text = _ID_NUMBER.sub(lambda m: mask_resident_id(m.group(0)), text or "")
    text = _MOBILE.sub(lambda m: mask_recipient(m.group(0)), text)
    if secret:
        text = _DIGITS.sub(lambda m: "*" * len(m.group(0)), text)
    return text


class Notification(Model):
    """通知: an SMS or e-mail to a citizen (or anyone), and what its backend did with it."""

    __tablename__ = "ow_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[NotifyChannel] = mapped_column(enum_column(NotifyChannel), nullable=False)
    #: What the notification is (``hall.one_time_code``, ``queue.reminder``…): the template key.
    kind: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    #: The body holds a secret (a one-time code): the admin's screens never show its digits.
    secret: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    backend: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[NotifyStatus] = mapped_column(enum_column(NotifyStatus), nullable=False)
    error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    # Shown on the admin's screens: personal data masked, times in Beijing time.
    @property
    def masked_recipient(self) -> str:
        return mask_recipient(self.recipient)

    @property
    def masked_body(self) -> str:
        return mask_text(self.body, secret=self.secret)

    @property
    def masked_subject(self) -> str:
        return mask_text(self.subject, secret=self.secret)

    @property
    def created_local(self) -> str:
        return _beijing(self.created_at)

    @property
    def sent_local(self) -> str:
        return _beijing(self.sent_at)

    def __repr__(self) -> str:
        return f"{self.kind} → {self.masked_recipient}"


def _beijing(value: dt.datetime | None) -> str:
    from onewindow.cases.clock import BEIJING

    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else ""
