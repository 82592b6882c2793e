"""Demo organisation of the fictional 云溪县, loaded from ``item_packs/demo-county``.

All-or-nothing: one transaction; loading twice changes nothing.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import yaml
from flask import current_app

from onewindow.app import db
from onewindow.errors import ValidationError
from onewindow.models import Department, Region, ServiceCentre, Staff, Window, Zone
from onewindow.models.org import RegionLevel, WindowKind, ZoneKind

DEMO_DIR = Path(__file__).resolve().parents[2] / "item_packs" / "demo-county"


def load_organisation(path: Path = DEMO_DIR / "organisation.yaml") -> dict[str, int]:
    """Create what is missing; returns counts of rows added per kind."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = {"regions": 0, "departments": 0, "zones": 0, "windows": 0}
    session = db.session
    try:
        regions = {r.code: r for r in session.query(Region)}
        for row in data["regions"]:
            if row["code"] in regions:
                continue
            region = Region(code=row["code"], name=row["name"], level=RegionLevel[row["level"]],
                            parent=regions.get(row.get("parent")))
            region.check_parent()
            session.add(region)
            regions[row["code"]] = region
            added["regions"] += 1
        departments = {d.credit_code: d for d in session.query(Department)}
        for row in data["departments"]:
            if row["credit_code"] in departments:
                continue
            dept = Department(credit_code=row["credit_code"], name=row["name"], short_name=row.get("short_name"),
                              region=regions[row["region"]], phone=row.get("phone"))
            session.add(dept)
            departments[dept.credit_code] = dept
            added["departments"] += 1
        c = data["centre"]
        centre = session.query(ServiceCentre).filter_by(name=c["name"]).one_or_none()
        if centre is None:
            centre = ServiceCentre(name=c["name"], region=regions[c["region"]], address=c.get("address"),
                                   opening_hours=c.get("opening_hours"))
            session.add(centre)
        session.flush()
        zones = {z.number: z for z in session.query(Zone).filter_by(centre_id=centre.id)}
        for row in data["zones"]:
            if row["number"] in zones:
                continue
            zone = Zone(centre=centre, number=row["number"], name=row["name"], kind=ZoneKind[row["kind"]],
                        description=row.get("description"))
            session.add(zone)
            zones[zone.number] = zone
            added["zones"] += 1
        session.flush()
        existing = {(w.zone_id, w.code) for w in session.query(Window)}
        for row in data["windows"]:
            zone = zones[row["zone"]]
            if (zone.id, row["code"]) in existing:
                continue
            window = Window(zone=zone, code=row["code"], name=row["name"], kind=WindowKind[row["kind"]],
                            approval_ref=row.get("approval_ref"),
                            departments=[departments[code] for code in row.get("departments", [])])
            window.check_kind_rules()
            session.add(window)
            added["windows"] += 1
        session.commit()
    except (KeyError, ValidationError) as exc:
        session.rollback()
        raise ValidationError(f"{path}: {exc}") from None
    return added


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
    sm = current_app.appbuilder.sm
    for row in data["staff"]:
        if db.session.query(Staff).filter_by(username=row["username"]).first():
            continue
        password = secrets.token_urlsafe(9)
        create_staff(username=row["username"], password=password, roles=[row["role"]],
                     department_code=row.get("department"), first_name=row.get("first_name"),
                     last_name=row.get("last_name", ""), window_codes=row.get("windows"), commit=False)
        known[row["username"]] = (password, row["role"])
    db.session.commit()
    lines = ["# OneWindow demo logins (generated at install; not a secret of the repository)"]
    lines += [f"{u}\t{p}\t{r}" for u, (p, r) in known.items()]
    logins_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    logins_file.chmod(0o600)
    del sm
    return [(u, p, r) for u, (p, r) in known.items()]
