"""Who sees which case, and what of it, for the API and the CLI.

Scoping is the screens' own rule (``onewindow.cases.scope``): acceptors, output clerks,
admins and supervisors see every case; department staff the cases whose lead
department is theirs or that have a step of their department; nobody else anything.
Resident ID numbers are masked in lists; in a case's detail only the acceptance and
output windows, admins and the case's own departments see them in full.

Two shapes of one case: :func:`detail` (``GET /api/v1/cases/<number>``, and the answer
to creating a case) has everything, the whole timeline included; :func:`change` (the
answer to a transition) has the case's fields, materials, steps and notices and only the
events that transition appended, so a transition's answer does not grow with the case's
history. Both read the rows they show in a bounded number of queries.

``user`` is the signed-in staff user (``g.user``), or ``None`` for the operator at the
command line, who sees everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Query, joinedload, selectinload

from onewindow.app import db
from onewindow.cases.listing import bounded_count
from onewindow.cases.models import ApplicantType, Case, CaseDepartment, CaseEvent, CaseMaterial, CaseStep
from onewindow.cases.scope import case_condition, may_see
from onewindow.models import Department
from onewindow.models.items import Item
from onewindow.security import role_keys
from onewindow.validators import mask_resident_id

FULL_ID_ROLES = {"acceptor", "output_clerk", "admin"}
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def scoped(query: Query, user) -> Query:
    condition = None if user is None else case_condition(user)
    return query if condition is None else query.filter(condition)


#: What the detail shows, loaded with the case (one query per collection, not per row).
FAMILY = (
    joinedload(Case.item),
    joinedload(Case.department),
    selectinload(Case.materials).joinedload(CaseMaterial.material),
    selectinload(Case.steps).joinedload(CaseStep.department),
    selectinload(Case.notices),
)


def visible_case(number: str, user, *options) -> Case | None:
    """The case with this number if ``user`` may see it; ``None`` otherwise (answer 404)."""
    case = db.session.query(Case).options(*options).filter(Case.number == number).one_or_none()
    if case is None or user is None:
        return case
    return case if may_see(user, case) else None  # the department rule of case_condition, on one row


@dataclass(frozen=True)
class Viewer:
    """Who reads (roles, department), taken before a commit expires the user's row."""

    roles: frozenset[str]
    department_id: int | None

    @classmethod
    def of(cls, user) -> "Viewer":
        return cls(frozenset(role_keys(user)), getattr(user, "department_id", None))


def list_cases(
    user, *, state=None, item_code=None, due_before=None, department=None, page: int = 1, page_size: int = 20
) -> tuple[int, bool, list[Case]]:
    """``(count, count_exact, rows)`` of one page, newest first.

    The count stops at ``listing.COUNT_CAP``: past it ``count_exact`` is False and
    ``count`` is the cap ("more than"); see ``onewindow.cases.listing``. Filters are uncorrelated
    ``IN`` subqueries so that the database evaluates them once, through indexes.
    """
    query = scoped(db.session.query(Case).options(joinedload(Case.item), joinedload(Case.department)), user)
    if state:
        query = query.filter(Case.state == state)
    if item_code:
        query = query.filter(Case.item_id.in_(select(Item.id).where(Item.implementation_code == item_code)))
    if due_before:
        query = query.filter(Case.due_date.isnot(None), Case.due_date <= due_before)
    if department:
        dept_ids = select(Department.id).where(Department.credit_code == department)
        # lead department or a step of it: the pairs of ow_case_department (cases.scope)
        query = query.filter(
            Case.id.in_(select(CaseDepartment.case_id).where(CaseDepartment.department_id.in_(dept_ids)))
        )
    count, exact = bounded_count(query)
    rows = query.order_by(Case.id.desc()).offset((page - 1) * page_size).limit(page_size).all()
    return count, exact, rows


def sees_full_id(case: Case, user) -> bool:
    """``user``: the signed-in user, a :class:`Viewer`, or ``None`` (the operator)."""
    if user is None:
        return True
    viewer = user if isinstance(user, Viewer) else Viewer.of(user)
    if viewer.roles & FULL_ID_ROLES:
        return True
    dept = viewer.department_id
    return dept is not None and dept in {case.department_id} | {s.department_id for s in case.steps}


def mask_ids(value: Any) -> Any:
    """Mask every resident-ID-shaped string inside form data or event payloads."""
    if isinstance(value, str):
        return _RESIDENT_ID.sub(lambda m: mask_resident_id(m.group(0)), value)
    if isinstance(value, dict):
        return {k: mask_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_ids(v) for v in value]
    return value


