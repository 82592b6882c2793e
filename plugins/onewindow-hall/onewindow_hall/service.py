"""Citizen and company accounts: registration, login by password or one-time code.

Every check of a registration runs before anything is written, and every problem is
reported at once (field → Chinese message); a registration is one transaction.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from onewindow import db, guarded_login, password_problem, resident_id_problem, uscc_problem
from onewindow_hall import codes
from onewindow_hall.models import Citizen, CitizenKind, CompanyMember, MemberRole, utcnow

MOBILE = re.compile(r"1\d{10}")
#: The lockout kinds of the hall's logins (the admin's “登录锁定” screen shows them).
LOCKOUT_PASSWORD = "citizen"
LOCKOUT_CODE = "citizen-code"


class RegistrationInvalid(Exception):
    """``problems`` maps each field to what is wrong with it and how to fix it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def normalise_mobile(value: str | None) -> str:
    return re.sub(r"[\s-]", "", value or "")


def mobile_problem(mobile: str) -> str | None:
    if not MOBILE.fullmatch(mobile):
        return _("The mobile number must be 11 digits starting with 1, e.g. 13800138000.")
    return None


def find_person(identifier: str) -> Citizen | None:
    """The person account whose mobile number or resident ID number is ``identifier``."""
    value = (identifier or "").strip().upper()
    if not value:
        return None
    return db.session.execute(
        select(Citizen).where(
            Citizen.kind == CitizenKind.person, or_(Citizen.mobile == value, Citizen.id_number == value)
        )
    ).scalar_one_or_none()


def password_and_code_problems(password: str, password2: str, username: str, code: str) -> dict[str, str]:
    """A new password under the password rules, typed twice the same, and a code typed."""
    problems: dict[str, str] = {}
    problem = password_problem(password or "", username)
    if problem:
        problems["password"] = problem
    elif password != password2:
        problems["password2"] = _("The two passwords differ; type the same password twice.")
    if not (code or "").strip():
        problems["code"] = _("Enter the verification code sent to your mobile.")
    return problems


def register_person(*, name: str, id_number: str, mobile: str, code: str, password: str, password2: str) -> Citizen:
    """Create a person account (real name, ID number, mobile confirmed by the one-time code)."""
    name = (name or "").strip()
    id_number = (id_number or "").strip().upper()
    mobile = normalise_mobile(mobile)
    problems: dict[str, str] = {}
    if not 2 <= len(name) <= 50:
        problems["name"] = _("Enter your real name as on your ID card (2 to 50 characters).")
    problem = resident_id_problem(id_number)
    if problem:
        problems["id_number"] = problem
    elif db.session.execute(select(Citizen.id).where(Citizen.id_number == id_number)).first():
        problems["id_number"] = _("An account with this ID number exists already; log in or reset the password.")
    problem = mobile_problem(mobile)
    if problem:
        problems["mobile"] = problem
    elif db.session.execute(select(Citizen.id).where(Citizen.mobile == mobile)).first():
        problems["mobile"] = _("This mobile number belongs to another account; use another number or log in.")
    problems.update(password_and_code_problems(password, password2, mobile, code))
    if problems:
        raise RegistrationInvalid(problems)
    if not codes.consume("register", mobile, code):
        raise RegistrationInvalid(
            {"code": _("The verification code is wrong, used or expired; request a new code and try again.")}
        )
    citizen = Citizen(
        kind=CitizenKind.person,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password_hash=generate_password_hash(password),
        mobile_verified=True,
        identity_verified=False,
        active=True,
        created_at=utcnow(),
    )
    db.session.add(citizen)
    db.session.commit()
    return citizen


