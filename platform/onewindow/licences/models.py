"""E-licence library (电子证照库) tables: licence types, licences, their lifecycle, seals.

A licence row carries the metadata of GB/T 36903 and the type's data fields. Sealing
stores the SM3 digest and SM2 signature of :meth:`Licence.signed_document` together
with the seal that signed it, so a rotated seal keeps old licences verifiable.
Lifecycle events are append-only: the ORM refuses to change or delete them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.errors import ValidationError
from onewindow.models.org import Department, LabelledEnum, enum_column
from onewindow.models.staff import Staff


def utcnow() -> dt.datetime:
    """Beijing local time, naive (the one clock, ``onewindow.clock``; the name is historical)."""
    from onewindow.cases.clock import now

    return now()


class LicenceStatus(LabelledEnum):
    pending_seal = _l("Awaiting the electronic seal")
    active = _l("In force")
    superseded = _l("Superseded by a newer version")
    revoked = _l("Revoked")
    expired = _l("Expired")


class LicenceAction(LabelledEnum):
    issued = _l("Issued")
    sealed = _l("Sealed")
    updated = _l("New version issued")
    superseded = _l("Superseded")
    revoked = _l("Revoked")
    expired = _l("Expired")


class HolderIdType(LabelledEnum):
    """持证主体代码类型 (GB/T 36903)."""

    resident_id = _l("Resident ID number")
    credit_code = _l("Unified social credit code")


class LicenceType(Model):
    """证照类型: from an item pack or a plugin (``register_licence_types``)."""

    __tablename__ = "ow_licence_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)  # Item.licence_type_code
    type_oid: Mapped[str] = mapped_column(String(20), nullable=False)  # digits in the identifier
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Issuing department; None: the department of the item that decides the case.
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_department.id"))
    department: Mapped[Optional[Department]] = relationship()
    validity_years: Mapped[Optional[int]] = mapped_column(Integer)  # None: 长期有效
    # [{"name", "label", "type": "text|date|id_number|…", "required": bool,
    #   "mask": "none|name|id|address|hidden"}]: how the anonymous verification page shows it
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    template: Mapped[Optional[str]] = mapped_column(String(200))  # print template (Jinja path)
    source: Mapped[str] = mapped_column(String(80), nullable=False)  # "pack:<key>" / "plugin:<key>"

    def __repr__(self) -> str:
        return f"{self.name}（{self.code}）"


class Seal(Model):
    """部门电子印章: one SM2 key pair; the private key only ever stored encrypted."""

    __tablename__ = "ow_seal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    key_id: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)  # public-key fingerprint
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    algorithm: Mapped[str] = mapped_column(String(20), nullable=False, default="SM2-with-SM3")
    public_key: Mapped[str] = mapped_column(String(128), nullable=False)
    private_key_enc: Mapped[str] = mapped_column(Text, nullable=False)
    kek_id: Mapped[str] = mapped_column(String(8), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False)
    rotated_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    rotated_by: Mapped[Optional[str]] = mapped_column(String(128))

    def __repr__(self) -> str:  # never the key material
        return f"{self.name}（{self.key_id}）"


class LicenceSerial(Model):
    """Last serial issued per licence type and issuing department (locked while issuing)."""

    __tablename__ = "ow_licence_serial"
    __table_args__ = (UniqueConstraint("type_id", "issuer_code", name="uq_ow_licence_serial_type_issuer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("ow_licence_type.id"), nullable=False)
    issuer_code: Mapped[str] = mapped_column(String(18), nullable=False)
    last_serial: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Licence(Model):
    """电子证照 (one version). Status and seal fields are lifecycle; the rest is signed."""

    __tablename__ = "ow_licence"
    __table_args__ = (
        UniqueConstraint("type_id", "issuer_code", "serial", "version", name="uq_ow_licence_serial_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    type_id: Mapped[int] = mapped_column(ForeignKey("ow_licence_type.id"), nullable=False, index=True)
    licence_type: Mapped[LicenceType] = relationship()
    serial: Mapped[int] = mapped_column(Integer, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    previous_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_licence.id"))
    previous: Mapped[Optional["Licence"]] = relationship(remote_side=[id])

    # GB/T 36903 metadata
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # 证照名称
    number: Mapped[str] = mapped_column(String(60), nullable=False)  # 证照编号
    holder: Mapped[str] = mapped_column(String(200), nullable=False)  # 持证主体
    holder_id: Mapped[str] = mapped_column(String(18), nullable=False, index=True)  # 持证主体代码
    holder_id_type: Mapped[HolderIdType] = mapped_column(enum_column(HolderIdType), nullable=False)
    issuer: Mapped[str] = mapped_column(String(100), nullable=False)  # 颁证单位
    issuer_code: Mapped[str] = mapped_column(String(18), nullable=False)  # 颁证单位代码
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    issue_date: Mapped[dt.date] = mapped_column(Date, nullable=False)  # 颁证日期
    region: Mapped[str] = mapped_column(String(100), nullable=False)  # 颁证地区
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)  # None: 长期
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    case_number: Mapped[Optional[str]] = mapped_column(String(43), index=True)

    status: Mapped[LicenceStatus] = mapped_column(
        enum_column(LicenceStatus), nullable=False, index=True, default=LicenceStatus.pending_seal
    )
    access_code: Mapped[str] = mapped_column(String(12), nullable=False)  # printed for the holder
    # Printed on the licence and in its QR link: opens this licence's full content on the
    # public page (random, per version; never derivable from the identifier or serial).
    verify_code: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    # the electronic seal: who applied it, when, with which key, over which digest
    seal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_seal.id"))
    seal: Mapped[Optional[Seal]] = relationship()
    digest: Mapped[Optional[str]] = mapped_column(String(64))
    signature: Mapped[Optional[str]] = mapped_column(String(128))
    sealed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    sealed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    sealed_by: Mapped[Optional[Staff]] = relationship(foreign_keys=[sealed_by_id])

    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    revoke_reason: Mapped[Optional[str]] = mapped_column(Text)

    events: Mapped[list["LicenceEvent"]] = relationship(back_populates="licence", order_by="LicenceEvent.id")

    def metadata_fields(self) -> dict[str, Any]:
        """证照元数据 of GB/T 36903, as signed."""
        return {
            "name": self.name,
            "type_code": self.licence_type.code,
            "type_oid": self.licence_type.type_oid,
            "number": self.number,
            "holder": self.holder,
            "holder_id": self.holder_id,
            "holder_id_type": self.holder_id_type.name,
            "issuer": self.issuer,
            "issuer_code": self.issuer_code,
            "issue_date": self.issue_date.isoformat(),
            "region": self.region,
            "region_code": self.region_code,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }

    def signed_document(self) -> dict[str, Any]:
        """What the seal signs: identifier, version, metadata and data (canonically serialised)."""
        return {
            "identifier": self.identifier,
            "version": self.version,
            "metadata": self.metadata_fields(),
            "data": dict(self.data or {}),
        }

    def __repr__(self) -> str:
        return f"{self.name} {self.identifier}"


class LicenceEvent(Model):
    """Every change of a licence: who, when, why (append-only, 全程留痕)."""

    __tablename__ = "ow_licence_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("ow_licence.id"), nullable=False, index=True)
    licence: Mapped[Licence] = relationship(back_populates="events")
    identifier: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[LicenceAction] = mapped_column(enum_column(LicenceAction), nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


@event.listens_for(LicenceEvent, "before_update")
@event.listens_for(LicenceEvent, "before_delete")
def _events_are_append_only(_mapper, _connection, target: LicenceEvent) -> None:
    raise ValidationError(
        f"licence event {target.id} of {target.identifier}: the lifecycle record is append-only; "
        "record a new event instead of changing or deleting one"
    )
