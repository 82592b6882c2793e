"""Blank forms and samples to download (空白表格 / 示例样表) on the item guide.

A pack ships the files beside its YAML and names them in its ``hall`` section::

    hall:
      forms:
        '011004000000':
          - material: 个体工商户登记（备案）申请书   # the material's name in the item
            kind: blank                             # blank (空白表格) or sample (示例样表)
            title: 个体工商户登记申请书（空白表格）
            file: forms/gtgsh-application.pdf      # relative to the pack's folder

Validation checks that the file exists inside the pack's folder, that its content is of an
allowed type (PDF, Word, Excel, OpenDocument, PNG or JPEG, by its bytes, not its name) and
that it is under ``[plugins.hall] form_file_max_kb``. Install keeps each file in a row of
``hall_form_file`` (small files, replaced in the install's transaction); the guide page
links them and ``/hall/items/<code>/forms/<id>`` serves them without login.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import filetype
from flask import Response, abort, has_app_context
from sqlalchemy import delete, select
from sqlalchemy.orm import defer

from onewindow import db
from onewindow_hall.public import bp
from onewindow_hall.settings import DEFAULTS, setting
from onewindow_hall.tables import FormFile

KINDS = ("blank", "sample")
#: Types a form may have, by content (filetype's extension → media type).
ALLOWED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "png": "image/png",
    "jpg": "image/jpeg",
}


def _max_bytes() -> int:
    # A pack is also validated from the command line without an application.
    return int((setting("form_file_max_kb") if has_app_context() else DEFAULTS["form_file_max_kb"])) * 1024


def _entries(section: Any) -> dict[str, Any]:
    forms = section.get("forms") if isinstance(section, dict) else None
    return forms if isinstance(forms, dict) else {}


def _read(pack, relative: Any) -> tuple[bytes | None, str]:
    """The bytes of a file the pack names, or None and what is wrong with it."""
    if not isinstance(relative, str) or not relative.strip():
        return None, "needs file: the path of the form beside the pack's YAML, e.g. forms/application.pdf"
    root = Path(pack.path)
    if not root.is_dir():
        return None, "a pack workbook cannot ship files; install the pack as a folder with a forms/ folder"
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        return None, f"{relative}: the file must be inside the pack's folder"
    if not path.is_file():
        return None, f"{relative}: no such file in the pack; put it there or correct the path"
    size = path.stat().st_size
    most = _max_bytes()
    if size > most:
        return None, f"{relative}: {size // 1024} KB is over the limit of {most // 1024} KB; compress it"
    data = path.read_bytes()
    kind = filetype.guess(data)
    if kind is None or kind.extension not in ALLOWED:
        found = kind.extension if kind else "unknown"
        return None, f"{relative}: its content is {found}, not {', '.join(ALLOWED)}; export it as PDF"
    return data, ""


def validate_forms(pack, section: Any, file: str, report: Callable[..., None]) -> None:
    """Every problem of ``hall.forms``, naming the item, the entry and how to fix it."""
    if not isinstance(section, dict) or "forms" not in section:
        return
    if not isinstance(section["forms"], dict):
        report(file, "hall.forms", "", "must map item basic codes to lists of forms")
        return
    items = {str(it.get("basic_code")): it for it in pack.items if isinstance(it, dict)}
    for code, entries in _entries(section).items():
        where = f"hall.forms.{code}"
        item = items.get(str(code))
        if item is None:
            report(file, "hall.forms", str(code), "no item of the pack has this basic code")
            continue
        if not isinstance(entries, list):
            report(file, where, "", "must be a list of forms (material, kind, title, file)")
            continue
        materials = {str(m.get("name")) for m in item.get("materials") or [] if isinstance(m, dict)}
        for n, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                report(file, where, str(n), "must be a mapping with material, kind, title and file")
                continue
            if str(entry.get("material")) not in materials:
                report(file, where, str(n), f"material {entry.get('material')!r} is not in the item's materials list")
            if entry.get("kind") not in KINDS:
                report(file, where, str(n), "kind must be blank (空白表格) or sample (示例样表)")
            if not isinstance(entry.get("title"), str) or not entry["title"].strip():
                report(file, where, str(n), "needs a title, e.g. 申请书（空白表格）")
            _data, problem = _read(pack, entry.get("file"))
            if problem:
                report(file, where, str(n), problem)


def install_forms(pack, section: Any, session) -> None:
    """Replace the pack's forms inside the install transaction (validated before)."""
    session.execute(delete(FormFile).where(FormFile.pack_key == pack.key))
    for code, entries in _entries(section).items():
        for entry in entries:
            data, _problem = _read(pack, entry["file"])
            assert data is not None  # validation refused the pack otherwise
            kind = filetype.guess(data)
            session.add(
                FormFile(
                    pack_key=pack.key,
                    basic_code=str(code),
                    material=str(entry["material"]),
                    kind=entry["kind"],
                    title=entry["title"].strip(),
                    filename=Path(entry["file"]).name,
                    media_type=ALLOWED[kind.extension],
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    content=data,
                )
            )


def forms_of(item) -> dict[str, list[FormFile]]:
    """The item's forms by material name (blank forms first), without their bytes."""
    rows = db.session.execute(
        select(FormFile)
        .options(defer(FormFile.content))
        .where(FormFile.pack_key == item.pack_key, FormFile.basic_code == item.basic_code)
        .order_by(FormFile.kind, FormFile.id)
    ).scalars()
    found: dict[str, list[FormFile]] = {}
    for row in rows:
        found.setdefault(row.material, []).append(row)
    return found


@bp.get("/items/<code>/forms/<int:form_id>")
def form_file(code: str, form_id: int):
    """One blank form or sample, as a download (public, like the guide)."""
    from onewindow_hall.guides import find_item

    item = find_item(code)
    row = db.session.get(FormFile, form_id)
    if item is None or row is None or (row.pack_key, row.basic_code) != (item.pack_key, item.basic_code):
        abort(404)
    response = Response(row.content, mimetype=row.media_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(row.filename)}"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(row.sha256)
    return response
