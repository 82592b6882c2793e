"""The web side of case files: uploads from a multipart request, and serving a file inline."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

from flask import Response, abort, current_app, g, stream_with_context

from onewindow.app import db
from onewindow.cases.materialfiles import Upload
from onewindow.cases.models import Case, CaseMaterial, CaseMaterialFile
from onewindow.display import local_time
from onewindow.storage import CHUNK, storage

#: images get the viewer's watermark (FILE_WATERMARK); PDFs are served as stored (no PDF library)
WATERMARKED = {"image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF"}


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
    settings = current_app.extensions["onewindow"].settings
    if settings["FILE_WATERMARK"] and row.media_type in WATERMARKED:
        return _watermarked(row, viewer=getattr(g.user, "username", "?"))
    stream = storage().open(row.storage_key)

    def chunks():
        with stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                yield chunk

    response = Response(stream_with_context(chunks()), mimetype=row.media_type)
    response.headers["Content-Length"] = str(row.size)
    return _headers(response, row)


def watermark_text(viewer: str, moment: dt.datetime | None = None) -> str:
    """Who viewed the file and when (the configured zone), drawn across an inline image."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    return f"{viewer} {local_time(moment)}"


def _headers(response: Response, row: CaseMaterialFile) -> Response:
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.original_name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _watermarked(row: CaseMaterialFile, viewer: str) -> Response:
    """The image with the viewer and the time tiled across it (read whole: images are small)."""
    from PIL import Image, ImageDraw, ImageFont

    with storage().open(row.storage_key) as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(12, min(base.size) // 20)
    font = ImageFont.load_default(size=size)
    text = watermark_text(viewer)
    step_x, step_y = size * len(text) // 2 + size * 2, size * 4
    for y in range(0, base.size[1], step_y):
        for x in range(-(y % (step_x // 2 or 1)), base.size[0], step_x):
            draw.text((x, y), text, fill=(200, 0, 0, 90), font=font)
    marked = Image.alpha_composite(base, layer)
    kind = WATERMARKED[row.media_type]
    if kind == "JPEG":
        marked = marked.convert("RGB")
    out = io.BytesIO()
    marked.save(out, format=kind)
    return _headers(Response(out.getvalue(), mimetype=row.media_type), row)
