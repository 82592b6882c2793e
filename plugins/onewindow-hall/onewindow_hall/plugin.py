"""Online hall plugin (网上办事大厅), key ``hall``: hook implementations only."""

from __future__ import annotations

from pathlib import Path

from onewindow import hookimpl

KEY = "hall"
HERE = Path(__file__).resolve().parent


@hookimpl
def app_ready(app):
    from onewindow_hall.public import bp

    app.register_blueprint(bp)
