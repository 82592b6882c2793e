"""Many windows calling at once (叫号): every clerk's "call next" is answered — a ticket or
nobody waiting — and no ticket is called twice, also on SQLite where a transaction that reads
and then writes would fail at once ("database is locked") while another window writes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from onewindow_queue import service
from onewindow_queue.models import Ticket, TicketState
from queue_helpers import ctx, queue_of, take  # noqa: F401 (fixtures)
from sqlalchemy import select

from onewindow import Window, db
from onewindow.models import WindowKind

WINDOWS = 8


def test_eight_windows_calling_at_once_each_get_an_answer_and_no_ticket_twice(ctx):
    app, queue = ctx, queue_of(1)
    for n in range(WINDOWS):
        window = Window(zone=queue.zone, code=f"T{n:02d}", name=f"并发窗口{n}", kind=WindowKind.comprehensive)
        queue.windows.append(window)
    db.session.commit()
    window_ids = [w.id for w in queue.windows if w.code.startswith("T")]
    for _ in range(2 * WINDOWS):
        take(queue)
    start = threading.Barrier(WINDOWS)

    def clerk(window_id: int) -> list[str]:
        with app.app_context():
            start.wait()
            called = []
            for _ in range(3):  # two tickets each, then nobody waits
                ticket = service.call_next(db.session.get(Window, window_id), f"clerk{window_id}")
                called.append(ticket.number if ticket else "")
            db.session.remove()
            return called

    with ThreadPoolExecutor(max_workers=WINDOWS) as pool:
        answers = [number for numbers in pool.map(clerk, window_ids) for number in numbers if number]
    db.session.rollback()
    assert len(answers) == len(set(answers)) == 2 * WINDOWS
    tickets = db.session.execute(select(Ticket).where(Ticket.queue_id == queue.id)).scalars().all()
    assert all(t.calls == 1 and t.state in (TicketState.called, TicketState.done) for t in tickets)
