"""Department electronic seals (电子印章) and sealing [003 §四(六)].

A licence has no legal effect until the seal administrator of the issuing department
applies the department's seal: an SM2 signature over the SM3-hashed canonical
serialisation of the licence. The platform creates each seal's key pair; the private
key is encrypted at rest (see :mod:`onewindow.licences.crypto`) and only decrypted
in memory to sign. Rotation retires a seal without deleting it, so licences sealed
with it stay verifiable.

Functions here never commit: the view, command or case engine that calls them owns
the transaction, so a refused step leaves nothing half-done.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext

from onewindow.errors import ValidationError
from onewindow.licences import crypto
from onewindow.licences.models import Licence, LicenceAction, LicenceEvent, LicenceStatus, Seal, utcnow
from onewindow.models import Department
from onewindow.security import role_keys

SEAL_ADMIN = "seal_admin"


class SealRefused(ValidationError):
    """Sealing was refused: wrong person, no seal, or a licence that cannot be sealed."""


def current_kek() -> bytes:
    settings = current_app.extensions["onewindow"].plugin_config("licences")
    return crypto.load_kek(settings.get("seal_key_encryption_key"), current_app.instance_path)


def department_by_code(session, code: str) -> Department:
    dept = session.query(Department).filter_by(credit_code=(code or "").strip().upper()).one_or_none()
    if dept is None:
        raise ValidationError(
            gettext(
                "department %(code)s does not exist; give the unified social credit code "
                "of a department listed under 组织机构 → 部门",
                code=code,
            )
        )
    return dept


def active_seal(session, department_id: int) -> Seal | None:
    return session.query(Seal).filter_by(department_id=department_id, active=True).order_by(Seal.id.desc()).first()


def create_seal(session, department: Department, actor: str) -> Seal:
    """Create the department's first seal; refused when it already has an active one."""
    if active_seal(session, department.id) is not None:
        raise ValidationError(
            gettext(
                "%(department)s already has an active electronic seal; "
                "rotate it instead (印章管理 → 轮换 or `onewindow licence seal-rotate`)",
                department=department.name,
            )
        )
    return _new_seal(session, department, actor)


def rotate_seal(session, department: Department, actor: str) -> Seal:
    """Retire the active seal and create a new key pair; old licences keep verifying."""
    old = active_seal(session, department.id)
    if old is None:
        raise ValidationError(
            gettext(
                "%(department)s has no active electronic seal to rotate; create one first", department=department.name
            )
        )
    old.active, old.rotated_at, old.rotated_by = False, utcnow(), actor
    session.flush()
    return _new_seal(session, department, actor)


def _new_seal(session, department: Department, actor: str) -> Seal:
    kek = current_kek()
    private_hex, public_hex = crypto.generate_keypair()
    key_id = crypto.fingerprint(public_hex)
    seal = Seal(
        department=department,
        key_id=key_id,
        name=f"{department.name}电子印章",
        algorithm=crypto.ALGORITHM,
        public_key=public_hex,
        private_key_enc=crypto.encrypt_private_key(private_hex, kek, key_id),
        kek_id=crypto.kek_id(kek),
        active=True,
        created_by=actor,
    )
    del private_hex  # the clear key lives no longer than this function
    session.add(seal)
    session.flush()
    return seal


def check_seal_admin(user, licence: Licence) -> None:
    """Only the issuing department's seal administrator seals (no one else, not even admin)."""
    name = getattr(user, "username", None) or "anonymous"
    if SEAL_ADMIN not in role_keys(user):
        raise SealRefused(
            gettext(
                "%(name)s cannot seal %(licence)s: only the seal administrator (印章管理员) of "
                "%(issuer)s applies its electronic seal; ask that department's seal administrator",
                name=name,
                licence=licence.identifier,
                issuer=licence.issuer,
            )
        )
    if getattr(user, "department_id", None) != licence.department_id:
        raise SealRefused(
            gettext(
                "%(name)s is a seal administrator of another department and cannot seal %(licence)s "
                "issued by %(issuer)s; ask the seal administrator of %(issuer)s",
                name=name,
                licence=licence.identifier,
                issuer=licence.issuer,
            )
        )


def seal_licence(session, licence: Licence, user) -> Licence:
    """Apply the issuing department's seal: the licence takes legal effect (生效).

    Sealing a new version supersedes the version it replaces, in the same transaction.
    """
    check_seal_admin(user, licence)
    if licence.status != LicenceStatus.pending_seal:
        raise SealRefused(
            gettext(
                "%(licence)s is %(status)s, not awaiting a seal; "
                "only a newly issued licence or a new version is sealed",
                licence=licence.identifier,
                status=licence.status,
            )
        )
    previous = licence.previous
    if previous is not None and previous.status != LicenceStatus.active:
        raise SealRefused(
            gettext(
                "%(licence)s: the version it replaces (%(previous)s) is %(status)s; "
                "a new version of a licence that is no longer in force cannot take effect",
                licence=licence.identifier,
                previous=previous.identifier,
                status=previous.status,
            )
        )
    seal = active_seal(session, licence.department_id)
    if seal is None:
        raise SealRefused(
            gettext(
                "%(issuer)s has no electronic seal key; a centre admin creates it under 印章管理 "
                "or with `onewindow licence seal-create --department %(code)s`",
                issuer=licence.issuer,
                code=licence.issuer_code,
            )
        )
    message = crypto.canonical_bytes(licence.signed_document())
    private_hex = crypto.decrypt_private_key(seal.private_key_enc, current_kek(), seal.key_id)
    signature = crypto.sign(private_hex, seal.public_key, message)
    del private_hex
    if not crypto.verify(seal.public_key, message, signature):  # a corrupt key must never seal
        raise SealRefused(
            gettext(
                "seal %(key)s of %(issuer)s produced a signature that does not verify; rotate the seal",
                key=seal.key_id,
                issuer=licence.issuer,
            )
        )
    now = utcnow()
    licence.seal, licence.digest, licence.signature = seal, crypto.sm3_hex(message), signature
    licence.sealed_at, licence.sealed_by, licence.status = now, user, LicenceStatus.active
    record(
        session, licence, LicenceAction.sealed, user.username, payload={"key_id": seal.key_id, "digest": licence.digest}
    )
    if previous is not None:
        previous.status = LicenceStatus.superseded
        record(session, previous, LicenceAction.superseded, user.username, payload={"by": licence.identifier})
    session.flush()
    return licence


def record(
    session,
    licence: Licence,
    action: LicenceAction,
    actor: str,
    reason: str = "",
    payload: dict | None = None,
    at: dt.datetime | None = None,
) -> LicenceEvent:
    event = LicenceEvent(
        licence=licence,
        identifier=licence.identifier,
        action=action,
        actor=actor,
        reason=reason,
        payload=payload or {},
        at=at or utcnow(),
    )
    session.add(event)
    return event
