"""One-time codes (一次性验证码) and the hall's rate limits.

A code is sent through the platform's notifications (``onewindow.notify``, kind
``hall.one_time_code``), stored only as an HMAC of the code keyed with the site's secret,
expires after ``code_ttl_minutes``, is void after ``code_max_attempts`` wrong tries, and is
used once. Issuing a new code voids the earlier ones of the same purpose and number.

The limits count in Flask-Limiter's storage (``RATE_LIMIT_STORAGE_URL``, shared by every
process when it is the database or Redis): codes per mobile number and per address, login
attempts per account and per address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app, request
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import select, update

from onewindow import db, notify
from onewindow_hall.models import OneTimeCode, utcnow
from onewindow_hall.settings import setting

PURPOSES = ("register", "login", "reset")


class TooManyRequests(Exception):
    """A hall limit was reached; the message says which and what to do."""


def address() -> str:
    return (request.remote_addr or "unknown")[:64]


def hit(scope: str, key: str, rate_setting: str, message: str) -> None:
    """Count one attempt of ``scope`` for ``key``; raise :class:`TooManyRequests` over the limit."""
    limiter = current_app.extensions["appbuilder"].sm.limiter
    if not limiter.limiter.hit(parse(setting(rate_setting)), "hall", scope, key):
        raise TooManyRequests(message)


def _digest(purpose: str, target: str, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{purpose}:{target}:{code}".encode(), hashlib.sha256).hexdigest()


def hit_code_limits(mobile_key: str) -> None:
    """Count one code request from this address and for ``mobile_key`` (the limits of codes)."""
    hit(
        "code-address",
        address(),
        "code_rate_per_address",
        _("Too many codes requested from your address; please try again later."),
    )
    hit(
        "code-mobile",
        mobile_key,
        "code_rate_per_mobile",
        _("Too many codes sent to this mobile number; please wait a few minutes."),
    )


def issue(purpose: str, mobile: str, *, limited: bool = True) -> None:
    """Send a new code for ``purpose`` to ``mobile`` (limits checked first, unless the caller
    counted them already); void the earlier ones."""
    assert purpose in PURPOSES
    if limited:
        hit_code_limits(mobile)
    now = utcnow()
    db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.purpose == purpose, OneTimeCode.target == mobile, OneTimeCode.used_at.is_(None))
        .values(used_at=now)
    )
    length = int(setting("code_length"))
    code = "".join(secrets.choice("0123456789") for _i in range(length))
    minutes = int(setting("code_ttl_minutes"))
    db.session.add(
        OneTimeCode(
            purpose=purpose,
            target=mobile,
            code_hash=_digest(purpose, mobile, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
            attempts=0,
            address=address(),
        )
    )
    db.session.flush()
    body = _(
        "Your OneWindow verification code is %(code)s, valid for %(minutes)d minutes. Do not tell anyone.",
        code=code,
        minutes=minutes,
    )
    notify.send(mobile, "hall.one_time_code", _("Verification code"), body, "sms", secret=True)


def consume(purpose: str, mobile: str, code: str) -> bool:
    """True (and the code is used up) when ``code`` is the live code for ``mobile``; commits."""
    now = utcnow()
    row = db.session.execute(
        select(OneTimeCode)
        .where(
            OneTimeCode.purpose == purpose,
            OneTimeCode.target == mobile,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > now,
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None or row.attempts >= int(setting("code_max_attempts")):
        return False
    row.attempts += 1
    ok = hmac.compare_digest(row.code_hash, _digest(purpose, mobile, (code or "").strip()))
    if ok:
        row.used_at = now
    db.session.commit()
    return ok
