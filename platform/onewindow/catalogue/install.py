"""Installing, upgrading and uninstalling item packs: all-or-nothing, in one transaction.

- Installing the same pack version again changes nothing.
- A newer version upgrades: a changed item gets a new version row (cases pin the old
  one), an item gone from the pack is cancelled but kept for its open cases, and every
  change is an ``ItemEvent`` with who, when and why (no 明减暗增 [000 §三(二)]).
- Uninstalling refuses while any case refers to an item of the pack.

Items and their lists are written with bulk inserts, so a 10,000-item pack with 8
materials each installs within its target (bench/pack_install.py).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from flask import Flask
from flask_babel import gettext
from sqlalchemy import column as sa_column
from sqlalchemy import delete, func, insert, inspect, select, text, update
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Session, selectinload

from onewindow.catalogue.bundles import bundle_changes, install_bundles
from onewindow.catalogue.convert import Refs, child_rows, item_row, item_to_dict
from onewindow.catalogue.organisation import centre_of, install_organisation, item_types_to_ids
from onewindow.catalogue.packs import Pack, comparable, content_hash, implementation_code, version_tuple
from onewindow.catalogue.rules import Known, Report, validate
from onewindow.errors import ValidationError
from onewindow.faults import pause_point
from onewindow.models import Department, Window, Zone
from onewindow.models.bundles import Bundle, BundleMember
from onewindow.models.items import (
    FormField,
    Item,
    ItemAction,
    ItemEvent,
    ItemFaq,
    ItemStatus,
    ItemType,
    Material,
    PackAction,
    PackEvent,
    RoutingStep,
    _now,
    item_joint_department,
    item_window,
)
from onewindow.models.items import (
    Pack as PackRow,
)

#: The catalogue's own tables; any other table pointing at ow_item.id is a case (or the like).
OWN_TABLES = {
    "ow_item",
    "ow_item_material",
    "ow_item_step",
    "ow_item_field",
    "ow_item_faq",
    "ow_item_event",
    "ow_item_joint_department",
    "ow_item_window",
}
CHUNK = 500


class PackRefused(ValidationError):
    """The pack is invalid; ``report`` holds every problem."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(f"{len(report)} problem(s) in the pack; nothing was installed:\n" + "\n".join(report.lines()))


def known_from_plugins(app: Flask) -> Known:
    """What the loaded plugins provide: form keys, plugin versions, roles (no database needed)."""
    ow = app.extensions["onewindow"]
    return Known(
        form_keys={args[0] for _src, args, _kw in ow.plugins.collect("register_item_forms")},
        plugins={p.key: p.version for p in ow.plugins.plugins if p.status == "loaded"},
        roles=set(ow.roles),
    )


def known_from_database(app: Flask, session: Session, pack: Pack | None = None) -> Known:
    centre = centre_of(session, pack.centre_name() if pack else None)
    zones = session.query(Zone.number).filter(Zone.centre_id == centre.id).all() if centre else []
    windows = (
        session.query(Window.code, Zone.number)
        .join(Zone, Window.zone_id == Zone.id)
        .filter(Zone.centre_id == centre.id)
        .all()
        if centre
        else []
    )
    from onewindow.models import Region

    return replace(
        known_from_plugins(app),
        departments={c for (c,) in session.query(Department.credit_code)},
        regions={c for (c,) in session.query(Region.code)},
        zones={n for (n,) in zones},
        windows={code: number for code, number in windows},
        item_types={c for (c,) in session.query(ItemType.code)},
    )


def check(pack: Pack, app: Flask, session: Session | None) -> Report:
    """Validate a pack against the rules, the database and every plugin's ``validate_pack``.

    Without a session (no database yet) the pack is checked on its own: what it references
    must be in the pack itself.
    """
    known = known_from_database(app, session, pack) if session is not None else known_from_plugins(app)
    return validate(pack, known, app.extensions["onewindow"].plugins.hook.validate_pack)


