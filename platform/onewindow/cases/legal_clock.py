"""The legal clock's own jobs (core, whatever plugins are on): 超时默认 and 视为受理.

Both are rules of law, not of supervision, so the core registers them
(``register_jobs`` of the ``core.cases`` part) and the scheduler runs them even with
the e-supervision plugin disabled. Each job only finds the cases; the engine's
transition decides and records (and refuses a second application), so a double run
or a restart changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, Iterable

from sqlalchemy import case as sql_case
from sqlalchemy import literal, select

from onewindow.app import db
from onewindow.cases import clock
from onewindow.cases.limits import deemed_bounds
from onewindow.cases.models import Case, CaseState, CaseStep, StepState
from onewindow.models.items import Item

log = logging.getLogger("onewindow.cases")


def deemed_due(bounds: dict[int, dt.datetime]) -> list:
    """Conditions on ``Case`` joined with ``Item``: submitted, no correction notice, the
    correction-notice limit passed (行政许可法 §32: the application counts as accepted)."""
    by_limit = sql_case(
        *[(Item.correction_limit_days == n, literal(b)) for n, b in sorted(bounds.items())],
        else_=literal(min(bounds.values())),
    )
    return [
        Case.state == CaseState.submitted.name,
        Case.parent_id.is_(None),  # an online bundle counts as a whole (its parent), never member by member
        Case.corrections_issued == 0,
        Case.received_at < max(bounds.values()),
        Case.received_at < by_limit,
    ]


def silence_consent() -> int:
    """超时默认 [002 §二(四)2]: parallel steps silent past their deadline count as consent."""
    from onewindow.cases.engine import SYSTEM
    from onewindow.cases.transitions import run_transition

    ids = (
        db.session.execute(
            select(CaseStep.case_id)
            .join(Case, Case.id == CaseStep.case_id)
            .where(
                Case.state == CaseState.in_review,
                CaseStep.state == StepState.active,
                CaseStep.silence_consents.is_(True),
                CaseStep.due_date < clock.today(),
            )
            .distinct()
        )
        .scalars()
        .all()
    )
    return _apply_each(ids, lambda case: run_transition(case, "apply_silence_consent", SYSTEM, {}), "silence consent")


def deemed_acceptance() -> int:
    """视为受理 (行政许可法 §32): submitted applications that got no correction notice within
    the item's limit become accepted as of their receipt date."""
    from onewindow.cases.engine import SYSTEM
    from onewindow.cases.transitions import run_transition
    from onewindow.workdays import get_calendar

    bounds = deemed_bounds(db.session, clock.today(), get_calendar())
    ids = (
        db.session.execute(
            select(Case.id).join(Item, Item.id == Case.item_id).where(*deemed_due(bounds)).order_by(Case.id)
        )
        .scalars()
        .all()
    )
    return _apply_each(ids, lambda case: run_transition(case, "deem_accepted", SYSTEM, {}), "deemed acceptance")


def _apply_each(case_ids: Iterable[int], apply: Callable[[Case], object], what: str) -> int:
    """Apply an engine transition (through the table of transitions) to each case in its
    own transaction; a case counts as changed when the transition appended an event."""
    changed = 0
    for case_id in case_ids:
        case = db.session.get(Case, case_id)
        try:
            before = case.chain_seq
            apply(case)
            changed += case.chain_seq != before
        except Exception:  # one broken case must not stop the others; it is retried next run
            log.exception("%s failed for case %s", what, case_id)
            db.session.rollback()
    return changed
