"""Files on case materials (电子材料): adding them is a transition of the case.

The bytes are written to the file store first (streamed, SHA-256 computed on the way),
then the rows and the event (which carries each file's SHA-256, so the hash chain
covers the files) are committed; a transition that fails deletes what it wrote. Every
bad input is refused with a message naming the file and the material, and nothing is
stored. ``verify_files`` re-hashes the stored files for ``onewindow audit verify``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import partial
from typing import IO, Any, Callable, Iterable

import filetype
from flask import current_app

from onewindow.cases.acceptance import ACCEPTING_ROLES
from onewindow.cases.core import Actor, require_role, require_state, transition, unit_of_work
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import OPEN_STATES, Case, CaseEvent, CaseMaterial, CaseMaterialFile, FileChannel
from onewindow.storage import CHUNK, SpooledStorage, Storage, Stored, TooLarge, sha256_of, storage

ACTION = "add_material_files"
#: the events whose payload lists stored files (added here, or reused: onewindow.cases.reuse)
FILE_ACTIONS = (ACTION, "reuse_material_files")
#: who may add files: the window, the departments (correction, deferred materials), the applicant online
ADDING_ROLES = ACCEPTING_ROLES + ("approver", "output_clerk", "applicant")
MB = 1024 * 1024


class FileRefused(TransitionError):
    """A file is refused (type, size, content, name, count, or a plugin); nothing was stored."""


@dataclass
class Upload:
    """One file as it arrives: its name as the client gave it and a readable stream."""

    filename: str
    stream: IO[bytes]


class _Inspector:
    """Sees each chunk as it streams and keeps the head (type detection by content)."""

    def __init__(self) -> None:
        self.head = b""

    def __call__(self, chunk: bytes) -> None:
        if len(self.head) < 8192:
            self.head += chunk[: 8192 - len(self.head)]


def _settings() -> dict:
    return current_app.extensions["onewindow"].settings


def check_name(name: str, material: str) -> str:
    """The name as stored: no folder parts, no control characters."""
    bad = (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or any(unicodedata.category(c).startswith("C") for c in name)
    )
    if bad:
        raise FileRefused(
            f"材料“{material}”的文件名“{name!r}”不可用：文件名不得为空，"
            "不得包含路径（/ 或 \\）或控制字符；请重命名后再上传"
        )
    if len(name) > 200:
        raise FileRefused(f"材料“{material}”的文件名“{name[:40]}…”超过 200 个字符，请缩短后再上传")
    return name


def media_type_of(name: str, head: bytes) -> str | None:
    """The media type read from the content (the name only tells OFD from another zip)."""
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.mime == "application/zip" and name.lower().endswith(".ofd"):
        return "application/ofd"  # GB/T 33190: an OFD document is a zip package
    return kind.mime


def _check_content(name: str, material: str, stored: Stored, seen: _Inspector, allowed: list[str]) -> str:
    where = f"材料“{material}”的文件“{name}”"
    if stored.size == 0:
        raise FileRefused(f"{where}是空文件（0 字节）；请重新扫描或选择正确的文件")
    media_type = media_type_of(name, seen.head)
    if media_type not in allowed:
        shown = media_type or "无法识别"
        raise FileRefused(f"{where}的类型（按内容识别为 {shown}）不在允许范围内；允许：{'、'.join(allowed)}")
    return media_type


def _pdf_pages(name: str, material: str, stream: IO[bytes]) -> int:
    """The page count of a PDF (pypdf reads the cross-reference table and the page tree,
    not the pages' content); an encrypted or unreadable PDF is refused."""
    from pypdf import PdfReader

    where = f"材料“{material}”的文件“{name}”"
    source = seekable(stream)  # an S3 body: a temporary copy
    try:
        reader = PdfReader(source)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception:  # pypdf raises many kinds on a damaged file: each means "cannot be read"
        raise FileRefused(f"{where}是损坏或不完整的 PDF（无法读取）；请重新导出或扫描") from None
    finally:
        if source is not stream:
            source.close()
    if encrypted:
        raise FileRefused(f"{where}是加密的 PDF，无法审阅；请提交未加密的文件")
    if pages == 0:
        raise FileRefused(f"{where}是损坏或不完整的 PDF（没有页面）；请重新导出或扫描")
    return pages


def seekable(stream: IO[bytes]) -> IO[bytes]:
    """``stream`` if it can seek (a stored file), else a temporary copy (an S3 body), read in chunks."""
    if stream.seekable():
        return stream
    copy = tempfile.TemporaryFile()
    for chunk in iter(partial(stream.read, CHUNK), b""):
        copy.write(chunk)
    copy.seek(0)
    return copy


@dataclass
class Received:
    """One file stored and checked: where it is, its media type and (PDF) page count."""

    stored: Stored
    media_type: str
    page_count: int | None


def receive(
    backend: Storage, name: str, material: str, stream: IO[bytes], settings: dict, room: int | None = None
) -> Received:
    """Store one file through ``backend`` and check it — size (the file's limit and the
    ``room`` left on the case), emptiness, type by content, a PDF's pages: the one check of
    every upload. A refused file is deleted again; the refusal names the file and the material."""
    per_file = int(settings["FILE_MAX_MB"]) * MB
    room = per_file if room is None else room
    seen = _Inspector()
    try:
        stored = backend.put(stream, limit=min(per_file, max(room, 0)), observe=seen)
    except TooLarge:
        if room < per_file:
            raise FileRefused(
                f"材料“{material}”的文件“{name}”使本办件的文件总量超过 {settings['CASE_FILES_MAX_MB']} MB；"
                "请压缩扫描件或与管理员联系"
            ) from None
        raise FileRefused(
            f"材料“{material}”的文件“{name}”超过单个文件上限 {settings['FILE_MAX_MB']} MB；请降低扫描分辨率或拆分后上传"
        ) from None
    try:
        media_type = _check_content(name, material, stored, seen, list(settings["FILE_TYPES_ALLOWED"]))
        pages = None
        if media_type == "application/pdf":
            with backend.open(stored.key) as fh:
                pages = _pdf_pages(name, material, fh)
    except BaseException:
        backend.delete(stored.key)
        raise
    return Received(stored, media_type, pages)


def _check_count_and_names(uploads: list[Upload], material: str, settings: dict) -> list[str]:
    if not uploads:
        raise FileRefused(f"材料“{material}”：没有收到文件；请选择要上传的文件")
    most = int(settings["FILES_PER_UPLOAD_MAX"])
    if len(uploads) > most:
        raise FileRefused(f"材料“{material}”一次上传了 {len(uploads)} 个文件，超过上限 {most} 个；请分批上传")
    return [check_name(u.filename, material) for u in uploads]


def precheck_uploads(material: str, uploads: Iterable[Upload]) -> tuple[list[Upload], int]:
    """Check files before anything is created for them (an online application checks its
    files before its case exists): count, names, then each file as ``receive`` checks it,
    into spooled temporary copies. Returns the uploads re-readable from those copies, and
    their total size. ``add_material_files`` checks the same again as it stores them (and
    asks the plugins)."""
    uploads = list(uploads)
    settings = _settings()
    names = _check_count_and_names(uploads, material, settings)
    spool = SpooledStorage()
    checked: list[Upload] = []
    total = 0
    try:
        for name, upload in zip(names, uploads):
            got = receive(spool, name, material, upload.stream, settings)
            checked.append(Upload(name, spool.take(got.stored.key)))
            total += got.stored.size
    except BaseException:
        for upload in checked:
            upload.stream.close()
        raise
    return checked, total


def add_material_files(
    case: Case,
    actor: Actor,
    material_id: int,
    uploads: Iterable[Upload],
    channel: FileChannel | str = FileChannel.window,
    *,
    backend: Storage | None = None,
) -> list[CaseMaterialFile]:
    """Add files to one material of the case (收取电子材料): all of them or none.

    A file whose SHA-256 is already on the material is not stored again: the existing row
    stands for it (an upload retried or sent twice is one file)."""
    backend = backend or storage()
    written: list[str] = []
    try:
        entry, rows, result = _store_files(case, actor, material_id, uploads, channel, backend, written)
        if not rows:
            return result
        with unit_of_work():
            _record_files(case, entry, rows, actor)
    except BaseException:
        for key in written:  # write, then commit: a refused or failed transition leaves no file
            backend.delete(key)
        raise
    return result


def submit_with_files(
    app: Any,
    actor: Actor,
    files: dict[int, list[Upload]],
    channel: FileChannel | str = FileChannel.online,
    *,
    then: Callable[[Case], None] | None = None,
) -> Case:
    """网上申请 with its files, all or nothing: the case, its files (every check, and the
    plugins' ``material_file_added``) and ``then(case)`` (e.g. deleting the draft it came
    from) in the submission's one transaction. A refused file leaves no case and no file;
    the ``FileRefused`` names the material and the file."""
    from onewindow.cases.acceptance import submit

    backend = storage()
    written: list[str] = []

    def attach(case: Case) -> None:
        for material_id, uploads in files.items():
            entry, rows, _result = _store_files(case, actor, material_id, uploads, channel, backend, written)
            if rows:
                _record_files(case, entry, rows, actor)
        if then is not None:
            then(case)

    try:
        return submit(app, actor, attach=attach)
    except BaseException:
        for key in written:
            backend.delete(key)
        raise


def _store_files(
    case: Case,
    actor: Actor,
    material_id: int,
    uploads: Iterable[Upload],
    channel: FileChannel | str,
    backend: Storage,
    written: list[str],
) -> tuple[CaseMaterial, list[CaseMaterialFile], list[CaseMaterialFile]]:
    """Check and store the files of one material, asking the plugins about each; every key
    written is appended to ``written`` (the caller deletes them if anything fails).
    Returns the material, the new rows and every file the upload stands for."""
    uploads = list(uploads)
    channel = FileChannel[channel] if isinstance(channel, str) else channel
    settings = _settings()
    require_role(actor, ADDING_ROLES, "上传材料文件")
    require_state(case, OPEN_STATES, "上传材料文件")
    entry: CaseMaterial | None = next((m for m in case.materials if m.material_id == material_id), None)
    if entry is None:
        raise FileRefused(f"材料编号 {material_id} 不在办件 {case.number} 的材料清单中；请选择清单中的材料")
    material = entry.name
    names = _check_count_and_names(uploads, material, settings)
    case_room = int(settings["CASE_FILES_MAX_MB"]) * MB - sum(f.size for m in case.materials for f in m.files)
    hook = current_app.extensions["onewindow"].plugins.hook
    have = {f.sha256: f for f in entry.files}
    result: list[CaseMaterialFile] = []
    rows = []
    for name, upload in zip(names, uploads):
        got = receive(backend, name, material, upload.stream, settings, room=case_room)
        stored = got.stored
        written.append(stored.key)
        same = have.get(stored.sha256)
        if same is not None:  # the same file again on this material (a retry, a double click): one file
            backend.delete(stored.key)
            written.remove(stored.key)
            result.append(same)
            continue
        case_room -= stored.size
        row = CaseMaterialFile(
            original_name=name,
            media_type=got.media_type,
            size=stored.size,
            page_count=got.page_count,
            sha256=stored.sha256,
            storage_key=stored.key,
            added_by=actor.username,
            added_at=dt.datetime.now(dt.timezone.utc),
            channel=channel,
        )
        for refusal in hook.material_file_added(case=case, material=entry, file=row):
            if refusal:
                raise FileRefused(f"材料“{material}”的文件“{name}”被拒收：{refusal}")
        rows.append(row)
        result.append(row)
        have[row.sha256] = row
    return entry, rows, result


def same_bytes(source: CaseMaterialFile, actor: Actor, channel: FileChannel, **extra: Any) -> CaseMaterialFile:
    """A new file row for ``source``'s stored bytes (reuse of an earlier case's file, a
    bundle's shared material on a further member): nothing is copied in the store."""
    return CaseMaterialFile(
        original_name=source.original_name,
        media_type=source.media_type,
        size=source.size,
        page_count=source.page_count,
        sha256=source.sha256,
        storage_key=source.storage_key,
        added_by=actor.username,
        added_at=dt.datetime.now(dt.timezone.utc),
        channel=channel,
        **extra,
    )


def _record_files(case: Case, entry: CaseMaterial, rows: list[CaseMaterialFile], actor: Actor) -> None:
    """The rows on the material and the event listing them, in the caller's unit of work."""
    for row in rows:
        entry.files.append(row)
    payload = {
        "material": entry.name,
        "files": [{"name": r.original_name, "sha256": r.sha256, "size": r.size, "key": r.storage_key} for r in rows],
    }
    transition(case, None, ACTION, actor, payload=payload)


@dataclass
class FileProblem:
    case_number: str
    name: str
    problem: str

    def __str__(self) -> str:
        return f"办件 {self.case_number} 文件“{self.name}”：{self.problem}"


def verify_files(session, backend: Storage) -> tuple[int, list[FileProblem]]:
    """Re-hash every stored file against the SHA-256 its (hash-chained) event recorded."""
    problems: list[FileProblem] = []
    every = session.query(CaseMaterialFile).all()
    rows = {f.storage_key: f for f in every}
    checked = 0
    # bytes purged by retention (the archive package keeps them): not expected in the store
    purged = set(rows) - {f.storage_key for f in every if f.purged_at is None}
    events = session.query(CaseEvent).filter(CaseEvent.action.in_(FILE_ACTIONS)).order_by(CaseEvent.id)
    for event in events:
        number = event.case.number
        for item in (event.payload or {}).get("files", []):
            checked += 1
            key, name, recorded = item.get("key"), item.get("name"), item.get("sha256")
            row = rows.get(key)
            if row is not None and row.sha256 != recorded:
                problems.append(FileProblem(number, name, "文件记录的哈希与事件中的不符（记录被篡改）"))
            if key in purged:
                continue
            if not backend.exists(key):
                problems.append(FileProblem(number, name, f"存储中缺少该文件（{key}）"))
            elif sha256_of(backend.open(key)) != recorded:
                problems.append(FileProblem(number, name, "存储的文件内容与登记时的 SHA-256 不符（文件被修改）"))
    return checked, problems


def sweep(session, backend: Storage, apply: bool = True, min_age_minutes: int | None = None) -> list[str]:
    """Stored keys nothing refers to (a crash between write and commit; bytes left by a
    retention purge), older than ``SWEEP_MIN_AGE_MINUTES``: removed with ``apply``.

    The age guard spares a file being uploaded right now: its row is not committed yet."""
    from onewindow.cases.models import CaseArchive

    if min_age_minutes is None:
        min_age_minutes = int(_settings()["SWEEP_MIN_AGE_MINUTES"])
    live = session.query(CaseMaterialFile.storage_key).filter(CaseMaterialFile.purged_at.is_(None))
    known = {key for (key,) in live} | {key for (key,) in session.query(CaseArchive.storage_key)}
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=min_age_minutes)
    orphans = [key for key in backend.keys() if key not in known and backend.modified_at(key) <= cutoff]
    if apply:
        for key in orphans:
            backend.delete(key)
    return orphans