@dataclass
class Plan:
    """What installing the pack would change (``onewindow pack diff``)."""

    key: str
    mode: str  # install | upgrade | unchanged
    from_version: str | None
    to_version: str
    new: list[int] = field(default_factory=list)  # indexes into pack.items
    changed: list[tuple[int, Item, list[str]]] = field(default_factory=list)
    unchanged: int = 0
    cancelled: list[Item] = field(default_factory=list)
    reinstated: list[int] = field(default_factory=list)
    org: dict[str, list[str]] = field(default_factory=dict)
    bundles: list[str] = field(default_factory=list)  # "+ bundle …" / "~ bundle …" / "- bundle …"

    def lines(self, pack: Pack) -> list[str]:
        head = {
            "install": f"install {self.key} {self.to_version}",
            "upgrade": f"upgrade {self.key} {self.from_version} → {self.to_version}",
            "unchanged": f"{self.key} {self.to_version} is installed already; nothing would change",
        }[self.mode]
        out = [head]
        for kind, names in self.org.items():
            out += [f"  + {kind[:-1] if kind.endswith('s') else kind} {n}" for n in names]
        for i in self.new:
            it = pack.items[i]
            out.append(
                f"  + item {it['basic_code']} {it['name']} (new{', reinstated' if i in self.reinstated else ''})"
            )
        for i, old, fields in self.changed:
            it = pack.items[i]
            out.append(
                f"  ~ item {it['basic_code']} {it['name']}: version {old.version} → {old.version + 1}; "
                f"changed: {', '.join(fields) or 'content'}"
            )
        for old in self.cancelled:
            out.append(f"  - item {old.basic_code} {old.name}: cancelled (version {old.version} is kept for its cases)")
        out += [f"  {line}" for line in self.bundles]
        out.append(f"  = {self.unchanged} item(s) unchanged")
        return out

    @property
    def summary(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "cancelled": len(self.cancelled),
            "unchanged": self.unchanged,
            **{k: len(v) for k, v in self.org.items()},
        }


def plan(pack: Pack, session: Session) -> Plan:
    installed = session.query(PackRow).filter_by(key=pack.key).one_or_none()
    mode = "install" if installed is None else "upgrade"
    if installed is not None:
        if installed.version == pack.version and installed.checksum == pack.checksum:
            mode = "unchanged"
        elif version_tuple(pack.version) <= version_tuple(installed.version):
            raise ValidationError(
                gettext(
                    "%(file)s: version: %(key)s %(version)s is installed%(different)s; "
                    "raise the version above %(version)s to upgrade (downgrades are refused)",
                    file=pack.manifest_file,
                    key=pack.key,
                    version=installed.version,
                    different=gettext(" with different content") if pack.version == installed.version else "",
                )
            )
    result = Plan(pack.key, mode, installed.version if installed else None, pack.version)
    if mode == "unchanged":
        result.unchanged = len(pack.items)
        return result
    from onewindow.catalogue.organisation import organisation_additions

    result.org = organisation_additions(pack, session)
    columns = (
        Item.id,
        Item.implementation_code,
        Item.version,
        Item.is_current,
        Item.status,
        Item.content_hash,
        Item.pack_key,
    )
    rows = session.execute(select(*columns).where(Item.pack_key == pack.key)).all()
    codes = _impl_codes(pack)
    for start in range(0, len(codes), CHUNK):
        foreign = session.execute(
            select(Item.implementation_code, Item.pack_key).where(
                Item.implementation_code.in_(codes[start : start + CHUNK]),
                (Item.pack_key != pack.key) | Item.pack_key.is_(None),
            )
        ).first()
        if foreign:
            raise ValidationError(
                gettext(
                    "%(file)s: item %(item)s belongs to pack %(other)s; "
                    "an item is maintained by one pack only — remove it from one of them",
                    file=pack.manifest_file,
                    item=foreign[0],
                    other=foreign[1] or "—",
                )
            )
    current = {r.implementation_code: r for r in rows if r.is_current}
    ever = {r.implementation_code for r in rows}
    changed_ids: dict[int, int] = {}
    for i, n in enumerate(pack.normalised()):
        impl = implementation_code(n)
        old = current.get(impl)
        if old is None:
            result.new.append(i)
            if impl in ever:
                result.reinstated.append(i)
        elif old.content_hash != content_hash(n):
            changed_ids[old.id] = i
        else:
            result.unchanged += 1
    wanted = set(codes)
    gone = [r.id for r in current.values() if r.implementation_code not in wanted]
    load = list(changed_ids) + gone
    objects = {}
    for start in range(0, len(load), CHUNK):
        for obj in session.query(Item).options(*_eager()).filter(Item.id.in_(load[start : start + CHUNK])):
            objects[obj.id] = obj
    for old_id, i in changed_ids.items():
        was, new = comparable(item_to_dict(objects[old_id])), comparable(pack.normalised()[i])
        result.changed.append((i, objects[old_id], [k for k in new if was.get(k) != new.get(k)]))
    result.changed.sort(key=lambda c: c[0])
    result.cancelled = sorted((objects[i] for i in gone), key=lambda o: o.basic_code)
    result.bundles = bundle_changes(pack, session)
    return result


