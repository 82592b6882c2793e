"""Taking and calling tickets: the one place that changes a ticket, used by the terminal,
the desk and the tests.

A ticket's number comes from one counter row per queue and day, raised and read in the same
statement (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) inside the transaction that
inserts the ticket: on PostgreSQL the row lock serialises concurrent takes of one queue, on
SQLite the transaction begins IMMEDIATE (write lock first). A take that fails rolls back its
increment too, so numbers have no gap. The terminal's token is unique: a retry of the same
take answers the ticket already issued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from onewindow import (
    FINAL_STATES,
    Case,
    PermissionDenied,
    ValidationError,
    Window,
    Zone,
    clock,
    db,
    engine,
    resident_id_problem,
    unit_of_work,
)
from onewindow_queue.models import Counter, PriorityGroup, Queue, TakenBy, Ticket, TicketCase, TicketState, WindowPause

#: Windows of these kinds call no tickets (出件, 自助 and 咨询 have no queue of their own).
NOT_CALLING = {"output", "self_service", "consultation"}
DEFAULT_PRIORITY_GROUPS = ("老年人", "残疾人", "现役军人")


def upsert(dialect: str):
    return pg_insert if dialect == "postgresql" else sqlite_insert


def check_holder(taken_by: TakenBy, holder: str | None) -> str | None:
    """The holder's number, checked: a mobile has 11 digits from 1, an ID card its check digit."""
    holder = (holder or "").strip().upper()
    if taken_by == TakenBy.anonymous:
        return None
    if taken_by == TakenBy.mobile:
        if not (len(holder) == 11 and holder.isdigit() and holder.startswith("1")):
            raise ValidationError(f"手机号码 {holder!r}: 应为以 1 开头的 11 位数字，请重新输入")
        return holder
    problem = resident_id_problem(holder)
    if problem:
        raise ValidationError(f"身份证号码: {problem}")
    return holder


@dataclass(frozen=True)
class Taken:
    ticket_id: int
    number: str
    repeated: bool  # True: the token had already taken this ticket (a terminal's retry)


def take(
    queue_id: int,
    token: str,
    taken_by: TakenBy = TakenBy.anonymous,
    holder: str | None = None,
    priority_group_id: int | None = None,
) -> Taken:
    """取号: the next number of the queue today, or the ticket this token already took."""
    token = (token or "").strip()
    if not 8 <= len(token) <= 64:
        raise ValidationError("取号令牌: 应为 8–64 个字符；请刷新取号页面后重试")
    holder = check_holder(taken_by, holder)
    queue = db.session.get(Queue, queue_id)
    if queue is None or not queue.active:
        raise ValidationError(f"队列 {queue_id}: 不存在或已停用；请选择取号页面上列出的业务")
    if priority_group_id is not None:
        group = db.session.get(PriorityGroup, priority_group_id)
        if group is None or not group.active:
            raise ValidationError(f"优先群体 {priority_group_id}: 不存在或已停用；请选择页面上列出的群体")
    prefix = queue.prefix
    db.session.rollback()  # our own connection does the write; release the session's
    now = clock.now()
    day = now.date()
    counters, tickets = Counter.__table__, Ticket.__table__
    try:
        with db.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin() as trans:
                stmt = upsert(conn.dialect.name)(counters).values(queue_id=queue_id, day=day, last=1)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[counters.c.queue_id, counters.c.day], set_={"last": counters.c.last + 1}
                ).returning(counters.c.last)
                seq = conn.execute(stmt).scalar_one()
                # After the counter's lock: a retry that raced its first attempt sees it committed.
                earlier = conn.execute(select(tickets.c.id, tickets.c.number).where(tickets.c.token == token)).first()
                if earlier is not None:
                    trans.rollback()
                    return Taken(earlier.id, earlier.number, True)
                if seq > 999:
                    raise ValidationError(f"队列 {prefix}: 今日号码已用完（999 个）；请联系管理员增开队列")
                number = f"{prefix}{seq:03d}"
                ticket_id = conn.execute(
                    tickets.insert()
                    .values(
                        queue_id=queue_id,
                        day=day,
                        seq=seq,
                        number=number,
                        token=token,
                        taken_by=taken_by.name,
                        holder=holder,
                        priority_group_id=priority_group_id,
                        state=TicketState.waiting.name,
                        taken_at=now,
                        queued_at=now,
                        calls=0,
                        returns=0,
                    )
                    .returning(tickets.c.id)
                ).scalar_one()
        return Taken(ticket_id, number, False)
    except IntegrityError:
        # The same token took a ticket of another queue at the same moment: answer that one.
        found = db.session.execute(select(Ticket).where(Ticket.token == token)).scalar()
        if found is None:
            raise
        return Taken(found.id, found.number, True)


