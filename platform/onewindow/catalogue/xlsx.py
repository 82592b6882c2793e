"""Excel exchange of the catalogue (counties keep their lists in spreadsheets).

One sheet per part, one row per entry, headers are the pack format's field names:
``pack`` (field, value), ``items`` (one row per item), and ``materials``, ``steps``,
``fields``, ``fees``, ``faq`` keyed by ``basic_code``. Lists inside a cell are separated
by ``|``. An imported workbook becomes a pack and goes through the same validation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from onewindow.catalogue.convert import compact, item_to_dict
from onewindow.catalogue.install import _eager
from onewindow.catalogue.packs import ITEM_DEFAULTS, Pack
from onewindow.errors import ValidationError
from onewindow.models.items import Item
from onewindow.models.items import Pack as PackRow

ITEM_COLUMNS = [
    "basic_code",
    "name",
    "type",
    "parent",
    "exercise_level",
    "service_area",
    "department",
    "entrusted_department",
    "joint_departments",
    "zone",
    "windows",
    "legal_basis",
    "conditions",
    "special_procedures",
    "legal_days",
    "promised_days",
    "handling_type",
    "correction_limit_days",
    "pre_review_days",
    "extension_days",
    "extension_rule",
    "warning_days",
    "service_mode",
    "visits_required",
    "online_depth",
    "postal_delivery",
    "appointment",
    "in_person_required",
    "confidential",
    "joint_fee",
    "routing_mode",
    "form_key",
    "licence_type_code",
    "guide",
]
CHILD_SHEETS = {
    "materials": [
        "basic_code",
        "name",
        "necessity",
        "form",
        "copies",
        "source",
        "licence_type_code",
        "sample",
        "standard",
    ],
    "steps": ["basic_code", "department", "lead", "days", "silence_consents", "task"],
    "fields": ["basic_code", "name", "label", "type", "required", "choices", "regex", "help"],
    "fees": ["basic_code", "name", "standard", "basis"],
    "faq": ["basic_code", "q", "a"],
}
LISTS = {"joint_departments", "windows", "special_procedures", "choices"}
INTS = {
    "zone",
    "legal_days",
    "promised_days",
    "correction_limit_days",
    "pre_review_days",
    "extension_days",
    "warning_days",
    "visits_required",
    "online_depth",
    "copies",
    "days",
}
BOOLS = {
    "postal_delivery",
    "appointment",
    "in_person_required",
    "confidential",
    "joint_fee",
    "lead",
    "silence_consents",
    "required",
}
SEP = "|"


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return SEP.join(str(v) for v in value)
    return value


def export_workbook(session: Session, target: Path, pack_key: str | None = None) -> int:
    keys = [k for (k,) in session.query(PackRow.key).order_by(PackRow.key)]
    if pack_key is None:
        if len(keys) != 1:
            raise ValidationError(
                gettext(
                    "%(count)s packs are installed (%(keys)s); choose one with --pack",
                    count=len(keys),
                    keys=", ".join(keys) or "—",
                )
            )
        pack_key = keys[0]
    row = session.query(PackRow).filter_by(key=pack_key).one_or_none()
    if row is None:
        raise ValidationError(
            gettext(
                "pack %(key)s is not installed; installed packs: %(installed)s",
                key=pack_key,
                installed=", ".join(keys) or "—",
            )
        )
    wb = Workbook()
    meta = wb.active
    meta.title = "pack"
    meta.append(["field", "value"])
    for key in ("key", "version", "title", "region"):
        meta.append([key, row.manifest.get(key)])
    sheets = {"items": wb.create_sheet("items")}
    sheets["items"].append(ITEM_COLUMNS)
    for name, columns in CHILD_SHEETS.items():
        sheets[name] = wb.create_sheet(name)
        sheets[name].append(columns)
    items = (
        session.query(Item)
        .options(*_eager())
        .filter(Item.pack_key == pack_key, Item.is_current.is_(True))
        .order_by(Item.basic_code)
        .all()
    )
    for item in items:
        d = item_to_dict(item)
        d["routing_mode"] = d["routing"]["mode"]
        # codes are written as text cells, so Excel keeps their leading zeros (011001000000)
        sheets["items"].append([_cell(d.get(c)) for c in ITEM_COLUMNS])
        code = d["basic_code"]
        for sheet, rows in (
            ("materials", d["materials"]),
            ("steps", d["routing"]["steps"]),
            ("fields", d["fields"]),
            ("fees", d["fees"]),
            ("faq", d["faq"]),
        ):
            for r in rows:
                sheets[sheet].append([code] + [_cell(r.get(c)) for c in CHILD_SHEETS[sheet][1:]])
    wb.save(target)
    return len(items)


def _value(column: str, raw: Any) -> Any:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if column in LISTS:
        return [p.strip() for p in str(raw).split(SEP) if p.strip()]
    if column in BOOLS:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        return {
            "true": True,
            "是": True,
            "1": True,
            "yes": True,
            "false": False,
            "否": False,
            "0": False,
            "no": False,
        }.get(text, raw)
    if column in INTS:
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and raw.strip().isdigit():
            return int(raw.strip())
        return raw
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip() if not isinstance(raw, str) else raw.strip()


def _rows(wb, sheet: str, columns: list[str], source: str):
    if sheet not in wb.sheetnames:
        raise ValidationError(
            gettext(
                "%(source)s: sheet %(sheet)s is missing; export a workbook to see the expected layout",
                source=source,
                sheet=sheet,
            )
        )
    ws = wb[sheet]
    header = [str(c.value or "").strip() for c in ws[1]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValidationError(
            gettext(
                "%(source)s: sheet %(sheet)s: column(s) %(columns)s missing from row 1",
                source=source,
                sheet=sheet,
                columns=", ".join(missing),
            )
        )
    index = {c: header.index(c) for c in columns}
    for number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if all(v is None for v in row):
            continue
        yield number, {c: _value(c, row[i] if i < len(row) else None) for c, i in index.items()}


def read_workbook(source: Path, session: Session) -> Pack:
    """Read a workbook into a pack (organisation and item types come from the database)."""
    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not .xlsx
        raise ValidationError(
            gettext(
                "%(source)s: not a readable .xlsx workbook (%(error)s); save it as Excel .xlsx",
                source=source,
                error=exc,
            )
        ) from None
    pack = Pack(path=source, display=str(source), sep="#", manifest_name="pack")
    pack.checksum = hashlib.sha256(source.read_bytes()).hexdigest()
    pack.manifest = {
        r["field"]: r["value"]
        for _n, r in _rows(wb, "pack", ["field", "value"], str(source))
        if r["field"] and r["value"] is not None
    }
    by_code: dict[str, dict[str, Any]] = {}
    for number, r in _rows(wb, "items", ITEM_COLUMNS, str(source)):
        mode = r.pop("routing_mode") or "sequential"
        item = {k: v for k, v in r.items() if v is not None}
        item.update({"materials": [], "fields": [], "fees": [], "faq": [], "routing": {"mode": mode, "steps": []}})
        pack.items.append(item)
        pack.item_files.append(f"items row {number}")
        by_code[str(item.get("basic_code"))] = item
    for sheet, columns in CHILD_SHEETS.items():
        for number, r in _rows(wb, sheet, columns, str(source)):
            parent = by_code.get(str(r.pop("basic_code")))
            if parent is None:
                pack.problems.append(
                    _problem(pack, f"{sheet} row {number}", "basic_code names no row of the items sheet")
                )
                continue
            entry = {k: v for k, v in r.items() if v is not None}
            if sheet == "steps":
                parent["routing"]["steps"].append(entry)
            else:
                parent[sheet].append(entry)
    wb.close()
    return pack


def _problem(pack: Pack, where: str, message: str):
    from onewindow.catalogue.packs import LoadProblem

    return LoadProblem(pack.file(where), message)


def write_pack_dir(pack: Pack, target: Path) -> None:
    """Write a (workbook) pack as a pack folder of YAML files."""
    from onewindow.catalogue.packs import normalised_item

    target.mkdir(parents=True, exist_ok=True)
    dump = {"allow_unicode": True, "sort_keys": False, "width": 200}
    (target / "pack.yaml").write_text(yaml.safe_dump(pack.manifest, **dump), encoding="utf-8")
    items = [compact(normalised_item(it)) for it in pack.items]
    for it in items:
        for key in [k for k in it if k in ITEM_DEFAULTS and it[k] in ([], None)]:
            del it[key]
    (target / "items.yaml").write_text(yaml.safe_dump({"items": items}, **dump), encoding="utf-8")
