"""The working-day clock of cases: holidays, make-up days, 2027 fallback and recomputation."""

import datetime as dt

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Case, MaterialStatus
from onewindow.models.items import Item
from onewindow.workdays import import_arrangement


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def accept_on(item_id, actor, day):
    item = db.session.get(Item, item_id)
    with travel_to(day):
        return engine.accept(
            engine.Application(item, ApplicantType.person, "张三", "440304200002291236"),
            actor,
            {m.id: MaterialStatus.submitted for m in item.materials},
        )


def test_national_day_2026_is_not_counted(ctx, make_item, actor):
    case = accept_on(make_item(promised=3), actor("acceptor"), dt.date(2026, 9, 30))
    # 10/1–7 holidays; 10/8 Thu, 10/9 Fri, 10/10 Sat is a make-up working day
    assert case.due_date == dt.date(2026, 10, 10) and case.due_confirmed


def test_december_acceptance_running_into_2027_is_flagged_then_recomputed(ctx, make_item, actor):
    case = accept_on(make_item(promised=20), actor("acceptor"), dt.date(2026, 12, 21))
    # nobody has confirmed 2027 yet: weekends only, so 1 January counts, and the date is flagged
    assert case.due_date == dt.date(2027, 1, 18)
    assert case.due_confirmed is False
    import_arrangement(
        {
            "year": 2027,
            "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
            "holidays": [["2027-01-01", "2027-01-03", "元旦"]],
            "workdays": [],
        },
        "admin",
    )
    db.session.expire_all()
    case = db.session.query(Case).filter_by(number=case.number).one()
    assert case.due_date == dt.date(2027, 1, 19)
    assert case.due_confirmed is True
    assert case.events[-1].action == "recompute_due"
