"""One clock: what is decided, stamped and shown follows Beijing time (Asia/Shanghai), not the
server's zone. 23:30 UTC on 23 November is 07:30 on 24 November in Beijing."""

from __future__ import annotations

import datetime as dt

from onewindow.app import db
from onewindow.cases.clock import travel_to
from onewindow.display import display, local_time
from onewindow.licences import library
from onewindow.models.items import ItemAction, ItemEvent
from tests.test_licences import _case, lic_app, world  # noqa: F401  (fixtures)

UTC_2330 = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone.utc)
BEIJING_0730 = dt.datetime(2026, 11, 24, 7, 30)  # the same moment, as the one clock holds it


def test_a_licence_decided_at_2330_utc_is_dated_the_beijing_day(world):
    with travel_to(BEIJING_0730):
        licence = library.issue_for_case(_case(world.register))
        db.session.commit()
    assert licence.issue_date == dt.date(2026, 11, 24)
    assert licence.metadata_fields()["issue_date"] == "2026-11-24"


def test_lists_show_beijing_time_to_the_minute(world, lic_app, login):  # noqa: F811
    with travel_to(BEIJING_0730):
        item = world.register
        event = ItemEvent(
            implementation_code=item.implementation_code,
            item_id=item.id,
            action=ItemAction.setup,
            version=1,
            actor="测试",
        )
        db.session.add(event)
        db.session.commit()
    assert event.at == BEIJING_0730  # stamped by the one clock, not the server's UTC
    client = lic_app.test_client()
    login(client, "admin")
    page = client.get(f"/itemeventview/show/{event.id}").get_data(as_text=True)
    assert "2026-11-24 07:30" in page
    assert "23:30" not in page and "07:30:00." not in page


def test_timestamps_are_shown_in_beijing_time_without_microseconds():
    assert local_time(UTC_2330) == "2026-11-24 07:30"
    assert display(dt.datetime(2026, 11, 24, 7, 30, 5, 957824)) == "2026-11-24 07:30"


def test_booleans_show_as_shi_and_fou(lic_app):
    with lic_app.test_request_context("/"):
        assert (display(True), display(False), display(None)) == ("是", "否", "")