def _department(dept) -> dict | None:
    return None if dept is None else {"id": dept.id, "name": dept.name, "credit_code": dept.credit_code}


def summary(case: Case, full_id: bool = False) -> dict:
    applicant_id = case.applicant_id
    if case.applicant_type == ApplicantType.person and not full_id:
        applicant_id = mask_resident_id(applicant_id)
    return {
        "id": case.id,
        "number": case.number,
        "item_code": case.item.implementation_code,
        "item_name": case.item.name,
        "department": _department(case.department),
        "state": case.state.name,
        "state_label": str(case.state),
        "channel": case.channel.name,
        "applicant_type": case.applicant_type.name,
        "applicant_name": case.applicant_name,
        "applicant_id": applicant_id,
        "received_at": case.received_at,
        "accepted_on": case.accepted_on,
        "due_date": case.due_date,
        "due_confirmed": case.due_confirmed,
        "simulated": case.simulated,
        "version": case.version,
    }


def _fields(case: Case, full: bool, materials=None) -> dict:
    out = summary(case, full_id=full)
    out.update(
        {
            "query_code": case.query_code if full else None,
            "applicant_phone": case.applicant_phone,
            "applicant_address": case.applicant_address,
            **{
                name: getattr(case, name)
                for name in (
                    "pre_review_due",
                    "correction_deadline",
                    "supply_deadline",
                    "pickup_date",
                    "stopped_days",
                    "extended_days",
                    "decision",
                    "decided_at",
                    "result_summary",
                    "licence_identifier",
                    "delivery_method",
                    "tracking_number",
                    "signee",
                    "delivered_at",
                    "closed_at",
                )
            },
            "materials": [
                {
                    "material_id": m.material_id,
                    "position": m.position,
                    "name": m.name,
                    "necessity": m.material.necessity.name,
                    "status": m.status.name,
                    "status_label": str(m.status),
                    "problem": m.problem,
                    "licence_identifier": m.licence_identifier,
                    "supplied_at": m.supplied_at,
                }
                for m in (case.materials if materials is None else materials)
            ],
            "steps": [
                {
                    "id": s.id,
                    "position": s.position,
                    "department": _department(s.department),
                    "is_lead": s.is_lead,
                    "parallel": s.parallel,
                    "task": s.task,
                    "days": s.days,
                    "state": s.state.name,
                    "state_label": str(s.state),
                    "started_on": s.started_on,
                    "due_date": s.due_date,
                    "decided_at": s.decided_at,
                    "decided_by": s.decided_by,
                    "opinion": s.opinion,
                }
                for s in case.steps
            ],
            "notices": [{"id": n.id, "kind": n.kind, "issued_at": n.issued_at} for n in case.notices],
        }
    )
    return out


def _events(events, full: bool) -> list[dict]:
    shown = (lambda v: v) if full else mask_ids
    return [
        {
            "seq": e.seq,
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor,
            "at": e.at,
            "reason": shown(e.reason),
            "payload": shown(e.payload or {}),
        }
        for e in events
    ]


def detail(case: Case, user) -> dict:
    """Everything about the case, its whole timeline included (``CaseDetail``)."""
    full = sees_full_id(case, user)
    out = _fields(case, full)
    out["data"] = (case.data or {}) if full else mask_ids(case.data or {})
    out["events"] = _events(case.events, full)
    return out


def change(case: Case, full: bool, since_seq: int, appended=()) -> dict:
    """The case after a transition (``CaseChange``): its fields, materials, steps and
    notices, and the events after ``since_seq`` (those the transition appended).

    Built from the rows already loaded: the case read with ``FAMILY`` before the
    transition stays loaded after its commit, and ``appended`` are the rows the
    transition wrote (``persistence.recording_appended``). What is not loaded is read:
    the materials with their item materials in one query, the new events in another
    when ``appended`` does not hold every one of them."""
    unloaded: set[str] = set(inspect(case).unloaded)
    materials = None
    if "materials" in unloaded:
        materials = db.session.scalars(
            select(CaseMaterial)
            .options(joinedload(CaseMaterial.material))
            .where(CaseMaterial.case_id == case.id)
            .order_by(CaseMaterial.position)
        ).all()
    out = _fields(case, full, materials)
    events = sorted(
        (r for r in appended if isinstance(r, CaseEvent) and r.case_id == case.id and r.seq > since_seq),
        key=lambda e: e.seq,
    )
    if [e.seq for e in events] != list(range(since_seq + 1, (case.chain_seq or 0) + 1)):
        events = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq > since_seq).order_by(CaseEvent.seq)
        ).all()
    out["new_events"] = _events(events, full)
    return out
