"""The hall's pages that need no login: the self-service terminal (取号), the ticket with
its QR code, the live "前面还有 N 人" page and the call display of a zone (JSON polled)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from onewindow import ValidationError, Window, Zone, db, qr_svg
from onewindow_queue import service
from onewindow_queue.models import PriorityGroup, Queue, TakenBy, Ticket

bp = Blueprint(
    "queue_public",
    __name__,
    url_prefix="/queue",
    template_folder=str(Path(__file__).resolve().parent / "templates"),
)


def _terminal(error: str | None = None, status: int = 200):
    queues = db.session.execute(select(Queue).where(Queue.active.is_(True)).order_by(Queue.prefix)).scalars().all()
    groups = (
        db.session.execute(select(PriorityGroup).where(PriorityGroup.active.is_(True)).order_by(PriorityGroup.rank))
        .scalars()
        .all()
    )
    # A fresh token per page: a retry of the same form (network lost) posts the same token.
    page = render_template(
        "queue/terminal.html",
        queues=queues,
        groups=groups,
        kinds=list(TakenBy),
        token=secrets.token_urlsafe(24),
        error=error,
    )
    return page, status


@bp.get("/terminal")
def terminal():
    session.pop(PRINT_SESSION_KEY, None)  # back at the start: the last citizen's case prints no more
    return _terminal()


@bp.post("/terminal")
def take():
    form = request.form
    try:
        kind = TakenBy[form.get("taken_by", "anonymous")]
    except KeyError:
        return _terminal(_("Choose how to take the ticket: anonymous, mobile number or ID card number."), 400)
    queue_id, group = form.get("queue_id", ""), form.get("priority_group_id", "")
    if not queue_id.isdigit() or (group and not group.isdigit()):
        return _terminal(_("Choose a business and, if it applies, a priority group from the buttons."), 400)
    try:
        service.take(int(queue_id), form.get("token", ""), kind, form.get("holder"), int(group) if group else None)
    except ValidationError as exc:
        return _terminal(str(exc), 400)
    return redirect(url_for("queue_public.ticket", token=form["token"]))


@bp.post("/terminal/checkin")
def check_in():
    """预约签到: today's appointment of the ID number gives a priority ticket (a retry, the same)."""
    from onewindow_queue import appointments

    try:
        ticket = appointments.check_in(request.form.get("id_number", ""))
    except ValidationError as exc:
        db.session.rollback()
        return _terminal(str(exc), 400)
    return redirect(url_for("queue_public.ticket", token=ticket.token))


@bp.route("/terminal/progress", methods=["GET", "POST"])
def terminal_progress():
    """办件进度查询 at the kiosk: case number + query code through the core's public lookup;
    posted (not in the URL), and the page returns to the terminal after a minute untouched."""
    from onewindow import find_public_case, public_progress

    progress, error, status = None, None, 200
    if request.method == "POST":
        number, code = request.form.get("number", "").strip(), request.form.get("code", "").strip()
        case = find_public_case(number, code) if number and code else None
        if case is None:
            error, status = _("No case matches this case number and query code. Check both against your notice."), 404
        else:
            progress = public_progress(case)
    response = current_app.make_response((render_template("queue/progress.html", p=progress, error=error), status))
    response.headers["Cache-Control"] = "no-store"
    return response


#: The notices the applicant is handed (打印 at the terminal); the handover sheets and the
#: signed receipt sheet are the window's and the departments' records, never printed there.
APPLICANT_NOTICES = ("acceptance", "deferral_commitment", "correction", "rejection", "decision", "special_procedure")
#: The case looked up at the terminal: its notices print for this long (the page resets after a minute).
PRINT_SESSION_KEY, PRINT_SESSION_SECONDS = "queue_terminal_case", 10 * 60
#: Terminal lookups under the public lookups' per-address limit (PUBLIC_LOOKUP_RATE_LIMIT), sharing their counters.
THROTTLED = {
    "queue_public.terminal_progress": "public-progress",
    "queue_public.print_case": "public-progress",
    "queue_public.print_licence": "public-licences",
}


