"""Verifying e-licences: online (the library's record), offline (an exported file), and
the masked view the public sees.

Answers: ``valid`` · ``tampered`` (digest or signature does not match the data) ·
``revoked`` · ``expired`` · ``superseded`` (a newer version is in force) · ``unsealed``
(issued but not yet sealed: no legal effect). Integrity is checked first, so altered
data is reported as tampered whatever the status says.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from onewindow.cases.clock import today as clock_today
from onewindow.errors import ValidationError
from onewindow.licences import crypto
from onewindow.licences import identifier as ids
from onewindow.licences.models import HolderIdType, Licence, LicenceStatus
from onewindow.validators import mask_resident_id

EXPORT_FORMAT = "onewindow-e-licence/1"

MESSAGES = {
    "valid": "证照有效：电子印章验证通过，数据未被篡改，在有效期内",
    "tampered": "验证失败：证照数据与电子印章签名不符，可能已被篡改",
    "revoked": "证照已被撤销（吊销），不具有法律效力",
    "expired": "证照已超过有效期",
    "superseded": "证照已变更，本版本已被新版本替代",
    "unsealed": "证照尚未加盖电子印章，不具有法律效力",
}


@dataclass
class Verification:
    status: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def integrity_problem(
    document: dict[str, Any], digest: str | None, signature: str | None, public_key: str, key_id: str
) -> str | None:
    """Why the signed document does not match its seal, or None when it does."""
    message = crypto.canonical_bytes(document)
    if crypto.sm3_hex(message) != (digest or ""):
        return gettext("SM3 digest of the licence data does not match the sealed digest")
    if crypto.fingerprint(public_key) != key_id:
        return gettext("the public key does not belong to seal %(key)s", key=key_id)
    if not crypto.verify(public_key, message, signature or ""):
        return gettext("the SM2 signature does not verify with the seal's public key")
    return None


def verify_licence(licence: Licence, on: dt.date | None = None) -> Verification:
    """Verify a licence of the library as of ``on`` (default today)."""
    on = on or clock_today()
    details = {"identifier": licence.identifier}
    if licence.status == LicenceStatus.pending_seal or not licence.signature or licence.seal is None:
        return Verification("unsealed", MESSAGES["unsealed"], details)
    problem = integrity_problem(
        licence.signed_document(), licence.digest, licence.signature, licence.seal.public_key, licence.seal.key_id
    )
    if problem:
        return Verification("tampered", f"{MESSAGES['tampered']}（{problem}）", details)
    if licence.status == LicenceStatus.revoked:
        return Verification("revoked", f"{MESSAGES['revoked']}：{licence.revoke_reason or ''}".rstrip("："), details)
    if licence.status == LicenceStatus.superseded:
        newer = next((e.payload.get("by") for e in licence.events if e.payload.get("by")), None)
        return Verification("superseded", MESSAGES["superseded"], {**details, "superseded_by": newer})
    if licence.status == LicenceStatus.expired or (licence.valid_until and licence.valid_until < on):
        return Verification("expired", MESSAGES["expired"], details)
    return Verification("valid", MESSAGES["valid"], details)


# --- what the public may see ------------------------------------------------------


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: a person's name is personal data."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


# Province, prefecture and county level of an address, each optional, nothing finer.
_ADDRESS_PREFIX = re.compile(
    r"^(?:[^\d\s]{2,7}?(?:省|自治区))?(?:[^\d\s]{2,9}?(?:市|自治州|地区|盟))?"
    r"(?:[^\d\s]{1,7}?(?:县|区|旗|市))?"
)


def mask_address(address: str) -> str:
    """云溪县城关镇解放路18号 → 云溪县****: the county is enough to verify, the street is not."""
    address = str(address or "").strip()
    if not address:
        return ""
    prefix = _ADDRESS_PREFIX.match(address).group(0)
    if not prefix or prefix == address:
        prefix = address[:2] if len(address) > 4 else ""
    return prefix + "****"


def mask_value(value: Any, mask: str) -> Any:
    """``value`` as the anonymous page shows it under the field's declared ``mask``."""
    if mask == "none":
        return value
    if mask == "name":
        return mask_name(str(value))
    if mask == "id":
        return mask_resident_id(str(value))
    if mask == "address":
        return mask_address(str(value))
    raise ValueError(f"mask {mask!r} has no public form")


