"""`onewindow init`: migrate, sync permissions, seed roles, optionally load the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from onewindow import migrate
from onewindow.auth.files import tighten
from onewindow.security import sync_roles


@dataclass
class InitReport:
    grants: dict[str, int] = field(default_factory=dict)
    demo: dict[str, int] | None = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    seals: int = 0
    history: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    tightened: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        lines = ["database schema is up to date; roles: " + ", ".join(f"{k} {v}" for k, v in self.roles.items())]
        if self.tightened:
            lines.append(f"instance folder: made {len(self.tightened)} file(s) and folder(s) owner-only (0600/0700)")
        if self.demo is not None:
            lines.append(
                "demo pack item_packs/demo-county installed: " + ", ".join(f"{k} +{v}" for k, v in self.demo.items())
            )
            if self.seals:
                lines.append(f"demo seals: one electronic seal for each of {self.seals} departments")
            if self.history:
                lines.append(
                    f"demo history: {sum(self.history.values())} cases over the last three months ("
                    + ", ".join(f"{k} {v}" for k, v in sorted(self.history.items()))
                    + ")"
                )
            lines.append("demo logins (also in instance/demo-logins.txt):")
            lines += [f"  {role:<13} {user:<13} {password}" for user, password, role in self.logins]
        return "\n".join(lines)


def initialise(app: Flask, demo: bool = False, history: bool = True) -> InitReport:
    """Migrate and seed; with ``demo`` the demo county, its staff and (``history``) its
    department seals and three months of cases."""
    from onewindow.cases.checkpoints import ensure_key

    migrate.upgrade(app)
    ensure_key(app)  # the audit checkpoint key, outside the database
    report = InitReport()
    report.tightened = tighten(Path(app.instance_path))  # older versions left 0644 files
    report.grants = sync_permissions(app)
    report.roles = app.extensions["onewindow"].roles
    with app.app_context():
        if demo:
            from onewindow.demo import create_demo_staff, install_demo_pack

            report.demo = install_demo_pack(app)
            report.logins = create_demo_staff(Path(app.instance_path))
            if history:
                from onewindow.demo_history import create_department_seals, generate_history

                report.seals = create_department_seals()
                report.history = generate_history(app)
    return report


def sync_permissions(app: Flask) -> dict[str, int]:
    """Write every view's permissions, the roles and their grants (idempotent; `onewindow
    init` and the production server's master, once before it forks its workers)."""
    ow = app.extensions["onewindow"]
    with app.app_context():
        sm = app.extensions["appbuilder"].sm
        for key in ow.roles:
            sm.add_role(key)
        # FAB writes every view's permissions and gives them all to the admin role.
        app.extensions["appbuilder"].add_permissions(update_perms=True)
        grants = sync_roles(sm, dict(ow.roles), ow.grants)
        _grant_everything_to_admin(sm)
        return grants


def _grant_everything_to_admin(sm) -> None:
    admin = sm.find_role(sm.auth_role_admin)
    have = set(admin.permissions)
    for pv in sm.session.query(sm.permissionview_model):
        if pv not in have:
            admin.permissions.append(pv)
    sm.session.commit()
