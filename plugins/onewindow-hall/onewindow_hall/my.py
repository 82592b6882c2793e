"""我的办件 / 我的证照: the signed-in citizen's own cases (and their companies'), notices as
PDF, what to supply by when, answering a correction notice online, and their e-licences.

Everything is found through the applicant's ID number or the company's credit code: a case
or licence of anybody else answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for
from flask import request as flask_request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onewindow import (
    Case,
    CaseMaterial,
    CaseState,
    Licence,
    MaterialStatus,
    Notice,
    add_material_files,
    db,
    engine,
    licence_pdf_filename,
    licence_verify_url,
    notice_pdf_filename,
    notice_title,
    render_licence_pdf,
    render_notice_pdf,
    uploads_from,
)
from onewindow_hall.accounts import citizen_required, current_citizen
from onewindow_hall.apply import ENGINE_ERRORS, drafts_of
from onewindow_hall.models import Citizen
from onewindow_hall.public import bp

#: Materials the applicant is asked for on a correction notice.
TO_SUPPLY = {MaterialStatus.missing, MaterialStatus.faulty, MaterialStatus.deferred}
#: States in which the applicant may still add files online.
UPLOADABLE = {CaseState.submitted, CaseState.correction}


def next_steps() -> dict[CaseState, str]:
    return {
        CaseState.submitted: _("The department pre-reviews your application online."),
        CaseState.pre_reviewed: _("Pre-review passed: bring the originals to the window once."),
        CaseState.correction: _("Supply or correct the materials listed below, online."),
        CaseState.rejected: _("Not accepted: see the notice for the reasons and your remedies."),
        CaseState.in_review: _("The departments are reviewing your case."),
        CaseState.suspended: _("The clock is stopped for a special procedure (hearing, inspection…)."),
        CaseState.approved: _("Approved: the result is being prepared."),
        CaseState.denied: _("Denied: see the decision for the reasons and your remedies."),
        CaseState.at_output: _("The result is ready at the output window."),
        CaseState.posted: _("The result is on its way by post."),
        CaseState.delivered: _("Delivered. Please rate the service."),
        CaseState.withdrawn: _("You withdrew this application."),
    }


def applicant_ids(citizen: Citizen) -> list[str]:
    """Whose cases the citizen sees: their own, and the companies they act for."""
    ids = [citizen.id_number] if citizen.id_number else []
    return ids + [c.uscc for c in citizen.companies if c.uscc]


def own_cases(citizen: Citizen) -> list[Case]:
    ids = applicant_ids(citizen) or ["-"]
    return list(
        db.session.execute(
            select(Case).options(selectinload(Case.item)).where(Case.applicant_id.in_(ids)).order_by(Case.id.desc())
        )
        .scalars()
        .all()
    )


def own_case(citizen: Citizen, number: str) -> Case:
    """The citizen's case with this number; anybody else's is 404."""
    case = db.session.execute(select(Case).where(Case.number == number)).scalars().first()
    if case is None or case.applicant_id not in applicant_ids(citizen):
        abort(404)
    return case


def own_licences(citizen: Citizen) -> list[Licence]:
    ids = applicant_ids(citizen) or ["-"]
    return list(
        db.session.execute(
            select(Licence).where(Licence.holder_id.in_(ids)).order_by(Licence.issue_date.desc(), Licence.id.desc())
        )
        .scalars()
        .all()
    )


def correction_of(case: Case) -> dict[str, Any] | None:
    """The latest correction notice's content (what to supply and by when), while it is open."""
    if case.state != CaseState.correction:
        return None
    notice = next((n for n in sorted(case.notices, key=lambda n: n.id, reverse=True) if n.kind == "correction"), None)
    return notice.content if notice is not None else {}


def _citizen() -> Citizen:
    citizen = current_citizen()
    if citizen is None:  # citizen_required lets nobody else in
        abort(403)
    return citizen


@bp.get("/my/")
@citizen_required
def my_home():
    citizen = _citizen()
    return render_template(
        "hall/my.html",
        citizen=citizen,
        drafts=drafts_of(citizen),
        cases=own_cases(citizen),
        licences=own_licences(citizen),
        next_steps=next_steps(),
        verify_url=licence_verify_url,
    )


@bp.get("/my/cases/<number>")
@citizen_required
def my_case(number: str):
    citizen = _citizen()
    case = own_case(citizen, number)
    return render_template(
        "hall/my_case.html",
        citizen=citizen,
        case=case,
        next_step=next_steps().get(case.state, ""),
        correction=correction_of(case),
        to_supply=[m for m in case.materials if m.status in TO_SUPPLY],
        uploadable=case.state in UPLOADABLE and (case.parent_id is None),
        bundle=bundle_section(case),
        notices=[(n, notice_title(n)) for n in sorted(case.notices, key=lambda n: n.id)],
        extra=extra_sections(case),
    )


def bundle_section(case: Case) -> dict[str, Any] | None:
    from onewindow_hall.bundles import bundle_section as of_bundle

    return of_bundle(case)


def extra_sections(case: Case) -> list[str]:
    """HTML blocks other hall modules add to the case page (the evaluation form)."""
    from onewindow_hall.evaluation import evaluation_block

    block = evaluation_block(case)
    return [block] if block else []


@bp.post("/my/cases/<number>/files")
@citizen_required
def my_case_files(number: str):
    """Answer a correction notice (or add a material before pre-review) through the one upload path."""
    citizen = _citizen()
    case = own_case(citizen, number)
    raw = flask_request.form.get("material_id", "")
    entry: CaseMaterial | None = next((m for m in case.materials if str(m.material_id) == raw), None)
    if entry is None:
        flash(_("Choose a material of this case to upload files for."), "danger")
        return redirect(url_for("hall.my_case", number=number))
    uploads = uploads_from(flask_request.files, "files")
    try:
        add_material_files(case, engine.applicant_actor(case), entry.material_id, uploads, "online")
    except ENGINE_ERRORS as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Files added to “%(material)s”.", material=entry.name), "success")
    return redirect(url_for("hall.my_case", number=number))


@bp.get("/my/cases/<number>/notices/<int:notice_id>.pdf")
@citizen_required
def my_notice_pdf(number: str, notice_id: int):
    citizen = _citizen()
    case = own_case(citizen, number)
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.case_id != case.id:
        abort(404)
    return Response(
        render_notice_pdf(notice),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{notice_pdf_filename(notice)}"'},
    )


@bp.get("/my/licences/<identifier>.pdf")
@citizen_required
def my_licence_pdf(identifier: str):
    citizen = _citizen()
    licence = db.session.execute(select(Licence).where(Licence.identifier == identifier)).scalars().first()
    if licence is None or licence.holder_id not in applicant_ids(citizen):
        abort(404)
    if not licence.signature:
        abort(409, description=_("This licence is not sealed yet; download it once the department has sealed it."))
    return Response(
        render_licence_pdf(licence),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{licence_pdf_filename(licence)}"'},
    )