def public_view(licence: Licence, full: bool = False) -> dict[str, Any]:
    """What the verification page shows.

    Anonymous (``full=False``): every field masked as its licence type declares it
    (:data:`onewindow.licences.types.MASKS`), hidden and undeclared fields left out, the
    holder and holder ID of a person masked. ``full=True`` (the verification code printed
    on the licence, or the holder signed in): every declared field as issued.
    """
    from onewindow.licences.types import field_mask

    person = licence.holder_id_type == HolderIdType.resident_id
    fields = []
    for f in licence.licence_type.fields:
        if f["name"] not in (licence.data or {}):
            continue
        value, mask = licence.data[f["name"]], field_mask(f) or "hidden"
        if not full:
            if mask == "hidden":
                continue
            value = mask_value(value, mask)
        fields.append({"name": f["name"], "label": f["label"], "value": value})
    masked = person and not full
    seal = licence.seal
    return {
        "full": full,
        "identifier": licence.identifier,
        "name": licence.name,
        "number": licence.number,
        "version": licence.version,
        "holder": mask_name(licence.holder) if masked else licence.holder,
        "holder_id": mask_resident_id(licence.holder_id) if masked else licence.holder_id,
        "holder_id_type": licence.holder_id_type.name,
        "issuer": licence.issuer,
        "issuer_code": licence.issuer_code,
        "issue_date": licence.issue_date.isoformat(),
        "region": licence.region,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "fields": fields,
        "seal": None
        if seal is None or not licence.signature
        else {
            "name": seal.name,
            "key_id": seal.key_id,
            "algorithm": seal.algorithm,
            "sealed_at": licence.sealed_at.isoformat(timespec="seconds") if licence.sealed_at else None,
        },
    }


def code_matches(licence: Licence, code: str | None) -> bool:
    """True when ``code`` is the licence's verification code (constant-time comparison)."""
    given = (code or "").strip().upper().encode()
    return bool(given) and hmac.compare_digest(given, (licence.verify_code or "").encode())


def verify_url(identifier: str, code: str | None = None) -> str:
    """The public verification page; with the licence's verification ``code`` (the QR code
    printed on the licence) it opens the full content."""
    from onewindow.public_url import public_base_url

    return f"{public_base_url()}/licences/verify/{identifier}" + (f"?code={code}" if code else "")


# --- export and offline verification --------------------------------------------------


def export_licence(licence: Licence) -> dict[str, Any]:
    """A self-contained file: the signed document, digest, signature and the seal's public key."""
    if not licence.signature or licence.seal is None:
        raise ValidationError(
            gettext("%(licence)s is not sealed yet; only a sealed licence can be exported", licence=licence.identifier)
        )
    seal = licence.seal
    return {
        "format": EXPORT_FORMAT,
        "document": licence.signed_document(),
        "digest": licence.digest,
        "signature": licence.signature,
        "seal": {
            "key_id": seal.key_id,
            "name": seal.name,
            "algorithm": seal.algorithm,
            "public_key": seal.public_key,
            "department_code": licence.issuer_code,
            "user_id": crypto.DEFAULT_USER_ID.decode(),
        },
        "sealed_at": licence.sealed_at.isoformat(timespec="seconds") if licence.sealed_at else None,
        "verify_url": verify_url(licence.identifier, licence.verify_code),
    }


def verify_export(exported: Any, pinned_public_key: str | None = None, on: dt.date | None = None) -> Verification:
    """Verify an exported licence without the library (offline).

    The signature proves the data was sealed by the key in the file; pin the issuing
    department's published key (``pinned_public_key``) to prove it was that department.
    Revocation cannot be known offline: the answer says where to check it online.
    """
    on = on or clock_today()
    try:
        if exported.get("format") != EXPORT_FORMAT:
            return Verification(
                "tampered",
                gettext(
                    "not an exported e-licence (format %(found)s, expected %(expected)s)",
                    found=exported.get("format"),
                    expected=EXPORT_FORMAT,
                ),
            )
        document, seal = exported["document"], exported["seal"]
        ids.parse(document["identifier"])
        public_key = seal["public_key"]
        if pinned_public_key and pinned_public_key.strip().lower() != public_key.lower():
            return Verification(
                "tampered", gettext("the seal's public key is not the pinned public key of the department")
            )
        problem = integrity_problem(
            document, exported.get("digest"), exported.get("signature"), public_key, seal["key_id"]
        )
    except ids.MalformedIdentifier as exc:
        return Verification("tampered", str(exc))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return Verification(
            "tampered", gettext("the file is incomplete or damaged (%(error)s)", error=f"{type(exc).__name__}: {exc}")
        )
    if problem:
        return Verification("tampered", f"{MESSAGES['tampered']}（{problem}）")
    until = document.get("metadata", {}).get("valid_until")
    if until and dt.date.fromisoformat(until) < on:
        return Verification("expired", MESSAGES["expired"])
    where = exported.get("verify_url") or gettext("the issuing centre's verification page")
    return Verification(
        "valid",
        f"电子印章验证通过，数据未被篡改（印章 {seal['key_id']}）；是否已撤销请在线核验：{where}",
        {"key_id": seal["key_id"]},
    )
