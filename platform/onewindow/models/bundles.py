"""Bundles (一件事一次办): several items applied for once and handled as one.

A bundle is maintained by the pack that maintains its members; members name items by
implementation code, so an upgraded item (a new version row) stays a member. The promised
limit is stored as computed at install (``computed_days``) beside what the pack declared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.models.items import _now
from onewindow.models.org import Department, Window


class Bundle(Model):
    """一件事: code, name, audience, intake questions, lead department and output window."""

    __tablename__ = "ow_bundle"
    __table_args__ = (UniqueConstraint("pack_key", "code", name="uq_ow_bundle_pack_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_key: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    audience: Mapped[str] = mapped_column(String(20), nullable=False)  # person | enterprise
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False)
    lead_department: Mapped[Department] = relationship()
    output_window_id: Mapped[int] = mapped_column(ForeignKey("ow_window.id"), nullable=False)
    output_window: Mapped[Window] = relationship()
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    same_materials: Mapped[list[list[str]]] = mapped_column(JSON, nullable=False, default=list)
    declared_days: Mapped[Optional[int]] = mapped_column(Integer)
    computed_days: Mapped[int] = mapped_column(Integer, nullable=False)  # critical path of the members
    promised_days: Mapped[int] = mapped_column(Integer, nullable=False)  # max(declared, computed)
    guide: Mapped[str] = mapped_column(Text, nullable=False, default="")
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)

    members: Mapped[list["BundleMember"]] = relationship(
        back_populates="bundle", order_by="BundleMember.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.name


class BundleMember(Model):
    """A member item of a bundle, with when it applies and whom it waits for."""

    __tablename__ = "ow_bundle_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("ow_bundle.id", ondelete="CASCADE"), nullable=False, index=True)
    bundle: Mapped[Bundle] = relationship(back_populates="members")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    basic_code: Mapped[str] = mapped_column(String(12), nullable=False)
    implementation_code: Mapped[str] = mapped_column(String(31), nullable=False, index=True)
    condition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)  # question → answer(s)
    after: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # basic codes
    field_keys: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)  # field → common key

    def as_pack(self) -> dict[str, Any]:
        """The member as the pack writes it (what ``catalogue.bundles`` derives from)."""
        out: dict[str, Any] = {"item": self.basic_code}
        if self.condition:
            out["when"] = self.condition
        if self.after:
            out["after"] = list(self.after)
        if self.field_keys:
            out["fields"] = dict(self.field_keys)
        return out
