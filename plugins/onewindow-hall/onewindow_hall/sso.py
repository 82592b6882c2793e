"""Provincial single sign-on (统一身份认证) over OpenID Connect, with Authlib.

Off unless ``[plugins.hall] sso_issuer`` (or ``HALL_SSO_ISSUER``) and a client id
(``sso_client_id`` or ``HALL_SSO_CLIENT_ID``) are set; the client secret comes from the
environment only (``HALL_SSO_CLIENT_SECRET``). The authorization-code flow with PKCE;
Authlib checks the ID token (issuer, audience, signature from the provider's JWKS, nonce).
The verified ID number claim (``sso_id_number_claim``, confirmed by ``sso_verified_claim``)
maps the provincial identity to the citizen account: the account with that ID number is
logged in, or created on the first login.
"""

from __future__ import annotations

import os
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from onewindow import StartupError, db, resident_id_problem
from onewindow_hall import accounts, service
from onewindow_hall.models import Citizen, CitizenKind, utcnow
from onewindow_hall.public import bp
from onewindow_hall.settings import setting

EXTENSION = "hall.sso"
CLIENT = "province"
NEXT_KEY = "hall_sso_next"


def _configuration() -> dict[str, str]:
    return {
        "issuer": (setting("sso_issuer") or os.environ.get("HALL_SSO_ISSUER", "")).rstrip("/"),
        "client_id": setting("sso_client_id") or os.environ.get("HALL_SSO_CLIENT_ID", ""),
        "client_secret": os.environ.get("HALL_SSO_CLIENT_SECRET", ""),
    }


def init_app(app) -> None:
    """Register the OpenID client when single sign-on is configured; refuse half a configuration."""
    with app.app_context():
        conf = _configuration()
        scope = setting("sso_scope")
    if not conf["issuer"]:
        return
    if not conf["client_id"] or not conf["client_secret"]:
        raise StartupError(
            "hall single sign-on: sso_issuer is set but the client id or secret is missing; set "
            "[plugins.hall] sso_client_id (or HALL_SSO_CLIENT_ID) and HALL_SSO_CLIENT_SECRET in the environment"
        )
    from authlib.integrations.flask_client import OAuth  # only a centre with SSO configured needs Authlib

    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=conf["client_id"],
        client_secret=conf["client_secret"],
        server_metadata_url=conf["issuer"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": scope, "code_challenge_method": "S256"},
    )
    app.extensions[EXTENSION] = oauth


def enabled() -> bool:
    return EXTENSION in current_app.extensions


def _client():
    return current_app.extensions[EXTENSION].create_client(CLIENT)


def _refused(message: str):
    return render_template("hall/accounts/sso_error.html", message=message), 400


@bp.route("/sso/login")
def sso_login():
    if not enabled():
        return _refused(_("Single sign-on is not enabled at this centre; log in with your mobile number."))
    from flask import session

    session[NEXT_KEY] = accounts.safe_next(request.args.get("next")) or ""
    return _client().authorize_redirect(url_for("hall.sso_callback", _external=True))


@bp.route("/sso/callback")
def sso_callback():
    if not enabled():
        return _refused(_("Single sign-on is not enabled at this centre; log in with your mobile number."))
    from authlib.integrations.base_client.errors import OAuthError
    from flask import session

    client = _client()
    try:
        token = client.authorize_access_token()
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        claims.update(client.userinfo(token=token))
    except OAuthError as exc:
        current_app.logger.warning("hall SSO refused: %s", exc)
        return _refused(
            _("The provincial identity service refused the login (%(reason)s); please try again.", reason=exc.error)
        )
    citizen = citizen_for_claims(claims)
    if isinstance(citizen, str):
        return _refused(citizen)
    accounts.log_in(citizen)
    flash(_("Logged in through the provincial identity service."), "success")
    return redirect(accounts.safe_next(session.pop(NEXT_KEY, "")) or url_for("hall.account"))


def citizen_for_claims(claims: dict[str, Any]) -> Citizen | str:
    """The account of the verified ID number in ``claims`` (created on first login), or why not."""
    id_number = str(claims.get(setting("sso_id_number_claim")) or "").strip().upper()
    if not id_number or claims.get(setting("sso_verified_claim")) is not True:
        return _(
            "The provincial identity service did not confirm your ID number; register with your mobile number instead."
        )
    problem = resident_id_problem(id_number)
    if problem:
        return _("The provincial identity service sent an invalid ID number: %(problem)s", problem=problem)
    citizen = db.session.execute(select(Citizen).where(Citizen.id_number == id_number)).scalar_one_or_none()
    if citizen is not None:
        if citizen.kind != CitizenKind.person or not citizen.active:
            return _("This account is disabled; please contact the service centre.")
        # End the read first, then write in a transaction of its own (as a password login
        # does, service._logged_in): on SQLite a read snapshot that another login wrote past
        # cannot be upgraded to a write; a transaction that starts with its write waits its turn.
        citizen_id = citizen.id
        db.session.commit()
        db.session.execute(
            update(Citizen).where(Citizen.id == citizen_id).values(identity_verified=True, last_login_at=utcnow())
        )
        db.session.commit()
        return citizen
    name = str(claims.get(setting("sso_name_claim")) or "").strip()[:100]
    if not name:
        return _("The provincial identity service sent no name; register with your mobile number instead.")
    mobile = service.normalise_mobile(str(claims.get(setting("sso_phone_claim")) or ""))
    taken = mobile and db.session.execute(select(Citizen.id).where(Citizen.mobile == mobile)).first()
    usable = bool(mobile) and service.mobile_problem(mobile) is None and not taken
    citizen = Citizen(
        kind=CitizenKind.person,
        name=name,
        id_number=id_number,
        mobile=mobile if usable else None,
        mobile_verified=usable and claims.get("phone_number_verified") is True,
        identity_verified=True,
        active=True,
        created_at=utcnow(),
        last_login_at=utcnow(),
    )
    db.session.add(citizen)
    db.session.commit()
    return citizen
