"""Helpers and fixtures of the hall tests (imported by name by test_queue_*.py, so that the
shared tests/plugins folder gets no queue-specific conftest)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

PERSON = "440304200002291236"
OTHER = "11010519491231002X"
MOBILE = "13800138000"
WED = dt.datetime(2026, 12, 2, 8, 0)  # a working day, before the first slot


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def wed(app):
    """The app's context on Wednesday 2 December 2026 at 08:00 (booking tests)."""
    from onewindow import clock

    with app.app_context(), clock.travel_to(WED):
        yield app


def window(code: str):
    from sqlalchemy import select

    from onewindow import Window, db

    return db.session.execute(select(Window).where(Window.code == code)).scalar_one()


def queue_of(zone_number: int):
    from onewindow_queue.models import Queue
    from sqlalchemy import select

    from onewindow import Zone, db

    return db.session.execute(select(Queue).join(Zone).where(Zone.number == zone_number)).scalar_one()


def take(queue, **kw):
    """A ticket of the queue (a fresh terminal token each time)."""
    from onewindow_queue import service
    from onewindow_queue.models import Ticket

    from onewindow import db

    return db.session.get(Ticket, service.take(queue.id, uuid.uuid4().hex, **kw).ticket_id)


def accept_at(item_id: int, code: str, acceptor, applicant_id: str = PERSON):
    """The item accepted at window ``code`` for 张三 with every material handed in."""
    from onewindow import ApplicantType, Channel, Item, MaterialStatus, db
    from onewindow.cases import engine

    item = db.session.get(Item, item_id)
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id=applicant_id,
        channel=Channel.window,
        window=window(code),
    )
    return engine.accept(application, acceptor, {m.id: MaterialStatus.submitted for m in item.materials})
