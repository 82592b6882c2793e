"""The web side of case files: uploads from a multipart request, and serving a file inline."""

from __future__ import annotations

import datetime as dt
import functools
import io
import subprocess
from urllib.parse import quote

from flask import Response, abort, current_app, g, stream_with_context

from onewindow.app import db
from onewindow.cases.materialfiles import Upload
from onewindow.cases.models import Case, CaseMaterial, CaseMaterialFile
from onewindow.display import local_time
from onewindow.storage import CHUNK, storage

#: images get the viewer's watermark (FILE_WATERMARK) drawn with Pillow; PDFs: onewindow.documents.watermark
WATERMARKED = {"image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF"}
PDF = "application/pdf"


def uploads_from(files, field: str) -> list[Upload]:
    """The files of one multipart field (a browser sends an empty part when none is chosen)."""
    return [Upload(f.filename or "", f.stream) for f in files.getlist(field) if f.filename or f.content_length]


def serve(case: Case | None, file_id: int) -> Response:
    """Stream one file of ``case`` inline; a file of another case (a guessed id) is 404. A
    bundle's case (一件事) holds its members' files: its lead department pre-reviews them all,
    those of members another department handles too."""
    if case is None:
        abort(404)
    cases = [case.id, *(c.id for c in case.children)] if case.is_bundle else [case.id]
    row = (
        db.session.query(CaseMaterialFile)
        .join(CaseMaterial)
        .filter(CaseMaterialFile.id == file_id, CaseMaterial.case_id.in_(cases))
        .one_or_none()
    )
    if row is None:
        abort(404)
    settings = current_app.extensions["onewindow"].settings
    if settings["FILE_WATERMARK"] and row.media_type in WATERMARKED:
        return _watermarked(row, viewer=viewer_name(g.user))
    if settings["FILE_WATERMARK"] and row.media_type == PDF:
        return _watermarked_pdf(row, viewer=viewer_name(g.user))
    return _stream(storage().open(row.storage_key), row, row.size)


def _stream(stream, row: CaseMaterialFile, size: int) -> Response:

    def chunks():
        with stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                yield chunk

    response = Response(stream_with_context(chunks()), mimetype=row.media_type)
    response.headers["Content-Length"] = str(size)
    return _headers(response, row)


def viewer_name(user) -> str:
    """Who is looking, as the watermark names them: 姓名（用户名）, or the user name alone."""
    username = getattr(user, "username", "?")
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full}（{username}）" if full and full != username else username


def _watermarked_pdf(row: CaseMaterialFile, viewer: str) -> Response:
    """The PDF with the viewer and the time over every page, streamed from a temporary file."""
    from onewindow.cases.materialfiles import seekable
    from onewindow.documents.watermark import watermark_pdf

    with storage().open(row.storage_key) as stored:
        source = seekable(stored)  # an S3 body: a temporary copy
        try:
            marked = watermark_pdf(source, watermark_text(viewer))
        finally:
            if source is not stored:
                source.close()
    marked.seek(0, 2)
    size = marked.tell()
    marked.seek(0)
    return _stream(marked, row, size)


def watermark_text(viewer: str, moment: dt.datetime | None = None) -> str:
    """Who viewed the file and when (the configured zone), drawn across an inline image."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    return f"{viewer} {local_time(moment)}"


def _headers(response: Response, row: CaseMaterialFile) -> Response:
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.original_name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@functools.lru_cache(maxsize=1)
def _cjk_font_file() -> tuple[str, int] | None:
    """Where fontconfig has "Noto Sans CJK SC" (file, face index), for Pillow to draw Chinese."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}", "Noto Sans CJK SC"], capture_output=True, text=True, timeout=10
        ).stdout
        path, index = found.split("\t")
        return (path, int(index)) if "CJK" in path else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _cjk_font(size: int):
    from PIL import ImageFont

    found = _cjk_font_file()
    if found is None:  # no CJK font installed: Pillow's own (Latin only)
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(found[0], size, index=found[1])


def _watermarked(row: CaseMaterialFile, viewer: str) -> Response:
    """The image with the viewer and the time tiled across it (read whole: images are small)."""
    from PIL import Image, ImageDraw

    with storage().open(row.storage_key) as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(12, min(base.size) // 20)
    font = _cjk_font(size)
    text = watermark_text(viewer)
    step_x, step_y = int(draw.textlength(text, font=font)) + size * 2, size * 4
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