def _impl_codes(pack: Pack) -> list[str]:
    return [implementation_code(n) for n in pack.normalised()]


def _eager():
    return (
        selectinload(Item.materials),
        selectinload(Item.steps).selectinload(RoutingStep.department),
        selectinload(Item.fields),
        selectinload(Item.faqs),
        selectinload(Item.joint_departments),
        selectinload(Item.windows),
        selectinload(Item.department),
        selectinload(Item.item_type),
        selectinload(Item.zone),
        selectinload(Item.entrusted_department),
    )


@dataclass
class InstallResult:
    plan: Plan
    organisation: dict[str, int]


def install(
    pack: Pack, app: Flask, session: Session, actor: str, progress: Callable[[int], None] | None = None
) -> InstallResult:
    """Validate and install (or upgrade) in one transaction; refuses with every problem."""
    try:
        report = check(pack, app, session)
        if not report.ok:
            raise PackRefused(report)
        the_plan = plan(pack, session)
        if the_plan.mode == "unchanged":
            session.rollback()
            return InstallResult(the_plan, {k: 0 for k in ("regions", "departments", "zones", "windows")})
        organisation = install_organisation(pack, session)
        refs = _refs(pack, session)
        who = f"{actor} (pack:{pack.key}@{pack.version})" if actor else f"pack:{pack.key}@{pack.version}"
        _write_items(pack, the_plan, refs, session, who, progress)
        install_bundles(pack, session)
        app.extensions["onewindow"].plugins.hook.install_pack(pack=pack, session=session)
        _record_pack(pack, the_plan, session, who)
        pause_point("pack.install.before_commit")  # kill -9 tests: every row written, none committed
        session.commit()
        return InstallResult(the_plan, organisation)
    except BaseException:
        session.rollback()
        raise


def _refs(pack: Pack, session: Session) -> Refs:
    centre = centre_of(session, pack.centre_name())
    zones = {z.number: z.id for z in session.query(Zone).filter_by(centre_id=centre.id)} if centre else {}
    windows = (
        {
            w.code: w.id
            for w in session.query(Window).join(Zone, Window.zone_id == Zone.id).filter(Zone.centre_id == centre.id)
        }
        if centre
        else {}
    )
    return Refs(
        {c: i for c, i in session.query(Department.credit_code, Department.id)},
        zones,
        windows,
        item_types_to_ids(pack, session),
    )


