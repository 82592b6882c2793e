"""Calling completeness (叫号): 过号 with the configurable return rule, 转号 to another queue or
window keeping the original take time, the desk's actions only for the clerk's windows, and
the display answering the current state to a screen that reconnects."""

from __future__ import annotations

import datetime as dt

import pytest
from onewindow_queue import service
from onewindow_queue.models import Ticket, TicketState
from queue_helpers import ctx, queue_of, take, window  # noqa: F401 (fixtures)

from onewindow import ValidationError, clock, db

NINE = dt.datetime(2026, 12, 3, 9, 0)


def rule(app, **values):
    app.extensions["onewindow"].plugins.plugin_sections["queue"] = values


def test_an_absent_ticket_comes_back_behind_the_next_three_waiting(ctx):
    queue, f01 = queue_of(6), window("F01")
    with clock.travel_to(NINE):
        late = take(queue)
    others = []
    for minute in range(1, 5):
        with clock.travel_to(NINE + dt.timedelta(minutes=minute)):
            others.append(take(queue))
    with clock.travel_to(NINE + dt.timedelta(minutes=5)):
        service.call_next(f01, "acceptor")
        service.mark_absent(f01, late.id)
    with clock.travel_to(NINE + dt.timedelta(minutes=10)):
        service.return_absent(f01, late.id)
        order = [t.id for t in service.waiting([queue.id])]
    assert order == [o.id for o in others[:3]] + [late.id, others[3].id]
    assert db.session.get(Ticket, late.id).returns == 1


def test_an_absent_ticket_cannot_come_back_after_the_configured_minutes(ctx):
    rule(ctx, absent_return_minutes=15)
    queue, f01 = queue_of(6), window("F01")
    with clock.travel_to(NINE):
        late = take(queue)
        service.call_next(f01, "acceptor")
        service.mark_absent(f01, late.id)
    with clock.travel_to(NINE + dt.timedelta(minutes=16)):
        assert service.absent_today([queue.id]) == []
        with pytest.raises(ValidationError, match="超过 15 分钟"):
            service.return_absent(f01, late.id)
    assert db.session.get(Ticket, late.id).state == TicketState.absent


def test_an_absent_ticket_comes_back_at_most_the_configured_times(ctx):
    queue, f01 = queue_of(6), window("F01")
    with clock.travel_to(NINE):
        late = take(queue)
        service.call_next(f01, "acceptor")
        service.mark_absent(f01, late.id)
        service.return_absent(f01, late.id)
        assert service.call_next(f01, "acceptor").id == late.id  # nobody else waits
        service.mark_absent(f01, late.id)
        with pytest.raises(ValidationError, match="最多 1 次"):
            service.return_absent(f01, late.id)


def test_return_rule_zero_behind_keeps_the_old_place(ctx):
    rule(ctx, absent_return_behind=0)
    queue, f01 = queue_of(6), window("F01")
    with clock.travel_to(NINE):
        late = take(queue)
    with clock.travel_to(NINE + dt.timedelta(minutes=1)):
        later = take(queue)
        service.call_next(f01, "acceptor")
        service.mark_absent(f01, late.id)
        service.return_absent(f01, late.id)
        assert [t.id for t in service.waiting([queue.id])] == [late.id, later.id]


def test_a_transfer_to_another_queue_keeps_the_original_take_time(ctx):
    first_queue, other = queue_of(6), queue_of(1)
    with clock.travel_to(NINE):
        moved = take(first_queue)
    with clock.travel_to(NINE + dt.timedelta(minutes=5)):
        waiting_there = take(other)
        service.call_next(window("F01"), "acceptor")
        service.transfer(window("F01"), moved.id, to_queue_id=other.id)
        moved = db.session.get(Ticket, moved.id)
        assert moved.state == TicketState.waiting and moved.number.startswith(first_queue.prefix)
        assert moved.taken_at == NINE
        # Taken earlier than the one already waiting there: it is called first at the other queue.
        assert [t.id for t in service.waiting([other.id])] == [moved.id, waiting_there.id]
        assert service.waiting([first_queue.id]) == []
        assert service.call_next(window("A01"), "chief_rep").id == moved.id


def test_a_transfer_to_a_window_is_called_only_there(ctx):
    queue = queue_of(6)
    moved = take(queue)
    service.call_next(window("F01"), "acceptor")
    service.transfer(window("F01"), moved.id, to_window_id=window("F02").id)
    assert service.call_next(window("F01"), "acceptor") is None
    assert service.call_next(window("F02"), "acceptor").id == moved.id


def test_a_transfer_needs_one_target_and_a_ticket_called_here(ctx):
    queue = queue_of(6)
    ticket = take(queue)
    with pytest.raises(ValidationError, match="不是窗口 F01"):
        service.transfer(window("F01"), ticket.id, to_queue_id=queue_of(1).id)
    service.call_next(window("F01"), "acceptor")
    with pytest.raises(ValidationError, match="二选一"):
        service.transfer(window("F01"), ticket.id)
    with pytest.raises(ValidationError, match="目标窗口"):
        service.transfer(window("F01"), ticket.id, to_window_id=window("F01").id)


def test_a_clerk_cannot_transfer_or_return_for_a_window_not_assigned(client, login, ctx):
    ticket = take(queue_of(2))
    service.call_next(window("B01"), "someone")
    login(client, "chief_rep")  # assigned to A01 only
    for action in ("transfer", "return", "absent", "recall", "pause"):
        response = client.post(
            "/queue/desk/act",
            data={"window_id": window("B01").id, "action": action, "ticket_id": ticket.id, "target": "queue:1"},
        )
        assert response.status_code == 403, action
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).state == TicketState.called


def test_the_desk_transfers_and_returns_through_its_buttons(client, login, ctx):
    queue = queue_of(1)
    ticket = take(queue)
    login(client, "chief_rep")
    a01 = window("A01").id
    client.post("/queue/desk/act", data={"window_id": a01, "action": "call"})
    page = client.get("/queue/desk/").get_data(as_text=True)
    assert "转号" in page
    client.post("/queue/desk/act", data={"window_id": a01, "action": "absent", "ticket_id": ticket.id})
    page = client.get("/queue/desk/").get_data(as_text=True)
    assert "过号返回" in page or "返回排队" in page
    client.post("/queue/desk/act", data={"window_id": a01, "action": "return", "ticket_id": ticket.id})
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).state == TicketState.waiting
    bad = client.post(
        "/queue/desk/act", data={"window_id": a01, "action": "transfer", "ticket_id": ticket.id, "target": "x"}
    )
    assert bad.status_code == 302
    assert "请选择一个目标队列" in client.get("/queue/desk/").get_data(as_text=True)


def test_a_display_that_reconnects_gets_the_current_state_not_missed_events(client, ctx):
    queue = queue_of(6)
    first, second = take(queue), take(queue)
    service.call_next(window("F01"), "acceptor")
    service.recall(window("F01"), first.id)
    service.transfer(window("F01"), first.id, to_window_id=window("F02").id)
    service.call_next(window("F01"), "acceptor")
    # A screen offline during all of this asks once and sees where things stand now.
    calls = client.get("/queue/display.json?zone=6").get_json()["calls"]
    assert [(c["number"], c["window"]) for c in calls] == [(second.number, "F01")]
