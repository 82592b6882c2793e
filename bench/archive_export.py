"""Benchmark: building e-archive packages, the notices' PDF rendering against the way it
was done before (issue #16: ``archive export`` took ≈10.9 s a case).

    python bench/archive_export.py [--cases 10] [--rounds 4] [--url postgresql+psycopg://…]

Seeds a fresh database (``bench/file_upload.py``'s ``prepare``: the demo, a 5-material item,
accepted cases, no files), closes the cases through the engine, then writes each case's
package (``write_package``: manifest, notices as PDF) to a temporary file, in rounds A B,
B A, … (``benchlib.interleaved``):

* ``now``: the platform as it is (``archive_many``) — the notices of ``RENDER_BATCH`` cases
  laid out by WeasyPrint and written as one document (fonts subset once), split by pages;
  one font configuration for the process; the QR code drawn as one rectangle per run of
  modules and cached per case;
* ``before``: each notice rendered and written on its own, with a new font configuration,
  the QR code as qrcode's one-square-per-module SVG, made again for every notice.

Prints seconds per case of both and the pair ratios. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import describe, interleaved, pair_ratios, throwaway_database  # noqa: E402
from file_upload import close_cases, prepare  # noqa: E402


def before_qr_svg(text: str) -> str:
    """The QR code as the notices drew it before: one path square per module."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def before_pdfs(notices) -> list[bytes]:
    """Every notice rendered and written on its own (a new font configuration each time)."""
    from weasyprint import HTML

    from onewindow.documents import render

    return [HTML(string=render.render_notice_html(n)).write_pdf() for n in notices]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()

    url, drop = throwaway_database(args.url)
    work = Path(tempfile.mkdtemp(prefix="ow-bench-archive-"))
    try:
        numbers, _materials, _logins = prepare(url, work / "instance", args.cases, 5)
        from onewindow.app import create_app, db
        from onewindow.cases import archive
        from onewindow.cases.models import Case
        from onewindow.documents import render
        from onewindow.storage import storage

        app = create_app({"DATABASE_URL": url}, instance_path=work / "instance")
        with app.app_context():
            close_cases(numbers[:-1])
            cases = [db.session.query(Case).filter_by(number=n).one() for n in numbers[:-1]]
            notices = sum(len(c.notices) for c in cases)
            now = (render.render_notice_pdfs, render.qr_svg)

            def package_now() -> float:
                started = time.perf_counter()
                for start in range(0, len(cases), archive.RENDER_BATCH):  # as archive_many does
                    batch = cases[start : start + archive.RENDER_BATCH]
                    notices = [n for case in batch for n in case.notices]
                    pdfs = dict(zip((n.id for n in notices), render.render_notice_pdfs(notices)))
                    for case in batch:
                        with tempfile.TemporaryFile() as out:
                            archive.write_package(case, out, storage(), pdfs)
                return (time.perf_counter() - started) / len(cases)

            def package_before() -> float:
                render.render_notice_pdfs, render.qr_svg = before_pdfs, before_qr_svg
                started = time.perf_counter()
                for case in cases:
                    with tempfile.TemporaryFile() as out:
                        archive.write_package(case, out, storage())
                seconds = time.perf_counter() - started
                render.render_notice_pdfs, render.qr_svg = now
                return seconds / len(cases)

            package_now()  # warm-up: imports, templates, fontconfig
            runs = interleaved(args.rounds, {"now": lambda _r: package_now(), "before": lambda _r: package_before()})
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        drop()
    print(f"database: {url.split(':')[0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{len(cases)} closed cases, {notices} notices; {args.rounds} rounds")
    for side in ("before", "now"):
        rounds = ", ".join(f"{s:.2f}" for s in runs[side])
        print(f"  {side:6} {statistics.median(runs[side]):.2f} s a case (rounds: {rounds})")
    print(f"  now / before: {describe(pair_ratios(runs['now'], runs['before']))}")


if __name__ == "__main__":
    main()