def _write_items(
    pack: Pack, the_plan: Plan, refs: Refs, session: Session, who: str, progress: Callable[[int], None] | None
) -> None:
    by_basic = {n["basic_code"]: n for n in pack.normalised()}
    versions = dict(
        session.execute(
            select(Item.implementation_code, func.max(Item.version))
            .where(Item.pack_key == pack.key)
            .group_by(Item.implementation_code)
        ).all()
    )
    superseded = [old.id for _i, old, _f in the_plan.changed]
    for start in range(0, len(superseded), CHUNK):
        session.execute(
            update(Item)
            .where(Item.id.in_(superseded[start : start + CHUNK]))
            .values(is_current=False, status=ItemStatus.superseded)
        )
    todo = [(i, None, None) for i in the_plan.new] + [(i, old, f) for i, old, f in the_plan.changed]
    todo.sort(key=lambda t: t[0])
    now = _now()
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        normalised = [pack.normalised()[i] for i, _o, _f in chunk]
        rows = []
        for n in normalised:
            rows.append(
                item_row(
                    n,
                    refs=refs,
                    pack_key=pack.key,
                    version=versions.get(implementation_code(n), 0) + 1,
                    content_hash=content_hash(n),
                    by_basic=by_basic,
                )
            )
        ids = _insert_returning_ids(session, rows)
        children: dict[str, list[dict[str, Any]]] = {}
        events = []
        for item_id, row, n, (i, old, fields) in zip(ids, rows, normalised, chunk):
            for kind, child in child_rows(item_id, n, refs).items():
                children.setdefault(kind, []).extend(child)
            change = pack.items[i].get("change") or {}
            action = ItemAction[change.get("action", "change")] if old is not None else ItemAction.setup
            reason = change.get("reason") or (
                gettext("changed by pack %(key)s %(version)s", key=pack.key, version=pack.version)
                if old
                else gettext("set up by pack %(key)s %(version)s", key=pack.key, version=pack.version)
            )
            events.append(
                {
                    "implementation_code": row["implementation_code"],
                    "item_id": item_id,
                    "action": action,
                    "version": row["version"],
                    "actor": who,
                    "reason": reason,
                    "at": now,
                    "changes": {"fields": fields} if old is not None else {},
                }
            )
        for kind, table in (
            ("materials", Material.__table__),
            ("steps", RoutingStep.__table__),
            ("fields", FormField.__table__),
            ("faqs", ItemFaq.__table__),
            ("joint", item_joint_department),
            ("windows", item_window),
        ):
            if children.get(kind):
                _bulk_insert(session, table, children[kind])
        _bulk_insert(session, ItemEvent.__table__, events)
        if progress:
            progress(len(chunk))
    cancelled = [old.id for old in the_plan.cancelled]
    for start in range(0, len(cancelled), CHUNK):
        session.execute(
            update(Item)
            .where(Item.id.in_(cancelled[start : start + CHUNK]))
            .values(is_current=False, status=ItemStatus.cancelled)
        )
    if the_plan.cancelled:
        session.execute(
            insert(ItemEvent.__table__),
            [
                {
                    "implementation_code": old.implementation_code,
                    "item_id": old.id,
                    "action": ItemAction.cancel,
                    "version": old.version,
                    "actor": who,
                    "at": now,
                    "changes": {},
                    "reason": f"no longer in pack {pack.key} {pack.version}; kept for its cases",
                }
                for old in the_plan.cancelled
            ],
        )


