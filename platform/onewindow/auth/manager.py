"""The hardened parts of the security manager, mixed into ``OneWindowSecurityManager``.

Each override goes through a documented Flask-AppBuilder extension point
("Override to implement your own …"): the login check, the login manager's user
loader, the JWT manager, password setting, logout and view registration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.models import Group
from sqlalchemy.orm import joinedload

from onewindow.auth import lockout, passwords, sessions
from onewindow.auth.views import OneWindowAuthDBView, OneWindowSecurityApi

if TYPE_CHECKING:  # a mixin of FAB's security manager: type-check it as one
    from flask_appbuilder.security.sqla.manager import SecurityManager as _SecurityManagerBase
else:
    _SecurityManagerBase = object


class HardenedSecurity(_SecurityManagerBase):
    authdbview = OneWindowAuthDBView
    security_api = OneWindowSecurityApi

    # -- the signed-in user -----------------------------------------------------
    def get_user_by_id(self, pk):
        """The user with what every request reads of it (roles, groups and their roles,
        windows) in one statement, instead of FAB's ``Session.get`` and one lazy query
        per collection. A second look-up in the same session is answered by its identity
        map while the first object is held (``g.user``, ``sessions.token_revoked``)."""
        model = self.user_model
        options = [joinedload(model.roles), joinedload(model.groups).joinedload(Group.roles)]
        if hasattr(model, "windows"):
            options.append(joinedload(model.windows))
        return self.session.get(model, pk, options=options)

    # -- logins ---------------------------------------------------------------
    def auth_user_db(self, username, password):
        """FAB's password check under the lockout rules (raises ``LoginLocked``)."""
        return lockout.guarded_login(
            lockout.STAFF, username, lambda: super(HardenedSecurity, self).auth_user_db(username, password)
        )

    def create_login_manager(self, app):
        lm = super().create_login_manager(app)
        lm.user_loader(self.load_session_user)
        return lm

    def load_session_user(self, pk):
        """Flask-Login's loader: the user, unless the session predates a logout or password change."""
        user = self.load_user(pk)
        if user is not None and sessions.session_is_current(user):
            return user
        return None

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        sessions.configure_jwt(jwt_manager)
        return jwt_manager

    def on_user_logout(self, user) -> None:
        super().on_user_logout(user)
        sessions.end_sessions(user)
        self.session.commit()

    # -- passwords ------------------------------------------------------------
    def add_user(self, username, first_name, last_name, email, role=None, password="", hashed_password="", **kwargs):
        if password:
            passwords.check_password(password, username)
        return super().add_user(
            username,
            first_name,
            last_name,
            email,
            role=role,
            password=password,
            hashed_password=hashed_password,
            **kwargs,
        )

    def reset_password(self, userid, password):
        user = self.get_user_by_id(int(userid))
        passwords.check_password(password, user.username if user else None)
        super().reset_password(userid, password)
        user = self.get_user_by_id(int(userid))
        sessions.end_sessions(user)
        self.session.commit()

    # -- views ----------------------------------------------------------------
    def register_views(self):
        super().register_views()
        if self.is_auth_limited:
            # FAB limits its login screen only; the REST login gets the same limit.
            for view in self.appbuilder.baseviews:
                if isinstance(view, SecurityApi):
                    self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)
