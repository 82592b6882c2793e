"""Hook implementations of the licences core part (registered by app.CORE_PARTS).

Importing this module imports the models, so the schema test sees the licence tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from onewindow.licences import models  # noqa: F401  (tables on FAB's metadata)
from onewindow.plugins import can, hookimpl, menu, read

#: ``[plugins.licences]`` in onewindow.toml. The KEY-ENCRYPTION KEY protects every seal's
#: private key; ONEWINDOW_SEAL_KEK (environment) wins over this setting.
CONFIG_DEFAULTS = {"seal_key_encryption_key": ""}

CATEGORY = "E-licences"


@dataclass
class LicencesExtension:
    """``app.extensions["onewindow.licences"]``: licence types declared by plugins."""

    types: dict = field(default_factory=dict)


@hookimpl
def register_config(register):
    register("licences", dict(CONFIG_DEFAULTS))


@hookimpl
def register_views(register):
    from onewindow.licences.views import LicenceTypeView, LicenceView, SealView

    menu = {"category": CATEGORY, "category_label": _l("E-licences"), "icon": "fa-certificate"}
    register(LicenceView, name="Licences", label=_l("E-licence library"), **menu)
    register(LicenceTypeView, name="Licence types", label=_l("Licence types"), **menu)
    register(SealView, name="Seals", label=_l("Electronic seals"), **menu)


@hookimpl
def register_permissions(register):
    department = read("LicenceView") + can("LicenceView", "pdf") + menu(CATEGORY, "Licences")
    register("approver", department + can("LicenceView", "update"))
    register("chief_rep", department + can("LicenceView", "update", "revoke"))
    register("seal_admin", department + can("LicenceView", "seal") + read("SealView") + menu("Seals"))
    register("supervisor", department + read("LicenceTypeView", "SealView") + menu("Licence types", "Seals"))


@hookimpl
def register_commands(register):
    from onewindow.licences.cli import licence_cli

    register(licence_cli)


@hookimpl
def register_jobs(register):
    register("licences.expire", "onewindow.licences.library:expire_job", trigger="interval", hours=6)


@hookimpl
def validate_pack(pack, report):
    from onewindow.licences.types import validate_pack_types

    validate_pack_types(pack, report)


@hookimpl
def install_pack(pack, session):
    from onewindow.licences.types import install_pack_types

    install_pack_types(pack, session)


@hookimpl
def app_ready(app):
    from onewindow.licences.public import bp
    from onewindow.licences.types import EXTENSION, collect_plugin_types

    app.extensions[EXTENSION] = LicencesExtension(types=collect_plugin_types(app.extensions["onewindow"].plugins))
    app.register_blueprint(bp)
