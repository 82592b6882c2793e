"""The web side of case files: uploads from a multipart request, and serving a file inline."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, stream_with_context

from onewindow.app import db
from onewindow.cases.materialfiles import Upload
from onewindow.cases.models import Case, CaseMaterial, CaseMaterialFile
from onewindow.storage import CHUNK, storage


def uploads_from(files, field: str) -> list[Upload]:
    """The files of one multipart field (a browser sends an empty part when none is chosen)."""
    return [Upload(f.filename or "", f.stream) for f in files.getlist(field) if f.filename or f.content_length]


def serve(case: Case | None, file_id: int) -> Response:
    """Stream one file of ``case`` inline; a file of another case (a guessed id) is 404."""
    if case is None:
        abort(404)
    row = (
        db.session.query(CaseMaterialFile)
        .join(CaseMaterial)
        .filter(CaseMaterialFile.id == file_id, CaseMaterial.case_id == case.id)
        .one_or_none()
    )
    if row is None:
        abort(404)
    stream = storage().open(row.storage_key)

    def chunks():
        with stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                yield chunk

    response = Response(stream_with_context(chunks()), mimetype=row.media_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.original_name)}"
    response.headers["Content-Length"] = str(row.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
