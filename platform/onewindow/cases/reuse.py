"""Reuse instead of resubmission (材料复用, 国务院令第716号 §7, [003 §六(四)]).

At acceptance the window is offered the files the same applicant (same ID number or
credit code) handed in on an earlier, accepted case for a material of the same name,
while they are still valid (added within ``REUSE_MONTHS``, not purged by retention).
Reusing one is a transition of the new case: the new row points at the same stored
bytes (no copy), names its source (``reused_from``) and its event carries the SHA-256
like any added file, so the hash chain and ``onewindow audit verify`` cover it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from flask import current_app

from onewindow.app import db
from onewindow.cases.core import Actor, require_role, require_state, transition, unit_of_work
from onewindow.cases.materialfiles import ADDING_ROLES, FileRefused, same_bytes
from onewindow.cases.models import OPEN_STATES, Case, CaseMaterial, CaseMaterialFile, FileChannel, MaterialStatus

ACTION = "reuse_material_files"


@dataclass(frozen=True)
class Offer:
    """A file of an earlier case offered for reuse, and that case's number."""

    file: CaseMaterialFile
    case_number: str


def _cutoff() -> dt.datetime:
    months = int(current_app.extensions["onewindow"].settings["REUSE_MONTHS"])
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=round(months * 30.44))


def offers(applicant_id: str | None, names: Iterable[str], exclude_case: Case | None = None) -> dict[str, list[Offer]]:
    """The reusable files of ``applicant_id`` by material name (oldest first, one per SHA-256)."""
    names = list(names)
    if not applicant_id or not names:
        return {}
    query = (
        db.session.query(CaseMaterialFile, CaseMaterial.name, Case.number)
        .join(CaseMaterial, CaseMaterialFile.case_material_id == CaseMaterial.id)
        .join(Case, CaseMaterial.case_id == Case.id)
        .filter(
            Case.applicant_id == applicant_id,
            Case.accepted_on.is_not(None),  # the window checked the material on that case
            CaseMaterial.status == MaterialStatus.submitted,
            CaseMaterial.name.in_(names),
            CaseMaterialFile.purged_at.is_(None),
            CaseMaterialFile.added_at >= _cutoff(),
        )
        .order_by(CaseMaterialFile.added_at, CaseMaterialFile.id)
    )
    if exclude_case is not None and exclude_case.id is not None:
        query = query.filter(Case.id != exclude_case.id)
    found: dict[str, list[Offer]] = {}
    seen: set[tuple[str, str]] = set()
    for row, name, number in query.limit(500):
        if (name, row.sha256) in seen:
            continue
        seen.add((name, row.sha256))
        found.setdefault(name, []).append(Offer(row, number))
    return found


def reuse_material_files(
    case: Case, actor: Actor, material_id: int, file_ids: Iterable[int], channel: FileChannel | str = FileChannel.window
) -> list[CaseMaterialFile]:
    """Reuse earlier files of the same applicant on one material of ``case`` (复用材料): all or none."""
    file_ids = [int(i) for i in file_ids]
    channel = FileChannel[channel] if isinstance(channel, str) else channel
    require_role(actor, ADDING_ROLES, "复用材料文件")
    require_state(case, OPEN_STATES, "复用材料文件")
    entry = next((m for m in case.materials if m.material_id == material_id), None)
    if entry is None:
        raise FileRefused(f"材料编号 {material_id} 不在办件 {case.number} 的材料清单中；请选择清单中的材料")
    if not file_ids:
        raise FileRefused(f"材料“{entry.name}”：没有选择要复用的文件")
    offered = {o.file.id: o for o in offers(case.applicant_id, [entry.name], exclude_case=case).get(entry.name, [])}
    have = {f.sha256 for f in entry.files}
    rows = []
    sources = []
    for file_id in file_ids:
        offer = offered.get(file_id)
        if offer is None:  # another applicant's file, another material, expired or purged
            raise FileRefused(
                f"材料“{entry.name}”：文件 {file_id} 不是本申请人此前办件中仍有效的同名材料，不能复用；请重新上传"
            )
        source = offer.file
        if source.sha256 in have:
            continue  # already on this material: reusing twice is one file
        have.add(source.sha256)
        sources.append(offer)
        rows.append(same_bytes(source, actor, channel, reused_from_id=source.reused_from_id or source.id))
    if not rows:
        return []
    payload = {
        "material": entry.name,
        "files": [
            {
                "name": r.original_name,
                "sha256": r.sha256,
                "size": r.size,
                "key": r.storage_key,
                "reused_from": {"case": o.case_number, "file_id": o.file.id},
            }
            for r, o in zip(rows, sources)
        ],
    }
    with unit_of_work():
        for row in rows:
            entry.files.append(row)
        transition(case, None, ACTION, actor, payload=payload)
    return rows
