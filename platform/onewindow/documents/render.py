"""Print a case notice (``ow_case_notice``) as HTML and as an A4 PDF.

What is printed is the notice's *frozen* ``content`` — what the engine recorded when it
issued the notice — so a reprint next year shows what the applicant was told then, not
the case as it stands now. Only presentation comes from elsewhere: the issuing
department's and centre's names, and the QR code to the public progress page.

WeasyPrint draws Chinese only with a CJK font installed (Debian ``fonts-noto-cjk``);
the templates name ``"Noto Sans CJK SC"`` so it is embedded, never boxes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import render_template

from onewindow.cases.models import Case, Notice
from onewindow.documents.labels import (
    DECISION_TEXT,
    GENERIC,
    KINDS,
    MATERIAL_STATUS_TEXT,
    chinese_date,
    chinese_datetime,
)
from onewindow.models.org import Department, ServiceCentre
from onewindow.public_url import public_base_url
from onewindow.qr import qr_data_uri
from onewindow.validators import mask_resident_id


def _db():
    from onewindow.app import db

    return db.session


def progress_url(case: Case) -> str:
    """Where the notice's QR code points: the public progress page of this case."""
    return f"{public_base_url()}/progress/{quote(case.number)}?{urlencode({'code': case.query_code})}"


def title_of(notice: Notice) -> str:
    return KINDS.get(notice.kind, GENERIC)[0]


def _department_name(department_id: int | None) -> str:
    if department_id is None:
        return ""
    department = _db().get(Department, department_id)
    return department.name if department is not None else ""


def _centre_name(case: Case) -> str:
    """The centre whose window handled the case; with no window (online, post) the only
    centre of the installation, if there is exactly one — never a guess among several."""
    if case.window is not None:
        return case.window.zone.centre.name
    names = [row[0] for row in _db().query(ServiceCentre.name).limit(2)]
    return names[0] if len(names) == 1 else ""


def _window_label(case: Case) -> str:
    """The window that actually issued the notice (code and name), not a generic title."""
    window = case.window
    return f"{window.code}号窗口（{window.name}）" if window is not None else ""


def _centre_contact(case: Case) -> str:
    """Address and opening hours of the centre, printed so the applicant knows where to return."""
    centre = case.window.zone.centre if case.window is not None else None
    if centre is None:
        centres = _db().query(ServiceCentre).limit(2).all()
        centre = centres[0] if len(centres) == 1 else None
    if centre is None:
        return ""
    parts = [
        f"地址：{centre.address}" if centre.address else "",
        f"办公时间：{centre.opening_hours}" if centre.opening_hours else "",
    ]
    return "　".join(p for p in parts if p)


def _mask_id(value: str | None) -> str:
    """Paper travels further than the screen: a printed ID number shows only what staff
    need to match it at a glance (region prefix and last four)."""
    return mask_resident_id(value) if value else ""


#: Notices that are legal only with the issuing body's seal (行政许可法 §32: 加盖本行政机关
#: 专用印章和注明日期的书面凭证): they print a marked seal area with the unit's name.
SEALED_KINDS = frozenset({"acceptance", "rejection"})

_HANDOVER_FORMS = {"original": "纸质原件", "copy": "纸质复印件", "electronic": "电子件"}


#: statuses of a material that was not handed in: nothing of it travels with the sheet
_NOT_HANDED = frozenset({"deferred", "missing", "faulty"})


def handover_form(material: dict) -> str:
    """How one material travels on a handover sheet: ``纸质原件 2份`` / ``电子件`` / ``未移交``."""
    form = material.get("form")
    if material.get("status") in _NOT_HANDED:
        return "未移交"
    if form not in _HANDOVER_FORMS:  # sheets issued before the form was recorded
        return ""
    copies = material.get("copies") or 1
    return _HANDOVER_FORMS[form] + (f" {copies}份" if form != "electronic" else "")


