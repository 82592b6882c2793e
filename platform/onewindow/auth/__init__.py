"""Authentication hardening, security headers and public throttling (issue #21).

- :mod:`~onewindow.auth.lockout`: per-account lockout after failed logins, shared by
  every login path (``guarded_login``), with the admin's “登录锁定” screen;
- :mod:`~onewindow.auth.passwords`: the password policy on every path that sets one;
- :mod:`~onewindow.auth.sessions`: sessions and tokens end at logout and password change;
- :mod:`~onewindow.auth.headers`: CSP, framing, referrer, nosniff, HSTS;
- :mod:`~onewindow.auth.throttle`: per-address limits on public lookups, the 429 page;
- :mod:`~onewindow.auth.files`: owner-only modes in the instance folder.

Operator documentation: docs/operator/security.md.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Run once the views and public blueprints exist (after ``app_ready``)."""
    from onewindow.auth import headers, sessions, throttle

    headers.init_app(app)
    sessions.init_app(app)
    throttle.init_app(app)
