"""Ticket → case: the case accepted from a called ticket records its ticket (queue plugin's
link table, written in the transition through the ``case_transition`` hook); calling a ticket
taken by ID card shows the clerk that person's open cases."""

from __future__ import annotations

import uuid

from onewindow_queue import service
from onewindow_queue.models import TakenBy, Ticket, TicketCase
from queue_helpers import PERSON, accept_at, ctx, queue_of, window  # noqa: F401 (fixtures)
from sqlalchemy import select

from onewindow import db


def serve(code: str, by: str, **kw) -> Ticket:
    taken = service.take(queue_of(1).id, uuid.uuid4().hex, **kw)
    service.call_next(window(code), by)
    return service.start_serving(window(code), taken.ticket_id)


def test_a_case_accepted_while_serving_a_ticket_records_that_ticket(ctx, make_item, actor):
    item_id = make_item()
    ticket = serve("A01", "acceptor", taken_by=TakenBy.id_card, holder=PERSON)
    case = accept_at(item_id, "A01", actor("acceptor"))
    db.session.commit()
    assert service.ticket_of(case.id).id == ticket.id
    second = accept_at(item_id, "A01", actor("acceptor"))  # two items at one visit
    db.session.commit()
    assert service.ticket_of(second.id).id == ticket.id


def test_a_case_accepted_without_a_ticket_being_served_records_none(ctx, make_item, actor):
    item_id = make_item()
    case = accept_at(item_id, "A01", actor("acceptor"))
    db.session.commit()
    assert service.ticket_of(case.id) is None
    assert db.session.execute(select(TicketCase)).first() is None


def test_another_clerks_ticket_at_the_window_is_not_recorded(ctx, make_item, actor):
    item_id = make_item()
    serve("A01", "chief_rep")
    case = accept_at(item_id, "A01", actor("acceptor"))
    db.session.commit()
    assert service.ticket_of(case.id) is None


def test_the_desk_shows_the_open_cases_of_the_id_card_holder_called(client, login, ctx, make_item, actor):
    item_id = make_item()
    case = accept_at(item_id, "A01", actor("acceptor"))
    db.session.commit()
    service.take(queue_of(1).id, uuid.uuid4().hex, TakenBy.id_card, PERSON)
    anonymous = service.take(queue_of(1).id, uuid.uuid4().hex)
    login(client, "chief_rep")
    client.post("/queue/desk/act", data={"window_id": window("A01").id, "action": "call"})
    page = client.get("/queue/desk/").get_data(as_text=True)
    assert "该申请人未办结的办件" in page and case.number in page
    client.post("/queue/desk/act", data={"window_id": window("A01").id, "action": "call"})
    page = client.get("/queue/desk/").get_data(as_text=True)
    assert anonymous.number in page and case.number not in page


def test_a_later_transition_at_the_window_does_not_take_another_persons_ticket(ctx, make_item, actor):
    from onewindow import engine

    item_id = make_item()
    case = accept_at(item_id, "A01", actor("acceptor"))  # no ticket served: none recorded
    db.session.commit()
    serve("A01", "acceptor")  # the next citizen at A01
    engine.withdraw(case, actor("acceptor"), "申请人撤回申请")
    db.session.commit()
    assert service.ticket_of(case.id) is None
