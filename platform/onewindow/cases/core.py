"""What every transition shares: the actor, the unit of work, the event chain, checks."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import MANYTOONE, ONETOMANY, make_transient_to_detached
from sqlalchemy.orm.attributes import NO_VALUE, PASSIVE_NO_INITIALIZE, get_history, instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from onewindow.app import db
from onewindow.cases import clock
from onewindow.cases.errors import CaseNotFound, ConflictError, PermissionDenied, TransitionError
from onewindow.cases.models import Case, CaseEvent, CaseMaterial, CaseState, CaseStep, Notice
from onewindow.models.items import FormField, Item, ItemType, Material, RoutingStep
from onewindow.models.org import Department, Region, ServiceCentre, Window, Zone

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who performs a transition: a staff user, the applicant, or the system (scheduler)."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    department_id: int | None = None
    window_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user) -> "Actor":
        if isinstance(user, Actor):
            return user
        return cls(
            username=user.username,
            roles=frozenset(r.name for r in user.roles),
            department_id=user.department_id,
            window_ids=frozenset(w.id for w in getattr(user, "windows", []) or []),
        )

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


SYSTEM = Actor("system", frozenset({"system"}))


def applicant_actor(case_or_id: Any) -> Actor:
    ident = getattr(case_or_id, "applicant_id", case_or_id)
    return Actor(f"applicant:{ident}", frozenset({"applicant"}))


def require_role(actor: Actor, roles: Iterable[str], doing: str) -> None:
    roles = set(roles)
    if actor.has("admin", *roles):
        return
    raise PermissionDenied(f"{actor.username} 无权{doing}：需要角色 {', '.join(sorted(roles))}")


def require_department(actor: Actor, department_id: int, roles: Iterable[str], doing: str) -> None:
    """Department staff act only for their own department (admins for all)."""
    require_role(actor, roles, doing)
    if actor.has("admin", "system"):
        return
    if actor.department_id != department_id:
        raise PermissionDenied(f"{actor.username} 不属于该办件的承办部门，不能{doing}")


def require_state(case: Case, allowed: Iterable[CaseState], doing: str) -> None:
    allowed = set(allowed)
    if case.state not in allowed:
        names = "、".join(str(s) for s in sorted(allowed, key=lambda s: s.name))
        raise TransitionError(
            f"办件 {case.number} 当前状态为“{case.state}”，不能{doing}（仅限：{names}）"
        )


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def event_digest(case_number: str, event: CaseEvent) -> str:
    body = {
        "case": case_number, "seq": event.seq, "action": event.action, "from": event.from_state,
        "to": event.to_state, "actor": event.actor, "at": event.at.isoformat(), "reason": event.reason,
        "payload": event.payload, "prev": event.prev_hash,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def append_event(case: Case, action: str, from_state: CaseState | None, actor: Actor,
                 reason: str = "", payload: dict | None = None) -> CaseEvent:
    # The head of the chain is kept on the case row (loaded with it): no timeline read.
    # Two transactions appending at once both write the case row: the version check and
    # the unique (case, seq) index let one of them through.
    seq = case.chain_seq or 0
    prev_hash = case.chain_hash or GENESIS
    event = CaseEvent(
        seq=seq + 1,
        action=action,
        from_state=from_state.name if from_state else None,
        to_state=case.state.name,
        actor=actor.username,
        at=clock.now(),
        reason=reason or "",
        payload=payload or {},
        prev_hash=prev_hash,
    )
    event.hash = event_digest(case.number, event)
    _append(event, case)
    case.chain_seq, case.chain_hash = event.seq, event.hash
    case.updated_at = event.at  # touches the row so the version check always applies
    return event


def transition(case: Case, to_state: CaseState | None, action: str, actor: Actor, *,
               reason: str = "", payload: dict | None = None) -> CaseEvent:
    """Move ``case`` (or record an action without a state change), then let plugins react."""
    from_state = case.state
    if to_state is not None:
        case.state = to_state
    event = append_event(case, action, from_state, actor, reason, payload)
    current_app.extensions["onewindow"].plugins.hook.case_transition(case=case, event=event)
    return event


def issue_notice(case: Case, kind: str, actor: Actor, content: dict, department_id: int | None = None) -> Notice:
    notice = Notice(kind=kind, issued_by=actor.username, content=content, department_id=department_id,
                    issued_at=clock.now())
    _append(notice, case)
    return notice


_STAGED = "ow_append_only"


def _append(row: CaseEvent | Notice, case: Case) -> None:
    """Events and notices are append-only: inside a transition they are written with one
    Core ``INSERT`` each at its commit (after the ORM flush of the case), not through the
    unit of work, whose bookkeeping per object cost more than the statement itself."""
    staged = db.session().info.get(_STAGED)
    if staged is None:  # outside a transition: the ordinary unit of work
        row.case = case
        db.session.add(row)
        return
    set_committed_value(row, "case", case)  # ``event.case`` for hooks; no backref, no cascade
    staged.append((row, case))


def _write_staged(session, staged: list) -> None:
    if not _flush_family(session):
        session.flush()  # the case (a new one gets its id), its materials and steps
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
    for row, case in staged:
        make_transient_to_detached(row)
        session.add(row)  # persistent as written: no flush, no reload
        key = "events" if isinstance(row, CaseEvent) else "notices"
        if key in case.__dict__:  # a loaded collection shows the new row
            set_committed_value(case, key, [*case.__dict__[key], row])


#: The rows a transition writes itself, in the order of their inserts (parents first);
#: its events and notices are staged (``_append``) and inserted after them.
_OWN = (Case, CaseMaterial, CaseStep)


@dataclass(frozen=True)
class _Shape:
    """What the family flush needs to know of a mapped class."""

    table: Any
    columns: tuple  # (attribute key, column, Python default or None), the primary key left out
    column_keys: frozenset
    parents: dict  # many-to-one: relationship key → ((foreign key attribute, parent's key attribute), …)
    children: frozenset  # one-to-many relationship keys
    version: str | None  # the version counter's attribute key
    key: str  # the primary key's attribute
    insert: Any  # the statements, built once (a statement built per call cost as much as its run)
    insert_many: Any  # … RETURNING the key, in the order of the rows
    update: Any  # … WHERE key = :ow_key [AND version = :ow_version]; SET from the parameters


@functools.cache
def _shape(cls) -> _Shape:
    mapper = cls.__mapper__
    if len(mapper.primary_key) != 1 or mapper.inherits is not None:
        raise TypeError(f"{cls.__name__}: the family flush writes single-table rows with one key column")
    columns = tuple((a.key, a.columns[0], a.columns[0].default) for a in mapper.column_attrs
                    if not a.columns[0].primary_key)
    if any(key != column.key for key, column, _ in columns):
        raise TypeError(f"{cls.__name__}: the family flush needs attribute keys equal to column keys")
    key_of = {c: a.key for a in mapper.column_attrs for c in a.columns}
    parents, children = {}, set()
    for rel in mapper.relationships:
        if rel.direction is MANYTOONE and not rel.viewonly and rel.secondary is None:
            parents[rel.key] = tuple((key_of[local], rel.mapper.get_property_by_column(remote).key)
                                     for local, remote in rel.local_remote_pairs)
        elif rel.direction is ONETOMANY:
            children.add(rel.key)
        elif not rel.viewonly:
            raise TypeError(f"{cls.__name__}.{rel.key}: the family flush writes no many-to-many")
    table, version_col = mapper.local_table, mapper.version_id_col
    where = [mapper.primary_key[0] == bindparam("ow_key")]
    if version_col is not None:
        where.append(version_col == bindparam("ow_version"))
    return _Shape(table, columns, frozenset(k for k, _, _ in columns), parents, frozenset(children),
                  key_of[version_col] if version_col is not None else None, key_of[mapper.primary_key[0]],
                  table.insert(), table.insert().returning(mapper.primary_key[0], sort_by_parameter_order=True),
                  table.update().where(*where))


def _flush_family(session) -> bool:
    """Write a transition's case, materials and steps with Core statements instead of the
    ORM's unit of work, whose bookkeeping per flush (a dependency sort over every mapper
    involved, per-relationship actions) cost more than the statements themselves
    (bench/case_lifecycle.py).

    Done only for what this knows to write like the ORM — new and changed ``Case``,
    ``CaseMaterial`` and ``CaseStep`` rows, foreign keys taken from many-to-one
    relationships, Python column defaults, the case's version counter checked and
    bumped — and returns ``False`` (the ORM flushes) as soon as the session holds
    anything else: a plugin's row, a deletion, a removed child, a parent not yet stored.
    The objects are then registered as the ORM's flush registers them (persistent, their
    changes committed, a rollback reverting them)."""
    if session.deleted:
        return False
    new, dirty = list(session.new), list(session.dirty)
    if not (new or dirty) or any(type(o) not in _OWN for o in (*new, *dirty)):
        return False
    inserts, updates = [], []
    # rows in the ORM's order (the case first, then by table and key): two transitions
    # updating the same case and step must take their row locks in the same order, or
    # PostgreSQL finds them deadlocked instead of the second one waiting for the first
    dirty.sort(key=lambda o: (_OWN.index(type(o)), instance_state(o).key[1]))
    for obj in dirty:
        state, shape = instance_state(obj), _shape(type(obj))
        changed, references = {}, {}
        for key, old in state.committed_state.items():
            if key in shape.children:
                if get_history(obj, key, passive=PASSIVE_NO_INITIALIZE).deleted:
                    return False  # a child removed: the ORM deletes orphans
                continue
            value = state.dict.get(key, NO_VALUE)
            if value is NO_VALUE:
                return False
            pairs = shape.parents.get(key)
            if pairs is not None:  # a new reference: its foreign key columns
                keys = {fk: None for fk, _ in pairs} if value is None else _parent_key(value, pairs)
                if keys is None:
                    return False
                references.update(keys)
                continue
            if key not in shape.column_keys:
                return False
            if old is NO_VALUE or old != value:
                changed[key] = value
        changed.update(references)  # as the ORM: a reference's key wins over its column set by hand
        updates.append((obj, state, shape, changed))
    for cls in _OWN:
        inserts += [o for o in new if type(o) is cls]
    coming = set()  # new parents inserted before their children (``_OWN`` order)
    for obj in inserts:
        state, shape = instance_state(obj), _shape(type(obj))
        for rel, pairs in shape.parents.items():
            parent = state.dict.get(rel)
            if parent is not None and id(parent) not in coming and _parent_key(parent, pairs) is None:
                return False
        coming.add(id(obj))
    # from here on every row is written, or the transition fails and rolls back
    conn = session.connection()
    for cls in _OWN:  # a table's rows at once (parents first: their keys are known by then)
        batch = [instance_state(o) for o in inserts if type(o) is cls]
        if batch:
            _insert(conn, _shape(cls), batch)
    for obj, state, shape, changed in updates:
        _update(conn, state, shape, changed)
    # as the ORM's flush ends (UOWTransaction.finalize_flush_changes): a private method
    # of the Session, hence the upper bound on SQLAlchemy in pyproject.toml; the tests of
    # the lifecycle read the rows back and roll a written transition back through it
    session._register_persistent({instance_state(o) for o in (*inserts, *dirty)})
    return True


def _parent_key(parent, pairs) -> dict | None:
    """The foreign key values a many-to-one reference to ``parent`` stands for, or None
    when the parent has no key yet."""
    pstate = instance_state(parent)
    values = {}
    for fk, remote in pairs:
        value = pstate.dict.get(remote)
        if value is None:
            return None
        values[fk] = value
    return values


def _insert(conn, shape: _Shape, states: list) -> None:
    """New rows of one table as the ORM inserts them: the values set, the references'
    keys, Python defaults for the rest (kept on the objects, as the ORM keeps them); a
    column without any value is left out (NULL, or the server's default, read when
    first used). Rows alike in their columns go in one statement (PostgreSQL sends
    them at once; the keys come back in the rows' order)."""
    groups: dict[tuple, list] = {}
    for state in states:
        values, row, unset = state.dict, {}, []
        for rel, pairs in shape.parents.items():
            if values.get(rel) is not None:
                values.update(_parent_key(values[rel], pairs))
        for key, column, default in shape.columns:
            value = values.get(key, NO_VALUE)
            if value is NO_VALUE:
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
            row[key] = value
        for key in unset:
            values[key] = None
        groups.setdefault(tuple(row), []).append((state, row))
    for members in groups.values():
        if len(members) == 1:
            state, row = members[0]
            state.dict[shape.key] = conn.execute(shape.insert, row).inserted_primary_key[0]
            continue
        keys = conn.execute(shape.insert_many, [row for _, row in members]).scalars().all()
        for (state, _), key in zip(members, keys, strict=True):
            state.dict[shape.key] = key


def _update(conn, state, shape: _Shape, changed: dict) -> None:
    """One ``UPDATE`` of the changed columns; the case's version checked and bumped."""
    if not changed:
        return
    values = state.dict
    params = {"ow_key": values[shape.key], **changed}  # attribute keys are the column keys (_shape)
    if shape.version:
        old = state.committed_state.get(shape.version, values[shape.version])
        params["ow_version"], params[shape.version] = old, old + 1
        changed = {**changed, shape.version: old + 1}
    if conn.execute(shape.update, params).rowcount != 1:
        raise StaleDataError(f"UPDATE of {shape.table.name} {params['ow_key']}: "
                             "the row changed or was removed meanwhile")
    values.update(changed)


_FAMILY = ("materials", "steps", "events", "notices")
#: Reference data a transition reads and never writes: the item and its catalogue rows,
#: the organisation. Kept loaded for the rest of the session (a web request has its own;
#: an administrator's change shows in the next one), instead of being read back after
#: every transition of a job or a CLI run.
REFERENCE = (Item, ItemType, Material, RoutingStep, FormField, Department, Region, ServiceCentre, Zone, Window)


def _commit_keeping(session, cases: set) -> None:
    """Commit; then expire what the session holds, as a commit does, except the cases the
    transition wrote and their loaded materials, steps, events and notices — they hold
    what was just committed, and a change another worker makes to any of them bumps the
    case's version, which the next transition checks — and the reference data
    (``REFERENCE``). Everything else (a plugin's rows, a licence, a user) is read afresh
    when next used."""
    keep = set()  # by identity: a model may define __eq__ without __hash__
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


def _sqlite_write_lock(session) -> None:
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
    raw = conn.connection.dbapi_connection
    if immediate or raw.total_changes != changes_at_begin or not raw.in_transaction:
        return
    conn.exec_driver_sql("COMMIT")  # nothing was written: only the read snapshot ends
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    conn.info["ow_sqlite"] = (True, raw.total_changes)


_RETRYABLE = ("40P01", "40001")  # PostgreSQL: deadlock_detected, serialization_failure


@contextlib.contextmanager
def unit_of_work() -> Iterator[Any]:
    """One transition = one transaction: commit on success, roll back everything on error.

    The ORM flushes once, at the end; the transition's events and notices are then
    written with Core (``_append``). The commit keeps the written cases and the
    reference data loaded (``_commit_keeping``); everything else is read afresh, as
    after any commit."""
    session = db.session
    sess = session()
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_write_lock(sess)
    outer = sess.info.get(_STAGED)  # a transition's refusal may record a short one of its own
    sess.info[_STAGED] = staged = []
    try:
        with session.no_autoflush:  # one flush at the commit: fewer, batched statements
            yield session
        cases = {o for o in (*sess.new, *sess.dirty) if isinstance(o, Case)}
        if staged:
            _write_staged(sess, staged)
        _commit_keeping(sess, cases)
    except StaleDataError:
        session.rollback()
        raise ConflictError("办件已被其他工作人员处理（版本冲突），请刷新后重试") from None
    except OperationalError as exc:
        session.rollback()
        # SQLite answers a write-write race (two transactions upgrading their read locks)
        # with "database is locked" at once; PostgreSQL ends one of two transitions that
        # wait on each other's rows (a plugin's rows locked in opposite orders) as
        # deadlocked or, under stricter isolation, unserialisable: the same conflict as a
        # stale version, the other transition goes through.
        if "database is locked" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) in _RETRYABLE:
            raise ConflictError("办件已被其他工作人员处理（版本冲突），请刷新后重试") from None
        raise
    except IntegrityError as exc:
        session.rollback()
        if "ow_case_event" in str(exc.orig) or "uq_ow_case_event_seq" in str(exc.orig):
            raise ConflictError("办件已被其他工作人员处理（版本冲突），请刷新后重试") from None
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        if outer is None:
            sess.info.pop(_STAGED, None)
        else:
            sess.info[_STAGED] = outer


def load_case(case_or_number: Case | str | int, *, for_update: bool = False) -> Case:
    if isinstance(case_or_number, Case):
        return case_or_number
    query = db.session.query(Case)
    if isinstance(case_or_number, int):
        case = query.filter(Case.id == case_or_number).one_or_none()
    else:
        case = query.filter(Case.number == case_or_number).one_or_none()
    if case is None:
        raise CaseNotFound(f"办件 {case_or_number} 不存在，请核对办件编号")
    return case
