"""Public progress lookup (进度查询, no login) [DOMAIN: "进度可查"; 004 §二(四)2].

- ``GET /progress``: the form (办件编号 + 查询码);
- ``GET /progress/<number>?code=<query code>``: the page the notices' QR codes open;
- ``GET /api/v1/public/progress/<number>?code=…``: the same answer as JSON.

The case number alone is not a secret (it is built from the item code and the date),
so the query code printed on the notices is required. Anything that does not answer —
an unknown number, a wrong code, a confidential (涉密) case — gets the *same* 404, so
the page never confirms that a number exists.

What the public sees is built by :func:`public_progress` and nothing else: item, masked
applicant name, state, dates and a timeline of actions. Never staff usernames, ID
numbers, opinions or reasons written by staff: an action's detail is only ever a
controlled value (a department's name, a procedure from the statutory list, a number).
These are plain Flask routes outside Flask-AppBuilder; they only read.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from onewindow.cases.models import Case, CaseEvent
from onewindow.documents.labels import ACTION_LABELS, DECISION_LABELS, UNKNOWN_ACTION, mask_name
from onewindow.models.org import Department

bp = Blueprint("documents_public", __name__)


def _db():
    from onewindow.app import db

    return db.session


def not_found_message() -> str:
    return _("No case matches this case number and query code. Check both against your notice.")


def find_public_case(number: str, code: str | None) -> Case | None:
    """The case if ``code`` is its query code and it may be shown publicly, else None."""
    number = (number or "").strip()
    code = (code or "").strip().upper()
    if not number or not code:
        return None
    case = _db().query(Case).filter(Case.number == number).one_or_none()
    if case is None or case.confidential:
        return None
    # Constant-time comparison: the code is the only secret standing between a
    # guessable number and the case.
    if not hmac.compare_digest(case.query_code.encode(), code.encode()):
        return None
    return case


def _department_label(department_id: Any) -> str:
    department = _db().get(Department, department_id) if isinstance(department_id, int) else None
    if department is None:
        return ""
    return department.short_name or department.name


def _detail(event: CaseEvent) -> str:
    """A public detail of an event, from controlled values only (see module docstring)."""
    payload = event.payload or {}
    action = event.action
    if action in ("approve_step", "consent_by_silence"):
        return _department_label(payload.get("department_id"))
    if action == "decide":
        label = DECISION_LABELS.get(payload.get("decision"))
        return str(label) if label else ""
    if action == "suspend":
        days = payload.get("expected_days")
        procedure = str(payload.get("procedure") or "")
        if isinstance(days, int) and days > 0:
            return _("%(procedure)s, expected %(days)s working days", procedure=procedure, days=days)
        return procedure
    if action == "resume" and isinstance(payload.get("stopped_days"), int):
        return _("%(days)s working days not counted in the time limit", days=payload["stopped_days"])
    if action == "extend" and isinstance(payload.get("days"), int):
        return _("Extended by %(days)s working days", days=payload["days"])
    if action == "request_correction":
        return _("%(count)s material(s) listed on the correction notice", count=len(payload.get("items") or []))
    if action == "deliver_post" and payload.get("tracking_number"):
        return _("Tracking number %(number)s", number=payload["tracking_number"])
    if action == "supply_material" and payload.get("material"):
        return str(payload["material"])  # a name from the item's published materials list
    return ""


def public_progress(case: Case) -> dict[str, Any]:
    """Everything the public page and API show about ``case``."""
    decision = DECISION_LABELS.get(case.decision or "")
    return {
        "number": case.number,
        "item": case.bundle.name if case.is_bundle else case.item.name,
        # 一件事: each member with its own state and due date (the public sees no more of a member)
        "members": [
            {
                "item": c.item.name,
                "state": c.state.name,
                "state_label": str(c.state),
                "due_date": c.due_date.isoformat() if c.due_date else None,
            }
            for c in (case.children if case.is_bundle else [])
        ],
        "applicant": mask_name(case.applicant_name),
        "state": case.state.name,
        "state_label": str(case.state),
        "received_on": case.received_at.date().isoformat(),
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "due_confirmed": bool(case.due_confirmed),
        "decision": case.decision,
        "decision_label": str(decision) if decision else None,
        "timeline": [
            {
                "at": event.at.strftime("%Y-%m-%d %H:%M"),
                "action": event.action,
                "label": str(ACTION_LABELS.get(event.action, UNKNOWN_ACTION)),
                "detail": _detail(event),
            }
            for event in case.events
        ],
    }


def _private(response):
    # The query code travels in the URL (the QR code): keep it out of caches and out
    # of the Referer header of anything the page links to.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/progress")
def form():
    number = (request.args.get("number") or "").strip()
    code = (request.args.get("code") or "").strip()
    if number and code:
        return redirect(url_for("documents_public.page", number=number, code=code))
    error = _("Enter both the case number and the query code.") if (number or code) else None
    return _private(make_response(render_template("documents/progress_form.html", number=number, error=error)))


@bp.get("/progress/<number>")
def page(number: str):
    case = find_public_case(number, request.args.get("code"))
    if case is None:
        response = render_template("documents/progress_form.html", number=number, error=not_found_message())
        return _private(make_response(response, 404))
    return _private(make_response(render_template("documents/progress.html", p=public_progress(case)), 200))


@bp.get("/api/v1/public/progress/<number>")
def api(number: str):
    case = find_public_case(number, request.args.get("code"))
    if case is None:
        return _private(make_response(jsonify(message=not_found_message()), 404))
    return _private(make_response(jsonify(public_progress(case)), 200))
