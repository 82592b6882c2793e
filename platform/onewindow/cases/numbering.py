"""Case numbers (办件编号): implementation code (31) + yyyyMMdd + 4-digit daily serial = 43.

The serial comes from one counter row per (implementation code, day), incremented with
a single ``UPDATE … RETURNING`` so two acceptances at the same moment never share a number.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from onewindow.app import db
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import CaseSerial

QUERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at the counter


_SERIAL = CaseSerial.__table__  # Core: no ORM bookkeeping for a counter
_NEXT = (
    update(_SERIAL)
    .where(_SERIAL.c.prefix == bindparam("ow_prefix"))
    .values(last=_SERIAL.c.last + 1)
    .returning(_SERIAL.c.last)
)


def next_case_number(implementation_code: str, day: dt.date) -> str:
    if len(implementation_code) != 31:
        raise TransitionError(
            f"事项实施编码 {implementation_code!r} 应为31位（实施主体信用代码18位+行使层级1位+基本编码12位）"
        )
    prefix = f"{implementation_code}{day:%Y%m%d}"
    session = db.session
    serial = session.connection().execute(_NEXT, {"ow_prefix": prefix}).scalar()
    if serial is None:
        try:
            with session.begin_nested():
                session.connection().execute(insert(_SERIAL).values(prefix=prefix, last=1))
            serial = 1
        except IntegrityError:  # someone created the row first: take the next value
            serial = session.connection().execute(_NEXT, {"ow_prefix": prefix}).scalar()
    if serial > 9999:
        raise TransitionError(f"{day:%Y-%m-%d} 事项 {implementation_code} 的办件流水号已用尽（9999）")
    return f"{prefix}{serial:04d}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_ALPHABET) for _ in range(8))


def current_serial(implementation_code: str, day: dt.date) -> int:
    prefix = f"{implementation_code}{day:%Y%m%d}"
    return db.session.execute(select(CaseSerial.last).where(CaseSerial.prefix == prefix)).scalar() or 0