def write_first() -> None:
    """Start the transaction with a write: a deferred SQLite transaction that reads and then
    writes fails at once ("database is locked") when another request wrote meanwhile; one that
    writes first waits its turn (busy timeout). On PostgreSQL the rows' locks do this. Used
    by every read-then-write of the desk and of the appointments (20 windows calling at once)."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE queue_counter SET last = last WHERE 0"))


def settings() -> dict:
    """``[plugins.queue]`` in onewindow.toml (defaults in :data:`onewindow_queue.plugin.CONFIG_DEFAULTS`)."""
    return current_app.extensions["onewindow"].plugin_config("queue")


def _service_order():
    # Priority groups first (lower rank first), then by place in line: 先到先办, 特殊群体优先.
    return (
        PriorityGroup.rank.is_(None),
        PriorityGroup.rank,
        func.coalesce(Ticket.queued_at, Ticket.taken_at),
        Ticket.id,
    )


def waiting(queue_ids: list[int], day: dt.date | None = None, window_id: int | None = None) -> list[Ticket]:
    """The waiting tickets these queues (and this window) call, in the order they will be
    called: a ticket transferred to a queue counts in that queue, one transferred to a window
    only at that window."""
    day = day or clock.today()
    in_queue = and_(
        Ticket.to_window_id.is_(None), func.coalesce(Ticket.to_queue_id, Ticket.queue_id).in_(queue_ids or [0])
    )
    mine = or_(in_queue, Ticket.to_window_id == window_id) if window_id is not None else in_queue
    return list(
        db.session.execute(
            select(Ticket)
            .outerjoin(PriorityGroup, Ticket.priority_group_id == PriorityGroup.id)
            .where(mine, Ticket.day == day, Ticket.state == TicketState.waiting)
            .order_by(*_service_order())
        ).scalars()
    )


def ahead_of(ticket: Ticket) -> int:
    """前面还有 N 人: waiting tickets called before this one where it waits now."""
    if ticket.state != TicketState.waiting:
        return 0
    if ticket.to_window_id is not None:
        window = db.session.get(Window, ticket.to_window_id)
        order = [t.id for t in waiting([q.id for q in queues_of(window)], ticket.day, window.id)]
    else:
        order = [t.id for t in waiting([ticket.serving_queue_id], ticket.day)]
    return order.index(ticket.id) if ticket.id in order else 0


def window_for(actor_window_ids: set[int], window_id: int) -> Window:
    """The window, if the clerk is assigned to it (ow_staff_window); otherwise 403."""
    window = db.session.get(Window, window_id)
    if window is None or window_id not in actor_window_ids:
        raise PermissionDenied(f"窗口 {window.code if window else window_id}: 您未被分配到该窗口，不能为其叫号")
    return window


def queues_of(window: Window) -> list[Queue]:
    return list(
        db.session.execute(
            select(Queue)
            .where(Queue.active.is_(True), Queue.windows.any(Window.id == window.id))
            .order_by(Queue.prefix)
        ).scalars()
    )


def paused(window: Window) -> bool:
    return db.session.get(WindowPause, window.id) is not None


def current(window: Window) -> Ticket | None:
    """The ticket called to (or being served at) this window today."""
    return db.session.execute(
        select(Ticket)
        .where(
            Ticket.window_id == window.id,
            Ticket.day == clock.today(),
            Ticket.state.in_([TicketState.called, TicketState.serving]),
        )
        .order_by(Ticket.called_at.desc())
    ).scalar()


def _finish_current(window: Window) -> None:
    ticket = current(window)
    if ticket is not None:
        ticket.state = TicketState.done
        ticket.finished_at = clock.now()


def call_next(window: Window, by: str) -> Ticket | None:
    """叫号: finish the window's current ticket and call the first waiting one of its queues."""
    write_first()
    if paused(window):
        raise ValidationError(f"窗口 {window.code}: 已暂停服务；请先恢复服务再叫号")
    _finish_current(window)
    queue_ids = [q.id for q in queues_of(window)]
    for candidate in waiting(queue_ids, window_id=window.id):
        # Conditional update: two windows sharing a queue never call the same ticket.
        claimed = db.session.execute(
            update(Ticket)
            .where(Ticket.id == candidate.id, Ticket.state == TicketState.waiting)
            .values(
                state=TicketState.called,
                window_id=window.id,
                called_by=by,
                called_at=clock.now(),
                calls=Ticket.calls + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            db.session.commit()
            db.session.refresh(candidate)
            return candidate
    db.session.commit()
    return None


def _own_ticket(window: Window, ticket_id: int) -> Ticket:
    write_first()
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.window_id != window.id:
        raise ValidationError(f"号码 {ticket_id}: 不是窗口 {window.code} 叫到的号；请从本窗口的当前号操作")
    return ticket


def recall(window: Window, ticket_id: int) -> Ticket:
    """重呼: announce the called ticket again."""
    ticket = _own_ticket(window, ticket_id)
    if ticket.state != TicketState.called:
        raise ValidationError(f"号码 {ticket.number}: 状态为“{ticket.state}”，只有已叫号未办理的号码可以重呼")
    ticket.calls += 1
    ticket.called_at = clock.now()
    db.session.commit()
    return ticket


def mark_absent(window: Window, ticket_id: int) -> Ticket:
    """过号: the citizen did not come; the window may call the next one."""
    ticket = _own_ticket(window, ticket_id)
    if ticket.state != TicketState.called:
        raise ValidationError(f"号码 {ticket.number}: 状态为“{ticket.state}”，只有已叫号未办理的号码可以过号")
    ticket.state = TicketState.absent
    ticket.finished_at = ticket.absent_at = clock.now()
    db.session.commit()
    return ticket


def returnable(ticket: Ticket, now: dt.datetime | None = None) -> str | None:
    """Why an absent ticket may not come back (过号返回), or ``None`` if it may: within
    ``absent_return_minutes`` of the 过号 and at most ``absent_returns_max`` times."""
    rule = settings()
    minutes, most = int(rule["absent_return_minutes"]), int(rule["absent_returns_max"])
    now = now or clock.now()
    if ticket.state != TicketState.absent:
        return f"号码 {ticket.number}: 状态为“{ticket.state}”，只有已过号的号码可以返回排队"
    if ticket.returns >= most:
        return f"号码 {ticket.number}: 已过号返回 {ticket.returns} 次（最多 {most} 次）；请重新取号"
    if ticket.absent_at is None or now - ticket.absent_at > dt.timedelta(minutes=minutes):
        return f"号码 {ticket.number}: 过号已超过 {minutes} 分钟，不能返回排队；请重新取号"
    return None


def return_absent(window: Window, ticket_id: int) -> Ticket:
    """过号返回: the citizen came back; the ticket waits again behind the next
    ``absent_return_behind`` tickets of its queue (those waiting now), not at its old place."""
    write_first()
    ticket = db.session.get(Ticket, ticket_id)
    calling = {q.id for q in queues_of(window)}
    if ticket is None or (ticket.serving_queue_id not in calling and ticket.to_window_id != window.id):
        raise ValidationError(f"号码 {ticket_id}: 不在窗口 {window.code} 的队列中；请在该号码所属队列的窗口操作")
    problem = returnable(ticket)
    if problem:
        raise ValidationError(problem)
    now = clock.now()
    ahead = waiting([ticket.serving_queue_id], ticket.day)
    behind = int(settings()["absent_return_behind"])
    # After the N-th waiting ticket in line (the place the citizen is told), or last if fewer wait.
    if 0 < behind <= len(ahead):
        anchor = ahead[behind - 1]
        place = (anchor.queued_at or anchor.taken_at) + dt.timedelta(microseconds=1)
    else:
        place = now if behind else (ticket.queued_at or ticket.taken_at)
    ticket.state = TicketState.waiting
    ticket.queued_at = place
    ticket.window_id = None
    ticket.finished_at = None
    ticket.returns += 1
    db.session.commit()
    return ticket


def transfer(window: Window, ticket_id: int, to_queue_id: int | None = None, to_window_id: int | None = None) -> Ticket:
    """转号: hand the called ticket to another queue or one other window; it keeps its number
    and its original take time (its place in line), so it does not start again at the back."""
    ticket = _own_ticket(window, ticket_id)
    if ticket.state not in (TicketState.called, TicketState.serving):
        raise ValidationError(f"号码 {ticket.number}: 状态为“{ticket.state}”，只有本窗口叫到的号码可以转号")
    if (to_queue_id is None) == (to_window_id is None):
        raise ValidationError("转号: 请选择一个目标队列或一个目标窗口（二选一）")
    if to_queue_id is not None:
        queue = db.session.get(Queue, to_queue_id)
        if queue is None or not queue.active:
            raise ValidationError(f"目标队列 {to_queue_id}: 不存在或已停用；请从列表中选择")
        ticket.to_queue_id, ticket.to_window_id = (None if queue.id == ticket.queue_id else queue.id), None
    else:
        target = db.session.get(Window, to_window_id)
        if target is None or not target.active or target.id == window.id or not queues_of(target):
            raise ValidationError(f"目标窗口 {to_window_id}: 不存在、已停用、是本窗口或不叫号；请从列表中选择")
        ticket.to_window_id = target.id
    ticket.state = TicketState.waiting
    ticket.window_id = None
    ticket.called_at = None
    db.session.commit()
    return ticket


def absent_today(queue_ids: list[int]) -> list[Ticket]:
    """Today's 过号 tickets of these queues that may still come back, latest first."""
    rows = db.session.execute(
        select(Ticket)
        .where(
            Ticket.day == clock.today(),
            Ticket.state == TicketState.absent,
            func.coalesce(Ticket.to_queue_id, Ticket.queue_id).in_(queue_ids or [0]),
        )
        .order_by(Ticket.absent_at.desc())
    ).scalars()
    return [t for t in rows if returnable(t) is None]


def start_serving(window: Window, ticket_id: int) -> Ticket:
    """开始受理: the called citizen is at the window."""
    ticket = _own_ticket(window, ticket_id)
    if ticket.state not in (TicketState.called, TicketState.serving):
        raise ValidationError(f"号码 {ticket.number}: 状态为“{ticket.state}”，请先叫号")
    ticket.state = TicketState.serving
    db.session.commit()
    return ticket


def link_case(case: Case, actor: str) -> TicketCase | None:
    """Record the ticket of a case accepted at a window (inside the transition's transaction):
    the ticket that clerk is serving there today. A case keeps the first ticket it got."""
    window_id = case.window.id if case.window is not None else case.window_id  # before any flush
    if window_id is None:
        return None
    ticket = db.session.execute(
        select(Ticket)
        .where(
            Ticket.window_id == window_id,
            Ticket.day == clock.today(),
            Ticket.state == TicketState.serving,
            Ticket.called_by == actor,
        )
        .order_by(Ticket.called_at.desc())
    ).scalar()
    if ticket is None:  # most transitions: nothing to link, nothing written
        return None
    if case.id is None:
        db.session.flush()
    if db.session.get(TicketCase, case.id) is not None:
        return None
    link = TicketCase(case_id=case.id, ticket_id=ticket.id, linked_at=clock.now())
    db.session.add(link)
    return link


def ticket_of(case_id: int) -> Ticket | None:
    link = db.session.get(TicketCase, case_id)
    return link.ticket if link else None


def open_cases_of(holder: str) -> list[Case]:
    """The applicant's cases not yet concluded (shown to the clerk calling their ticket)."""
    return list(
        db.session.execute(
            select(Case)
            .where(Case.applicant_id == holder, Case.state.not_in(list(FINAL_STATES)))
            .order_by(Case.id.desc())
            .limit(20)
        ).scalars()
    )


def finish(window: Window, ticket_id: int) -> Ticket:
    """服务完成: the clerk is done with the citizen; the window's rating pad now asks them."""
    ticket = _own_ticket(window, ticket_id)
    if ticket.state not in (TicketState.called, TicketState.serving):
        raise ValidationError(f"号码 {ticket.number}: 状态为“{ticket.state}”，只有本窗口正在服务的号码可以结束服务")
    ticket.state = TicketState.done
    ticket.finished_at = clock.now()
    db.session.commit()
    return ticket


def pad_case(window: Window) -> Case | None:
    """The case the window's rating pad asks about: of the ticket last served there, finished
    at most ``pad_minutes`` ago, the latest of its cases not yet rated (one rating per case)."""
    from onewindow_supervision.models import Evaluation

    since = clock.now() - dt.timedelta(minutes=int(settings()["pad_minutes"]))
    ticket = db.session.execute(
        select(Ticket)
        .where(Ticket.window_id == window.id, Ticket.state == TicketState.done, Ticket.finished_at >= since)
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc())
    ).scalar()
    if ticket is None:
        return None
    return db.session.execute(
        select(Case)
        .join(TicketCase, TicketCase.case_id == Case.id)
        .where(TicketCase.ticket_id == ticket.id, ~select(Evaluation.id).where(Evaluation.case_id == Case.id).exists())
        .order_by(Case.id.desc())
    ).scalar()


def rate_on_pad(window: Window, case_id: int, level: str, reasons: list[str], comment: str = ""):
    """评价器: the applicant rates the service of the case the pad shows (and only that one)."""
    from onewindow_supervision import service as supervision
    from onewindow_supervision.models import BAD_LEVELS, EvaluationLevel

    case = pad_case(window)
    if case is None or case.id != case_id:
        raise ValidationError(
            f"窗口 {window.code}: 该办件当前不在本评价器上待评价（已评价或已超时）；请在窗口服务结束后评价"
        )
    if level not in EvaluationLevel.__members__:
        raise ValidationError("评价: 请点选五个等级之一")
    offered = list(settings()["pad_reasons"])
    unknown = [r for r in reasons if r not in offered]
    if unknown:
        raise ValidationError(f"评价原因 {unknown}: 不在评价器列出的原因中；请点选列出的原因")
    text = "；".join([*reasons, *([comment.strip()] if comment.strip() else [])])
    if EvaluationLevel[level] in BAD_LEVELS and not text:
        raise ValidationError("不满意的评价: 请至少点选一项原因，以便整改和回访")
    with unit_of_work():
        return supervision.record_evaluation(case, engine.applicant_actor(case), level, "pad", text)


def set_paused(window: Window, by: str, pause: bool) -> None:
    """暂停服务 / 恢复服务 of a window."""
    write_first()
    row = db.session.get(WindowPause, window.id)
    if pause and row is None:
        db.session.add(WindowPause(window_id=window.id, paused_by=by, paused_at=clock.now()))
    elif not pause and row is not None:
        db.session.delete(row)
    db.session.commit()


def last_calls(zone_id: int | None, limit: int = 8) -> list[Ticket]:
    """The latest calls of the day (of one zone), newest first, for the hall's display."""
    stmt = select(Ticket).where(
        Ticket.day == clock.today(), Ticket.called_at.is_not(None), Ticket.window_id.is_not(None)
    )
    if zone_id is not None:
        stmt = stmt.join(Queue, Ticket.queue_id == Queue.id).where(Queue.zone_id == zone_id)
    return list(db.session.execute(stmt.order_by(Ticket.called_at.desc(), Ticket.id.desc()).limit(limit)).scalars())


def seed_queues(session) -> int:
    """One queue per zone that has calling windows (business type: the zone's name), with those
    windows, and the default priority groups; what exists already is left as it is."""
    made = 0
    used = set(session.execute(select(Queue.prefix)).scalars())
    have = set(session.execute(select(Queue.zone_id)).scalars())
    for zone in session.execute(select(Zone).order_by(Zone.number)).scalars():
        windows = [
            w
            for w in session.execute(select(Window).where(Window.zone_id == zone.id, Window.active.is_(True))).scalars()
            if w.kind.name not in NOT_CALLING
        ]
        if zone.id in have or not windows:
            continue
        prefix = next(
            (p for p in [chr(ord("A") + zone.number - 1), *(chr(c) for c in range(65, 91))] if p not in used), None
        )
        if prefix is None:
            continue
        used.add(prefix)
        session.add(Queue(zone_id=zone.id, name=zone.name, prefix=prefix, windows=windows, active=True))
        made += 1
    if session.execute(select(func.count(PriorityGroup.id))).scalar() == 0:
        for rank, name in enumerate(DEFAULT_PRIORITY_GROUPS, start=1):
            session.add(PriorityGroup(name=name, rank=rank, active=True))
    session.flush()
    return made


@dataclass(frozen=True)
class QueueFigures:
    queue: Queue
    taken: int
    waiting: int
    served: int
    absent: int
    average_wait_minutes: float | None  # taken → first call, over the called tickets
    average_service_minutes: float | None  # first call → finished, over the served tickets


def _mean_minutes(spans: list[dt.timedelta]) -> float | None:
    return round(sum(s.total_seconds() for s in spans) / 60 / len(spans), 1) if spans else None


def figures(day: dt.date) -> list[QueueFigures]:
    """等候时长与办理时长 per queue on a day (for the hall supervisor)."""
    rows: dict[int, list[Ticket]] = {}
    for ticket in db.session.execute(select(Ticket).where(Ticket.day == day)).scalars():
        rows.setdefault(ticket.queue_id, []).append(ticket)
    result = []
    for queue in db.session.execute(select(Queue).order_by(Queue.prefix)).scalars():
        tickets = rows.get(queue.id, [])
        called = [t for t in tickets if t.called_at is not None]
        served = [t for t in called if t.state == TicketState.done and t.finished_at is not None]
        result.append(
            QueueFigures(
                queue=queue,
                taken=len(tickets),
                waiting=sum(t.state == TicketState.waiting for t in tickets),
                served=len(served),
                absent=sum(t.state == TicketState.absent for t in tickets),
                average_wait_minutes=_mean_minutes([t.called_at - t.taken_at for t in called if t.called_at]),
                average_service_minutes=_mean_minutes(
                    [t.finished_at - t.called_at for t in served if t.finished_at and t.called_at]
                ),
            )
        )
    return result
