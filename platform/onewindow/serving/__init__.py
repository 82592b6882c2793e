"""Serving the platform: the schema check both servers share, and the production server
(``onewindow serve --production``, gunicorn; see :mod:`onewindow.serving.production`)."""

from __future__ import annotations

from flask import Flask

from onewindow.errors import StartupError


def require_current_schema(app: Flask) -> None:
    """Refuse to serve a database whose migrations are not all applied."""
    from onewindow.migrate import current_heads

    applied, heads = current_heads(app)
    if applied != heads:
        raise StartupError(
            "the database schema is not up to date "
            f"(applied: {', '.join(sorted(applied)) or 'none'}; expected: {', '.join(sorted(heads))}); "
            "run `onewindow init` first"
        )
