"""What every transition shares: the actor, the event chain, the checks (the unit of work: ``persistence``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from flask import current_app

from onewindow.app import db
from onewindow.cases import clock
from onewindow.cases.errors import CaseNotFound, PermissionDenied, TransitionError
from onewindow.cases.models import Case, CaseEvent, CaseState, Notice
from onewindow.cases.persistence import append as _append  # how rows are written: apart from the rules
from onewindow.cases.persistence import unit_of_work  # noqa: F401  (the transitions' import)

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who performs a transition: a staff user, the applicant, or the system (scheduler)."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    department_id: int | None = None
    window_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user) -> "Actor":
        if isinstance(user, Actor):
            return user
        return cls(
            username=user.username,
            roles=frozenset(r.name for r in user.roles),
            department_id=user.department_id,
            window_ids=frozenset(w.id for w in getattr(user, "windows", []) or []),
        )

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


SYSTEM = Actor("system", frozenset({"system"}))


def applicant_actor(case_or_id: Any) -> Actor:
    ident = getattr(case_or_id, "applicant_id", case_or_id)
    return Actor(f"applicant:{ident}", frozenset({"applicant"}))


def require_role(actor: Actor, roles: Iterable[str], doing: str) -> None:
    roles = set(roles)
    if actor.has("admin", *roles):
        return
    raise PermissionDenied(f"{actor.username} 无权{doing}：需要角色 {', '.join(sorted(roles))}")


def require_department(actor: Actor, department_id: int, roles: Iterable[str], doing: str) -> None:
    """Department staff act only for their own department (admins for all)."""
    require_role(actor, roles, doing)
    if actor.has("admin", "system"):
        return
    if actor.department_id != department_id:
        raise PermissionDenied(f"{actor.username} 不属于该办件的承办部门，不能{doing}")


def require_state(case: Case, allowed: Iterable[CaseState], doing: str) -> None:
    allowed = set(allowed)
    if case.state not in allowed:
        names = "、".join(str(s) for s in sorted(allowed, key=lambda s: s.name))
        raise TransitionError(f"办件 {case.number} 当前状态为“{case.state}”，不能{doing}（仅限：{names}）")


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def event_digest(case_number: str, event: CaseEvent) -> str:
    body = {
        "case": case_number,
        "seq": event.seq,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "reason": event.reason,
        "payload": event.payload,
        "prev": event.prev_hash,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def append_event(
    case: Case, action: str, from_state: CaseState | None, actor: Actor, reason: str = "", payload: dict | None = None
) -> CaseEvent:
    # The head of the chain is kept on the case row (loaded with it): no timeline read.
    # Two transactions appending at once both write the case row: the version check and
    # the unique (case, seq) index let one of them through.
    seq = case.chain_seq or 0
    prev_hash = case.chain_hash or GENESIS
    event = CaseEvent(
        seq=seq + 1,
        action=action,
        from_state=from_state.name if from_state else None,
        to_state=case.state.name,
        actor=actor.username,
        at=clock.now(),
        reason=reason or "",
        payload=payload or {},
        prev_hash=prev_hash,
    )
    event.hash = event_digest(case.number, event)
    _append(event, case)
    case.chain_seq, case.chain_hash = event.seq, event.hash
    case.updated_at = event.at  # touches the row so the version check always applies
    return event


def transition(
    case: Case, to_state: CaseState | None, action: str, actor: Actor, *, reason: str = "", payload: dict | None = None
) -> CaseEvent:
    """Move ``case`` (or record an action without a state change), then let plugins react."""
    from_state = case.state
    if to_state is not None:
        case.state = to_state
    event = append_event(case, action, from_state, actor, reason, payload)
    current_app.extensions["onewindow"].plugins.hook.case_transition(case=case, event=event)
    return event


def issue_notice(case: Case, kind: str, actor: Actor, content: dict, department_id: int | None = None) -> Notice:
    notice = Notice(
        kind=kind, issued_by=actor.username, content=content, department_id=department_id, issued_at=clock.now()
    )
    _append(notice, case)
    return notice


def load_case(case_or_number: Case | str | int, *, for_update: bool = False) -> Case:
    if isinstance(case_or_number, Case):
        return case_or_number
    query = db.session.query(Case)
    if isinstance(case_or_number, int):
        case = query.filter(Case.id == case_or_number).one_or_none()
    else:
        case = query.filter(Case.number == case_or_number).one_or_none()
    if case is None:
        raise CaseNotFound(f"办件 {case_or_number} 不存在，请核对办件编号")
    return case
