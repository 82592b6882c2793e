"""Calling at the window (叫号): priority groups first, then by take time; recall; absent
(过号); pause; a clerk calls only for windows assigned to them; starting acceptance opens the
workbench with the applicant from the ticket; the hall's display shows the calls."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from onewindow_queue import service
from onewindow_queue.models import PriorityGroup, TakenBy, Ticket, TicketState
from queue_helpers import PERSON, ctx, queue_of, take, window  # noqa: F401 (fixtures)
from sqlalchemy import select

from onewindow import Item, ValidationError, db


def group(name: str) -> PriorityGroup:
    return db.session.execute(select(PriorityGroup).where(PriorityGroup.name == name)).scalar_one()


def test_the_default_priority_groups_are_installed_and_configurable(ctx):
    names = db.session.execute(select(PriorityGroup.name).order_by(PriorityGroup.rank)).scalars().all()
    assert names == ["老年人", "残疾人", "现役军人"]


def test_call_next_serves_priority_groups_first_then_by_take_time(ctx):
    queue, f01 = queue_of(6), window("F01")
    ordinary1 = take(queue).number
    ordinary2 = take(queue).number
    soldier = take(queue, priority_group_id=group("现役军人").id).number
    elder = take(queue, priority_group_id=group("老年人").id).number
    called = [service.call_next(f01, "acceptor").number for _ in range(4)]
    assert called == [elder, soldier, ordinary1, ordinary2]
    assert service.call_next(f01, "acceptor") is None


def test_two_windows_of_one_queue_never_call_the_same_ticket(ctx):
    queue = queue_of(6)
    first, second = take(queue).number, take(queue).number
    assert service.call_next(window("F01"), "a").number == first
    assert service.call_next(window("F02"), "b").number == second


def test_calling_next_finishes_the_current_ticket(ctx):
    queue, f01 = queue_of(6), window("F01")
    first = take(queue)
    take(queue)
    service.call_next(f01, "acceptor")
    service.call_next(f01, "acceptor")
    db.session.refresh(first)
    assert first.state == TicketState.done and first.finished_at is not None


def test_an_absent_ticket_is_not_called_again(ctx):
    queue, f01 = queue_of(6), window("F01")
    first, second = take(queue), take(queue)
    service.call_next(f01, "acceptor")
    service.mark_absent(f01, first.id)
    assert db.session.get(Ticket, first.id).state == TicketState.absent
    assert service.call_next(f01, "acceptor").id == second.id
    with pytest.raises(ValidationError, match="过号"):
        service.mark_absent(f01, first.id)


def test_recall_announces_the_called_ticket_again(ctx):
    queue, f01 = queue_of(6), window("F01")
    ticket = take(queue)
    service.call_next(f01, "acceptor")
    assert service.recall(f01, ticket.id).calls == 2
    with pytest.raises(ValidationError, match="不是窗口 F02"):
        service.recall(window("F02"), ticket.id)


def test_a_paused_window_calls_nobody_until_resumed(ctx):
    queue, f01 = queue_of(6), window("F01")
    take(queue)
    service.set_paused(f01, "acceptor", True)
    with pytest.raises(ValidationError, match="暂停"):
        service.call_next(f01, "acceptor")
    service.set_paused(f01, "acceptor", False)
    assert service.call_next(f01, "acceptor") is not None


def test_a_clerk_cannot_call_for_a_window_not_assigned(client, login, ctx):
    take(queue_of(2))
    login(client, "chief_rep")  # assigned to A01 only
    response = client.post("/queue/desk/act", data={"window_id": window("B01").id, "action": "call"})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.execute(select(Ticket.state)).scalar() == TicketState.waiting
    assert "B01" not in client.get("/queue/desk/").get_data(as_text=True)


def test_the_desk_calls_for_an_assigned_window(client, login, ctx):
    ticket = take(queue_of(1))
    login(client, "chief_rep")
    response = client.post("/queue/desk/act", data={"window_id": window("A01").id, "action": "call"})
    assert response.status_code == 302
    page = client.get("/queue/desk/").get_data(as_text=True)
    assert ticket.number in page and "叫号台" in page
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).window_id == window("A01").id


def test_start_acceptance_opens_the_workbench_with_the_applicant_from_the_id_card_ticket(client, login, ctx):
    ticket = take(queue_of(6), taken_by=TakenBy.id_card, holder=PERSON)
    login(client, "acceptor")
    f01 = window("F01").id
    client.post("/queue/desk/act", data={"window_id": f01, "action": "call"})
    response = client.post("/queue/desk/act", data={"window_id": f01, "action": "accept", "ticket_id": ticket.id})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert parse_qs(target.query)["applicant_id"] == [PERSON]
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).state == TicketState.serving
    # The workbench's application form shows it (as when the queue names its usual item).
    item = db.session.execute(select(Item).where(Item.is_current.is_(True)).order_by(Item.id)).scalars().first()
    page = client.get(f"/workbench/new/{item.id}?{target.query}").get_data(as_text=True)
    assert f'name="applicant_id" value="{PERSON}"' in page


def test_the_display_shows_the_last_calls_of_its_zone_with_the_window(client, ctx):
    take(queue_of(6))
    take(queue_of(1))
    service.call_next(window("F01"), "acceptor")
    service.call_next(window("A01"), "chief_rep")
    calls = client.get("/queue/display.json?zone=6").get_json()["calls"]
    assert [(c["window"], c["number"]) for c in calls] == [("F01", f"{queue_of(6).prefix}001")]
    assert "F01" in calls[0]["announce"] and "请" in calls[0]["announce"]
    assert len(client.get("/queue/display.json").get_json()["calls"]) == 2
    assert client.get("/queue/display.json?zone=99").status_code == 404
    assert "叫号显示屏" in client.get("/queue/display").get_data(as_text=True)


def test_waiting_time_figures_average_the_wait_until_the_call_and_the_service(ctx):
    import datetime as dt

    from onewindow import clock

    queue, f01, day = queue_of(6), window("F01"), dt.date(2026, 12, 3)
    with clock.travel_to(dt.datetime(2026, 12, 3, 9, 0)):
        take(queue)
        second = take(queue)
    with clock.travel_to(dt.datetime(2026, 12, 3, 9, 10)):
        service.call_next(f01, "acceptor")  # first waited 10 minutes
    with clock.travel_to(dt.datetime(2026, 12, 3, 9, 30)):
        service.call_next(f01, "acceptor")  # first served 20 minutes; second waited 30
        service.mark_absent(f01, second.id)
    row = next(r for r in service.figures(day) if r.queue.id == queue.id)
    assert (row.taken, row.waiting, row.served, row.absent) == (2, 0, 1, 1)
    assert (row.average_wait_minutes, row.average_service_minutes) == (20.0, 20.0)


def test_the_supervisor_sees_the_figures_page(client, login, ctx):
    login(client, "supervisor")
    page = client.get("/queue/figures/?day=2026-12-03").get_data(as_text=True)
    assert "等候时长统计" in page and queue_of(6).prefix in page
    assert "YYYY-MM-DD" in client.get("/queue/figures/?day=3.12.2026", follow_redirects=True).get_data(as_text=True)
