"""E-licence identifier (电子证照标识, GB/T 36904 style).

``1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>``

- ``type``: the licence type's ``type_oid`` (digits, configurable per type as data);
- ``issuer``: the issuing department's unified social credit code (18 characters);
- ``serial``: per type and issuer, at least 6 digits, zero-padded;
- ``version``: 3 digits, ``001`` for the first issue, incremented by every update;
- ``check``: ISO 7064 MOD 37,36 check character.

Convention for the check character (documented because GB/T 36904 leaves the input
to the implementer): it is computed over every preceding character **with the dots
removed**, upper-cased, i.e. over ``12156300052<type><issuer><serial><version>``,
with the alphabet ``0-9A-Z``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext
from stdnum.iso7064 import mod_37_36

from onewindow.errors import ValidationError
from onewindow.validators import uscc_problem

ROOT = "1.2.156.3005.2"
_PATTERN = re.compile(
    r"1\.2\.156\.3005\.2\.(?P<type>\d{1,20})\.(?P<issuer>[0-9A-Z]{18})\.(?P<serial>\d{6,12})"
    r"\.(?P<version>\d{3})\.(?P<check>[0-9A-Z])"
)


def mod_37_36_check(payload: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) check character of ``payload`` (0-9, A-Z)."""
    return mod_37_36.calc_check_digit(payload)


@dataclass(frozen=True)
class Identifier:
    type_oid: str
    issuer: str
    serial: int
    version: int

    @property
    def body(self) -> str:
        return f"{ROOT}.{self.type_oid}.{self.issuer}.{self.serial:06d}.{self.version:03d}"

    @property
    def check(self) -> str:
        return mod_37_36_check(self.body.replace(".", ""))

    def __str__(self) -> str:
        return f"{self.body}.{self.check}"


def build(type_oid: str, issuer: str, serial: int, version: int) -> str:
    if not re.fullmatch(r"\d{1,20}", type_oid or ""):
        raise ValidationError(
            gettext("licence type OID %(oid)s: use 1 to 20 digits (GB/T 36904 证照类型代码)", oid=type_oid)
        )
    problem = uscc_problem(issuer)
    if problem:
        raise ValidationError(gettext("issuing department code %(code)s: %(problem)s", code=issuer, problem=problem))
    if not 1 <= version <= 999:
        raise ValidationError(gettext("licence version %(version)s: must be between 1 and 999", version=version))
    return str(Identifier(type_oid, issuer, serial, version))


class MalformedIdentifier(ValidationError):
    """The text is not an e-licence identifier, or its check character is wrong."""


def parse(text: str) -> Identifier:
    """Parse and check an identifier; :class:`MalformedIdentifier` says what is wrong."""
    text = (text or "").strip().upper()
    match = _PATTERN.fullmatch(text)
    if not match:
        raise MalformedIdentifier(
            gettext(
                "%(text)s is not an e-licence identifier: expected 1.2.156.3005.2.<type digits>."
                "<18-character issuer code>.<serial>.<3-digit version>.<check character>",
                text=text,
            )
        )
    ident = Identifier(match["type"], match["issuer"], int(match["serial"]), int(match["version"]))
    expected = mod_37_36_check(text[:-2].replace(".", ""))  # over the text as written
    if expected != match["check"]:
        raise MalformedIdentifier(
            gettext(
                "%(text)s: the check character is wrong (ISO 7064 MOD 37,36 expects %(expected)s, "
                "found %(found)s); the identifier was mistyped or altered",
                text=text,
                expected=expected,
                found=match["check"],
            )
        )
    return ident
