"""The demo county 云溪县 (fictional): its item pack ``item_packs/demo-county`` and demo staff.

The organisation (regions, departments, centre, zones, windows) and the catalogue come
from the pack, installed like any county's (all-or-nothing; installing it again changes
nothing). The staff section of ``organisation.yaml`` is demo-only: one user per role.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import yaml
from flask import Flask, current_app

from onewindow.app import db
from onewindow.models import Staff

DEMO_DIR = Path(__file__).resolve().parents[2] / "item_packs" / "demo-county"


def install_demo_pack(app: Flask, path: Path = DEMO_DIR) -> dict[str, int]:
    """Install (or upgrade) the demo pack; returns rows added per kind."""
    from onewindow.catalogue.install import install
    from onewindow.catalogue.packs import load_pack

    pack = load_pack(path, display="item_packs/demo-county" if path == DEMO_DIR else str(path))
    result = install(pack, app, db.session, "onewindow init --demo")
    return {**result.organisation, "items": len(result.plan.new) + len(result.plan.changed)}


def _demo_password(username: str) -> str:
    """A random password that satisfies the password policy (12 characters)."""
    from onewindow.auth.passwords import password_problem

    while True:
        password = secrets.token_urlsafe(9)
        if password_problem(password, username) is None:
            return password


def create_demo_staff(instance_path: Path, path: Path = DEMO_DIR / "organisation.yaml") -> list[tuple[str, str, str]]:
    """One user per role with a generated password, kept in ``instance/demo-logins.txt``.

    Returns ``(username, password, role)`` for every demo user (existing ones too).
    """
    from onewindow.staff import create_staff

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    logins_file = instance_path / "demo-logins.txt"
    known: dict[str, tuple[str, str]] = {}
    if logins_file.exists():
        for line in logins_file.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                username, password, role = line.split("\t")
                known[username] = (password, role)
    sm = current_app.extensions["appbuilder"].sm
    for row in data["staff"]:
        if db.session.query(Staff).filter_by(username=row["username"]).first():
            continue
        password = _demo_password(row["username"])
        create_staff(
            username=row["username"],
            password=password,
            roles=[row["role"]],
            department_code=row.get("department"),
            first_name=row.get("first_name"),
            last_name=row.get("last_name", ""),
            window_codes=row.get("windows"),
            commit=False,
        )
        known[row["username"]] = (password, row["role"])
    db.session.commit()
    lines = ["# OneWindow demo logins (generated at install; not a secret of the repository)"]
    lines += [f"{u}\t{p}\t{r}" for u, (p, r) in known.items()]
    logins_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    logins_file.chmod(0o600)
    del sm
    return [(u, p, r) for u, (p, r) in known.items()]
