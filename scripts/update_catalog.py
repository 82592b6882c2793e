"""Re-extract UI strings and merge them into the Chinese catalogue (developer tool).

    python scripts/update_catalog.py

New message ids appear with an empty translation; tests/test_i18n.py fails until
every one is translated.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "platform/onewindow/translations/zh/LC_MESSAGES/messages.po"


def main() -> None:
    pot = ROOT / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
    )
    if PO.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "update",
                "-i",
                str(pot),
                "-o",
                str(PO),
                "-l",
                "zh",
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            ],
            check=True,
        )
    else:
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "init", "-i", str(pot), "-o", str(PO), "-l", "zh"],
            check=True,
        )


if __name__ == "__main__":
    main()
