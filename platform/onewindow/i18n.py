"""Translation catalogue: Chinese by default, English selectable.

Message ids are English; ``translations/zh/LC_MESSAGES/messages.po`` holds the Chinese.
The binary ``.mo`` is compiled from the ``.po`` when missing or older, so the
repository keeps only the human-editable catalogue.
"""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every stale ``messages.po`` under ``directory``; returns the files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in directory.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        try:
            with mo.open("wb") as fh:
                write_mo(fh, catalog)
        except OSError:  # read-only install: the packaged .mo (if any) is used as is
            continue
        written.append(mo)
    return written


def translation_directories() -> str:
    compile_catalogs()
    return str(TRANSLATIONS)
