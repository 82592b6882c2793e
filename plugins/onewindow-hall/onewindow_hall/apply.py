"""网上申请: the item's own form (the window's form, plugin forms included) and material
uploads; drafts kept (未完成的申请); submit hands the application to the case engine with
channel ``online`` for the department's pre-review (网上预审) [003 §四(一)]."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import filetype
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from onewindow import (
    ApplicantType,
    ApplicationInvalid,
    Channel,
    ConflictError,
    FileRefused,
    Form,
    Item,
    PermissionDenied,
    TransitionError,
    Upload,
    ValidationError,
    application_form,
    build_application_form,
    db,
    engine,
    precheck_uploads,
    uploads_from,
)
from onewindow import application_form_data as form_data
from onewindow_hall.accounts import citizen_required, current_citizen
from onewindow_hall.guides import find_item
from onewindow_hall.models import Citizen, utcnow
from onewindow_hall.public import bp
from onewindow_hall.tables import Draft, DraftFile

#: What the engine raises when it refuses: shown to the applicant, nothing written.
ENGINE_ERRORS = (TransitionError, ApplicationInvalid, PermissionDenied, ConflictError, ValidationError)


def item_form(item: Item, formdata: Any) -> Form | None:
    """The same application form the window uses, its fields named ``f_<name>``."""
    if item.form_key:
        return application_form(item, formdata)
    if item.fields:
        return build_application_form(item)(formdata=formdata, prefix="f_", meta={"csrf": False})
    return None


def _prefixed(data: dict[str, Any]) -> Any:
    """A draft's data as the form data its form reads back (``f_`` prefix)."""
    from werkzeug.datastructures import MultiDict

    flat: MultiDict[str, Any] = MultiDict()
    for key, value in (data or {}).items():
        if isinstance(value, list):
            for n, row in enumerate(value):
                if isinstance(row, dict):
                    for sub, inner in row.items():
                        flat.add(f"f_{key}-{n}-{sub}", inner)
                else:
                    flat.add(f"f_{key}", row)
        else:
            flat.add(f"f_{key}", value)
    return flat


def acting_for(citizen: Citizen, company_id: Any) -> Citizen | None:
    """The company the person applies for, if they are its legal representative or agent."""
    if not company_id:
        return None
    company = next((c for c in citizen.companies if str(c.id) == str(company_id)), None)
    if company is None:
        abort(404)
    return company


def own_draft(citizen: Citizen, draft_id: Any) -> Draft | None:
    if not draft_id:
        return None
    if not str(draft_id).isdigit():
        abort(404)
    draft = db.session.get(Draft, int(draft_id))
    if draft is None or draft.citizen_id != citizen.id:
        abort(404)  # another citizen's draft is not theirs to see
    return draft


def application_of(citizen: Citizen, company: Citizen | None, item: Item, data: dict) -> engine.Application:
    applicant = company or citizen
    return engine.Application(
        item=item,
        applicant_type=ApplicantType.company if company else ApplicantType.person,
        applicant_name=applicant.name,
        applicant_id=(company.uscc if company else citizen.id_number) or "",
        channel=Channel.online,
        data=data,
        phone=citizen.mobile,
    )


def checked_files(item: Item, draft: Draft | None) -> tuple[dict[int, list], list[tuple[str, str]]]:
    """Every material's new uploads checked before the case exists (an application is
    submitted with its files or not at all), and the refusals, named by material; the
    total counts the files the draft keeps."""
    kept = sum(f.size for f in draft.files) if draft is not None else 0
    return checked_uploads([(m.id, m.name, f"files{m.id}") for m in item.materials], kept)


def checked_uploads(fields: list[tuple[Any, str, str]], total: int = 0) -> tuple[dict, list[tuple[str, str]]]:
    """The uploads of each ``(key, material name, form field)`` checked (``precheck_uploads``),
    by key, and the refusals named by material; ``total`` (bytes already kept) and the new
    files together count against one case's limit."""
    files: dict = {}
    problems: list[tuple[str, str]] = []
    for key, name, field in fields:
        uploads = uploads_from(request.files, field)
        if uploads:
            try:
                files[key], size = precheck_uploads(name, uploads)
                total += size
            except FileRefused as exc:
                problems.append((name, str(exc)))
    most = int(current_app.extensions["onewindow"].settings["CASE_FILES_MAX_MB"])
    if total > most * 1024 * 1024:
        problems.append(("", _("The files together exceed %(mb)d MB for one case: compress the scans.", mb=most)))
    return files, problems


