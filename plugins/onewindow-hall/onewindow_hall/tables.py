"""The tables of the guides and the online application (prefix ``hall_``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import Item, Model, UTCDateTime
from onewindow_hall.models import utcnow


class ItemProfile(Model):
    """How the hall files an item: audience (个人 / 法人), themes, keywords, pinyin initials.

    One row per item basic code of an installed pack, written at pack install from the pack's
    ``hall`` section, so a guide search never computes pinyin per request.
    """

    __tablename__ = "hall_item_profile"
    __table_args__ = (UniqueConstraint("pack_key", "basic_code", name="uq_hall_item_profile_pack_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_key: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    basic_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    audiences: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # person / legal_person
    themes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    initials: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # 个体工商户 → gtgsh
    spelling: Mapped[str] = mapped_column(String(800), nullable=False, default="")  # full pinyin, no tones

    def as_dict(self) -> dict[str, Any]:
        return {"audiences": self.audiences, "themes": self.themes, "keywords": self.keywords}


class Draft(Model):
    """未完成的申请: an online application the citizen saved but has not submitted yet.

    Submitting hands it to the case engine (channel ``online``) and deletes the draft; the
    case is then the record, found again by the applicant's ID number or credit code.
    """

    __tablename__ = "hall_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("hall_citizen.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("ow_item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    #: The company the person applies for (None: for themself).
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("hall_citizen.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    files: Mapped[list[DraftFile]] = relationship(
        back_populates="draft", cascade="all, delete-orphan", order_by="DraftFile.id"
    )


class DraftFile(Model):
    """A file uploaded on a draft, for one material of the item, kept in the row with the
    draft (not in the case file store, whose sweep only knows case files): submitting the
    draft moves it to the case's files in the submission's transaction; deleting the draft
    deletes it with the draft."""

    __tablename__ = "hall_draft_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("hall_draft.id", ondelete="CASCADE"), nullable=False, index=True)
    draft: Mapped[Draft] = relationship(back_populates="files")
    material_id: Mapped[int] = mapped_column(ForeignKey("ow_item_material.id"), nullable=False)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class FormFile(Model):
    """A blank form (空白表格) or a filled-in sample (示例样表) of an item's material, shipped
    by the pack (``hall.forms``) and served on the guide page without login. Small files
    (``form_file_max_kb``), kept in the row: installed and replaced with the pack's own
    transaction."""

    __tablename__ = "hall_form_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_key: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    basic_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    material: Mapped[str] = mapped_column(String(200), nullable=False)  # the material's name
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # blank / sample
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
