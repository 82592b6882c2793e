"""QR codes as SVG markup, for every page and PDF that prints one (notices, licences, the
hall's tickets and terminal): one drawing, so they all print alike."""

from __future__ import annotations

import base64
import functools


@functools.lru_cache(maxsize=256)
def qr_svg(text: str, module_mm: float = 0.8) -> str:
    """SVG markup of the QR code of ``text``: vector, so it prints sharply at any size.

    One rectangle per horizontal run of dark modules (``module_mm`` each, a 2-module quiet
    zone) rather than one per module: WeasyPrint draws the notices' QR codes several times
    faster. Cached: every notice of a case carries the same code."""
    import qrcode

    code = qrcode.QRCode(box_size=8, border=2)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()  # with the quiet zone
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    size = f"{len(matrix) * module_mm:g}mm"
    return (
        f'<svg width="{size}" height="{size}" version="1.1" viewBox="0 0 {len(matrix)} {len(matrix)}" '
        f'xmlns="http://www.w3.org/2000/svg"><path d="{"".join(runs)}" fill="#000000" stroke="none"/></svg>'
    )


def qr_data_uri(text: str, module_mm: float = 0.8) -> str:
    """The same QR code as a ``data:`` URI, for an ``<img>`` in a notice or licence."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text, module_mm).encode("utf-8")).decode("ascii")