def keep_on_draft(draft: Draft, files: dict[int, list]) -> None:
    """The checked uploads kept with the draft (a file already on it is not kept twice)."""
    have = {(f.material_id, f.sha256) for f in draft.files}
    for material_id, uploads in files.items():
        for upload in uploads:
            data = upload.stream.read()
            digest = hashlib.sha256(data).hexdigest()
            if (material_id, digest) in have:
                continue
            have.add((material_id, digest))
            kind = filetype.guess(data)
            draft.files.append(
                DraftFile(
                    material_id=material_id,
                    original_name=upload.filename,
                    media_type=kind.mime if kind else "application/octet-stream",
                    size=len(data),
                    sha256=digest,
                    content=data,
                    added_at=utcnow(),
                )
            )


def with_draft_files(files: dict[int, list], draft: Draft | None) -> dict[int, list]:
    """The new uploads and the draft's files, by material: what the case receives."""
    merged = {material_id: list(uploads) for material_id, uploads in files.items()}
    for kept in draft.files if draft is not None else []:
        merged.setdefault(kept.material_id, []).insert(0, Upload(kept.original_name, io.BytesIO(kept.content)))
    return merged


@bp.route("/apply/<code>", methods=["GET", "POST"])
@citizen_required
def apply_page(code: str):
    citizen = current_citizen()
    assert citizen is not None
    item = find_item(code)
    if item is None:
        abort(
            404, description=_("No item in force has the code %(code)s. Search the guides by name instead.", code=code)
        )
    draft = own_draft(citizen, request.values.get("draft"))
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        company = acting_for(citizen, request.form.get("company"))
        app_form = item_form(item, request.form)
        data = form_data(app_form) if app_form is not None else {}
        files, problems = checked_files(item, draft)
        if request.form.get("action") == "save" and not problems:
            draft = draft or Draft(citizen_id=citizen.id, item_id=item.id)
            keep_on_draft(draft, files)
            draft.item_id, draft.company_id, draft.data, draft.updated_at = (
                item.id,
                company and company.id,
                data,
                utcnow(),
            )
            db.session.add(draft)
            db.session.commit()
            flash(_("Draft saved: find it under 未完成的申请 in My cases."), "success")
            return redirect(url_for("hall.apply_page", code=item.implementation_code, draft=draft.id))
        try:
            if problems:  # nothing is created: the form comes back as typed, the files to choose again
                raise ApplicationInvalid(
                    problems + [("", _("Nothing was submitted. Choose the files again and submit."))]
                )
            # The case, its files (and the plugins' checks of each) and the draft's deletion:
            # one transaction; a refused file leaves no case, no file, and the draft as it was.
            case = engine.submit_with_files(
                application_of(citizen, company, item, data),
                engine.applicant_actor(citizen.id_number),
                with_draft_files(files, draft),
                "online",
                then=(lambda _case: db.session.delete(draft)) if draft is not None else None,
            )
        except ApplicationInvalid as exc:
            problems = exc.problems  # nothing was written: the form comes back as typed
        except ENGINE_ERRORS as exc:
            problems = [("", str(exc)), ("", _("Nothing was submitted. Choose the files again and submit."))]
        else:
            flash(
                _("Submitted: the department pre-reviews it within %(days)d working days.", days=item.pre_review_days),
                "success",
            )
            return redirect(url_for("hall.my_case", number=case.number))
    else:
        app_form = item_form(item, _prefixed(draft.data) if draft else None)
        company = acting_for(citizen, draft.company_id) if draft and draft.company_id else None
    return render_template(
        "hall/apply.html",
        item=item,
        citizen=citizen,
        company=company,
        app_form=app_form,
        draft=draft,
        problems=problems,
    ), (400 if problems else 200)


def drafts_of(citizen: Citizen) -> list[Draft]:
    """未完成的申请, newest first."""
    return list(
        db.session.execute(select(Draft).where(Draft.citizen_id == citizen.id).order_by(Draft.updated_at.desc()))
        .scalars()
        .all()
    )


@bp.post("/drafts/<int:draft_id>/delete")
@citizen_required
def delete_draft(draft_id: int):
    citizen = current_citizen()
    assert citizen is not None
    draft = own_draft(citizen, draft_id)
    db.session.delete(draft)
    db.session.commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for("hall.my_home"))
