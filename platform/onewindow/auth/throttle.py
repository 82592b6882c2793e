"""Per-address limits on public lookups, and the Chinese 429 answer (issue #21).

The public progress lookup and the licence verification / holder pages need no login,
so nothing but a limit per client address stops someone from guessing query codes or
licence identifiers: ``PUBLIC_LOOKUP_RATE_LIMIT`` ("30 per minute") each, counted by
Flask-AppBuilder's Flask-Limiter in ``RATE_LIMIT_STORAGE_URL``. Login posts are limited
by ``AUTH_RATE_LIMIT`` (see :mod:`onewindow.auth.manager`).
"""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _

#: Public blueprints (no login) and the counter each shares across its routes.
PUBLIC_LOOKUPS = {
    "documents_public": "public-progress",
    "licences_public": "public-licences",
}


def throttle_public_lookups(app: Flask) -> None:
    limiter = app.extensions["appbuilder"].sm.limiter
    rate = app.extensions["onewindow"].settings["PUBLIC_LOOKUP_RATE_LIMIT"]
    for name, scope in PUBLIC_LOOKUPS.items():
        blueprint = app.blueprints.get(name)
        if blueprint is not None:
            limiter.shared_limit(rate, scope=scope)(blueprint)


def too_many_requests(exc):
    retry_after = None
    limit = getattr(exc, "limit", None)
    if limit is not None:
        retry_after = limit.limit.get_expiry()
    message = _("Too many requests from your address; please wait a minute and try again.")
    if request.path.startswith("/api/"):
        response = jsonify(message=message)
        response.status_code = 429
    else:
        response = make_response(render_template("onewindow/too_many_requests.html", message=message), 429)
    if retry_after:
        response.headers.setdefault("Retry-After", str(retry_after))
    return response


def init_app(app: Flask) -> None:
    throttle_public_lookups(app)
    app.register_error_handler(429, too_many_requests)
