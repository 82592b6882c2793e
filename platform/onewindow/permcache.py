"""Permission look-ups cached per process, checked against the database once per request.

Flask-AppBuilder asks the database whether a role holds a permission every time it
checks one: once for the view itself, once for the public role, and once per menu entry
when a screen draws its menu (51 queries for one case page). A role's grants change
rarely and every request needs them, so :class:`CachedPermissions` keeps, per set of
role ids, the set of ``(permission, view menu)`` pairs those roles hold, loaded in one
query; and per request, the pairs of the signed-in user, so that each of a screen's 55–77
checks (its menu entries, each a different one) is one set look-up instead of FAB's walk
through the user's roles.

Invalidation: every worker process keeps its own cache, and a grant may change in
another process (the admin's role screen, ``onewindow init`` of a new plugin, SQL by
hand). So the first check of each request reads the grant version (``ow_grant_version``,
one row by its primary key), which the database's triggers raise in the transaction of
every statement that changes a grant, a permission view, a permission's or view menu's
name or a role (migration 0021); when it differs from the one the cache was built under,
the cache is dropped. A grant or revocation is therefore seen by the next request of
every worker, and a request sees one consistent set of grants.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from flask import g, has_app_context, has_request_context
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_login import current_user
from sqlalchemy import BigInteger, Integer, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.exc import DetachedInstanceError

_GRANTS = assoc_permissionview_role


class GrantVersion(Model):
    """One row (id 1): a number the database raises on every change to the grant tables
    (triggers of migration 0021). Read-only for the application."""

    __tablename__ = "ow_grant_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


#: What a request compares with the version the cache was built under.
FINGERPRINT = select(GrantVersion.version).where(GrantVersion.id == 1)
_REQUEST_KEY = "ow_permission_fingerprint"
#: ``g`` key of the signed-in user's pairs for the request: ``(user id, pairs)``
_USER_PAIRS_KEY = "ow_permission_user_pairs"


if TYPE_CHECKING:  # a mixin of FAB's security manager: type-check it as one
    from flask_appbuilder.security.sqla.manager import SecurityManager as _SecurityManagerBase
else:
    _SecurityManagerBase = object


class GrantCache:
    """``(permission, view menu)`` pairs per set of roles, valid for one fingerprint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: tuple | None = None
        self._pairs: dict[tuple, frozenset[tuple[str, str]]] = {}

    def _current_fingerprint(self, session) -> tuple:
        if has_app_context() and _REQUEST_KEY in g:
            return g.get(_REQUEST_KEY)
        fingerprint = tuple(session.execute(FINGERPRINT).one())
        if has_app_context():
            setattr(g, _REQUEST_KEY, fingerprint)
        return fingerprint

    def pairs(self, session, key: tuple, condition: Callable[[], Any]) -> frozenset[tuple[str, str]]:
        """The pairs held by the roles ``condition()`` selects, cached under ``key``
        (the condition is built only on a miss: a page checks its menu 50 times)."""
        fingerprint = self._current_fingerprint(session)
        with self._lock:
            if fingerprint != self._fingerprint:
                self._pairs = {}
                self._fingerprint = fingerprint
            cached = self._pairs.get(key)
        if cached is not None:
            return cached
        rows = session.execute(
            select(Permission.name, ViewMenu.name)
            .select_from(_GRANTS)
            .join(PermissionView, PermissionView.id == _GRANTS.c.permission_view_id)
            .join(Permission, Permission.id == PermissionView.permission_id)
            .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
            .join(Role, Role.id == _GRANTS.c.role_id)
            .where(condition())
        ).all()
        pairs = frozenset((p, v) for p, v in rows)
        with self._lock:
            if self._fingerprint == fingerprint:
                self._pairs[key] = pairs
        return pairs

    def clear(self) -> None:
        with self._lock:
            self._pairs = {}
            self._fingerprint = None


class CachedPermissions(_SecurityManagerBase):
    """Security-manager mixin: FAB's permission checks answered from a :class:`GrantCache`.

    Overrides the two public look-ups FAB's ``has_access`` and ``protect`` end in, and
    ``has_access`` itself for a signed-in (session) user: the user's pairs are taken once
    per request and each check is a look-up in them. Everything else (JWT, API keys,
    anonymous and inactive users, built-in roles, a user detached from the session) goes
    through FAB's own ``has_access`` unchanged.
    """

    grant_cache: GrantCache

    def __init__(self, *args, **kwargs) -> None:
        self.grant_cache = GrantCache()
        super().__init__(*args, **kwargs)

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids) -> bool:
        ids = tuple(sorted(set(role_ids)))
        pairs = self.grant_cache.pairs(self.session, ("ids", *ids), lambda: Role.id.in_(ids))
        return (permission_name, view_name) in pairs

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        name = self.auth_role_public
        pairs = self.grant_cache.pairs(self.session, ("name", name), lambda: Role.name == name)
        return (permission_name, view_name) in pairs

    def has_access(self, permission_name: str, view_name: str) -> bool:
        pairs = self.request_user_pairs()
        if pairs is None:
            return super().has_access(permission_name, view_name)
        return (permission_name, view_name) in pairs

    def request_user_pairs(self) -> frozenset[tuple[str, str]] | None:
        """The ``(permission, view menu)`` pairs of the session's signed-in user, once per
        request: what FAB's ``has_access`` finds through the user's roles and groups for
        each check. ``None`` where FAB's own checks must answer: no session user, or
        ``g.user`` is another user (FAB sets it to the JWT's or API key's user), an
        inactive user, a built-in role, a user detached from the session."""
        if not has_request_context() or not current_user.is_authenticated or g.get("user") is not current_user:
            return None
        try:
            user_id = current_user.id
            memo = g.get(_USER_PAIRS_KEY)
            if memo is not None and memo[0] == user_id:
                return memo[1]
            if not current_user.is_active:
                return None
            roles = self.get_user_roles(current_user)
        except DetachedInstanceError:
            return None
        if any(role.name in self.builtin_roles for role in roles):
            return None
        ids = tuple(sorted({role.id for role in roles}))
        pairs = self.grant_cache.pairs(self.session, ("ids", *ids), lambda: Role.id.in_(ids)) if ids else frozenset()
        setattr(g, _USER_PAIRS_KEY, (user_id, pairs))
        return pairs
