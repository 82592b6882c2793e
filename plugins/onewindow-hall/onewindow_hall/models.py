"""The hall's citizen and company accounts (tables ``hall_…``).

A :class:`Citizen` row is one account of the online hall: a natural person (``person``,
real name + resident ID number + mobile) or a company (``company``, bound to its unified
social credit code). People log in; a company is acted for by the people linked to it
(:class:`CompanyMember`: its legal representative and its authorised agents, 代办人).
Citizen accounts are separate from staff accounts (Flask-AppBuilder's ``ab_user``).

:class:`OneTimeCode` holds the one-time codes sent to a mobile or e-mail address: only the
hash is stored, each code expires and is used once.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow import LabelledEnum, Model, UTCDateTime, enum_column, mask_resident_id, notify


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class CitizenKind(LabelledEnum):
    person = _l("Individual")
    company = _l("Company")


class MemberRole(LabelledEnum):
    legal_rep = _l("Legal representative")
    agent = _l("Authorised agent")


class Citizen(Model):
    """网上办事大厅账户: a person (who logs in) or a company (acted for by its members)."""

    __tablename__ = "hall_citizen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[CitizenKind] = mapped_column(enum_column(CitizenKind), nullable=False)
    #: Real name of a person, registered name of a company.
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    #: Resident ID number (公民身份号码) of a person, checked with python-stdnum's cn.ric.
    id_number: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    #: Unified social credit code (统一社会信用代码) of a company, checked with cn.uscc.
    uscc: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    #: A company's legal representative as registered (the person may have no account).
    legal_rep_name: Mapped[Optional[str]] = mapped_column(String(100))
    legal_rep_id_number: Mapped[Optional[str]] = mapped_column(String(18))
    mobile: Mapped[Optional[str]] = mapped_column(String(11), unique=True)
    email: Mapped[Optional[str]] = mapped_column(String(254))
    #: Werkzeug password hash; None for an account that logs in by one-time code or SSO only.
    password_hash: Mapped[Optional[str]] = mapped_column(String(256))
    mobile_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: The identity was verified by an authority (the provincial identity service over SSO).
    identity_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    memberships: Mapped[list[CompanyMember]] = relationship(
        foreign_keys="CompanyMember.person_id", back_populates="person", cascade="all, delete-orphan"
    )
    members: Mapped[list[CompanyMember]] = relationship(
        foreign_keys="CompanyMember.company_id", back_populates="company", cascade="all, delete-orphan"
    )

    @property
    def is_person(self) -> bool:
        return self.kind == CitizenKind.person

    @property
    def companies(self) -> list[Citizen]:
        """The companies this person may act for (as legal representative or agent)."""
        return [m.company for m in self.memberships]

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return notify.mask_recipient(self.mobile or "")

    def __repr__(self) -> str:
        return self.name


class CompanyMember(Model):
    """A person account linked to a company account: its legal representative or an agent."""

    __tablename__ = "hall_company_member"
    __table_args__ = (UniqueConstraint("company_id", "person_id", name="uq_hall_company_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("hall_citizen.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("hall_citizen.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    company: Mapped[Citizen] = relationship(foreign_keys=[company_id], back_populates="members")
    person: Mapped[Citizen] = relationship(foreign_keys=[person_id], back_populates="memberships")


class OneTimeCode(Model):
    """一次性验证码: sent to ``target`` for ``purpose``; stored hashed, expires, used once."""

    __tablename__ = "hall_one_time_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)  # register / login
    target: Mapped[str] = mapped_column(String(254), nullable=False, index=True)  # mobile or e-mail
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    address: Mapped[Optional[str]] = mapped_column(String(64))
