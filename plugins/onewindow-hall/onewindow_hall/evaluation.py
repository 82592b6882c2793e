"""好差评 by the applicant after the result (GB/T 39734-2020): five levels with optional
reasons, recorded through the supervision plugin's service with channel ``online``; a
不满意 or 非常不满意 opens the rectification that service keeps. Complaints online too.

Without the supervision plugin (switched off) the case page simply has no rating form.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from onewindow import FINAL_STATES, Case, CaseState, ValidationError, db, engine, unit_of_work
from onewindow_hall.accounts import citizen_required
from onewindow_hall.public import bp


def supervision_loaded() -> bool:
    host = current_app.extensions["onewindow"].plugins
    return any(p.key == "supervision" and p.status == "loaded" for p in host.plugins)


def good_reasons() -> list[str]:
    return [_("Easy to apply"), _("Done in one go"), _("Helpful staff"), _("Faster than promised")]


def bad_reasons() -> list[str]:
    return [
        _("The guide was unclear"),
        _("Asked for materials not on the list"),
        _("Had to come more than once"),
        _("Took longer than promised"),
        _("Unfriendly staff"),
        _("The online system was hard to use"),
    ]


def evaluation_block(case: Case) -> str | None:
    """The rating (or the rating given and its rectification) on the citizen's case page."""
    if not supervision_loaded():
        return None
    from onewindow_supervision.models import Evaluation, EvaluationLevel, Rectification

    evaluation = db.session.execute(select(Evaluation).where(Evaluation.case_id == case.id)).scalars().first()
    rectification = (
        db.session.execute(select(Rectification).where(Rectification.evaluation_id == evaluation.id)).scalars().first()
        if evaluation is not None
        else None
    )
    return render_template(
        "hall/_evaluation.html",
        case=case,
        can_rate=evaluation is None and case.state == CaseState.delivered,
        can_complain=case.state not in FINAL_STATES or case.state == CaseState.delivered,
        evaluation=evaluation,
        rectification=rectification,
        levels=list(EvaluationLevel),
        good_reasons=good_reasons(),
        bad_reasons=bad_reasons(),
    )


def _own(number: str) -> Case:
    from onewindow_hall.my import _citizen, own_case

    return own_case(_citizen(), number)


@bp.post("/my/cases/<number>/evaluation")
@citizen_required
def rate(number: str):
    if not supervision_loaded():
        abort(404)
    from onewindow_supervision import service
    from onewindow_supervision.models import EvaluationLevel

    case = _own(number)
    level = request.form.get("level", "")
    if level not in EvaluationLevel.__members__:
        flash(_("Choose one of the five levels, from very satisfied to very dissatisfied."), "danger")
        return redirect(url_for("hall.my_case", number=number))
    reasons = [r for r in request.form.getlist("reason") if r in good_reasons() + bad_reasons()]
    comment = "；".join(filter(None, ["、".join(reasons), request.form.get("comment", "").strip()[:500]]))
    try:
        with unit_of_work():
            service.record_evaluation(case, engine.applicant_actor(case), level, "online", comment)
    except ValidationError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Thank you for your rating."), "success")
    return redirect(url_for("hall.my_case", number=number))


@bp.post("/my/cases/<number>/complaint")
@citizen_required
def complain(number: str):
    if not supervision_loaded():
        abort(404)
    from onewindow_supervision import service

    case = _own(number)
    try:
        with unit_of_work():
            complaint = service.file_complaint(
                engine.applicant_actor(case),
                channel="online",
                complainant=case.applicant_name,
                content=request.form.get("content", "").strip()[:2000],
                case=case,
                phone=case.applicant_phone,
            )
    except ValidationError as exc:
        flash(str(exc), "danger")
    else:
        flash(
            _("Complaint %(number)s received; the reply comes to your notifications.", number=complaint.number),
            "success",
        )
    return redirect(url_for("hall.my_case", number=number))
