"""Printable licence (PDF) with the seal block and the verification QR code.

WeasyPrint draws Chinese only with a CJK font installed (Debian ``fonts-noto-cjk``);
the templates name it (``"Noto Sans CJK SC"``) so it is embedded, never boxes.
A licence type may name its own print template (``template``, a Jinja path under the
app's template folders); the default is ``licences/licence_print.html``.
"""

from __future__ import annotations

from flask import render_template

from onewindow.licences.models import Licence
from onewindow.licences.verification import verify_licence, verify_url
from onewindow.qr import qr_data_uri

DEFAULT_TEMPLATE = "licences/licence_print.html"


def signature_excerpt(signature: str | None) -> str:
    return f"{signature[:16]}…{signature[-16:]}" if signature else ""


def render_licence_html(licence: Licence) -> str:
    url = verify_url(licence.identifier, licence.verify_code)  # the QR code opens the full content
    fields = [
        {"label": f["label"], "value": (licence.data or {}).get(f["name"], "")} for f in licence.licence_type.fields
    ]
    return render_template(
        licence.licence_type.template or DEFAULT_TEMPLATE,
        licence=licence,
        fields=fields,
        verify_url=url,
        qr=qr_data_uri(url),
        verification=verify_licence(licence),
        signature_excerpt=signature_excerpt(licence.signature),
    )


def render_pdf(licence: Licence) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_licence_html(licence)).write_pdf()


def pdf_filename(licence: Licence) -> str:
    return f"licence-{licence.identifier}.pdf"