def _bulk_insert(session: Session, table, rows: list[dict[str, Any]]) -> None:
    """executemany, or COPY on PostgreSQL (far faster than executemany for tens of thousands of rows)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = session.connection().connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name  # enum columns store the member name
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _insert_returning_ids(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    table = Item.__table__
    if session.get_bind().dialect.name == "postgresql":
        # psycopg re-parses a multi-row INSERT … RETURNING of 20,000 parameters on every batch;
        # taking the ids from the sequence first lets it pipeline one prepared single-row INSERT.
        ids = list(
            session.execute(
                text("SELECT nextval(pg_get_serial_sequence('ow_item', 'id')) FROM generate_series(1, :n)"),
                {"n": len(rows)},
            ).scalars()
        )
        _bulk_insert(session, table, [{**row, "id": i} for row, i in zip(rows, ids)])
        return ids
    return [r[0] for r in session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)]


def _record_pack(pack: Pack, the_plan: Plan, session: Session, who: str) -> None:
    row = session.query(PackRow).filter_by(key=pack.key).one_or_none()
    manifest = {k: v for k, v in pack.manifest.items()}
    if row is None:
        row = PackRow(key=pack.key, installed_by=who)
        session.add(row)
    row.version, row.title, row.region_code = pack.version, pack.manifest["title"], pack.manifest.get("region")
    row.manifest, row.checksum, row.item_count, row.updated_on = manifest, pack.checksum, len(pack.items), _now()
    action = PackAction.install if the_plan.mode == "install" else PackAction.upgrade
    session.add(
        PackEvent(
            pack_key=pack.key,
            action=action,
            from_version=the_plan.from_version,
            to_version=pack.version,
            actor=who,
            summary=the_plan.summary,
            changes=the_plan.lines(pack)[1:201],
        )
    )  # the first 200 lines; the rest is in the items' events
    session.flush()


def referencing_cases(session: Session, item_ids: list[int]) -> dict[str, int]:
    """Rows outside the catalogue (cases…) that point at these item versions, per table.

    Read from the database's own foreign keys, so plugin tables count too.
    """
    found: dict[str, int] = {}
    inspector = inspect(session.connection())
    for name in inspector.get_table_names():
        if name in OWN_TABLES:
            continue
        for fk in inspector.get_foreign_keys(name):
            if fk.get("referred_table") != "ow_item" or fk.get("referred_columns") != ["id"]:
                continue
            column: Any = sa_column(fk["constrained_columns"][0])
            count = 0
            for start in range(0, len(item_ids), CHUNK):
                count += session.execute(
                    select(func.count())
                    .select_from(sa_table(name, column))
                    .where(column.in_(item_ids[start : start + CHUNK]))
                ).scalar_one()
            if count:
                found[name] = found.get(name, 0) + count
    return found


def uninstall(key: str, session: Session, actor: str) -> dict[str, int]:
    """Remove a pack's items (all versions); refused while cases refer to any of them."""
    try:
        row = session.query(PackRow).filter_by(key=key).one_or_none()
        if row is None:
            installed = ", ".join(k for (k,) in session.query(PackRow.key)) or "none"
            raise ValidationError(
                gettext(
                    "pack %(key)s is not installed; installed packs: %(installed)s",
                    key=key,
                    installed=installed,
                )
            )
        ids = [i for (i,) in session.query(Item.id).filter(Item.pack_key == key)]
        refs = referencing_cases(session, ids)
        if refs:
            where = ", ".join(gettext("%(count)s row(s) in %(table)s", count=n, table=t) for t, n in refs.items())
            raise ValidationError(
                gettext(
                    "pack %(key)s cannot be uninstalled: cases refer to its items (%(where)s); "
                    "upgrade it with the items removed instead — they are cancelled and kept for those cases",
                    key=key,
                    where=where,
                )
            )
        who = actor or "cli"
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            # history outlives the items: events keep the implementation code, lose the row link
            session.execute(update(ItemEvent).where(ItemEvent.item_id.in_(part)).values(item_id=None))
            for table in (
                Material.__table__,
                RoutingStep.__table__,
                FormField.__table__,
                ItemFaq.__table__,
                item_joint_department,
                item_window,
            ):
                session.execute(delete(table).where(table.c.item_id.in_(part)))
            session.execute(delete(Item.__table__).where(Item.__table__.c.id.in_(part)))
        bundle_ids = select(Bundle.id).where(Bundle.pack_key == key)
        session.execute(delete(BundleMember).where(BundleMember.bundle_id.in_(bundle_ids)))
        session.execute(delete(Bundle).where(Bundle.pack_key == key))
        session.add(
            PackEvent(
                pack_key=key,
                action=PackAction.uninstall,
                from_version=row.version,
                to_version=None,
                actor=who,
                summary={"items_removed": len(ids)},
                changes=[],
            )
        )
        session.delete(row)
        session.commit()
        return {"items_removed": len(ids)}
    except BaseException:
        session.rollback()
        raise
