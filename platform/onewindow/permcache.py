"""Permission look-ups cached per process, checked against the database once per request.

Flask-AppBuilder asks the database whether a role holds a permission every time it
checks one: once for the view itself, once for the public role, and once per menu entry
when a screen draws its menu (51 queries for one case page). A role's grants change
rarely and every request needs them, so :class:`CachedPermissions` keeps, per set of
role ids, the set of ``(permission, view menu)`` pairs those roles hold, loaded in one
query.

Invalidation: every worker process keeps its own cache, and a grant may change in
another process (the admin's role screen, ``onewindow init`` of a new plugin, SQL by
hand). So the first check of each request reads a fingerprint of the grant tables
(row counts and id sums of ``ab_permission_view_role`` and ``ab_permission_view``,
one small aggregate query); when it differs from the one the cache was built under,
the cache is dropped. A grant or revocation is therefore seen by the next request of
every worker, and a request sees one consistent set of grants.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from flask import g, has_app_context
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from sqlalchemy import func, select

_GRANTS = assoc_permissionview_role
#: Counts and checksums of the grant tables: they change whenever a grant is added or
#: removed or a permission view is re-pointed.
FINGERPRINT = select(
    select(func.count()).select_from(_GRANTS).scalar_subquery(),
    select(func.coalesce(func.sum(_GRANTS.c.id), 0)).scalar_subquery(),
    select(func.coalesce(func.sum(_GRANTS.c.permission_view_id * 7919 + _GRANTS.c.role_id), 0)).scalar_subquery(),
    select(func.count()).select_from(PermissionView).scalar_subquery(),
    select(
        func.coalesce(
            func.sum(PermissionView.id * 7919 + PermissionView.permission_id * 104729 + PermissionView.view_menu_id), 0
        )
    ).scalar_subquery(),
)
_REQUEST_KEY = "ow_permission_fingerprint"


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

    Overrides the two public look-ups FAB's ``has_access`` and ``protect`` end in; the
    rest of FAB's checks (active user, built-in roles, JWT) run unchanged.
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
