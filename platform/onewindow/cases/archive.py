"""E-archive (电子归档, 国务院令第716号 §12): one archive package per closed case.

The package follows the archive information package of GB/T 42727-2023 (政务服务事项电子
文件归档规范, §7 content, structure and naming; §6.6 verification information) as far
as its public descriptions go; docs/archive.md says where we had to choose. It is a zip
named after the case number holding one folder of the same name::

    <办件编号>/说明文件.txt          what the package is and how to check it
    <办件编号>/manifest.json         metadata: case, item, materials and files, notices,
                                     every event with its hash (the hash chain)
    <办件编号>/manifest.sig.json     verification information: SHA-256 of manifest.json,
                                     SM2 signature (SM3) with the centre's audit key
    <办件编号>/通知书/<序号>-<类别>.pdf   every notice, as PDF
    <办件编号>/材料/<序号>-<材料>/<文件>   every file of every material

It is built in a temporary file, checked, then put into the file store and recorded
(``ow_case_archive``) in one transaction with an ``archive`` event carrying its SHA-256:
a failure at any point leaves neither a package nor a record (no half package).
``verify_package`` checks one offline, with nothing but the zip (and, optionally, the
centre's public key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable

from flask import current_app
from flask_babel import gettext as _

from onewindow.app import db
from onewindow.cases.core import SYSTEM, Actor, event_digest, transition, unit_of_work
from onewindow.cases.errors import TransitionError
from onewindow.cases.models import FINAL_STATES, Case, CaseArchive, CaseEvent
from onewindow.storage import CHUNK, Storage, storage

FORMAT = "onewindow-archive/1"
STANDARD = "GB/T 42727-2023 政务服务事项电子文件归档规范（归档信息包）"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig.json"
README = "说明文件.txt"
ACTION = "archive"
_UNSAFE = str.maketrans({c: "_" for c in '/\\:*?"<>|'})


class ArchiveError(TransitionError):
    """The package cannot be built (the case is open, a file is missing or changed)."""


def _safe(name: str) -> str:
    return name.translate(_UNSAFE).strip() or "_"


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _case_metadata(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,  # 办件编号
        "state": case.state.name,
        "channel": case.channel.name,
        "applicant_type": case.applicant_type.name,
        "applicant_name": case.applicant_name,
        "applicant_id": case.applicant_id,
        "department": case.department.name if case.department else None,
        "department_credit_code": getattr(case.department, "credit_code", None),
        "received_at": _iso(case.received_at),
        "accepted_on": _iso(case.accepted_on),
        "accepted_by": case.accepted_by,
        "due_date": _iso(case.due_date),
        "decision": case.decision,
        "decided_at": _iso(case.decided_at),
        "result_summary": case.result_summary,
        "licence_identifier": case.licence_identifier,
        "delivered_at": _iso(case.delivered_at),
        "closed_at": _iso(case.closed_at),
        "data": case.data,
    }


def _item_metadata(case: Case) -> dict[str, Any]:
    item = case.item
    return {
        "basic_code": item.basic_code,
        "implementation_code": item.implementation_code,
        "name": item.name,
        "version": item.version,
        "legal_days": item.legal_days,
        "promised_days": item.promised_days,
        "retention_years": retention_years(item),
    }


def retention_years(item) -> int:
    """How long the item's case files are kept (保管期限): the item's own or the config's."""
    if item.retention_years is not None:
        return int(item.retention_years)
    return int(current_app.extensions["onewindow"].settings["RETENTION_YEARS"])