def handover_files(notice: Notice) -> list[dict[str, Any]]:
    """The files that went to the step's department electronically: every file added to or
    reused on the case (its hash-chained events) until the department decided its step.

    Events are append-only, so once the step is decided a reprint lists the same files."""
    from onewindow.cases.materialfiles import FILE_ACTIONS

    case = notice.case
    position = (notice.content or {}).get("step")
    step = next((s for s in case.steps if s.position == position), None)
    until = step.decided_at if step is not None else None
    files = []
    for event in case.events:
        if event.action not in FILE_ACTIONS or (until is not None and event.at > until):
            continue
        for f in (event.payload or {}).get("files", []):
            source = f.get("reused_from") or {}
            files.append(
                {
                    "material": event.payload.get("material", ""),
                    "name": f.get("name", ""),
                    "size_kb": max(1, round((f.get("size") or 0) / 1024)),
                    "sha256": f.get("sha256", ""),
                    "source": f"复用办件 {source['case']}" if source.get("case") else "本件收取",
                }
            )
    return files


def notice_context(notice: Notice) -> dict[str, Any]:
    case = notice.case
    content = dict(notice.content or {})
    url = progress_url(case)
    department = (
        content.get("department")
        or _department_name(notice.department_id)
        or (case.department.name if case.department else "")
    )
    return {
        "notice": notice,
        "case": case,
        "c": content,
        "title": title_of(notice),
        "number": content.get("number") or case.number,
        "query_code": content.get("query_code") or case.query_code,
        "progress_url": url,
        "progress_form_url": f"{public_base_url()}/progress",
        "qr": qr_data_uri(url),
        "issuer": department,
        "centre": _centre_name(case),
        "window_label": _window_label(case),
        "centre_contact": _centre_contact(case),
        "step_department": _department_name(content.get("department_id")),
        "issued_on": chinese_date(notice.issued_at),
        "cdate": chinese_date,
        "ctime": chinese_datetime,
        "status_text": lambda name: MATERIAL_STATUS_TEXT.get(name, name or ""),
        "decision_text": lambda name: DECISION_TEXT.get(name, name or ""),
        "mask_id": _mask_id,
        "handover_form": handover_form,
        "files": handover_files(notice) if notice.kind == "handover" else [],
        # no e-seal is applied to notices: the area is for the printed notice's seal
        "seal_area": notice.kind in SEALED_KINDS,
    }


def render_notice_html(notice: Notice) -> str:
    """The notice as a standalone HTML page (also the source of the PDF)."""
    template = KINDS.get(notice.kind, GENERIC)[1]
    return render_template(template, **notice_context(notice))


_FONTS: list = []


def font_configuration():
    """One WeasyPrint font configuration for the process: fontconfig's set-up is done once."""
    if not _FONTS:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS.append(FontConfiguration())
    return _FONTS[0]


def render_notice_pdf(notice: Notice) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_notice_html(notice)).write_pdf(font_config=font_configuration())


def render_notice_pdfs(notices: list[Notice]) -> list[bytes]:
    """Several notices (those of one case) as one PDF each, laid out one by one but written
    as one WeasyPrint document then split by pages (pypdf): writing is where WeasyPrint
    subsets the CJK fonts, the costliest step, and so it is done once for all of them.

    Each PDF holds its notice's pages and the fonts' common subset; its title is the notice's."""
    import io

    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    if not notices:
        return []
    fonts = font_configuration()
    documents = [HTML(string=render_notice_html(n)).render(font_config=fonts) for n in notices]
    whole = documents[0].copy([page for d in documents for page in d.pages]).write_pdf()
    reader = PdfReader(io.BytesIO(whole))
    pdfs, first = [], 0
    for notice, document in zip(notices, documents):
        writer = PdfWriter()
        for number in range(first, first + len(document.pages)):
            writer.add_page(reader.pages[number])
        first += len(document.pages)
        writer.add_metadata({"/Title": title_of(notice), "/Producer": "OneWindow (WeasyPrint, pypdf)"})
        out = io.BytesIO()
        writer.write(out)
        pdfs.append(out.getvalue())
    return pdfs


def pdf_filename(notice: Notice) -> str:
    return f"{notice.case.number}-{notice.kind}-{notice.id}.pdf"
