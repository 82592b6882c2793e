"""Organisation model (DOMAIN.md → Organisation): regions, departments, centres, zones, windows."""

from __future__ import annotations

import enum
from typing import Optional

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Enum, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from onewindow.errors import ValidationError
from onewindow.validators import division_code_problem, uscc_problem


class LabelledEnum(enum.Enum):
    """Enum whose value is the (translatable) label; the member name is stored."""

    def __str__(self) -> str:
        return str(self.value)


def enum_column(enum_cls: type[enum.Enum], **kw) -> Enum:
    return Enum(enum_cls, native_enum=False, length=32, validate_strings=True, **kw)


class RegionLevel(LabelledEnum):
    """层级: the five levels of "five-level linkage" (五级联动)."""

    province = _l("Province")
    city = _l("City")
    county = _l("County / district")
    town = _l("Town / street")
    village = _l("Village / community")


LEVEL_ORDER = [RegionLevel.province, RegionLevel.city, RegionLevel.county, RegionLevel.town, RegionLevel.village]


class ZoneKind(LabelledEnum):
    """服务区: the eight zones of Shangrao's standard hall layout [003 §五]."""

    enterprise = _l("Enterprise registration")
    real_estate = _l("Real-estate registration")
    public_security = _l("Public security")
    construction = _l("Construction project approval")
    special = _l("Special items")
    comprehensive = _l("Comprehensive acceptance")
    consultation = _l("Consultation and material guidance")
    self_service = _l("Self-service")


#: Default zone numbering of the Shangrao layout: number → kind.
DEFAULT_ZONES = list(enumerate(ZoneKind, start=1))


class WindowKind(LabelledEnum):
    """窗口 kinds [003 §四(五), §五]."""

    comprehensive = _l("Comprehensive acceptance window")
    specialised = _l("Specialised department window")
    output = _l("Unified output window")
    consultation = _l("Consultation desk")
    pre_handling = _l("Pre-handling window")
    self_service = _l("Self-service terminal")


class Region(Model):
    """行政区划: a node of the province → village tree, keyed by its division code."""

    __tablename__ = "ow_region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel), nullable=False)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_region.id"), index=True)
    parent: Mapped[Optional["Region"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent")

    @validates("code")
    def _check_code(self, _key, value):
        problem = division_code_problem(value)
        if problem:
            raise ValidationError(f"区划代码 {value!r}: {problem}")
        return value.strip()

    def check_parent(self) -> None:
        """A child sits exactly one level below its parent."""
        if self.parent is None:
            return
        if LEVEL_ORDER.index(self.level) != LEVEL_ORDER.index(self.parent.level) + 1:
            raise ValidationError(
                f"区划 {self.name}（{self.code}）: 层级“{self.level}”不能直接隶属于"
                f"“{self.parent.level}”级的 {self.parent.name}；请选择上一级区划作为上级"
            )

    def __repr__(self) -> str:
        return f"{self.name}（{self.code}）"


class Department(Model):
    """部门: an approving body stationed in the centre (两集中、两到位)."""

    __tablename__ = "ow_department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    short_name: Mapped[Optional[str]] = mapped_column(String(40))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("ow_region.id"), nullable=False, index=True)
    region: Mapped[Region] = relationship()
    phone: Mapped[Optional[str]] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_ow_department_region_name"),)

    @validates("credit_code")
    def _check_credit_code(self, _key, value):
        value = (value or "").strip().upper()
        problem = uscc_problem(value)
        if problem:
            raise ValidationError(f"部门统一社会信用代码 {value!r}: {problem}")
        return value

    def __repr__(self) -> str:
        return self.name


class ServiceCentre(Model):
    """行政服务中心 of a region: the hall whose zones and windows the staff work at."""

    __tablename__ = "ow_centre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("ow_region.id"), nullable=False, index=True)
    region: Mapped[Region] = relationship()
    address: Mapped[Optional[str]] = mapped_column(String(200))
    opening_hours: Mapped[Optional[str]] = mapped_column(String(200))

    def __repr__(self) -> str:
        return self.name


class Zone(Model):
    """服务区 of a centre's hall."""

    __tablename__ = "ow_zone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("ow_centre.id"), nullable=False, index=True)
    centre: Mapped[ServiceCentre] = relationship()
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[ZoneKind] = mapped_column(enum_column(ZoneKind), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("centre_id", "number", name="uq_ow_zone_centre_number"),)

    def __repr__(self) -> str:
        return f"{self.number}区 {self.name}"


window_department = Table(
    "ow_window_department",
    Model.metadata,
    Column("window_id", Integer, ForeignKey("ow_window.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Integer, ForeignKey("ow_department.id", ondelete="CASCADE"), primary_key=True),
)


class Window(Model):
    """窗口: a counter in a zone, serving one or more departments."""

    __tablename__ = "ow_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("ow_zone.id"), nullable=False, index=True)
    zone: Mapped[Zone] = relationship()
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[WindowKind] = mapped_column(enum_column(WindowKind), nullable=False)
    departments: Mapped[list[Department]] = relationship(secondary=window_department)
    # 专业窗口 are allowed only with the centre's approval [003 §四(五)].
    approval_ref: Mapped[Optional[str]] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True, nullable=False)

    __table_args__ = (UniqueConstraint("zone_id", "code", name="uq_ow_window_zone_code"),)

    def check_kind_rules(self) -> None:
        if self.kind == WindowKind.specialised and not (self.approval_ref or "").strip():
            raise ValidationError(f"窗口 {self.code} {self.name}: 专业窗口须经中心批准，请填写批准文号（approval_ref）")

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"