def register_company(
    person: Citizen, *, name: str, uscc: str, legal_rep_name: str, legal_rep_id_number: str
) -> Citizen:
    """Bind a company account to its USCC; ``person`` becomes its legal representative or agent."""
    name = (name or "").strip()
    uscc = (uscc or "").strip().upper()
    legal_rep_name = (legal_rep_name or "").strip()
    legal_rep_id_number = (legal_rep_id_number or "").strip().upper()
    problems: dict[str, str] = {}
    if not 2 <= len(name) <= 100:
        problems["name"] = _("Enter the company's registered name (2 to 100 characters).")
    problem = uscc_problem(uscc)
    if problem:
        problems["uscc"] = problem
    elif db.session.execute(select(Citizen.id).where(Citizen.uscc == uscc)).first():
        problems["uscc"] = _(
            "This company has an account already; ask its legal representative to add you as an agent."
        )
    if not 2 <= len(legal_rep_name) <= 50:
        problems["legal_rep_name"] = _("Enter the legal representative's name as registered.")
    problem = resident_id_problem(legal_rep_id_number)
    if problem:
        problems["legal_rep_id_number"] = problem
    if problems:
        raise RegistrationInvalid(problems)
    company = Citizen(
        kind=CitizenKind.company,
        name=name,
        uscc=uscc,
        legal_rep_name=legal_rep_name,
        legal_rep_id_number=legal_rep_id_number,
        mobile_verified=False,
        identity_verified=False,
        active=True,
        created_at=utcnow(),
    )
    role = MemberRole.legal_rep if person.id_number == legal_rep_id_number else MemberRole.agent
    company.members.append(CompanyMember(person=person, role=role, created_at=utcnow()))
    db.session.add(company)
    db.session.commit()
    return company


def add_agent(company: Citizen, by: Citizen, *, id_number: str, mobile: str) -> CompanyMember:
    """The legal representative authorises an existing person account as the company's agent."""
    if not any(m.person_id == by.id and m.role == MemberRole.legal_rep for m in company.members):
        raise RegistrationInvalid({"id_number": _("Only the company's legal representative may add agents.")})
    id_number = (id_number or "").strip().upper()
    person = db.session.execute(
        select(Citizen).where(
            Citizen.kind == CitizenKind.person,
            Citizen.id_number == id_number,
            Citizen.mobile == normalise_mobile(mobile),
        )
    ).scalar_one_or_none()
    if person is None:
        raise RegistrationInvalid(
            {"id_number": _("No account has this ID number and mobile number; the agent must register first.")}
        )
    if any(m.person_id == person.id for m in company.members):
        raise RegistrationInvalid({"id_number": _("This person acts for the company already.")})
    member = CompanyMember(company=company, person=person, role=MemberRole.agent, created_at=utcnow())
    db.session.add(member)
    db.session.commit()
    return member


def account_key(identifier: str) -> str:
    """Count failures per account whichever identifier was typed; unknown names as typed."""
    person = find_person(identifier)
    return person.mobile if person is not None and person.mobile else (identifier or "").strip().upper()


def login_with_password(identifier: str, password: str) -> Citizen | None:
    """The account if ``identifier`` (mobile or ID number) and ``password`` match, else None.

    Raises ``LoginLocked`` under the platform's lockout rules and
    :class:`~onewindow_hall.codes.TooManyRequests` over the hall's limits.
    """
    key = account_key(identifier)
    limit_message = _("Too many login attempts; please wait a minute and try again.")
    codes.hit("login-address", codes.address(), "login_rate_per_address", limit_message)
    codes.hit("login-account", key, "login_rate_per_account", limit_message)

    def verify() -> Citizen | None:
        person = find_person(identifier)
        if person is None or not person.active or not person.password_hash:
            return None
        return person if check_password_hash(person.password_hash, password or "") else None

    return _logged_in(guarded_login(LOCKOUT_PASSWORD, key, verify))


def login_with_code(mobile: str, code: str) -> Citizen | None:
    mobile = normalise_mobile(mobile)
    limit_message = _("Too many login attempts; please wait a minute and try again.")
    codes.hit("login-address", codes.address(), "login_rate_per_address", limit_message)
    codes.hit("login-account", mobile, "login_rate_per_account", limit_message)

    def verify() -> Citizen | None:
        person = find_person(mobile)
        if person is None or not person.active or person.mobile != mobile:
            return None
        return person if codes.consume("login", mobile, code) else None

    return _logged_in(guarded_login(LOCKOUT_CODE, mobile, verify))


def _logged_in(person: Citizen | None) -> Citizen | None:
    if person is not None:
        # End the login's reads first, then write in a transaction of its own: a read
        # snapshot that another login wrote past cannot be upgraded to a write on SQLite
        # ("database is locked" at once), a transaction that starts with its write waits
        # its turn (busy timeout). Many citizens log in at the same moment.
        # (the id is read before the commit expires the row: reading it after would be a read)
        citizen_id = person.id
        db.session.commit()
        db.session.execute(update(Citizen).where(Citizen.id == citizen_id).values(last_login_at=utcnow()))
        db.session.commit()
    return person
