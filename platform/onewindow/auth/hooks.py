"""The lockout screen as a core part (registered under ``core.auth``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from onewindow.auth import lockout, ratelimit_storage  # noqa: F401  (their tables join the metadata)
from onewindow.plugins import hookimpl


@hookimpl
def register_views(register):
    from onewindow.auth.views import LoginLockoutView

    register(
        LoginLockoutView,
        name="Login lockouts",
        label=_l("Login lockouts"),
        category="Security",
        category_label=_l("Security"),
        icon="fa-user-lock",
    )
