"""Helpers and fixtures of the e-supervision tests (imported by name by test_supervision_*.py,
so that the shared tests/plugins folder gets no supervision-specific conftest)."""

import datetime as dt

import pytest

PERSON = "440304200002291236"
AMR = "11369921102345608H"  # 市场监管局
RE = "113699211024247953"  # 不动产登记中心
TAX = "11369921102820747H"  # 税务局


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def accepted(actor):
    """accepted(item_id, when=Mon 23 Nov 2026, deferred=None) → a case under review."""
    from onewindow.app import db
    from onewindow.cases import engine
    from onewindow.cases.clock import travel_to
    from onewindow.cases.models import ApplicantType, Channel, MaterialStatus
    from onewindow.models import Window
    from onewindow.models.items import Item

    def _accepted(item_id, when=dt.date(2026, 11, 23), supply_deadline=None, channel=Channel.window):
        item = db.session.get(Item, item_id)
        window = db.session.query(Window).filter_by(code="A01").one()
        served = item.department_id in {d.id for d in window.departments}
        application = engine.Application(
            item=item,
            applicant_type=ApplicantType.person,
            applicant_name="张三",
            applicant_id=PERSON,
            channel=channel,
            window=window,
            window_override="" if served else "测试：统一在 A01 收件",
        )
        with travel_to(when):
            if channel != Channel.window:
                return engine.submit(application, actor("acceptor"))
            if supply_deadline:
                materials = {m.id: MaterialStatus.submitted for m in item.materials if m.necessity.name == "required"}
                return engine.accept_deferred(
                    application,
                    actor("acceptor"),
                    materials,
                    commitment="三个工作日内补交",
                    supply_deadline=supply_deadline,
                )
            return engine.accept(
                application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials}
            )

    return _accepted


@pytest.fixture
def scan_on():
    """scan_on(date) runs the scheduler's deadline scan as of that day; returns the counts."""
    from onewindow_supervision.jobs import deadline_scan

    from onewindow.cases.clock import travel_to

    def _scan(day):
        with travel_to(dt.datetime.combine(day, dt.time(8, 0))):
            return deadline_scan()

    return _scan


def open_cards(rule=None):
    from onewindow_supervision.models import Card

    from onewindow.app import db

    db.session.commit()  # end the read snapshot (SQLite WAL): the scan wrote on its own connection
    query = db.session.query(Card).filter(Card.cleared_at.is_(None))
    if rule:
        query = query.filter(Card.rule == rule)
    return sorted(query.all(), key=lambda c: (c.rule.name, c.id))


def all_cards(rule=None):
    from onewindow_supervision.models import Card

    from onewindow.app import db

    db.session.commit()  # end the read snapshot (SQLite WAL): the scan wrote on its own connection
    query = db.session.query(Card)
    if rule:
        query = query.filter(Card.rule == rule)
    return query.order_by(Card.id).all()
