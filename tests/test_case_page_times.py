"""The case page shows its times as the one clock reads them, to the minute (receipt,
notices, timeline), never the stored value with seconds."""

import datetime as dt

from test_workspace import PERSON

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, MaterialStatus
from onewindow.models.items import Item
from onewindow.models.org import Window

MOMENT = dt.datetime(2026, 11, 24, 7, 30, 42)


def test_case_page_shows_receipt_notices_and_timeline_to_the_minute(app, make_item, actor, client, login):
    item_id = make_item()
    with app.app_context(), travel_to(MOMENT):
        item = db.session.get(Item, item_id)
        window = db.session.query(Window).filter_by(code="A01").one()
        application = engine.Application(item, ApplicantType.person, "张三", PERSON, window=window)
        case = engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})
        pk = case.id
    login(client, "acceptor")
    page = client.get(f"/caseview/show/{pk}").get_data(as_text=True)
    assert page.count("2026-11-24 07:30") >= 3  # received, the acceptance notice, the timeline
    assert "07:30:42" not in page
