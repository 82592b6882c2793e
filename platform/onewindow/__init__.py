"""OneWindow (一窗通): one-window acceptance, integrated service (一窗受理、集成服务).

This package is the public API for plugins: a plugin imports only the names listed in
``__all__`` (``from onewindow import hookimpl, db, Case``) and, in its tests, the
fixtures of ``onewindow.testing``. Everything else under ``onewindow.`` is internal and
may change without notice; ``tests/test_plugin_api.py`` holds the built-in plugins to
this rule. docs/plugin-api.md says what each name is for.

Names are resolved on first use (module ``__getattr__``), so ``import onewindow`` stays
cheap and does not load Flask-AppBuilder or the application.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: The public surface: name → ``"module:attribute"`` (or ``"module"`` for a module).
_PUBLIC: dict[str, str] = {
    # the application and the plugin contract
    "create_app": "onewindow.app:create_app",
    "hookimpl": "onewindow.plugins:hookimpl",
    "can": "onewindow.plugins:can",
    "read": "onewindow.plugins:read",
    "menu": "onewindow.plugins:menu",
    "current_app_context": "onewindow.cli:current_app_context",
    # the database
    "db": "onewindow.db",
    "Model": "onewindow.db:Model",
    "unit_of_work": "onewindow.db:unit_of_work",
    # the case engine: the one way to change a case, and who acts
    "engine": "onewindow.cases.engine",
    "Actor": "onewindow.cases.engine:Actor",
    "SYSTEM": "onewindow.cases.engine:SYSTEM",
    "require_role": "onewindow.cases.core:require_role",
    "require_department": "onewindow.cases.core:require_department",
    "PlannedStep": "onewindow.cases.routing:PlannedStep",
    "clock": "onewindow.cases.clock",
    "get_calendar": "onewindow.workdays:get_calendar",
    # the public progress lookup (case number + query code), for kiosks and other front ends
    "find_public_case": "onewindow.documents.progress:find_public_case",
    "public_progress": "onewindow.documents.progress:public_progress",
    # the one QR drawing (notices, licences, tickets): SVG markup
    "qr_svg": "onewindow.qr:qr_svg",
    # the legal clock's selection of cases deemed accepted (行政许可法 §32), for the supervision scan
    "deemed_bounds": "onewindow.cases.legal_clock:deemed_bounds",
    "deemed_due": "onewindow.cases.legal_clock:deemed_due",
    # the yellow-card threshold of a limit, shared by the workspace and the supervision scan
    "yellow_threshold": "onewindow.cases.limits:yellow_threshold",
    "build_application_form": "onewindow.catalogue.forms:build_application_form",
    # the window's application form and the one upload path, for other channels (the online hall)
    "application_form": "onewindow.cases.views:application_form",
    "application_form_data": "onewindow.cases.views:form_data",
    "add_material_files": "onewindow.cases.materialfiles:add_material_files",
    "precheck_uploads": "onewindow.cases.materialfiles:precheck_uploads",
    "FileRefused": "onewindow.cases.materialfiles:FileRefused",
    "Upload": "onewindow.cases.materialfiles:Upload",
    "uploads_from": "onewindow.cases.files_web:uploads_from",
    "Form": "onewindow.forms:Form",
    # bundles (一件事) for other channels: the installed bundle, what an intake makes of it
    # (members, merged form and materials, limit), its guide figures, a member's own rows
    "Bundle": "onewindow.models.bundles:Bundle",
    "bundle_plan": "onewindow.cases.bundles:plan",
    "bundle_guide": "onewindow.catalogue.bundles:derive_installed",
    "bundle_member_forms": "onewindow.cases.bundle_web:member_forms",
    "bundle_answers": "onewindow.cases.bundle_web:answers_from",
    # roles and department scope
    "DEPARTMENT_ROLES": "onewindow.security:DEPARTMENT_ROLES",
    "DECIDING_ROLES": "onewindow.security:DECIDING_ROLES",
    "DepartmentScope": "onewindow.security:DepartmentScope",
    "department_condition": "onewindow.security:department_condition",
    "role_keys": "onewindow.security:role_keys",
    # custom show pages of model views, through FAB's public API (the scope, the detail table)
    "scope_filters": "onewindow.views.model:scope_filters",
    "scoped_row": "onewindow.views.model:scoped_row",
    "render_show": "onewindow.views.model:render_show",
    # core models plugins read and refer to
    "Case": "onewindow.cases.models:Case",
    "CaseEvent": "onewindow.cases.models:CaseEvent",
    "CaseMaterial": "onewindow.cases.models:CaseMaterial",
    "CaseState": "onewindow.cases.models:CaseState",
    "CaseStep": "onewindow.cases.models:CaseStep",
    "StepState": "onewindow.cases.models:StepState",
    "MaterialStatus": "onewindow.cases.models:MaterialStatus",
    "Channel": "onewindow.cases.models:Channel",
    "ApplicantType": "onewindow.cases.models:ApplicantType",
    "FINAL_STATES": "onewindow.cases.models:FINAL_STATES",
    "Notice": "onewindow.cases.models:Notice",
    "render_notice_pdf": "onewindow.documents.render:render_notice_pdf",
    "notice_pdf_filename": "onewindow.documents.render:pdf_filename",
    "notice_title": "onewindow.documents.render:title_of",
    "Department": "onewindow.models.org:Department",
    "Window": "onewindow.models.org:Window",
    "Zone": "onewindow.models.org:Zone",
    "LabelledEnum": "onewindow.models.org:LabelledEnum",
    "enum_column": "onewindow.models.org:enum_column",
    "UTCDateTime": "onewindow.cases.models:UTCDateTime",
    "Staff": "onewindow.models:Staff",
    "Item": "onewindow.models.items:Item",
    "ItemStatus": "onewindow.models.items:ItemStatus",
    "HandlingType": "onewindow.models.items:HandlingType",
    # e-licences
    "Licence": "onewindow.licences.models:Licence",
    "LicenceStatus": "onewindow.licences.models:LicenceStatus",
    "LicenceType": "onewindow.licences.models:LicenceType",
    "holder_licences": "onewindow.licences.library:holder_licences",
    "revoke_for_case": "onewindow.licences.library:revoke_for_case",
    "render_licence_pdf": "onewindow.licences.pdf:render_pdf",
    "licence_pdf_filename": "onewindow.licences.pdf:pdf_filename",
    "licence_verify_url": "onewindow.licences.verification:verify_url",
    "verify_licence": "onewindow.licences.verification:verify_licence",
    "licence_public_view": "onewindow.licences.verification:public_view",
    # identifier checks (messages in Chinese, naming the expected check character)
    "resident_id_problem": "onewindow.validators:resident_id_problem",
    "uscc_problem": "onewindow.validators:uscc_problem",
    "uscc_check_char": "onewindow.validators:uscc_check_char",
    "mask_resident_id": "onewindow.validators:mask_resident_id",
    # notifications (SMS / e-mail through the configured backend, recorded in the outbox)
    "notify": "onewindow.notify",
    "local_time": "onewindow.display:local_time",
    "public_base_url": "onewindow.public_url:public_base_url",
    # logins of the plugin's own accounts: the lockout rules and the password policy
    "guarded_login": "onewindow.auth.lockout:guarded_login",
    "LoginLocked": "onewindow.auth.lockout:LoginLocked",
    "clear_lockout": "onewindow.auth.lockout:clear_lockout",
    "password_problem": "onewindow.auth.passwords:password_problem",
    # errors
    "OneWindowError": "onewindow.errors:OneWindowError",
    "StartupError": "onewindow.errors:StartupError",
    "ValidationError": "onewindow.errors:ValidationError",
    "TransitionError": "onewindow.cases.errors:TransitionError",
    "CaseNotFound": "onewindow.cases.errors:CaseNotFound",
    "PermissionDenied": "onewindow.cases.errors:PermissionDenied",
    "ConflictError": "onewindow.cases.errors:ConflictError",
    "ApplicationInvalid": "onewindow.cases.errors:ApplicationInvalid",
    # pytest fixtures for plugin tests (registered with pytest through the ``pytest11`` entry point)
    "testing": "onewindow.testing",
}

#: Modules a plugin may import from: this package (the names above) and the pytest
#: fixtures for plugin tests.
PUBLIC_MODULES = ("onewindow", "onewindow.testing")

__all__ = ["__version__", "PUBLIC_MODULES", *_PUBLIC]


def __getattr__(name: str) -> Any:
    target = _PUBLIC.get(name)
    if target is None:
        raise AttributeError(f"module 'onewindow' has no attribute {name!r}; the public API is onewindow.__all__")
    module_name, _, attribute = target.partition(":")
    value = importlib.import_module(module_name)
    if attribute:
        value = getattr(value, attribute)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
