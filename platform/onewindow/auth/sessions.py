"""Sessions and tokens that end when they should (issue #21: a copied cookie outlived logout).

Each staff account carries a session version (``ab_user.session_version``). A signed-in
browser session remembers the version it was opened with, and every JWT (access and
refresh) carries it as the ``sv`` claim. Logging out (``POST /logout/``, or
``POST /api/v1/security/logout`` with a token) and any password change add one to the
version, so every cookie and token issued before stops working on its next request:
the session is anonymous again, the token answers 401. The browser that changed its own
password keeps its session (it is re-stamped with the new version).

Every bad token (missing, malformed, tampered, expired, revoked, of a deleted or
deactivated user) answers 401 with a Chinese message, never Flask-JWT-Extended's 422.
Refresh tokens live ``JWT_REFRESH_TOKEN_EXPIRES_HOURS`` (24).
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, jsonify, session
from flask_babel import gettext as _
from flask_login import user_logged_in

SESSION_KEY = "_ow_session_version"
CLAIM = "sv"


def version_of(user) -> int:
    return int(getattr(user, "session_version", 0) or 0)


def end_sessions(user) -> None:
    """Invalidate every session and token of ``user`` (the caller commits)."""
    user.session_version = version_of(user) + 1
    if has_request_context() and _is_current(user):
        session[SESSION_KEY] = user.session_version


def _is_current(user) -> bool:
    me = getattr(g, "user", None)
    try:
        return bool(getattr(me, "is_authenticated", False)) and me.id == user.id and SESSION_KEY in session
    except Exception:  # a detached or anonymous proxy is not the current session
        return False


def session_is_current(user) -> bool:
    """True when the browser session was opened with the user's present version."""
    return session.get(SESSION_KEY) == version_of(user)


def _stamp_session(_sender, user, **_extra) -> None:
    session[SESSION_KEY] = version_of(user)


def token_claims(identity) -> dict:
    """``additional_claims_loader``: the session version goes into every token."""
    user = current_app.extensions["appbuilder"].sm.get_user_by_id(int(identity)) if str(identity).isdigit() else None
    return {CLAIM: version_of(user)} if user is not None else {}


def token_revoked(_header, payload) -> bool:
    """``token_in_blocklist_loader``: a token of an older session version is revoked."""
    identity = str(payload.get("sub", ""))
    user = current_app.extensions["appbuilder"].sm.get_user_by_id(int(identity)) if identity.isdigit() else None
    # Held for the request: FAB's user look-up that follows finds it in the session's
    # identity map (weakly referenced) instead of reading the user a second time.
    g.ow_token_user = user
    return user is None or not user.is_active or payload.get(CLAIM) != version_of(user)


def _unauthorized(message: str):
    response = jsonify(message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def configure_jwt(jwt_manager) -> None:
    """Claims, revocation and 401 answers on Flask-JWT-Extended's manager."""
    jwt_manager.additional_claims_loader(token_claims)
    jwt_manager.token_in_blocklist_loader(token_revoked)
    jwt_manager.unauthorized_loader(lambda _reason: _unauthorized(_("A token is required: log in first.")))
    jwt_manager.invalid_token_loader(lambda _reason: _unauthorized(_("The token is not valid: log in again.")))
    jwt_manager.expired_token_loader(lambda _h, _p: _unauthorized(_("The token has expired: log in again.")))
    jwt_manager.revoked_token_loader(lambda _h, _p: _unauthorized(_("The token was revoked: log in again.")))
    jwt_manager.needs_fresh_token_loader(lambda _h, _p: _unauthorized(_("A fresh login is required.")))
    jwt_manager.user_lookup_error_loader(lambda _h, _p: _unauthorized(_("The token was revoked: log in again.")))
    jwt_manager.token_verification_failed_loader(
        lambda _h, _p: _unauthorized(_("The token is not valid: log in again."))
    )


def init_app(app: Flask) -> None:
    user_logged_in.connect(_stamp_session, app)
