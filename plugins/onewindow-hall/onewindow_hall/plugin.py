"""Online hall plugin (网上办事大厅), key ``hall``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``hall``.
"""

from __future__ import annotations

from pathlib import Path

from onewindow import hookimpl
from onewindow_hall import models, tables  # noqa: F401  (tables on FAB's metadata)

KEY = "hall"
HERE = Path(__file__).resolve().parent


@hookimpl
def register_migrations(register):
    register(KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def validate_pack(pack, report):
    from onewindow_hall.profiles import validate_section

    validate_section(pack, report)


@hookimpl
def install_pack(pack, session):
    from onewindow_hall.profiles import install_section

    install_section(pack, session)


@hookimpl
def case_transition(case, event):
    from onewindow_hall.case_messages import case_changed

    case_changed(case, event)


@hookimpl
def public_home():
    from onewindow_hall.guides import home

    return home()


@hookimpl
def register_config(register):
    from onewindow_hall.settings import DEFAULTS

    register(KEY, DEFAULTS)


@hookimpl
def app_ready(app):
    from onewindow_hall import account_views, apply, bundles, evaluation, forms, guides, my, reset, sso  # noqa: F401  (routes)
    from onewindow_hall.public import bp

    app.register_blueprint(bp)
    sso.init_app(app)
