"""How a transition is stored: one transaction, its rows written by Core statements.

The domain rules (``cases.core`` and the transition modules) change ORM objects; this
module writes them. A transition's case, materials and steps are written with Core
statements built once per table, its events and notices (append-only) with one
``INSERT … RETURNING`` per table, instead of the ORM's unit of work, whose bookkeeping
per flush (a dependency sort over every mapper involved, per-relationship actions) cost
more than the statements. The objects are then made persistent through SQLAlchemy's
public API (``make_transient`` → ``make_transient_to_detached`` → ``Session.add``: "as
if loaded, without emitting SQL"), so no private method of the ``Session`` is needed
and any SQLAlchemy 2.x keeps working. Anything this does not know how to write (a
plugin's row, a deletion, a removed child) sends the whole transition through the ORM's
ordinary flush.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import bindparam, inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import MANYTOONE, ONETOMANY, Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from onewindow.app import db
from onewindow.cases.errors import ConflictError
from onewindow.cases.models import Case, CaseEvent, CaseMaterial, CaseStep, Notice
from onewindow.models.items import FormField, Item, ItemType, Material, RoutingStep
from onewindow.models.org import Department, Region, ServiceCentre, Window, Zone

_STAGED = "ow_append_only"
#: Objects a transition inserted and made persistent itself: a rollback makes them
#: transient again, as the ORM does with the rows its own flush inserted.
_INSERTED = "ow_inserted"
#: The list :func:`recording_appended` collects into, while it is open.
_RECORDED = "ow_recorded"


def append(row: CaseEvent | Notice, case: Case) -> None:
    """Attach an event or notice to ``case``. Inside a transition it is staged and
    written with one Core ``INSERT`` per table at the commit (after the case), not
    through the unit of work, whose bookkeeping per object cost more than the statement."""
    staged = db.session().info.get(_STAGED)
    if staged is None:  # outside a transition: the ordinary unit of work
        row.case = case
        db.session.add(row)
        return
    set_committed_value(row, "case", case)  # ``event.case`` for hooks; no backref, no cascade
    staged.append((row, case))


@contextlib.contextmanager
def recording_appended() -> Iterator[list]:
    """The events and notices appended by the transitions committed inside the block, in
    the order written. They stay loaded after the commit (append-only rows hold what was
    committed), so the answer to a transition shows them without reading them back."""
    sess = db.session()
    outer = sess.info.get(_RECORDED)
    rows: list = []
    sess.info[_RECORDED] = rows
    try:
        yield rows
    finally:
        if outer is None:
            sess.info.pop(_RECORDED, None)
        else:
            outer.extend(rows)
            sess.info[_RECORDED] = outer


def _write_staged(session: Session, staged: list) -> None:
    written = _write_family(session)
    if written is None:
        session.flush()  # the case (a new one gets its id), its materials and steps
        written = []
    conn = session.connection()
    for cls in {type(row): None for row, _ in staged}:  # a table's rows at once
        rows = [(row, case) for row, case in staged if type(row) is cls]
        shape = _shape(cls)
        for row, case in rows:
            row.case_id = case.id
        params = [{k: getattr(row, k) for k in shape.column_keys} for row, _ in rows]
        ids = conn.execute(shape.insert_many, params).scalars().all()
        for (row, _), ident in zip(rows, ids, strict=True):
            row.id = ident
    _as_stored(session, [*written, *(row for row, _ in staged)])
    for row, case in staged:
        key = "events" if isinstance(row, CaseEvent) else "notices"
        if key in case.__dict__:  # a loaded collection shows the new row
            set_committed_value(case, key, [*case.__dict__[key], row])


def _as_stored(session: Session, objects: list) -> None:
    """Make rows just written by Core statements persistent in ``session``, their values
    committed, as SQLAlchemy documents for objects "written to the database by other
    means": out of the session (``make_transient``: values kept), identity from the key
    and history reset (``make_transient_to_detached``), then back in (``Session.add``)."""
    inserted = session.info.setdefault(_INSERTED, [])
    for obj in objects:
        state = inspect(obj)
        if not state.has_identity:
            inserted.append(obj)
        make_transient(obj)
    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        if inspect(obj).session is None:  # the case's add already brought its children back
            session.add(obj)


def _forget_inserted(session: Session) -> None:
    """Before a rollback: the rows this transition inserted are gone with it; their
    objects become transient again (the ORM does the same for the rows its flush inserted),
    instead of persistent objects of rows that do not exist."""
    for obj in session.info.pop(_INSERTED, ()):
        if inspect(obj).session is not None:
            make_transient(obj)


#: The rows a transition writes itself, in the order of their inserts (parents first);
#: its events and notices are staged (``append``) and inserted after them.
_OWN = (Case, CaseMaterial, CaseStep)


@dataclass(frozen=True)
class _Shape:
    """What the family flush needs to know of a mapped class."""

    table: Any
    columns: tuple  # (attribute key, column, Python default or None), the primary key left out
    column_keys: frozenset
    parents: dict  # many-to-one: relationship key → ((foreign key attribute, parent's key attribute), …)
    children: frozenset  # one-to-many relationship keys
    attributes: frozenset  # every mapped attribute (a changed one is any not in ``state.unmodified``)
    version: str | None  # the version counter's attribute key
    key: str  # the primary key's attribute
    insert: Any  # the statements, built once (a statement built per call cost as much as its run)
    insert_many: Any  # … RETURNING the key, in the order of the rows
    update: Any  # … WHERE key = :ow_key [AND version = :ow_version]; SET from the parameters


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _shape_of(cls)
    return shape


def _shape_of(cls: type) -> _Shape:
    mapper: Any = inspect(cls)  # the Mapper
    if len(mapper.primary_key) != 1 or mapper.inherits is not None:
        raise TypeError(f"{cls.__name__}: the family flush writes single-table rows with one key column")
    columns = tuple(
        (a.key, a.columns[0], a.columns[0].default) for a in mapper.column_attrs if not a.columns[0].primary_key
    )
    if any(key != column.key for key, column, _ in columns):
        raise TypeError(f"{cls.__name__}: the family flush needs attribute keys equal to column keys")
    key_of = {c: a.key for a in mapper.column_attrs for c in a.columns}
    parents, children = {}, set()
    for rel in mapper.relationships:
        if rel.direction is MANYTOONE and not rel.viewonly and rel.secondary is None:
            parents[rel.key] = tuple(
                (key_of[local], rel.mapper.get_property_by_column(remote).key)
                for local, remote in rel.local_remote_pairs
            )
        elif rel.direction is ONETOMANY:
            children.add(rel.key)
        elif not rel.viewonly:
            raise TypeError(f"{cls.__name__}.{rel.key}: the family flush writes no many-to-many")
    table, version_col = mapper.local_table, mapper.version_id_col
    where = [mapper.primary_key[0] == bindparam("ow_key")]
    if version_col is not None:
        where.append(version_col == bindparam("ow_version"))
    return _Shape(
        table,
        columns,
        frozenset(k for k, _, _ in columns),
        parents,
        frozenset(children),
        frozenset(mapper.attrs.keys()),
        key_of[version_col] if version_col is not None else None,
        key_of[mapper.primary_key[0]],
        table.insert(),
        table.insert().returning(mapper.primary_key[0], sort_by_parameter_order=True),
        table.update().where(*where),
    )


def _write_family(session: Session) -> list | None:
    """Write a transition's case, materials and steps with Core statements; returns the
    objects written, or ``None`` (nothing written: the ORM flushes).

    Done only for what this knows to write like the ORM — new and changed ``Case``,
    ``CaseMaterial`` and ``CaseStep`` rows, foreign keys taken from many-to-one
    relationships, Python column defaults, the case's version counter checked and
    bumped — and ``None`` as soon as the session holds anything else: a plugin's row,
    a deletion, a removed child, a parent not yet stored."""
    if session.deleted:
        return None
    new, dirty = list(session.new), list(session.dirty)
    if not (new or dirty) or any(type(o) not in _OWN for o in (*new, *dirty)):
        return None
    inserts, updates = [], []
    # rows in the ORM's order (the case first, then by table and key): two transitions
    # updating the same case and step must take their row locks in the same order, or
    # PostgreSQL finds them deadlocked instead of the second one waiting for the first
    dirty.sort(key=lambda o: (_OWN.index(type(o)), inspect(o).identity))
    for obj in dirty:
        state, shape = inspect(obj), _shape(type(obj))
        values = state.dict
        changed: dict[str, Any] = {}
        references: dict[str, Any] = {}
        for key in shape.attributes - state.unmodified:
            if key in shape.children:
                if get_history(obj, key, passive=PASSIVE_NO_INITIALIZE).deleted:
                    return None  # a child removed: the ORM deletes orphans
                continue
            if key not in values:
                return None
            pairs = shape.parents.get(key)
            if pairs is not None:  # a new reference: its foreign key columns
                value = values[key]
                keys = {fk: None for fk, _ in pairs} if value is None else _parent_key(value, pairs)
                if keys is None:
                    return None
                references.update(keys)
                continue
            if key not in shape.column_keys:
                return None
            if get_history(obj, key, passive=PASSIVE_NO_INITIALIZE).added:  # set, and not to the same value
                changed[key] = values[key]
        changed.update(references)  # as the ORM: a reference's key wins over its column set by hand
        updates.append((obj, shape, changed))
    for cls in _OWN:
        inserts += [o for o in new if type(o) is cls]
    coming = set()  # new parents inserted before their children (``_OWN`` order)
    for obj in inserts:
        values, shape = inspect(obj).dict, _shape(type(obj))
        for rel, pairs in shape.parents.items():
            parent: Any = values.get(rel)
            if parent is not None and id(parent) not in coming and _parent_key(parent, pairs) is None:
                return None
        coming.add(id(obj))
    # from here on every row is written, or the transition fails and rolls back
    conn = session.connection()
    for cls in _OWN:  # a table's rows at once (parents first: their keys are known by then)
        batch = [o for o in inserts if type(o) is cls]
        if batch:
            _insert(conn, _shape(cls), batch)
    for obj, shape, changed in updates:
        _update(conn, obj, shape, changed)
    return [*inserts, *dirty]


def _parent_key(parent: Any, pairs: tuple) -> dict | None:
    """The foreign key values a many-to-one reference to ``parent`` stands for, or None
    when the parent has no key yet."""
    loaded = inspect(parent).dict
    values = {}
    for fk, remote in pairs:
        value = loaded.get(remote)
        if value is None:
            return None
        values[fk] = value
    return values


def _insert(conn: Any, shape: _Shape, objects: list) -> None:
    """New rows of one table as the ORM inserts them: the values set, the references'
    keys, Python defaults for the rest (kept on the objects, as the ORM keeps them); a
    column without any value is left out (NULL, or the server's default, read when
    first used). Rows alike in their columns go in one statement (PostgreSQL sends
    them at once; the keys come back in the rows' order)."""
    groups: dict[tuple, list] = {}
    for obj in objects:
        values, row, unset = inspect(obj).dict, {}, []
        for rel, pairs in shape.parents.items():
            if values.get(rel) is not None:
                values.update(_parent_key(values[rel], pairs))
        for key, column, default in shape.columns:
            if key not in values:
                if key == shape.version:
                    value = 1
                elif default is None:
                    if column.server_default is None:
                        unset.append(key)
                    continue
                elif default.is_scalar:
                    value = default.arg
                elif default.is_callable:
                    value = default.arg(None)
                else:
                    raise TypeError(f"{shape.table.name}.{key}: a SQL default; the family flush cannot write it")
                values[key] = value
            row[key] = values[key]
        for key in unset:
            values[key] = None
        groups.setdefault(tuple(row), []).append((values, row))
    for members in groups.values():
        if len(members) == 1:
            values, row = members[0]
            values[shape.key] = conn.execute(shape.insert, row).inserted_primary_key[0]
            continue
        keys = conn.execute(shape.insert_many, [row for _, row in members]).scalars().all()
        for (values, _), key in zip(members, keys, strict=True):
            values[shape.key] = key


def _update(conn: Any, obj: Any, shape: _Shape, changed: dict) -> None:
    """One ``UPDATE`` of the changed columns; the case's version checked and bumped."""
    if not changed:
        return
    values = inspect(obj).dict
    params = {"ow_key": values[shape.key], **changed}  # attribute keys are the column keys (_shape)
    if shape.version:
        before = get_history(obj, shape.version, passive=PASSIVE_NO_INITIALIZE).deleted
        old = before[0] if before else values[shape.version]
        params["ow_version"], params[shape.version] = old, old + 1
        changed = {**changed, shape.version: old + 1}
    if conn.execute(shape.update, params).rowcount != 1:
        raise StaleDataError(
            f"UPDATE of {shape.table.name} {params['ow_key']}: the row changed or was removed meanwhile"
        )
    values.update(changed)


_FAMILY = ("materials", "steps", "events", "notices")
#: Reference data a transition reads and never writes: the item and its catalogue rows,
#: the organisation. Kept loaded for the rest of the session (a web request has its own;
#: an administrator's change shows in the next one), instead of being read back after
#: every transition of a job or a CLI run.
REFERENCE = (Item, ItemType, Material, RoutingStep, FormField, Department, Region, ServiceCentre, Zone, Window)


def _commit_keeping(session: Session, cases: set, appended: list) -> None:
    """Commit; then expire what the session holds, as a commit does, except the cases the
    transition wrote and their loaded materials, steps, events and notices — they hold
    what was just committed, and a change another worker makes to any of them bumps the
    case's version, which the next transition checks — the events and notices it
    appended (never updated), and the reference data (``REFERENCE``). Everything else
    (a plugin's rows, a licence, a user) is read afresh when next used."""
    keep = {id(o) for o in appended}  # by identity: a model may define __eq__ without __hash__
    for case in cases:
        keep.add(id(case))
        for key in _FAMILY:
            keep.update(id(o) for o in case.__dict__.get(key) or ())
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    if expire:
        for obj in list(session.identity_map.values()):
            if id(obj) not in keep and not isinstance(obj, REFERENCE):
                session.expire(obj)


def _sqlite_write_lock(session: Session) -> None:
    """Hold SQLite's write lock for the whole transition, so that a second process's
    transition waits its turn (busy_timeout) instead of failing as "database is locked"
    when it upgrades a read snapshot another process has written past.

    No transaction yet: BEGIN IMMEDIATE. A transaction the caller opened only to read
    (the screen loaded the case first) is ended and replaced by an immediate one; the
    objects it loaded are kept as the actor saw them, so the version check still turns
    a change made meanwhile into a conflict. A transaction that has written is left alone.
    """
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        return
    if session.in_nested_transaction() or session.new or session.dirty or session.deleted:
        return
    conn = session.connection()
    immediate, changes_at_begin = conn.info.get("ow_sqlite", (True, None))
    raw: Any = conn.connection.dbapi_connection
    if immediate or raw.total_changes != changes_at_begin or not raw.in_transaction:
        return
    conn.exec_driver_sql("COMMIT")  # nothing was written: only the read snapshot ends
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    conn.info["ow_sqlite"] = (True, raw.total_changes)


_RETRYABLE = ("40P01", "40001")  # PostgreSQL: deadlock_detected, serialization_failure
_CONFLICT = "办件已被其他工作人员处理（版本冲突），请刷新后重试"


#: Set while a unit of work is open: a nested one joins it (``unit_of_work``).
_OPEN = "ow_unit_open"


@contextlib.contextmanager
def unit_of_work(*, own: bool = False) -> Iterator[Any]:
    """One transition = one transaction: commit on success, roll back everything on error.

    The rows are written once, at the end (``_write_staged``). The commit keeps the
    written cases and the reference data loaded (``_commit_keeping``); everything else
    is read afresh, as after any commit.

    A unit of work opened inside another joins it: its rows are staged into the
    enclosing one, which writes and commits everything once (a bundle's parent case and
    every child case, with their events and notices) or rolls everything back — an error
    in the inner one propagates and nothing of the outer is written either.

    :param own: a short transaction of its own even inside another (a refusal recorded
        after the enclosing transaction was rolled back: ``acceptance._refuse_demand``)."""
    session = db.session
    sess = session()
    if sess.info.get(_OPEN) and not own:
        with session.no_autoflush:
            yield session
        return
    outer_open = sess.info.get(_OPEN)
    sess.info[_OPEN] = True
    try:
        yield from _outermost(session, sess)
    finally:
        if outer_open is None:
            sess.info.pop(_OPEN, None)
        else:
            sess.info[_OPEN] = outer_open


def _outermost(session: Any, sess: Session) -> Iterator[Any]:
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_write_lock(sess)
    outer = sess.info.get(_STAGED)  # a transition's refusal may record a short one of its own
    outer_inserted = sess.info.pop(_INSERTED, None)
    staged: list[tuple[CaseEvent | Notice, Case]] = []
    sess.info[_STAGED] = staged

    def rollback() -> None:
        _forget_inserted(sess)
        session.rollback()

    try:
        with session.no_autoflush:  # one flush at the commit: fewer, batched statements
            yield session
        cases = {o for o in (*sess.new, *sess.dirty) if isinstance(o, Case)}
        if staged:
            _write_staged(sess, staged)
        appended = [row for row, _ in staged]
        _commit_keeping(sess, cases, appended)
        recorded = sess.info.get(_RECORDED)
        if recorded is not None:
            recorded.extend(appended)
    except StaleDataError:
        rollback()
        raise ConflictError(_CONFLICT) from None
    except OperationalError as exc:
        rollback()
        # SQLite answers a write-write race (two transactions upgrading their read locks)
        # with "database is locked" at once; PostgreSQL ends one of two transitions that
        # wait on each other's rows (a plugin's rows locked in opposite orders) as
        # deadlocked or, under stricter isolation, unserialisable: the same conflict as a
        # stale version, the other transition goes through.
        if "database is locked" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) in _RETRYABLE:
            raise ConflictError(_CONFLICT) from None
        raise
    except IntegrityError as exc:
        rollback()
        if "ow_case_event" in str(exc.orig) or "uq_ow_case_event_seq" in str(exc.orig):
            raise ConflictError(_CONFLICT) from None
        raise
    except BaseException:
        rollback()
        raise
    finally:
        sess.info.pop(_INSERTED, None)
        if outer_inserted is not None:
            sess.info[_INSERTED] = outer_inserted
        if outer is None:
            sess.info.pop(_STAGED, None)
        else:
            sess.info[_STAGED] = outer
