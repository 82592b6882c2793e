"""Login, logout and lockout screens; the REST login with lockout and revocation."""

from __future__ import annotations

from flask import flash, g, redirect, request
from flask_appbuilder import ModelView
from flask_appbuilder.actions import action
from flask_appbuilder.api import safe
from flask_appbuilder.const import API_SECURITY_PROVIDER_DB
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt_identity, jwt_required
from marshmallow import ValidationError

from onewindow.auth import sessions
from onewindow.auth.lockout import LoginLocked, LoginLockout, lift


class OneWindowAuthDBView(AuthDBView):
    """FAB's login screen with the lockout message; logout only by POST (CSRF-checked)."""

    invalid_login_message = _l("Wrong user name or password.")

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        try:
            return super().login()
        except LoginLocked as exc:
            flash(str(exc), "danger")
            next_url = get_safe_redirect(request.args.get("next", ""))
            return redirect(self.appbuilder.get_url_for_login_with(next_url))

    @expose("/logout/", methods=["POST"])
    def logout(self):
        return super().logout()


def locked_response(api, exc: LoginLocked):
    response = api.response(429, message=str(exc))
    response.headers["Retry-After"] = str(exc.minutes * 60)
    return response


class OneWindowSecurityApi(SecurityApi):
    """``POST /api/v1/security/login`` under the lockout rules, and ``/logout`` that revokes."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in with user name and password; answers a JWT (and a refresh token if asked).
        ---
        post:
          description: >-
            Authenticate with the database provider. Repeated failures lock the account
            for a while (429 with Retry-After); refresh tokens are bounded in time.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username: {type: string}
                    password: {type: string}
                    provider: {type: string, enum: [db]}
                    refresh: {type: boolean}
          responses:
            200:
              description: Authentication successful
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            429:
              description: Too many failed logins; the message names the wait
        """
        if not request.is_json:
            return self.response_400(message=_("The request body must be JSON."))
        try:
            payload = login_post.load(request.json)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        if payload["provider"] != API_SECURITY_PROVIDER_DB:
            return self.response_400(message=_("Only the db provider is available."))
        try:
            user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        except LoginLocked as exc:
            return locked_response(self, exc)
        if not user:
            return self.response_401()
        tokens = {"access_token": create_access_token(identity=str(user.id), fresh=True)}
        if payload.get("refresh"):
            tokens["refresh_token"] = create_refresh_token(identity=str(user.id))
        return self.response(200, **tokens)

    @expose("/logout", methods=["POST"])
    @jwt_required()
    @safe
    def logout(self):
        """Revoke every token and session of the caller.
        ---
        post:
          description: >-
            Ends every session and token of the user (access and refresh tokens stop
            working at once).
          responses:
            200:
              description: Logged out
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """
        user = self.appbuilder.sm.get_user_by_id(int(get_jwt_identity()))
        sessions.end_sessions(user)
        self.appbuilder.sm.session.commit()
        return self.response(200, message=_("Logged out."))


class LoginLockoutView(ModelView):
    """登录锁定: failed logins and lockouts per login name; the admin lifts a lockout."""

    datamodel = SQLAInterface(LoginLockout)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Login lockouts")
    show_title = _l("Login lockout")
    list_columns = [
        "identifier",
        "kind",
        "status",
        "locked_until_local",
        "failures",
        "lockouts",
        "last_failure_local",
        "last_address",
        "lifted_by",
    ]
    show_columns = list_columns + ["lifted_at_local"]
    search_columns = ["identifier", "kind", "last_address", "locked_until"]
    order_columns = ["identifier", "failures", "lockouts", "locked_until"]
    base_order = ("locked_until", "desc")
    label_columns = {
        "identifier": _l("Login name"),
        "kind": _l("Login type"),
        "status": _l("Status"),
        "failures": _l("Failures in the window"),
        "lockouts": _l("Lockouts"),
        "locked_until": _l("Locked until"),
        "locked_until_local": _l("Locked until"),
        "last_failure_local": _l("Last failure"),
        "last_address": _l("Client address"),
        "lifted_by": _l("Lifted by"),
        "lifted_at_local": _l("Lifted at"),
    }

    @action("lift", _l("Lift lockout"), _l("Lift the lockout of the selected login names?"), "fa-unlock")
    def lift(self, items):
        rows = items if isinstance(items, list) else [items]
        for row in rows:
            lift(row, by=g.user.username)
        self.datamodel.session.commit()
        flash(_("Lockout lifted: %(names)s", names="、".join(r.identifier for r in rows)), "success")
        return redirect(self.get_redirect())
