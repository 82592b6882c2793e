"""Retention (保管期限): a closed case's files are kept for its item's ``retention_years``
(default ``RETENTION_YEARS``) after it closed; then they may be purged.

Only a case whose archive package exists is purged: the package (in the file store,
``ow_case_archive``) keeps every file and its SHA-256. Purging marks the file rows
(``purged_at``), appends a ``retention_purge`` event naming each file and the package's
SHA-256, commits, and only then deletes the bytes no other (unpurged) row still uses —
a file reused by a later case stays for that case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from onewindow.app import db
from onewindow.cases.archive import retention_years
from onewindow.cases.core import SYSTEM, Actor, transition, unit_of_work
from onewindow.cases.models import FINAL_STATES, Case, CaseArchive, CaseMaterial, CaseMaterialFile
from onewindow.storage import Storage, storage

ACTION = "retention_purge"
NO_PACKAGE = "尚无归档包，不能清除（请先 onewindow archive export）"
NO_PACKAGE = "尚无归档包，不能清除（请先 onewindow archive export）"


def _plus_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


@dataclass
class Expired:
    """A closed case whose files are past retention."""

    case: Case
    years: int
    kept_until: dt.datetime
    files: list[CaseMaterialFile] = field(default_factory=list)
    archive: CaseArchive | None = None

    def __str__(self) -> str:
        size = sum(f.size for f in self.files)
        where = f"归档包 {self.archive.sha256[:16]}" if self.archive else NO_PACKAGE
        closed, until = f"{self.case.closed_at:%Y-%m-%d}", f"{self.kept_until:%Y-%m-%d}"
        return (
            f"{self.case.number}  办结 {closed}  保管 {self.years} 年至 {until}  "
            f"{len(self.files)} 个文件 {size} 字节  {where}"
        )


def expired(now: dt.datetime | None = None) -> list[Expired]:
    """Closed cases with files still stored past their retention (oldest first)."""
    from onewindow.cases import clock

    now = now or clock.now()
    rows = (
        db.session.query(CaseMaterialFile, Case)
        .join(CaseMaterial, CaseMaterialFile.case_material_id == CaseMaterial.id)
        .join(Case, CaseMaterial.case_id == Case.id)
        .filter(Case.state.in_(list(FINAL_STATES)), Case.closed_at.is_not(None), CaseMaterialFile.purged_at.is_(None))
        .order_by(Case.closed_at, Case.id, CaseMaterialFile.id)
    )
    found: dict[int, Expired] = {}
    for row, case in rows:
        if case.id not in found:
            years = retention_years(case.item)
            found[case.id] = Expired(case, years, _plus_years(case.closed_at, years))
        found[case.id].files.append(row)
    result = [e for e in found.values() if e.kept_until <= now]
    if result:
        archives = db.session.query(CaseArchive).filter(CaseArchive.case_id.in_([e.case.id for e in result]))
        by_case = {a.case_id: a for a in archives}
        for e in result:
            e.archive = by_case.get(e.case.id)
    return result


def purge(entry: Expired, actor: Actor = SYSTEM, *, backend: Storage | None = None) -> list[str]:
    """Purge the files of one expired, archived case; the stored keys deleted."""
    backend = backend or storage()
    if entry.archive is None:
        raise ValueError(f"办件 {entry.case.number} 尚无归档包，不能清除其文件；请先运行 onewindow archive export")
    now = dt.datetime.now(dt.timezone.utc)
    keys = {f.storage_key for f in entry.files}
    with unit_of_work():
        for f in entry.files:
            f.purged_at = now
        payload = {
            "years": entry.years,
            "archive_sha256": entry.archive.sha256,
            "files": [{"name": f.original_name, "sha256": f.sha256, "key": f.storage_key} for f in entry.files],
        }
        transition(entry.case, None, ACTION, actor, reason=f"保管期限 {entry.years} 年已满", payload=payload)
    still_used = {
        key
        for (key,) in db.session.query(CaseMaterialFile.storage_key).filter(
            CaseMaterialFile.storage_key.in_(keys), CaseMaterialFile.purged_at.is_(None)
        )
    }
    deleted = sorted(keys - still_used)
    for key in deleted:  # after the commit: a failure leaves bytes for the sweep, never a lost row
        backend.delete(key)
    return deleted
