"""Hall queues (大厅管理, plugin ``queue``): queues from the installed zones, ticket numbers
unique and gapless under concurrent takes, a terminal's retry, the terminal page."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from onewindow_queue import service
from onewindow_queue.models import Counter, Queue, TakenBy, Ticket
from queue_helpers import PERSON, ctx, queue_of  # noqa: F401 (fixtures)
from sqlalchemy import func, select

from onewindow import ValidationError, Window, Zone, db


def token() -> str:
    return uuid.uuid4().hex


def test_queues_are_created_per_zone_from_the_installed_pack_with_its_calling_windows(ctx):
    comprehensive = queue_of(6)
    assert comprehensive.name == comprehensive.zone.name
    assert sorted(w.code for w in comprehensive.windows) == ["F01", "F02"]  # not the output window F09
    assert db.session.execute(select(Queue).join(Zone).where(Zone.number.in_([7, 8]))).first() is None
    assert (
        len({q.prefix for q in db.session.execute(select(Queue)).scalars()})
        == db.session.execute(select(func.count(Queue.id))).scalar()
    )


def test_ticket_numbers_are_prefix_and_three_digits_per_queue_and_day(ctx):
    queue = queue_of(6)
    first = service.take(queue.id, token())
    second = service.take(queue.id, token())
    assert (first.number, second.number) == (f"{queue.prefix}001", f"{queue.prefix}002")
    other = service.take(queue_of(1).id, token())
    assert other.number == f"{queue_of(1).prefix}001"


def test_ticket_numbers_are_unique_and_gapless_under_200_concurrent_takes_across_4_queues(ctx):
    queues = [queue_of(n).id for n in (1, 2, 3, 6)]
    app = ctx
    start = threading.Barrier(8)

    def take(i: int) -> tuple[int, str]:
        with app.app_context():
            if i < 8:
                start.wait()  # the first takes hit the counters at the same moment
            try:
                taken = service.take(queues[i % 4], token())
                return queues[i % 4], taken.number
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(take, range(200)))
    db.session.rollback()  # read what the threads committed, not this session's snapshot
    assert len({number for _q, number in results}) == 200
    for queue_id in queues:
        prefix = db.session.get(Queue, queue_id).prefix
        seqs = sorted(int(n[len(prefix) :]) for q, n in results if q == queue_id)
        assert seqs == list(range(1, 51)), f"queue {prefix}: numbers {seqs}"
        stored = db.session.execute(select(Ticket.seq).where(Ticket.queue_id == queue_id)).scalars().all()
        assert sorted(stored) == list(range(1, 51))
        assert db.session.execute(select(Counter.last).where(Counter.queue_id == queue_id)).scalar() == 50


def test_a_terminal_retry_with_the_same_token_gets_the_same_ticket_never_two(ctx):
    queue = queue_of(6)
    same = token()
    first = service.take(queue.id, same)
    again = service.take(queue.id, same)
    assert (again.ticket_id, again.number, again.repeated) == (first.ticket_id, first.number, True)
    # The retry left no gap: the next take gets the next number.
    assert service.take(queue.id, token()).number == f"{queue.prefix}002"


def test_concurrent_retries_of_one_take_issue_one_ticket(ctx):
    queue_id, same, app = queue_of(6).id, token(), ctx

    def take(_i):
        with app.app_context():
            try:
                return service.take(queue_id, same).ticket_id
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(take, range(12)))
    db.session.rollback()
    assert len(ids) == 1
    assert db.session.execute(select(func.count(Ticket.id)).where(Ticket.queue_id == queue_id)).scalar() == 1
    assert db.session.execute(select(Counter.last).where(Counter.queue_id == queue_id)).scalar() == 1


def test_a_ticket_by_id_card_or_mobile_checks_the_number_and_lists_it_masked(ctx):
    queue = queue_of(6)
    with pytest.raises(ValidationError, match="身份证号码"):
        service.take(queue.id, token(), TakenBy.id_card, "440304200002291235")
    with pytest.raises(ValidationError, match="手机号码"):
        service.take(queue.id, token(), TakenBy.mobile, "2381234567")
    by_id = db.session.get(Ticket, service.take(queue.id, token(), TakenBy.id_card, PERSON).ticket_id)
    by_mobile = db.session.get(Ticket, service.take(queue.id, token(), TakenBy.mobile, "13812345678").ticket_id)
    assert by_id.masked_holder == "440304********1236"
    assert by_mobile.masked_holder == "138****5678"
    # The refused takes used no number.
    assert (by_id.seq, by_mobile.seq) == (1, 2)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _ticket_token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_the_terminal_takes_a_ticket_without_login_and_a_resubmitted_form_gets_the_same(make_app):
    app = make_app(config={"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    page = client.get("/queue/terminal").get_data(as_text=True)
    assert "自助取号" in page
    with app.app_context():
        queue_id = queue_of(6).id
    form = {"csrf_token": _csrf(page), "token": _ticket_token(page), "queue_id": queue_id, "taken_by": "anonymous"}
    without_csrf = {k: v for k, v in form.items() if k != "csrf_token"}
    assert client.post("/queue/terminal", data=without_csrf).status_code == 400
    first = client.post("/queue/terminal", data=form)
    second = client.post("/queue/terminal", data=form)  # the network dropped: the terminal posts again
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    ticket_page = client.get(first.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        prefix = db.session.get(Queue, queue_id).prefix
        assert db.session.execute(select(func.count(Ticket.id))).scalar() == 1
    assert f"{prefix}001" in ticket_page and "<svg" in ticket_page and "80mm" in ticket_page
    assert "前面还有 0 人" in ticket_page


def test_the_terminal_names_a_bad_number_and_issues_nothing(client, ctx):
    page = client.get("/queue/terminal").get_data(as_text=True)
    response = client.post(
        "/queue/terminal",
        data={"token": _ticket_token(page), "queue_id": queue_of(6).id, "taken_by": "mobile", "holder": "123"},
    )
    assert response.status_code == 400
    assert "手机号码" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(Ticket.id))).scalar() == 0


def test_the_status_page_counts_the_people_ahead(client, ctx):
    queue = queue_of(6)
    tokens = [token() for _ in range(3)]
    for t in tokens:
        service.take(queue.id, t)
    assert client.get(f"/queue/status/{tokens[2]}?format=json").get_json()["ahead"] == 2
    assert "前面还有 1 人" in client.get(f"/queue/status/{tokens[1]}").get_data(as_text=True)
    assert client.get("/queue/status/unknown-token").status_code == 404


def test_windows_of_other_kinds_call_no_queue(ctx):
    f09 = db.session.execute(select(Window).where(Window.code == "F09")).scalar_one()
    assert service.queues_of(f09) == []
