"""Online hall plugin (网上办事大厅), key ``hall``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``hall``.
"""

from __future__ import annotations

from pathlib import Path

from onewindow import hookimpl
from onewindow_hall import models  # noqa: F401  (tables on FAB's metadata)

KEY = "hall"
HERE = Path(__file__).resolve().parent


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def register_config(register):
    from onewindow_hall.settings import DEFAULTS

    register(KEY, DEFAULTS)


@hookimpl
def app_ready(app):
    from onewindow_hall import account_views, sso  # noqa: F401  (the account routes join the blueprint)
    from onewindow_hall.public import bp

    app.register_blueprint(bp)
    sso.init_app(app)
