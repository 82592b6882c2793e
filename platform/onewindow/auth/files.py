"""Owner-only modes for what the instance folder holds (issue #21: the SQLite file was 0644).

The instance folder holds the SQLite database, the session secret, keys, demo logins and
anything uploaded: folders are 0700 and files 0600, set when they are created (never
created open and narrowed afterwards) and re-applied by ``onewindow init`` to what an
older version left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create ``path`` (and missing parents' last level) owner-only; tighten it if it exists."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(path, FOLDER_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file that is 0600 from the moment it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, FILE_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty owner-only file unless it exists (SQLite then opens it as a new database)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def tighten(folder: Path) -> list[Path]:
    """Make ``folder`` and everything under it owner-only; returns what was changed."""
    changed: list[Path] = []
    if not folder.is_dir():
        return changed
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        want = FOLDER_MODE if path.is_dir() else FILE_MODE
        if path.stat().st_mode & 0o777 != want:
            os.chmod(path, want)
            changed.append(path)
    return changed
