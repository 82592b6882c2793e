"""预约时段 per item: an item's own slots and capacities replace its zone's when it is booked
for; without them the zone's slots apply (the admin's, else the configured opening hours);
the admin defines them on the screen "大厅管理 → 预约时段"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from onewindow_queue import appointments as appt
from onewindow_queue.models import AppointmentState, ItemSlotBooking, Queue, SlotBooking, SlotPlan
from queue_helpers import MOBILE, OTHER, PERSON, WED, queue_of, wed  # noqa: F401 (fixtures)
from sqlalchemy import func, select

from onewindow import Item, ValidationError, db

T10, T11 = dt.time(10, 0), dt.time(11, 0)


def queue() -> Queue:
    return queue_of(1)


def items_of_zone(q: Queue) -> list[Item]:
    return list(db.session.execute(select(Item).where(Item.zone_id == q.zone_id).order_by(Item.id)).scalars())


def add_slot(**kw) -> SlotPlan:
    row = SlotPlan(active=True, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def test_an_item_with_slots_of_its_own_is_booked_on_them_with_their_capacity(wed):
    q = queue()
    item, plain = items_of_zone(q)[:2]
    add_slot(item=item, starts=T10, ends=T11, capacity=1)
    assert appt.items_with_slots(q) == [item]
    assert [(s.label, s.capacity) for s in appt.slots(q, WED.date(), item)] == [("10:00–11:00", 1)]
    booked = appt.book(q.id, WED.date(), T10, PERSON, MOBILE, item_id=item.id)
    assert booked.item_id == item.id and (booked.starts, booked.ends) == (T10, T11)
    with pytest.raises(ValidationError, match="已约满"):
        appt.book(q.id, WED.date(), T10, OTHER, MOBILE, item_id=item.id)
    # the zone's slots (the configured hours here) are counted apart: the business still has 10:00
    zone_slot = next(s for s in appt.slots(q, WED.date()) if s.starts == T10)
    assert (zone_slot.label, zone_slot.left) == ("10:00–10:30", 4)
    # an item without slots of its own is booked on the zone's
    other = appt.book(q.id, WED.date(), T10, OTHER, MOBILE, item_id=plain.id)
    assert other.item_id is None and other.ends == dt.time(10, 30)
    assert db.session.execute(select(SlotBooking.booked)).scalar_one() == 1
    appt.cancel(booked)  # the item's place is free again
    assert db.session.execute(select(ItemSlotBooking.booked)).scalar_one() == 0
    assert appt.slots(q, WED.date(), item)[0].left == 1


def test_a_zone_with_slots_of_its_own_replaces_the_configured_hours(wed):
    q = queue()
    add_slot(zone_id=q.zone_id, starts=dt.time(14, 0), ends=dt.time(15, 0), capacity=2)
    assert [(s.label, s.left) for s in appt.slots(q, WED.date())] == [("14:00–15:00", 2)]
    with pytest.raises(ValidationError, match="不是可预约的时段"):
        appt.book(q.id, WED.date(), dt.time(9, 0), PERSON, MOBILE)
    booked = appt.book(q.id, WED.date(), dt.time(14, 0), PERSON, MOBILE)
    assert booked.state == AppointmentState.booked and booked.ends == dt.time(15, 0)


def test_an_item_of_another_zone_is_refused(wed):
    q = queue()
    stranger = db.session.execute(
        select(Item).where(Item.zone_id.is_not(None), Item.zone_id != q.zone_id, Item.id != (q.item_id or 0))
    ).scalar()
    with pytest.raises(ValidationError, match="事项"):
        appt.book(q.id, WED.date(), T10, PERSON, MOBILE, item_id=stranger.id)


def test_the_booking_page_offers_the_items_slots(client, wed):
    q = queue()
    item = items_of_zone(q)[0]
    add_slot(item=item, starts=T10, ends=T11, capacity=3)
    page = client.get(f"/queue/book?queue_id={q.id}").get_data(as_text=True)
    assert f'id="item-{item.id}"' in page and item.name in page
    page = client.get(f"/queue/book?queue_id={q.id}&item_id={item.id}").get_data(as_text=True)
    assert "10:00–11:00" in page and "10:30–11:00" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "queue_id": q.id, "item_id": item.id, "slot": "2026-12-02T10:00"}
    response = client.post("/queue/book", data={**form, "id_number": PERSON, "mobile": MOBILE})
    assert response.status_code == 200 and 'id="booking-code"' in response.get_data(as_text=True)
    assert db.session.execute(select(ItemSlotBooking.booked)).scalar_one() == 1


def test_the_admin_defines_an_items_slots_and_a_half_defined_one_is_refused(client, login, wed):
    q = queue()
    item = items_of_zone(q)[0]
    login(client, "admin")
    page = client.get("/slotplanview/add").get_data(as_text=True)
    assert "预约时段" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    both = {"csrf_token": token, "item": item.id, "zone": q.zone_id, "starts": "10:00", "ends": "11:00"}
    response = client.post("/slotplanview/add", data={**both, "capacity": "2", "active": "y"}, follow_redirects=True)
    assert "请选择事项或服务区（二者选一）" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(SlotPlan.id))).scalar() == 0
    one = {k: v for k, v in both.items() if k != "zone"}
    client.post("/slotplanview/add", data={**one, "capacity": "2", "active": "y"})
    row = db.session.execute(select(SlotPlan)).scalar_one()
    assert (row.item_id, row.zone_id, row.starts, row.ends, row.capacity) == (item.id, None, T10, T11, 2)
    listed = client.get("/slotplanview/list/")
    assert listed.status_code == 200 and "10:00–11:00" in listed.get_data(as_text=True)
