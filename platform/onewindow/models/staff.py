"""Staff: Flask-AppBuilder users extended with region, department and windows."""

from __future__ import annotations

from typing import Optional

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.models.org import Department, Region, Window

staff_window = Table(
    "ow_staff_window",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("window_id", Integer, ForeignKey("ow_window.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(User):
    """工作人员. Front-office acceptors belong to the centre (no department); back-office
    approvers, chief representatives and seal administrators belong to a department."""

    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    region_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_region.id"), index=True)
    region: Mapped[Optional[Region]] = relationship(foreign_keys=[region_id])
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_department.id"), index=True)
    department: Mapped[Optional[Department]] = relationship(foreign_keys=[department_id])
    windows: Mapped[list[Window]] = relationship(secondary=staff_window)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    #: Raised by logout and password changes: older sessions and tokens stop working.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    def get_full_name(self) -> str:
        """姓名 in Chinese order: family name (``last_name``) first, no space between
        Chinese names; Latin names keep "first last"."""
        first, last = self.first_name or "", self.last_name or ""
        if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()

    def __repr__(self) -> str:
        return self.get_full_name()
