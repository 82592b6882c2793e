"""Public-security plugin (公安), key ``public_security``: hook implementations only.

Importing this module imports the models, so the schema test compares them with the
plugin's migration branch ``public_security``.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from onewindow import hookimpl
from onewindow_public_security import (
    models,  # noqa: F401  (tables on FAB's metadata)
    service,
)

HERE = Path(__file__).resolve().parent
CATEGORY = "Public security"

#: ``[plugins.public_security]``: windows of the exit-entry sub-zone (出入境分区) and the
#: items (basic codes) that always need photo and fingerprints at the window. Defaults:
#: the demo county's window C05; 普通护照, 港澳/台湾通行证, 居民身份证换领/补领.
CONFIG_DEFAULTS = {
    "exit_entry_windows": ["C05"],
    "in_person_items": ["010301000000", "010302000000", "010303000000", "070306000000", "070307000000"],
}


@hookimpl
def register_config(register):
    register(service.KEY, dict(CONFIG_DEFAULTS))


@hookimpl
def register_migrations(register):
    register(service.KEY, str(HERE / "migrations" / "versions"))


@hookimpl
def register_item_forms(register):
    from onewindow_public_security.forms import EndorsementForm, PassportForm

    register(service.PASSPORT, PassportForm)
    register(service.ENDORSEMENT, EndorsementForm)


@hookimpl
def validate_application(case, data, report):
    service.application_problems(case, data, report)


@hookimpl
def case_transition(case, event):
    service.on_transition(case, event)


@hookimpl
def register_views(register):
    from onewindow_public_security.views import PublicSecurityCaptureView

    register(
        PublicSecurityCaptureView,
        name="In-person captures",
        label=_l("In-person captures"),
        category=CATEGORY,
        category_label=_l("Public security"),
        icon="fa-id-card",
    )


@hookimpl
def register_permissions(register):
    read = [
        ("can_list", "PublicSecurityCaptureView"),
        ("can_show", "PublicSecurityCaptureView"),
        ("menu_access", CATEGORY),
        ("menu_access", "In-person captures"),
    ]
    for role in ("acceptor", "approver", "chief_rep", "supervisor"):
        register(role, read)