def event_record(event: CaseEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "reason": event.reason,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _copy(source: IO[bytes], target: IO[bytes]) -> str:
    digest = hashlib.sha256()
    with source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def _sign(manifest: bytes) -> dict[str, Any]:
    from onewindow.cases.checkpoints import checkpoint_key
    from onewindow.licences import crypto

    key = checkpoint_key(db.session)
    digest = hashlib.sha256(manifest).hexdigest()
    return {
        "format": FORMAT,
        "manifest": MANIFEST,
        "manifest_sha256": digest,
        "algorithm": crypto.ALGORITHM,
        "public_key": key.public_key,
        "key_fingerprint": key.fingerprint,
        "signature": crypto.sign(key.private_key, key.public_key, digest.encode("ascii")),
    }


def _stored(path: str) -> zipfile.ZipInfo:
    """A zip entry kept as it is: scans, photos and PDFs are compressed already, and
    deflating them again costs time for nothing."""
    info = zipfile.ZipInfo(path, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_STORED
    return info


def write_package(case: Case, out: IO[bytes], backend: Storage, notice_pdfs: dict[int, bytes] | None = None) -> None:
    """Write the archive package of ``case`` to ``out`` (a seekable binary file); the
    notices' PDFs from ``notice_pdfs`` (by notice id: rendered for several cases at once,
    ``archive_many``) or rendered here."""
    from onewindow.documents.render import render_notice_pdfs, title_of

    root = _safe(case.number)
    materials = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for m in case.materials:
            folder = f"{root}/材料/{m.position:02d}-{_safe(m.name)}"
            files = []
            for f in m.files:
                if f.purged_at is not None:
                    raise ArchiveError(
                        _(
                            "Case %(number)s: the file %(name)s was purged at the end of its retention period; "
                            "it cannot be archived again",
                            number=case.number,
                            name=f.original_name,
                        )
                    )
                path = f"{folder}/{f.id}-{_safe(f.original_name)}"
                if not backend.exists(f.storage_key):
                    raise ArchiveError(
                        _(
                            "Case %(number)s, material %(material)s: the file %(name)s is missing from the store; "
                            "run onewindow audit verify and restore it from the backup before archiving",
                            number=case.number,
                            material=m.name,
                            name=f.original_name,
                        )
                    )
                with zf.open(_stored(path), "w", force_zip64=True) as target:
                    got = _copy(backend.open(f.storage_key), target)
                if got != f.sha256:
                    raise ArchiveError(
                        _(
                            "Case %(number)s, material %(material)s: the file %(name)s does not match its recorded "
                            "SHA-256 (it was changed); run onewindow audit verify and restore it from the backup "
                            "before archiving",
                            number=case.number,
                            material=m.name,
                            name=f.original_name,
                        )
                    )
                files.append(
                    {
                        "path": path,
                        "name": f.original_name,
                        "media_type": f.media_type,
                        "size": f.size,
                        "page_count": f.page_count,
                        "sha256": f.sha256,
                        "added_by": f.added_by,
                        "added_at": f.added_at.isoformat(),
                        "channel": f.channel.name,
                        "reused_from_file_id": f.reused_from_id,
                    }
                )
            materials.append({"position": m.position, "name": m.name, "status": m.status.name, "files": files})
        notices = []
        if notice_pdfs is None or any(n.id not in notice_pdfs for n in case.notices):
            # one WeasyPrint pass for all the case's notices (fonts subset once: documents.render)
            notice_pdfs = dict(zip((n.id for n in case.notices), render_notice_pdfs(list(case.notices))))
        for index, notice in enumerate(case.notices, start=1):
            path = f"{root}/通知书/{index:02d}-{_safe(title_of(notice))}.pdf"
            pdf = notice_pdfs[notice.id]
            zf.writestr(_stored(path), pdf)
            notices.append(
                {
                    "path": path,
                    "kind": notice.kind,
                    "title": title_of(notice),
                    "issued_at": notice.issued_at.isoformat(),
                    "issued_by": notice.issued_by,
                    "sha256": hashlib.sha256(pdf).hexdigest(),
                    "content": notice.content,
                }
            )
        manifest = {
            "format": FORMAT,
            "standard": STANDARD,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "case": _case_metadata(case),
            "item": _item_metadata(case),
            "materials": materials,
            "notices": notices,
            "events": [event_record(e) for e in case.events],
            "chain": {"seq": case.chain_seq, "head": case.chain_hash},
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode("utf-8")
        zf.writestr(f"{root}/{MANIFEST}", body)
        signature = _sign(body)
        zf.writestr(f"{root}/{SIGNATURE}", json.dumps(signature, ensure_ascii=False, indent=1))
        zf.writestr(f"{root}/{README}", _readme(case, signature))


def _readme(case: Case, signature: dict[str, Any]) -> str:
    return (
        f"办件 {case.number} 电子归档信息包（{STANDARD}）\n"
        f"事项：{case.item.name}（{case.item.implementation_code}）\n"
        f"{MANIFEST}：元数据（办件、事项、材料与文件、通知书、全部事件及其哈希链）\n"
        f"{SIGNATURE}：验证信息（{MANIFEST} 的 SHA-256 及 SM2 签名，公钥指纹 {signature['key_fingerprint']}）\n"
        "通知书/：各类通知书 PDF；材料/：各项材料的电子文件\n"
        "离线核验：onewindow archive verify 本文件.zip\n"
    )


def archive_case(
    case: Case, actor: Actor = SYSTEM, *, backend: Storage | None = None, notice_pdfs: dict[int, bytes] | None = None
) -> CaseArchive:
    """Produce, store and record the archive package of a closed case (电子归档): all or nothing."""
    backend = backend or storage()
    existing = db.session.query(CaseArchive).filter_by(case_id=case.id).one_or_none()
    if existing is not None:
        return existing
    if case.state not in FINAL_STATES:
        raise ArchiveError(f"办件 {case.number} 尚未办结（当前状态“{case.state}”），办结后才能归档")
    key = None
    with tempfile.TemporaryFile() as tmp:
        write_package(case, tmp, backend, notice_pdfs)
        tmp.seek(0)
        stored = backend.put(tmp)
        key = stored.key
    try:
        with unit_of_work():
            record = CaseArchive(
                case_id=case.id,
                storage_key=stored.key,
                sha256=stored.sha256,
                size=stored.size,
                created_at=dt.datetime.now(dt.timezone.utc),
            )
            db.session.add(record)
            transition(
                case, None, ACTION, actor, payload={"sha256": stored.sha256, "size": stored.size, "key": stored.key}
            )
    except BaseException:
        backend.delete(key)
        raise
    return record


def archive_closed(
    limit: int = 200, since: dt.datetime | None = None, problems: list[str] | None = None
) -> list[CaseArchive]:
    """Archive closed cases that have no package yet (oldest first, at most ``limit``).

    A case that cannot be packaged (a missing or changed file) is reported in ``problems``
    and skipped, so it does not hold back the others; without ``problems`` it raises."""
    query = (
        db.session.query(Case)
        .outerjoin(CaseArchive, CaseArchive.case_id == Case.id)
        .filter(Case.state.in_(list(FINAL_STATES)), CaseArchive.id.is_(None))
    )
    if since is not None:
        query = query.filter(Case.closed_at >= since)
    return archive_many(query.order_by(Case.id).limit(limit).all(), problems)


#: closed cases whose notices are rendered in one WeasyPrint pass (``render_notice_pdfs``):
#: writing the PDF subsets each CJK font (≈0.25 s a font), once for them all
RENDER_BATCH = 10


def archive_many(cases: list[Case], problems: list[str] | None = None) -> list[CaseArchive]:
    """Archive ``cases`` (closed, without a package), their notices rendered ``RENDER_BATCH``
    cases at a time. A case that cannot be packaged is reported in ``problems`` and skipped;
    without ``problems`` it raises."""
    from onewindow.documents.render import render_notice_pdfs

    made = []
    for start in range(0, len(cases), RENDER_BATCH):
        batch = cases[start : start + RENDER_BATCH]
        notices = [n for case in batch for n in case.notices]
        pdfs = dict(zip((n.id for n in notices), render_notice_pdfs(notices)))
        for case in batch:
            try:
                made.append(archive_case(case, notice_pdfs=pdfs))
            except ArchiveError as exc:
                if problems is None:
                    raise
                db.session.rollback()
                problems.append(str(exc))
    return made


def archive_job() -> None:
    """Scheduler entry point (``register_jobs``): package the cases closed since the last run."""
    problems: list[str] = []
    archive_closed(problems=problems)
    for problem in problems:
        logging.getLogger(__name__).error("e-archive: %s", problem)


def export(case: Case, folder: Path) -> Path:
    """Write the case's stored package (archived now if it has none) to ``folder/<number>.zip``."""
    record = archive_case(case)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{_safe(case.number)}.zip"
    partial = target.with_suffix(".zip.part")
    with open(partial, "wb") as out:
        got = _copy(storage().open(record.storage_key), out)
    if got != record.sha256:
        partial.unlink(missing_ok=True)
        raise ArchiveError(f"办件 {case.number} 的归档包在存储中被修改（SHA-256 不符）；请从备份恢复")
    os.replace(partial, target)
    return target


# --- offline verification -----------------------------------------------------------


@dataclass
class PackageReport:
    number: str = ""
    files: int = 0
    notices: int = 0
    events: int = 0
    fingerprint: str = ""
    problems: list[str] = field(default_factory=list)


def _digest_entry(zf: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with zf.open(name) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_chain(number: str, events: Iterable[dict[str, Any]], report: PackageReport) -> None:
    prev = "0" * 64
    for record in events:
        event = CaseEvent(
            seq=record["seq"],
            action=record["action"],
            from_state=record["from"],
            to_state=record["to"],
            actor=record["actor"],
            at=dt.datetime.fromisoformat(record["at"]),
            reason=record["reason"],
            payload=record["payload"],
            prev_hash=record["prev_hash"],
        )
        if record["prev_hash"] != prev:
            report.problems.append(f"事件 {record['seq']}（{record['action']}）的前序哈希与上一事件不符：哈希链断裂")
        if event_digest(number, event) != record["hash"]:
            report.problems.append(f"事件 {record['seq']}（{record['action']}）的哈希与内容不符：事件被修改")
        prev = record["hash"]
        report.events += 1


def verify_package(path: Path, public_key: str | None = None) -> PackageReport:
    """Check one archive package offline: signature, manifest, every file and notice, the chain."""
    from onewindow.licences import crypto

    report = PackageReport()
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.problems.append(f"{path}：不是可读的归档包（{exc}）")
        return report
    with zf:
        names = set(zf.namelist())
        roots = {n.split("/", 1)[0] for n in names}
        if len(roots) != 1:
            report.problems.append(f"{path}：归档包应只有一个以办件编号命名的文件夹，实有 {len(roots)} 个")
            return report
        (root,) = roots
        for required in (MANIFEST, SIGNATURE):
            if f"{root}/{required}" not in names:
                report.problems.append(f"{path}：缺少 {root}/{required}")
        if report.problems:
            return report
        body = zf.read(f"{root}/{MANIFEST}")
        signature = json.loads(zf.read(f"{root}/{SIGNATURE}"))
        digest = hashlib.sha256(body).hexdigest()
        report.fingerprint = signature.get("key_fingerprint", "")
        if digest != signature.get("manifest_sha256"):
            report.problems.append(f"{MANIFEST} 的 SHA-256 与验证信息不符：清单被修改")
        key = public_key or signature.get("public_key", "")
        if public_key and public_key != signature.get("public_key"):
            report.problems.append("归档包不是用给定的公钥签名的")
        if not crypto.verify(key, digest.encode("ascii"), signature.get("signature", "")):
            report.problems.append(f"{MANIFEST} 的 SM2 签名无效：清单或验证信息被修改")
        try:
            manifest = json.loads(body)
        except ValueError as exc:
            report.problems.append(f"{MANIFEST} 不是有效的 JSON（{exc}）")
            return report
        report.number = manifest.get("case", {}).get("number", "")
        listed = {f"{root}/{MANIFEST}", f"{root}/{SIGNATURE}", f"{root}/{README}"}
        entries = [(f, "file") for m in manifest.get("materials", []) for f in m.get("files", [])]
        entries += [(n, "notice") for n in manifest.get("notices", [])]
        for entry, kind in entries:
            listed.add(entry["path"])
            if entry["path"] not in names:
                report.problems.append(f"缺少文件 {entry['path']}（清单中登记，包内没有）")
                continue
            if _digest_entry(zf, entry["path"]) != entry["sha256"]:
                report.problems.append(f"文件 {entry['path']} 的 SHA-256 与清单不符：文件被修改")
            if kind == "file":
                report.files += 1
            else:
                report.notices += 1
        for extra in sorted(names - listed):
            if not extra.endswith("/"):
                report.problems.append(f"包内文件 {extra} 未在清单中登记")
        _check_chain(report.number, manifest.get("events", []), report)
        chain = manifest.get("chain", {})
        events = manifest.get("events", [])
        if events and chain.get("head") != events[-1]["hash"]:
            report.problems.append("清单记录的哈希链末端与最后一个事件不符")
    return report
