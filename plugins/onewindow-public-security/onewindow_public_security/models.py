"""Records of the public-security plugin (tables ``public_security_…``)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Department, Model, Window


class Capture(Model):
    """现场采集: photo and fingerprints taken at the window when an in-person item is
    accepted — the evidence that the applicant appeared in person."""

    __tablename__ = "public_security_capture"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(43), unique=True, nullable=False)
    item_name: Mapped[str] = mapped_column(String(200), nullable=False)
    applicant_name: Mapped[str] = mapped_column(String(200), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("ow_department.id"), nullable=False, index=True)
    department: Mapped[Department] = relationship()
    window_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ow_window.id"))
    window: Mapped[Optional[Window]] = relationship()
    captured_by: Mapped[str] = mapped_column(String(128), nullable=False)
    captured_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
