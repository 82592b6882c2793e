"""The public base URL printed on notices and licences (links and QR codes).

``PUBLIC_BASE_URL`` names it in production. Unset (development), it follows the address
the platform is being served from (``request.host_url``), so a QR code scanned from a
notice printed on port 5000 opens port 5000; outside a request (a command printing a
notice) it falls back to the development server's default address.
"""

from __future__ import annotations

import logging

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


def warn_without_public_url(settings: dict) -> bool:
    """``onewindow serve --production``: without ``PUBLIC_BASE_URL`` the links on notices
    follow whatever host a request came in on. Returns whether it warned."""
    if settings.get("PUBLIC_BASE_URL"):
        return False
    logging.getLogger("onewindow.serving").warning(
        "PUBLIC_BASE_URL is not set: links and QR codes on notices and licences follow the address of each "
        "request; set PUBLIC_BASE_URL (or ONEWINDOW_PUBLIC_BASE_URL) to the centre's public address "
        "(docs/operator.md)"
    )
    return True
