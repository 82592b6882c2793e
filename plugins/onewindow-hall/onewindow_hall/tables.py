"""The tables of the guides and the online application (prefix ``hall_``)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import Model
from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


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
