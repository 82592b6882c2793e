"""The viewer's watermark on a PDF served inline (``FILE_WATERMARK``).

WeasyPrint draws the watermark — the viewer's name and the time, tiled diagonally in
``"Noto Sans CJK SC"`` (real text, so it is searchable and Chinese is never boxes) — on one
page per distinct page size of the file; pypdf lays it over every page, page by page, and
writes the result to a spooled temporary file (on disk past a few megabytes) that is then
streamed. The stored file is never changed: only what is served carries the mark.
"""

from __future__ import annotations

import html
import io
import tempfile
from typing import IO

from onewindow.storage import CHUNK

#: space between two copies of the text on the page, in points (across, down)
STEP = (220, 130)


def _mark_html(text: str, width: float, height: float) -> str:
    tiles = []
    for y in range(-int(STEP[1]), int(height) + int(STEP[1]), STEP[1]):
        shift = (y // STEP[1]) % 2 * STEP[0] // 2
        for x in range(-int(STEP[0]) + shift, int(width) + int(STEP[0]), STEP[0]):
            tiles.append(f'<div class="t" style="left:{x}pt;top:{y}pt">{html.escape(text)}</div>')
    return (
        "<html><head><style>"
        f"@page {{ size: {width:.2f}pt {height:.2f}pt; margin: 0 }}"
        "body { margin: 0 }"
        '.t { position: absolute; white-space: nowrap; font-family: "Noto Sans CJK SC", sans-serif;'
        " font-size: 13pt; color: rgba(200, 0, 0, 0.28); transform: rotate(-30deg); transform-origin: 0 0 }"
        "</style></head><body>" + "".join(tiles) + "</body></html>"
    )


def mark_page(text: str, width: float, height: float):
    """One pypdf page of ``width`` × ``height`` points carrying the tiled ``text``."""
    from pypdf import PdfReader
    from weasyprint import HTML

    from onewindow.documents.render import font_configuration

    pdf = HTML(string=_mark_html(text, width, height)).write_pdf(font_config=font_configuration())
    return PdfReader(io.BytesIO(pdf)).pages[0]


def watermark_pdf(source: IO[bytes], text: str) -> IO[bytes]:
    """``source`` (a seekable, readable PDF) with ``text`` over every page: a temporary
    file positioned at its start (the caller streams and closes it)."""
    from pypdf import PdfReader, PdfWriter, Transformation

    reader = PdfReader(source)
    writer = PdfWriter()
    marks: dict[tuple[float, float], object] = {}
    for page in reader.pages:
        box = page.mediabox
        size = (round(float(box.width), 1), round(float(box.height), 1))
        if size not in marks:
            marks[size] = mark_page(text, *size)
        added = writer.add_page(page)
        added.merge_transformed_page(
            marks[size], Transformation().translate(float(box.left), float(box.bottom)), over=True
        )
    out = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)
    writer.write(out)
    out.seek(0)
    return out  # type: ignore[return-value]
