"""Public, read-only pages of the e-licence library (no login), registered in ``app_ready``.

- ``GET /licences/verify/<identifier>``: verification page: valid / revoked / tampered…
  and the fields masked as the licence type declares; ``?code=<verification code>`` (the
  QR code printed on the licence carries it) or the holder's login opens the full content;
- ``GET /api/v1/public/licences/<identifier>/verify``: the same answer as JSON (same ``code``);
- ``GET /licences/verify/<identifier>/qr.svg``: the QR code of the verification page;
- ``GET|POST /licences/holder``: the holder lists their licences with their ID number
  **and** the access code printed on any of their licences (an ID number alone,
  which many people know, never lists anything);
- ``GET /licences/holder/<identifier>.pdf``: download, for a holder who looked up.

These are plain Flask routes outside Flask-AppBuilder, so FAB's permission checks do
not apply; they read only, never write, and show only :func:`public_view` fields.
Identifiers are sequential with a computable check character, so knowing one proves
nothing: only the random verification code does.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, jsonify, render_template, request, session
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from onewindow.licences.identifier import MalformedIdentifier
from onewindow.licences.library import LicenceNotFound, get_licence
from onewindow.licences.models import Licence
from onewindow.licences.pdf import pdf_filename, render_pdf
from onewindow.licences.verification import (
    code_matches,
    public_view,
    verify_licence,
    verify_url,
)
from onewindow.qr import qr_data_uri, qr_svg

bp = Blueprint("licences_public", __name__)

HOLDER_SESSION_KEY = "licence_holder"
HOLDER_SESSION_SECONDS = 30 * 60


def _db():
    from onewindow.app import db

    return db.session


def _lookup(identifier: str) -> tuple[Licence | None, int, str]:
    try:
        return get_licence(_db(), identifier), 200, ""
    except MalformedIdentifier as exc:
        return None, 400, str(exc)
    except LicenceNotFound as exc:
        return None, 404, str(exc)


def _full_access(licence: Licence) -> tuple[bool, bool]:
    """(full content allowed, a code was given and is wrong) for this request."""
    given = request.args.get("code", "")
    if code_matches(licence, given):
        return True, False
    return _session_holder() == licence.holder_id, bool(given.strip())


@bp.get("/licences/verify/<identifier>")
def verify_page(identifier: str):
    licence, code, error = _lookup(identifier)
    if licence is None:
        status = "malformed" if code == 400 else "unknown"
        return render_template("licences/verify.html", error=error, status=status), code
    full, wrong_code = _full_access(licence)
    return render_template(
        "licences/verify.html",
        result=verify_licence(licence),
        view=public_view(licence, full),
        wrong_code=wrong_code,
        qr=qr_data_uri(verify_url(licence.identifier)),
        error=None,
    )


@bp.get("/api/v1/public/licences/<identifier>/verify")
def verify_api(identifier: str):
    licence, code, error = _lookup(identifier)
    if licence is None:
        return jsonify(status="malformed" if code == 400 else "unknown", message=error), code
    result = verify_licence(licence)
    full, wrong_code = _full_access(licence)
    return jsonify(
        status=result.status,
        valid=result.valid,
        message=result.reason,
        details=result.details,
        licence=public_view(licence, full),
        full=full,
        code_accepted=False if wrong_code else full,
    )


@bp.get("/licences/verify/<identifier>/qr.svg")
def verify_qr(identifier: str):
    licence, code, error = _lookup(identifier)
    if licence is None:
        abort(code, error)
    return Response(qr_svg(verify_url(licence.identifier)), mimetype="image/svg+xml")


class HolderLookupForm(FlaskForm):
    holder_id = StringField(validators=[DataRequired(), Length(max=18)])
    access_code = StringField(validators=[DataRequired(), Length(max=12)])


def _holder_licences(holder_id: str) -> list[Licence]:
    return (
        _db().query(Licence).filter_by(holder_id=holder_id).order_by(Licence.issue_date.desc(), Licence.id.desc()).all()
    )


def _session_holder() -> str | None:
    entry = session.get(HOLDER_SESSION_KEY)
    if not entry or time.time() - entry.get("at", 0) > HOLDER_SESSION_SECONDS:
        return None
    return entry.get("id")


@bp.route("/licences/holder", methods=["GET", "POST"])
def holder():
    form = HolderLookupForm()
    error, licences = None, []
    if form.validate_on_submit():
        holder_id = form.holder_id.data.strip().upper()
        code = form.access_code.data.strip().upper()
        match = _db().query(Licence).filter_by(holder_id=holder_id, access_code=code).first()
        if match is None:
            session.pop(HOLDER_SESSION_KEY, None)
            error = "证件号码与查询码不匹配，请核对证照上打印的查询码"
        else:
            session[HOLDER_SESSION_KEY] = {"id": holder_id, "at": time.time()}
    elif form.is_submitted():
        error = "请填写证件号码和查询码"
    holder_id = _session_holder()
    if holder_id and not error:
        licences = _holder_licences(holder_id)
    return render_template("licences/holder.html", form=form, error=error, licences=licences)


@bp.get("/licences/holder/<identifier>.pdf")
def holder_pdf(identifier: str):
    holder_id = _session_holder()
    licence, code, error = _lookup(identifier)
    if licence is None:
        abort(code, error)
    if holder_id is None or licence.holder_id != holder_id:
        abort(403, gettext("look your licences up with your ID number and access code first (/licences/holder)"))
    if not licence.signature:
        abort(409, gettext("this licence is not sealed yet"))
    return Response(
        render_pdf(licence),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf_filename(licence)}"'},
    )