def _kiosk(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _notices(case) -> list:
    return [n for n in sorted(case.notices, key=lambda n: n.id) if n.kind in APPLICANT_NOTICES]


@bp.get("/terminal/print")
def print_page():
    """打印: a notice of a case (case number + query code) or a licence's verification page."""
    session.pop(PRINT_SESSION_KEY, None)
    return _kiosk("queue/print.html")


@bp.post("/terminal/print/case")
def print_case():
    """The case's notices, after the same lookup as the public progress page (number + query
    code; a confidential case or a wrong code: the same 404)."""
    from onewindow import find_public_case, notice_title

    number, code = request.form.get("number", "").strip(), request.form.get("code", "").strip()
    case = find_public_case(number, code) if number and code else None
    if case is None:
        session.pop(PRINT_SESSION_KEY, None)
        error = _("No case matches this case number and query code. Check both against your notice.")
        return _kiosk("queue/print.html", 404, error=error)
    session[PRINT_SESSION_KEY] = {"id": case.id, "at": time.time()}
    notices = [(n, notice_title(n)) for n in _notices(case)]
    return _kiosk("queue/print.html", case=case, notices=notices)


def _printable_notice(notice_id: int):
    """The notice, if it is the applicant's and of the case looked up here in the last minutes."""
    from onewindow import Notice

    looked_up = session.get(PRINT_SESSION_KEY) or {}
    notice = db.session.get(Notice, notice_id)
    if (
        notice is None
        or notice.kind not in APPLICANT_NOTICES
        or notice.case_id != looked_up.get("id")
        or time.time() - looked_up.get("at", 0) > PRINT_SESSION_SECONDS
        or notice.case.confidential
    ):
        abort(404)
    return notice


@bp.get("/terminal/print/notice/<int:notice_id>")
def print_notice(notice_id: int):
    """The notice's PDF in a page with a touch-sized 打印 button (the browser's print)."""
    from onewindow import notice_title

    notice = _printable_notice(notice_id)
    return _kiosk("queue/print_notice.html", notice=notice, title=notice_title(notice))


@bp.get("/terminal/print/notice/<int:notice_id>.pdf")
def print_notice_pdf(notice_id: int):
    from onewindow import notice_pdf_filename, render_notice_pdf

    notice = _printable_notice(notice_id)
    response = current_app.make_response(render_notice_pdf(notice))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{notice_pdf_filename(notice)}"'
    response.headers["Cache-Control"] = "no-store"
    # Shown inside the terminal's own print page (and nowhere else): framed by the same origin only.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


@bp.post("/terminal/print/licence")
def print_licence():
    """A licence's public verification page in a printable layout: found by its licence number
    (证照编号, the newest version) or its e-licence identifier; only what the public page shows
    without the verification code (fields masked as the licence type declares)."""
    from onewindow import Licence, licence_public_view, licence_verify_url, verify_licence

    raw = request.form.get("licence", "").strip().upper()
    licence = (
        db.session.execute(
            select(Licence)
            .where((Licence.number == raw) | (Licence.identifier == raw))
            .order_by(Licence.version.desc(), Licence.id.desc())
        ).scalar()
        if raw
        else None
    )
    if licence is None:
        error = _("No licence has this licence number. Check it against the licence (e.g. 530100-001-000001).")
        return _kiosk("queue/print.html", 404, licence_error=error, licence_number=raw)
    url = licence_verify_url(licence.identifier)
    return _kiosk(
        "queue/print_licence.html",
        result=verify_licence(licence),
        view=licence_public_view(licence, False),
        qr=qr_svg(url, module_mm=0.6),
        url=url,
    )


def _by_token(token: str) -> Ticket:
    ticket = db.session.execute(select(Ticket).where(Ticket.token == token)).scalar()
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/ticket/<token>")
def ticket(token: str):
    """The printable ticket (80 mm thermal paper) with the QR code of its status page."""
    found = _by_token(token)
    status_url = url_for("queue_public.status", token=token, _external=True)
    return render_template(
        "queue/ticket.html",
        ticket=found,
        ahead=service.ahead_of(found),
        holder=found.masked_holder,
        qr=qr_svg(status_url, module_mm=0.6),
        status_url=status_url,
    )


@bp.get("/status/<token>")
def status(token: str):
    """前面还有 N 人: the ticket's place, refreshed by the page itself."""
    found = _by_token(token)
    if request.args.get("format") == "json":
        return jsonify(
            {
                "number": found.number,
                "state": found.state.name,
                "state_label": str(found.state),
                "ahead": service.ahead_of(found),
                "window": found.window.code if found.window else None,
            }
        )
    return render_template("queue/status.html", ticket=found, ahead=service.ahead_of(found))


def _zone_or_none() -> Zone | None:
    raw = request.args.get("zone")
    if not raw:
        return None
    zone = db.session.execute(select(Zone).where(Zone.number == int(raw))).scalar() if raw.isdigit() else None
    if zone is None:
        abort(404, description=_("No such zone: give ?zone= the zone number shown in the hall (1, 2, …)."))
    return zone


@bp.get("/display")
def display():
    zone = _zone_or_none()
    return render_template("queue/display.html", zone=zone)


@bp.get("/display.json")
def display_json():
    """The current state (not a stream of changes): a screen that reconnects shows it at once."""
    zone = _zone_or_none()
    calls = service.last_calls(zone.id if zone else None)
    return jsonify(
        {
            "calls": [
                {
                    "id": t.id,
                    "number": t.number,
                    "window": t.window.code if t.window else "",
                    "calls": t.calls,
                    "called_at": t.called_at.isoformat() if t.called_at else None,
                    "announce": _(
                        "Ticket %(number)s, please go to window %(window)s",
                        number=t.number,
                        window=t.window.code if t.window else "",
                    ),
                }
                for t in calls
            ]
        }
    )


def _pad_window(code: str) -> Window:
    if not current_app.extensions["onewindow"].plugins.pm.has_plugin("supervision"):
        abort(404, description=_("The rating pad needs the supervision plugin (好差评), which is not enabled."))
    window = db.session.execute(select(Window).where(Window.code == code, Window.active.is_(True))).scalar()
    if window is None:
        abort(404, description=_("No such window: the pad's address ends with the window code shown above it."))
    return window


def _pad(window: Window, error: str | None = None, thanks: bool = False, status: int = 200):
    from onewindow_supervision.models import BAD_LEVELS, EvaluationLevel

    case = None if thanks else service.pad_case(window)
    page = render_template(
        "queue/pad.html",
        window=window,
        case=case,
        levels=list(EvaluationLevel),
        bad=[level.name for level in BAD_LEVELS],
        reasons=service.settings()["pad_reasons"],
        error=error,
        thanks=thanks,
    )
    return page, status


@bp.get("/pad/<code>")
def pad(code: str):
    """窗口评价器: the tablet facing the citizen; asks about the service just finished."""
    return _pad(_pad_window(code))


@bp.get("/pad/<code>.json")
def pad_json(code: str):
    """What the pad should show now (polled by the idle pad)."""
    case = service.pad_case(_pad_window(code))
    return jsonify({"case": case.id if case else None})


@bp.post("/pad/<code>")
def rate(code: str):
    window = _pad_window(code)
    form = request.form
    raw = form.get("case_id", "")
    try:
        if not raw.isdigit():
            raise ValidationError(_("Rating: the page is out of date; wait for the next service to finish."))
        service.rate_on_pad(window, int(raw), form.get("level", ""), form.getlist("reason"), form.get("comment", ""))
    except ValidationError as exc:
        return _pad(window, str(exc), status=400)
    return _pad(window, thanks=True)
