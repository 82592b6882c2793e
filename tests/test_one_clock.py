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


# --- the zone is configured (TIMEZONE), FAB's own columns follow it -------------------


def test_the_one_clock_follows_the_configured_timezone(make_app):
    from zoneinfo import ZoneInfo

    from onewindow.cases import clock

    urumqi = make_app(config={"TIMEZONE": "Asia/Urumqi"})  # UTC+6
    with urumqi.app_context():
        assert clock.zone() == ZoneInfo("Asia/Urumqi")
        assert local_time(UTC_2330) == "2026-11-24 05:30"
        there = dt.datetime.now(ZoneInfo("Asia/Urumqi")).replace(tzinfo=None)
        assert abs(clock.now() - there) < dt.timedelta(minutes=1)


def test_an_unknown_timezone_stops_startup_naming_the_key(tmp_path):
    import pytest

    from onewindow.config import build
    from onewindow.errors import StartupError

    with pytest.raises(StartupError, match="TIMEZONE 'Mars/Olympus' is not a time zone name"):
        build(tmp_path, {"TIMEZONE": "Mars/Olympus"})


def test_fab_own_timestamps_are_shown_in_the_centres_zone(app, client, login):
    from zoneinfo import ZoneInfo

    from onewindow.display import server_time
    from onewindow.models import Staff

    naive_server = dt.datetime(2026, 11, 23, 23, 30, 5, 957824)  # FAB's datetime.now(): the server's zone
    with app.app_context():
        expected = naive_server.astimezone().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
        assert server_time(naive_server) == expected
        assert server_time(None) == ""
    login(client, "admin")
    with app.app_context():
        admin = db.session.query(Staff).filter_by(username="admin").one()
        admin.last_login = naive_server
        db.session.commit()
        pk = admin.id
    listed = client.get("/users/list/").get_data(as_text=True)
    shown = client.get(f"/users/show/{pk}").get_data(as_text=True)
    for page in (listed, shown):
        assert expected in page
        assert "957824" not in page
