"""The e-licence library (电子证照库): issue, update, revoke, expire, share [003 §四(六), §六(四)].

The case engine calls :func:`issue_for_case` when a case is decided; acceptance calls
:func:`find_valid_licence` / :func:`matching_licences_for_materials` so that materials
issued by a government department are pulled from the library instead of being handed
in again ("凡可通过共享获得…不得要求申请人重复提交").

Nothing here commits: callers own the transaction (all-or-nothing). Every check runs
before the first write, so a refused call leaves no serial, row or event behind.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from flask_babel import gettext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from onewindow.errors import ValidationError
from onewindow.licences import identifier as ids
from onewindow.licences.models import (
    HolderIdType,
    Licence,
    LicenceAction,
    LicenceSerial,
    LicenceStatus,
    LicenceType,
    utcnow,
)
from onewindow.licences.seals import record
from onewindow.licences.types import ensure_type
from onewindow.security import DECIDING_ROLES, role_keys
from onewindow.validators import resident_id_problem, uscc_problem

_ACCESS_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper
SYSTEM = "system"


def _session(session):
    if session is not None:
        return session
    from onewindow.app import db

    return db.session


def today() -> dt.date:
    """The Beijing day (a licence decided at 07:30 Beijing time is dated that day, not the UTC one)."""
    from onewindow.cases.clock import today as beijing_today

    return beijing_today()


# --- issuing -------------------------------------------------------------------


def issue_for_case(case: Any, session=None) -> Licence:
    """Create the licence a decided case yields, awaiting the department's seal.

    ``case`` is duck-typed: ``number``, ``item`` (with ``licence_type_code`` and
    ``department``), ``applicant_name``, ``applicant_id``, either ``applicant_id_type``
    (``"resident_id"`` / ``"credit_code"``) or ``applicant_type`` (person / company),
    ``data`` (the application form) and optionally ``region``. Data fields are taken
    from the form by field name, then from every plugin's ``licence_data`` hook.
    Calling it again for the same case returns the licence already issued.
    """
    session = _session(session)
    item = case.item
    code = getattr(item, "licence_type_code", None)
    if not code:
        raise ValidationError(
            gettext(
                "case %(number)s: item %(item)s yields no licence (its licence_type_code is empty)",
                number=case.number,
                item=item,
            )
        )
    existing = (
        session.query(Licence)
        .join(LicenceType)
        .filter(Licence.case_number == case.number, LicenceType.code == code, Licence.version == 1)
        .one_or_none()
    )
    if existing is not None:
        return existing
    ltype = ensure_type(code, session)
    department = ltype.department or item.department
    data, holder = _licence_data(case, ltype)
    holder_name, holder_id, holder_type = _holder(case, holder)
    region_name, region_code = _region(case, department)
    issued_on = today()
    serial = _next_serial(session, ltype, department.credit_code)
    licence = Licence(
        identifier=ids.build(ltype.type_oid, department.credit_code, serial, 1),
        licence_type=ltype,
        serial=serial,
        version=1,
        name=ltype.name,
        number=f"{region_code}-{ltype.type_oid}-{serial:06d}",
        holder=holder_name,
        holder_id=holder_id,
        holder_id_type=holder_type,
        issuer=department.name,
        issuer_code=department.credit_code,
        department=department,
        issue_date=issued_on,
        region=region_name,
        region_code=region_code,
        valid_from=issued_on,
        valid_until=_valid_until(issued_on, ltype.validity_years),
        data=data,
        case_number=case.number,
        status=LicenceStatus.pending_seal,
        access_code=random_code(),
        verify_code=random_code(),
    )
    session.add(licence)
    record(
        session,
        licence,
        LicenceAction.issued,
        f"case:{case.number}",
        payload={"type": ltype.code, "holder_id_type": holder_type.name},
    )
    session.flush()
    return licence


def _holder(case, override: dict | None) -> tuple[str, str, HolderIdType]:
    """The holder (持证主体): the applicant, unless a plugin names another one — e.g. the
    company an establishment registration creates, with its new credit code."""
    if override:
        name, holder_id, kind = override.get("name"), override.get("id"), override.get("id_type")
        if not name or not holder_id:
            raise ValidationError(f"case {case.number}: licence_data returned _holder without name and id")
        return _checked_holder(case, str(name).strip(), str(holder_id).strip().upper(), kind)
    holder_id = (case.applicant_id or "").strip().upper()
    kind = getattr(case, "applicant_id_type", None)
    if kind is None and getattr(case, "applicant_type", None) is not None:
        applicant_type = getattr(case.applicant_type, "name", case.applicant_type)
        kind = {"person": "resident_id", "company": "credit_code"}.get(applicant_type)
    return _checked_holder(case, case.applicant_name.strip(), holder_id, kind)


def _checked_holder(case, name: str, holder_id: str, kind) -> tuple[str, str, HolderIdType]:
    if kind is None:
        kind = "resident_id" if resident_id_problem(holder_id) is None else "credit_code"
    kind = getattr(kind, "name", kind)
    if kind not in HolderIdType.__members__:
        raise ValidationError(
            gettext(
                "case %(number)s: applicant ID type %(kind)s is neither resident_id nor credit_code",
                number=case.number,
                kind=kind,
            )
        )
    problem = resident_id_problem(holder_id) if kind == "resident_id" else uscc_problem(holder_id)
    if problem:
        raise ValidationError(
            gettext(
                "case %(number)s: the holder's ID %(id)s cannot hold a licence: %(problem)s",
                number=case.number,
                id=holder_id,
                problem=problem,
            )
        )
    return name, holder_id, HolderIdType[kind]


def _licence_data(case, ltype: LicenceType) -> tuple[dict[str, Any], dict | None]:
    """Field values (form by field name, then every plugin's ``licence_data``) and the
    holder a plugin names with the reserved key ``_holder`` ({name, id, id_type})."""
    from flask import current_app

    form = dict(getattr(case, "data", None) or {})
    data = {f["name"]: form[f["name"]] for f in ltype.fields if form.get(f["name"]) not in (None, "")}
    holder = None
    hook = current_app.extensions["onewindow"].plugins.hook.licence_data
    for impl in hook.get_hookimpls():  # registration order: later plugins win on a shared key
        kwargs = {"case": case, "licence_type": ltype}
        result = impl.function(**{name: kwargs[name] for name in impl.argnames})
        if result is None:
            continue
        if not isinstance(result, dict):
            raise ValidationError(
                f"plugin {impl.plugin_name!r}: licence_data returned {type(result).__name__}, "
                "expected a dict of field values or None"
            )
        result = dict(result)
        holder = result.pop("_holder", None) or holder
        data.update({k: _json_value(v, k, impl.plugin_name) for k, v in result.items()})
    missing = [
        f"{f['label']}（{f['name']}）" for f in ltype.fields if f.get("required") and data.get(f["name"]) in (None, "")
    ]
    if missing:
        raise ValidationError(
            gettext(
                "case %(number)s: licence %(licence)s lacks required field(s) %(fields)s; "
                "fill them in the application form or in the plugin's licence_data hook",
                number=case.number,
                licence=ltype.name,
                fields="、".join(missing),
            )
        )
    return json.loads(json.dumps(data, ensure_ascii=False, default=str)), holder


def _json_value(value, key, plugin):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError(
            f"plugin {plugin!r}: licence_data field {key!r} is a {type(value).__name__}, "
            "which a licence cannot carry; return text, numbers, booleans, lists or dicts"
        ) from None
    return value


def _region(case, department) -> tuple[str, str]:
    region = getattr(case, "region", None)
    if region is not None and hasattr(region, "code"):
        return region.name, region.code
    if isinstance(region, str) and region.strip():
        return region.strip(), department.region.code
    return department.region.name, department.region.code


def _valid_until(start: dt.date, years: int | None) -> dt.date | None:
    if not years:
        return None  # 长期有效
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return end - dt.timedelta(days=1)


def random_code() -> str:
    """An access or verification code: 10 characters of a 32-letter alphabet from the OS
    CSPRNG (50 bits), so the next serial's page cannot be opened by guessing."""
    return "".join(secrets.choice(_ACCESS_ALPHABET) for _ in range(10))


def _next_serial(session, ltype: LicenceType, issuer_code: str) -> int:
    """Next serial per type and issuer, unique under concurrency.

    The UPDATE takes the counter row's lock (PostgreSQL row lock, SQLite write lock), so
    concurrent issuers queue instead of reading the same value. The first serial inserts
    the row inside a savepoint; losing that race retries the UPDATE.
    """
    for _attempt in range(3):
        stmt = (
            update(LicenceSerial)
            .where(LicenceSerial.type_id == ltype.id, LicenceSerial.issuer_code == issuer_code)
            .values(last_serial=LicenceSerial.last_serial + 1)
            .returning(LicenceSerial.last_serial)
            .execution_options(synchronize_session=False)
        )
        row = session.execute(stmt).first()
        if row is not None:
            return row[0]
        try:
            with session.begin_nested():
                session.add(LicenceSerial(type_id=ltype.id, issuer_code=issuer_code, last_serial=1))
            return 1
        except IntegrityError:
            continue
    raise ValidationError(
        gettext(
            "licence type %(code)s: could not allocate a serial for %(issuer)s; try again",
            code=ltype.code,
            issuer=issuer_code,
        )
    )


# --- lifecycle ---------------------------------------------------------------------


class LicenceNotFound(ValidationError):
    """The identifier is well-formed but no licence carries it."""


def get_licence(session, identifier: str) -> Licence:
    """The licence with this identifier; a malformed one or an unknown one is an error."""
    ids.parse(identifier)  # MalformedIdentifier names the wrong check character
    text = str(identifier).strip().upper()
    licence = session.query(Licence).filter_by(identifier=text).one_or_none()
    if licence is None:
        raise LicenceNotFound(
            gettext(
                "no licence with identifier %(identifier)s exists in the library; "
                "check the identifier printed on the licence or read its QR code again",
                identifier=text,
            )
        )
    return licence


def _require(user, licence: Licence, roles: set[str], what: str) -> str:
    keys = role_keys(user)
    name = getattr(user, "username", None) or "anonymous"
    if "admin" in keys or (keys & roles and getattr(user, "department_id", None) == licence.department_id):
        return name
    raise ValidationError(
        gettext(
            "%(name)s cannot %(what)s %(licence)s: only a centre admin or the %(roles)s of %(issuer)s may",
            name=name,
            what=what,
            licence=licence.identifier,
            roles=" / ".join(sorted(roles)),
            issuer=licence.issuer,
        )
    )


def revoke_licence(session, licence: Licence, user, reason: str) -> Licence:
    """Revoke (吊销/撤销) with a reason; verification answers "revoked" from now on."""
    actor = _require(user, licence, {"chief_rep"}, gettext("revoke"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            gettext("revoking %(licence)s needs a reason (the decision and its basis)", licence=licence.identifier)
        )
    if licence.status in (LicenceStatus.revoked, LicenceStatus.superseded):
        raise ValidationError(
            gettext(
                "%(licence)s is already %(status)s; nothing to revoke",
                licence=licence.identifier,
                status=licence.status,
            )
        )
    licence.status, licence.revoked_at, licence.revoke_reason = LicenceStatus.revoked, utcnow(), reason
    record(session, licence, LicenceAction.revoked, actor, reason=reason)
    session.flush()
    return licence


def holder_licences(holder_id: str, licence_type_code: str, session=None) -> list[Licence]:
    """The holder's licences of this type that still stand (active or awaiting their seal)."""
    session = _session(session)
    return (
        session.query(Licence)
        .join(LicenceType)
        .filter(
            LicenceType.code == licence_type_code,
            Licence.holder_id == holder_id,
            Licence.status.in_([LicenceStatus.active, LicenceStatus.pending_seal]),
        )
        .order_by(Licence.id)
        .all()
    )


def revoke_for_case(licence: Licence, case: Any, reason: str, session=None) -> Licence:
    """Revoke a licence because a decided case ends the right it certifies (企业注销,
    不动产转移登记 原证注销…); the event names the case as the actor. No role check: the
    case's approval was the decision."""
    session = _session(session)
    licence.status, licence.revoked_at, licence.revoke_reason = LicenceStatus.revoked, utcnow(), reason
    record(session, licence, LicenceAction.revoked, f"case:{case.number}", reason=reason)
    return licence


def update_licence(session, licence: Licence, user, changes: dict[str, Any], reason: str) -> Licence:
    """Issue a new version (变更) with changed data; it supersedes this one once sealed."""
    actor = _require(user, licence, DECIDING_ROLES, gettext("update"))
    if licence.status != LicenceStatus.active:
        raise ValidationError(
            gettext(
                "%(licence)s is %(status)s; only a licence in force gets a new version",
                licence=licence.identifier,
                status=licence.status,
            )
        )
    if session.query(Licence).filter_by(previous_id=licence.id).first() is not None:
        raise ValidationError(
            gettext(
                "%(licence)s already has a newer version awaiting its seal; seal or revoke that one",
                licence=licence.identifier,
            )
        )
    if not (reason or "").strip():
        raise ValidationError(gettext("updating %(licence)s needs a reason", licence=licence.identifier))
    known = {f["name"] for f in licence.licence_type.fields}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValidationError(
            gettext(
                "%(licence)s has no field(s) %(unknown)s; its fields are %(known)s",
                licence=licence.name,
                unknown=", ".join(unknown),
                known=", ".join(sorted(known)),
            )
        )
    data = {**licence.data, **{k: _json_value(v, k, "update") for k, v in changes.items()}}
    version = licence.version + 1
    new = Licence(
        identifier=ids.build(licence.licence_type.type_oid, licence.issuer_code, licence.serial, version),
        licence_type=licence.licence_type,
        serial=licence.serial,
        version=version,
        previous=licence,
        **{
            c: getattr(licence, c)
            for c in (
                "name",
                "number",
                "holder",
                "holder_id",
                "holder_id_type",
                "issuer",
                "issuer_code",
                "department",
                "region",
                "region_code",
                "valid_from",
                "valid_until",
                "case_number",
                "access_code",
            )
        },
        issue_date=today(),
        data=data,
        status=LicenceStatus.pending_seal,
        verify_code=random_code(),
    )
    session.add(new)
    record(session, new, LicenceAction.issued, actor, reason=reason, payload={"replaces": licence.identifier})
    record(
        session,
        licence,
        LicenceAction.updated,
        actor,
        reason=reason,
        payload={"new_version": new.identifier, "changed": sorted(changes)},
    )
    session.flush()
    return new


def expire_due_licences(session=None, on: dt.date | None = None) -> int:
    """Mark licences in force whose validity ended as expired (idempotent; a scheduler job)."""
    session = _session(session)
    on = on or today()
    due = (
        session.query(Licence)
        .filter(Licence.status == LicenceStatus.active, Licence.valid_until.isnot(None), Licence.valid_until < on)
        .all()
    )
    for licence in due:
        licence.status = LicenceStatus.expired
        record(
            session, licence, LicenceAction.expired, SYSTEM, payload={"valid_until": licence.valid_until.isoformat()}
        )
    session.flush()
    return len(due)


def expire_job() -> None:
    """Scheduler entry point (``register_jobs``): expire and commit."""
    from onewindow.app import db

    expire_due_licences(db.session)
    db.session.commit()


# --- sharing (证照共享) -------------------------------------------------------------


def find_valid_licence(holder_id: str, licence_type_code: str, session=None) -> Licence | None:
    """The holder's newest licence of this type that verifies as valid right now, or None.

    A licence that fails verification (tampered, expired, unsealed) is never shared.
    """
    from onewindow.licences.verification import verify_licence

    session = _session(session)
    candidates = (
        session.query(Licence)
        .join(LicenceType)
        .filter(
            Licence.holder_id == (holder_id or "").strip().upper(),
            LicenceType.code == licence_type_code,
            Licence.status == LicenceStatus.active,
        )
        .order_by(Licence.issue_date.desc(), Licence.id.desc())
    )
    for licence in candidates:
        if verify_licence(licence).status == "valid":
            return licence
    return None


def matching_licences_for_materials(item: Any, holder_id: str, session=None) -> dict[int, Licence]:
    """For each material of ``item`` issued by a government department (政府部门核发) with a
    licence type, the holder's valid licence of that type: ``{material.id: Licence}``."""
    from onewindow.models.items import MaterialSource

    found: dict[int, Licence] = {}
    for material in getattr(item, "materials", None) or []:
        source = getattr(material.source, "name", material.source)
        if source != MaterialSource.government.name or not material.licence_type_code:
            continue
        licence = find_valid_licence(holder_id, material.licence_type_code, session)
        if licence is not None:
            found[material.id] = licence
    return found
