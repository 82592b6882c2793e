"""Backups: ``onewindow backup DEST`` and ``onewindow restore ARCHIVE`` (备份与恢复).

One ``.tar.gz`` holds the database, the files of the instance folder and the keys
kept outside it, with a manifest of SHA-256 hashes:

- SQLite: a consistent copy through the ``sqlite3`` backup API (``database.sqlite``),
  safe while the platform runs;
- PostgreSQL: ``pg_dump --format=custom`` (``database.pgdump``), one snapshot;
- ``instance/…``: every file of the instance folder but the live SQLite file
  (``onewindow.toml``, ``secret_key``, ``seal.kek``, ``audit-sm2.key``, uploads…);
- ``keys/…``: the audit checkpoint key when ``AUDIT_KEY_FILE`` points outside the
  instance folder.

Restore checks every hash before it writes anything, refuses a database that already
has tables unless ``force``, then verifies the result: the written files against the
manifest and ``audit verify`` (chains and every signed checkpoint) on the restored
database.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import create_engine, inspect, make_url, text

from onewindow.errors import ValidationError

FORMAT = "onewindow-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"


class BackupError(ValidationError):
    """A backup cannot be taken, or an archive cannot be restored."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_tool(name: str) -> str:
    """Path of ``pg_dump`` / ``pg_restore``: on PATH, else the newest Debian/Ubuntu install."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}") + glob.glob(f"/usr/pgsql-*/bin/{name}")
    if not candidates:
        raise BackupError(
            f"{name} was not found on PATH nor under /usr/lib/postgresql/*/bin; install the "
            "PostgreSQL client tools (Debian: postgresql-client) of the server's version or newer"
        )

    def version(path: str) -> tuple[int, ...]:
        part = Path(path).parts[-3].removeprefix("pgsql-")
        return tuple(int(p) for p in part.split(".") if p.isdigit())

    return max(candidates, key=version)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url}: an in-memory SQLite database cannot be backed up or restored")
    return Path(database).resolve()


def _key_files(settings: dict[str, Any], instance: Path) -> dict[str, Path]:
    """Keys kept outside the instance folder, by archive member name."""
    configured = settings.get("AUDIT_KEY_FILE")
    if not configured:
        return {}
    path = Path(configured).resolve()
    try:
        path.relative_to(instance)
        return {}
    except ValueError:
        return {f"keys/{path.name}": path} if path.exists() else {}


def _instance_files(instance: Path, skip: set[Path]) -> dict[str, Path]:
    found = {}
    for path in sorted(instance.rglob("*")):
        resolved = path.resolve()
        if (
            not path.is_file()
            or resolved in skip
            or any(resolved == s.with_name(s.name + suffix) for s in skip for suffix in ("-journal", "-wal", "-shm"))
        ):
            continue
        found[f"instance/{path.relative_to(instance).as_posix()}"] = path
    return found


@dataclass
class BackupResult:
    archive: Path
    dialect: str
    members: dict[str, dict[str, Any]] = field(default_factory=dict)


def backup(settings: dict[str, Any], instance: Path, dest: Path, include_keys: bool = True) -> BackupResult:
    """Write one archive to ``dest`` (a file name, or a folder for a dated name)."""
    instance = instance.resolve()
    url = settings["DATABASE_URL"]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if dest.is_dir():
        dest = dest / f"onewindow-backup-{stamp}.tar.gz"
    dest = dest.resolve()
    skip = {dest}
    with tempfile.TemporaryDirectory(prefix="onewindow-backup-") as tmp:
        tmp_path = Path(tmp)
        members: dict[str, Path] = {}
        if _is_sqlite(url):
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupError(f"{source}: the SQLite database does not exist; nothing to back up")
            skip.add(source)
            copy = tmp_path / SQLITE_MEMBER
            with sqlite3.connect(source) as live, sqlite3.connect(copy) as target:
                live.backup(target)  # a consistent snapshot even while the platform writes
            members[SQLITE_MEMBER] = copy
            dialect = "sqlite"
        else:
            dump = tmp_path / PG_MEMBER
            done = subprocess.run(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={dump}",
                    f"--dbname={libpq_url(url)}",
                ],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_dump failed ({done.returncode}): {done.stderr.strip()}")
            members[PG_MEMBER] = dump
            dialect = "postgresql"
        files = _instance_files(instance, skip)
        if not include_keys:
            files = {m: p for m, p in files.items() if p.name not in ("seal.kek", "audit-sm2.key")}
        members.update(files)
        if include_keys:
            members.update(_key_files(settings, instance))
        manifest = {
            "format": FORMAT,
            "created_at": stamp,
            "dialect": dialect,
            "keys_included": include_keys,
            "files": {m: {"sha256": sha256_file(p), "size": p.stat().st_size} for m, p in members.items()},
        }
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds keys: owner only
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            for member, path in members.items():
                tar.add(str(path), arcname=member, recursive=False)
    return BackupResult(dest, dialect, manifest["files"])


# --- restore ---------------------------------------------------------------------------


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"archive member {name!r} is not a relative path inside the archive; refused")
    return path


def read_archive(archive: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(manifest, {member: bytes}) with every hash checked; nothing is written."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
            if manifest.get("format") != FORMAT:
                raise BackupError(f"{archive}: not a OneWindow backup (format {manifest.get('format')!r})")
            contents = {}
            for member, expected in manifest["files"].items():
                _safe_member(member)
                handle = tar.extractfile(member)
                data = handle.read() if handle else b""
                if hashlib.sha256(data).hexdigest() != expected["sha256"]:
                    raise BackupError(
                        f"{archive}: {member} does not match its SHA-256 in the manifest; "
                        "the archive is damaged or altered — restore another backup"
                    )
                contents[member] = data
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"{archive}: not a readable OneWindow backup ({type(exc).__name__}: {exc})") from None
    return manifest, contents


def database_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


@dataclass
class RestoreResult:
    dialect: str
    files: int
    problems: list[str] = field(default_factory=list)


def restore(settings: dict[str, Any], instance: Path, archive: Path, force: bool = False) -> RestoreResult:
    """Restore ``archive`` into the database ``settings`` name and the instance folder."""
    instance = instance.resolve()
    manifest, contents = read_archive(archive)
    url = settings["DATABASE_URL"]
    dialect = "sqlite" if _is_sqlite(url) else "postgresql"
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"{archive} holds a {manifest['dialect']} database; the target ({make_url(url).render_as_string()}) "
            f"is {dialect}; restore into a {manifest['dialect']} database"
        )
    tables = database_tables(url) if dialect == "postgresql" or _sqlite_path(url).exists() else []
    if tables and not force:
        raise BackupError(
            f"the target database already has {len(tables)} table(s) "
            f"({make_url(url).render_as_string()}); restore refuses to overwrite it — restore into an "
            "empty database, or pass --force to replace it"
        )
    written = _write_files(instance, settings, contents)
    if dialect == "sqlite":
        _restore_sqlite(url, contents[SQLITE_MEMBER])
    else:
        _restore_postgresql(url, contents[PG_MEMBER], drop_first=bool(tables))
    problems = [
        f"{member}: written file does not match its SHA-256"
        for member, path in written.items()
        if sha256_file(path) != manifest["files"][member]["sha256"]
    ]
    return RestoreResult(dialect, len(written), problems)


def _write_files(instance: Path, settings: dict[str, Any], contents: dict[str, bytes]) -> dict[str, Path]:
    written = {}
    audit_key = settings.get("AUDIT_KEY_FILE")
    for member, data in contents.items():
        parts = _safe_member(member).parts
        if parts[0] == "instance":
            target = instance.joinpath(*parts[1:])
        elif parts[0] == "keys" and audit_key and Path(audit_key).name == parts[-1]:
            target = Path(audit_key)
        elif parts[0] == "keys":
            target = instance / parts[-1]  # AUDIT_KEY_FILE not set here: the default place
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        written[member] = target
    return written


def _restore_sqlite(url: str, data: bytes) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".sqlite", delete=False) as tmp:
        tmp.write(data)
    try:
        with sqlite3.connect(tmp.name) as source, sqlite3.connect(target) as live:
            source.backup(live)  # replaces every page of the target, in one step
        os.chmod(target, 0o600)
    finally:
        os.unlink(tmp.name)


def _restore_postgresql(url: str, data: bytes, drop_first: bool) -> None:
    if drop_first:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    with tempfile.NamedTemporaryFile(suffix=".pgdump", delete=False) as tmp:
        tmp.write(data)
    try:
        done = subprocess.run(
            [
                pg_tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={libpq_url(url)}",
                tmp.name,
            ],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(tmp.name)
    if done.returncode:
        raise BackupError(f"pg_restore failed ({done.returncode}): {done.stderr.strip()}")


def verify_restored(app) -> list[str]:
    """``audit verify`` over the restored database: every chain and every signed checkpoint."""
    from onewindow.app import db
    from onewindow.cases.audit import verify_all
    from onewindow.cases.checkpoints import AuditKeyError, verify_checkpoints

    with app.app_context():
        _checked, broken = verify_all()
        problems: Sequence[object]
        try:
            _signed, problems = verify_checkpoints(db.session, last=0)
        except AuditKeyError as exc:  # a backup taken with --no-keys: put the key back first
            problems = [f"signed checkpoints not verified: {exc}"]
        db.session.remove()
    return [str(p) for p in [*broken, *problems]]
