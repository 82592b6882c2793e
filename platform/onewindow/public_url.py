"""The public base URL printed on notices and licences (links and QR codes).

``PUBLIC_BASE_URL`` names it in production. Unset (development), it follows the address
the platform is being served from (``request.host_url``), so a QR code scanned from a
notice printed on port 5000 opens port 5000; outside a request (a command printing a
notice) it falls back to the development server's default address.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

#: ``onewindow serve``'s default address: the fallback outside a request when unset.
DEVELOPMENT_URL = "http://127.0.0.1:8080"


def configured() -> str | None:
    value = current_app.extensions["onewindow"].settings.get("PUBLIC_BASE_URL")
    return str(value).rstrip("/") if value else None


def public_base_url() -> str:
    """Base of every public link, without a trailing slash."""
    base = configured()
    if base:
        return base
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEVELOPMENT_URL
