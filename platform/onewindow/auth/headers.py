"""Security headers on every response (issue #21: no clickjacking or content-security headers).

The Content-Security-Policy allows scripts from the platform itself and inline scripts
carrying this response's nonce only: Flask-AppBuilder's templates already print
``nonce="{{ baselib.get_nonce() }}"``, which calls the ``csp_nonce()`` template global
defined here; the platform's own templates have no inline script. Inline *styles* stay
allowed (FAB's templates and widgets use ``style=`` attributes throughout). Framing is
refused (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``); HSTS is sent only
when the request came over HTTPS (behind a proxy, see ProxyFix in the operator guide).
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    if "ow_csp_nonce" not in g:
        g.ow_csp_nonce = secrets.token_urlsafe(16)
    return g.ow_csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)
