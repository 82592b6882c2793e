"""Safe retries of the REST API's writes: the ``Idempotency-Key`` header.

A client that sends ``Idempotency-Key: <its own unique string>`` with ``POST
/api/v1/cases/`` or a transition gets, for every repeat of that request (same user,
same key, same method, path and body), the first answer again — status and body, with
``Idempotent-Replayed: true`` — and nothing is created or changed a second time. The same
key with another request is refused (422). Keys expire after ``IDEMPOTENCY_KEY_HOURS``;
the ``api.idempotency_cleanup`` job deletes expired ones.

Race safety: the key is claimed by an ``INSERT`` inside the very transaction that
commits the request's work (a ``before_commit`` listener on the request's session), so
the unique (user, key) index lets exactly one of two concurrent requests commit; the
other's transaction — its case included — rolls back, and it answers the winner's stored
answer (or 409 while the winner has not stored it yet). A server killed between its
commit and storing the answer leaves a claim without one: a repeat then answers the
case as it is now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from typing import Callable, Optional

from flask import Response, current_app, g, request
from flask_appbuilder import Model
from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.app import db
from onewindow.cases.models import Case

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: The header as the OpenAPI document of every guarded endpoint shows it.
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "a repeat with the same key answers the first result and creates nothing",
}
#: How long a repeat waits for a concurrent first request to store its answer.
WAIT_FOR_ANSWER_SECONDS = 5.0


class IdempotencyKey(Model):
    """The first answer to one user's request sent with one Idempotency-Key."""

    __tablename__ = "ow_idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_ow_idempotency_key_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of method, path, body
    request: Mapped[str] = mapped_column(String(300), nullable=False)  # "POST /api/v1/cases/" (messages)
    case_number: Mapped[Optional[str]] = mapped_column(String(64))
    status_code: Mapped[Optional[int]] = mapped_column(Integer)  # None: committed, answer not yet stored
    response_body: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)


TABLE = IdempotencyKey.__table__


class KeyTaken(Exception):
    """Another request with the same key committed first (raised from the commit)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _json(code: int, message: str, field: str | None = None, replayed: bool = False) -> Response:
    body = json.dumps({"message": message, "problems": [{"field": field, "message": message}]}, ensure_ascii=False)
    response = Response(body, status=code, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def fingerprint() -> str:
    raw = request.get_data()
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except ValueError:
        body = raw
    return hashlib.sha256(
        b"\n".join([request.method.encode(), request.full_path.rstrip("?").encode(), body])
    ).hexdigest()


class _Claim:
    """Claims the key in whichever transaction of the request commits first."""

    def __init__(self, user_id: int, key: str, digest: str):
        self.values = {
            "user_id": user_id,
            "key": key,
            "fingerprint": digest,
            "request": f"{request.method} {request.path}"[:300],
        }
        self.claimed = self.taken = False

    def before_commit(self, session) -> None:
        if self.claimed or self.taken:
            return
        now = _now()
        hours = current_app.extensions["onewindow"].settings["IDEMPOTENCY_KEY_HOURS"]
        numbers = {o.number for o in session.identity_map.values() if isinstance(o, Case) and o.number}
        number = (request.view_args or {}).get("number") or (numbers.pop() if len(numbers) == 1 else None)
        try:
            session.connection().execute(
                insert(TABLE).values(
                    **self.values, case_number=number, created_at=now, expires_at=now + dt.timedelta(hours=hours)
                )
            )
        except IntegrityError:
            self.taken = True
            raise KeyTaken() from None
        self.claimed = True


def _find(user_id: int, key: str):
    return db.session.execute(select(TABLE).where(TABLE.c.user_id == user_id, TABLE.c.key == key)).first()


def _store(user_id: int, key: str, response: Response) -> None:
    with db.engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            conn.execute(
                update(TABLE)
                .where(TABLE.c.user_id == user_id, TABLE.c.key == key)
                .values(status_code=response.status_code, response_body=response.get_data(as_text=True))
            )


def _replay(row, digest: str, user_id: int, recover: Callable[[Case], Response]) -> Response:
    if row.fingerprint != digest:
        return _json(
            422,
            _(
                "Idempotency-Key %(key)s was already used for a different request (%(request)s); "
                "repeat exactly the first request, or send a new key for a new request",
                key=row.key,
                request=row.request,
            ),
            HEADER,
        )
    deadline = time.monotonic() + WAIT_FOR_ANSWER_SECONDS
    while row.status_code is None and time.monotonic() < deadline:  # the first request is storing it
        db.session.rollback()
        time.sleep(0.05)
        row = _find(user_id, row.key)
    if row.status_code is not None:
        response = Response(row.response_body, status=row.status_code, mimetype="application/json")
    else:  # the first request committed, then its server died before storing the answer
        from onewindow.api.case_read import visible_case

        case = visible_case(row.case_number, g.user) if row.case_number else None
        if case is None:
            return _json(
                409,
                _("A request with Idempotency-Key %(key)s is being processed; retry in a moment", key=row.key),
                HEADER,
            )
        response = recover(case)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(respond: Callable[[], Response], recover: Callable[[Case], Response]) -> Response:
    """Answer ``respond()`` once per Idempotency-Key; repeats get the stored first answer.

    :param recover: the answer for a case whose first answer was never stored.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return respond()
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        return _json(
            400, _("The Idempotency-Key header must be 1 to %(n)s printable ASCII characters", n=MAX_KEY_LENGTH), HEADER
        )
    user_id, digest = g.user.id, fingerprint()
    row = _find(user_id, key)
    if row is not None and row.expires_at <= _now():
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.id == row.id))
        row = None
    if row is not None:
        return _replay(row, digest, user_id, recover)
    claim = _Claim(user_id, key, digest)
    session = db.session()
    event.listen(session, "before_commit", claim.before_commit)
    try:
        response = respond()
    except KeyTaken:
        response = None
    finally:
        event.remove(session, "before_commit", claim.before_commit)
    if claim.claimed:
        assert response is not None, "a claimed key belongs to a request that answered"
        _store(user_id, key, response)
        return response
    if claim.taken or response.status_code == 409:  # a concurrent request with this key won
        db.session.rollback()
        row = _find(user_id, key)
        if row is not None:
            return _replay(row, digest, user_id, recover)
        if response is None:
            return _json(
                409, _("A request with Idempotency-Key %(key)s is being processed; retry in a moment", key=key), HEADER
            )
    assert response is not None, "only a taken key leaves no answer, and that returned above"
    return response


def delete_expired() -> int:
    """The cleanup job: drop every key past its expiry."""
    with db.engine.begin() as conn:
        return conn.execute(delete(TABLE).where(TABLE.c.expires_at <= _now())).rowcount
