"""Verifying the event hash chain (全程留痕、过往可溯): any edit, deletion or reordering
of a case's events breaks a link that ``onewindow audit verify`` names; the chain's head
kept on the case row shows events cut from the end."""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.app import db
from onewindow.cases.core import GENESIS, event_digest
from onewindow.cases.models import Case, CaseEvent


@dataclass
class BrokenLink:
    case_number: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"办件 {self.case_number} 事件 #{self.seq}: {self.problem}"


def verify_case(case: Case, events: list[CaseEvent] | None = None) -> list[BrokenLink]:
    broken: list[BrokenLink] = []
    previous_hash = GENESIS
    expected_seq = 1
    for event in events if events is not None else case.events:
        if event.seq != expected_seq:
            broken.append(BrokenLink(case.number, event.seq, f"序号应为 {expected_seq}（事件缺失或被插入）"))
        if event.prev_hash != previous_hash:
            broken.append(BrokenLink(case.number, event.seq, "前一事件哈希不符（链接被破坏）"))
        if event_digest(case.number, event) != event.hash:
            broken.append(BrokenLink(case.number, event.seq, f"内容与哈希不符（记录被篡改）：{event.action}"))
        previous_hash = event.hash
        expected_seq = event.seq + 1
    # The case row keeps the head of its chain: events cut from the end (which leave the
    # remaining links intact) or appended outside the engine show here.
    if (case.chain_seq or 0, case.chain_hash or GENESIS) != (expected_seq - 1, previous_hash):
        broken.append(
            BrokenLink(
                case.number,
                case.chain_seq or 0,
                f"办件记录的最后事件为 #{case.chain_seq}，时间线却止于 #{expected_seq - 1}"
                "（末尾事件被删除或在办件引擎之外被添加）",
            )
        )
    return broken


def verify_all(batch: int = 500) -> tuple[int, list[BrokenLink]]:
    """(cases checked, broken links) over every case, streaming in batches."""
    checked = 0
    broken: list[BrokenLink] = []
    last_id = 0
    while True:
        cases = db.session.query(Case).filter(Case.id > last_id).order_by(Case.id).limit(batch).all()
        if not cases:
            return checked, broken
        ids = [c.id for c in cases]
        events: dict[int, list[CaseEvent]] = {i: [] for i in ids}
        for event in (
            db.session.query(CaseEvent).filter(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.case_id, CaseEvent.seq)
        ):
            events[event.case_id].append(event)
        for case in cases:
            broken += verify_case(case, events[case.id])
        checked += len(cases)
        last_id = ids[-1]
        db.session.expunge_all()
