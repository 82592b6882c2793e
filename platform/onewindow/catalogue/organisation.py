"""The organisation part of a pack: regions, departments, centre, zones, windows, item types.

Rows are created when missing and never deleted by a pack (staff and cases refer to
them); departments are matched by credit code, zones by number within the pack's
centre, windows by number within their zone.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from onewindow.catalogue.packs import Pack
from onewindow.models import Department, Region, ServiceCentre, Window, Zone
from onewindow.models.items import ItemType
from onewindow.models.org import RegionLevel, WindowKind, ZoneKind


def centre_of(session: Session, name: str | None) -> ServiceCentre | None:
    """The pack's centre by name, or the only centre of the database."""
    if name:
        return session.query(ServiceCentre).filter_by(name=name).one_or_none()
    centres = session.query(ServiceCentre).limit(2).all()
    return centres[0] if len(centres) == 1 else None


def organisation_additions(pack: Pack, session: Session) -> dict[str, list[str]]:
    """What installing the pack would add, by kind (for the diff)."""
    regions = {c for (c,) in session.query(Region.code)}
    departments = {c for (c,) in session.query(Department.credit_code)}
    centre = centre_of(session, pack.centre_name())
    zones = {z.number for z in session.query(Zone).filter_by(centre_id=centre.id)} if centre else set()
    windows = (
        {
            (w.zone.number, w.code)
            for w in session.query(Window).join(Zone, Window.zone_id == Zone.id).filter(Zone.centre_id == centre.id)
        }
        if centre
        else set()
    )
    types = {c for (c,) in session.query(ItemType.code)}
    out = {
        "regions": [f"{r['code']} {r['name']}" for _f, r in pack.org.get("regions", []) if r["code"] not in regions],
        "departments": [
            f"{d['credit_code']} {d['name']}"
            for _f, d in pack.org.get("departments", [])
            if d["credit_code"] not in departments
        ],
        "centres": [c["name"] for _f, c in pack.org.get("centre", []) if centre is None],
        "zones": [f"{z['number']} {z['name']}" for _f, z in pack.org.get("zones", []) if z["number"] not in zones],
        "windows": [
            f"{w['code']} {w['name']}" for _f, w in pack.org.get("windows", []) if (w["zone"], w["code"]) not in windows
        ],
        "item types": [f"{t['code']} {t['name']}" for _f, t in pack.item_types if t["code"] not in types],
    }
    return {k: v for k, v in out.items() if v}


def install_organisation(pack: Pack, session: Session) -> dict[str, int]:
    """Create the missing organisation rows of a validated pack (no commit); counts per kind."""
    added = {"regions": 0, "departments": 0, "zones": 0, "windows": 0}
    regions = {r.code: r for r in session.query(Region)}
    for _file, row in pack.org.get("regions", []):
        if row["code"] in regions:
            continue
        region = Region(
            code=row["code"], name=row["name"], level=RegionLevel[row["level"]], parent=regions.get(row.get("parent"))
        )
        region.check_parent()
        session.add(region)
        regions[row["code"]] = region
        added["regions"] += 1
    departments = {d.credit_code: d for d in session.query(Department)}
    for _file, row in pack.org.get("departments", []):
        if row["credit_code"] in departments:
            continue
        dept = Department(
            credit_code=row["credit_code"],
            name=row["name"],
            short_name=row.get("short_name"),
            region=regions[row["region"]],
            phone=row.get("phone"),
        )
        session.add(dept)
        departments[dept.credit_code] = dept
        added["departments"] += 1
    centre = centre_of(session, pack.centre_name())
    for _file, c in pack.org.get("centre", [])[:1]:
        if centre is None:
            centre = ServiceCentre(
                name=c["name"],
                region=regions[c["region"]],
                address=c.get("address"),
                opening_hours=c.get("opening_hours"),
            )
            session.add(centre)
    session.flush()
    if centre is None:
        return added
    zones = {z.number: z for z in session.query(Zone).filter_by(centre_id=centre.id)}
    for _file, row in pack.org.get("zones", []):
        if row["number"] in zones:
            continue
        zone = Zone(
            centre=centre,
            number=row["number"],
            name=row["name"],
            kind=ZoneKind[row["kind"]],
            description=row.get("description"),
        )
        session.add(zone)
        zones[zone.number] = zone
        added["zones"] += 1
    session.flush()
    existing = {(w.zone_id, w.code) for w in session.query(Window)}
    for _file, row in pack.org.get("windows", []):
        zone = zones[row["zone"]]
        if (zone.id, row["code"]) in existing:
            continue
        window = Window(
            zone=zone,
            code=row["code"],
            name=row["name"],
            kind=WindowKind[row["kind"]],
            approval_ref=row.get("approval_ref"),
            departments=[departments[code] for code in row.get("departments", [])],
        )
        window.check_kind_rules()
        session.add(window)
        added["windows"] += 1
    session.flush()
    return added


def item_types_to_ids(pack: Pack, session: Session) -> dict[str, int]:
    """Create missing item types (the code table is data) and rename changed ones; code → id."""
    types = {t.code: t for t in session.query(ItemType)}
    for _file, row in pack.item_types:
        if row["code"] not in types:
            types[row["code"]] = ItemType(code=row["code"], name=row["name"])
            session.add(types[row["code"]])
        elif types[row["code"]].name != row["name"]:
            types[row["code"]].name = row["name"]
    session.flush()
    return {code: t.id for code, t in types.items()}
