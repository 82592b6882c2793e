"""Licence types (证照类型) as data: from item packs (section ``licence_types``) and from
plugins (``register_licence_types``).

Plugin types are collected at startup (no database writes in ``app_ready``) and written
to ``ow_licence_type`` the first time a licence of that type is issued; pack types are
written by ``install_pack`` inside the pack's all-or-nothing transaction. A type code
claimed by a pack and a plugin, or by two plugins, is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app
from flask_babel import gettext

from onewindow.errors import ValidationError
from onewindow.licences.crypto import sm3_hex
from onewindow.licences.models import LicenceType
from onewindow.plugins import Registry
from onewindow.validators import uscc_problem

EXTENSION = "onewindow.licences"
FIELD_TYPES = {"text", "date", "number", "id_number", "credit_code"}

#: How the anonymous verification page shows a field (``mask``), declared for every field:
#: ``none`` as written (public data), ``name`` 赵*, ``id`` 440304********1236,
#: ``address`` the county-level prefix only (云溪县****), ``hidden`` not at all.
#: The full content needs the licence's verification code or the holder's login.
MASKS = ("none", "name", "id", "address", "hidden")

# A field whose name or label says it holds a person's name, an ID number or an address
# can never be declared public (``mask: none``): the public page would leak it.
PERSONAL_FIELD = re.compile(
    r"holder|owner|legal_rep|representative|person|contact|applicant|resident|id_number|id_card|idcard"
    r"|address|location|domicile|权利人|持证人|所有权人|法定代表人|负责人|联系人|姓名|身份证|证件号|住址|地址|住所|坐落|场所",
    re.IGNORECASE,
)


def field_mask(f: dict[str, Any]) -> str:
    """The declared mask of a field (the older ``sensitive: true`` means ``hidden``)."""
    return f.get("mask") or ("hidden" if f.get("sensitive") else "")


def mask_problem(f: dict[str, Any]) -> str | None:
    """Why a field's public-page declaration is missing or unsafe, or None."""
    mask = field_mask(f)
    if not mask:
        return (
            f"field {f['name']!r} ({f['label']}): declare how the public verification page shows it, "
            f"mask: one of {', '.join(MASKS)} (none = public data)"
        )
    if mask not in MASKS:
        return f"field {f['name']!r}: mask {mask!r} is not one of {', '.join(MASKS)}"
    personal = f.get("type") == "id_number" or PERSONAL_FIELD.search(f"{f['name']} {f['label']}")
    if mask == "none" and personal:
        return (
            f"field {f['name']!r} ({f['label']}) holds a name, ID number or address and cannot be public; "
            "declare mask: name, id, address or hidden"
        )
    return None


@dataclass
class TypeSpec:
    """A declared licence type, before it is a row."""

    code: str
    name: str
    type_oid: str
    fields: list[dict[str, Any]] = field(default_factory=list)
    validity_years: int | None = None
    template: str | None = None
    department_code: str | None = None
    source: str = ""


def default_type_oid(code: str) -> str:
    """Digits for the identifier when a type declares none: the code itself when it is
    digits, else ``9`` + 7 digits derived from SM3 of the code (the local range)."""
    if re.fullmatch(r"\d{1,20}", code):
        return code
    return "9" + str(int(sm3_hex(code.encode("utf-8")), 16) % 10**7).zfill(7)


def spec_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every problem of a declared type; empty when it is usable."""
    problems = []
    code = raw.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,40}", code):
        problems.append(("code", "licence type code: 1 to 40 letters, digits, '_', '.' or '-'"))
    if not str(raw.get("name") or "").strip():
        problems.append(("name", "the licence type needs a name (证照名称)"))
    oid = raw.get("type_oid")
    if oid is not None and not re.fullmatch(r"\d{1,20}", str(oid)):
        problems.append(("type_oid", f"{oid!r}: the GB/T 36904 type code is 1 to 20 digits"))
    years = raw.get("validity_years")
    if years is not None and (not isinstance(years, int) or isinstance(years, bool) or years < 1):
        problems.append(("validity_years", f"{years!r}: a whole number of years ≥ 1, or empty for 长期有效"))
    dept = raw.get("department")
    if dept and uscc_problem(str(dept)):
        problems.append(("department", f"{dept!r}: {uscc_problem(str(dept))}"))
    fields = raw.get("fields") or []
    if not isinstance(fields, list):
        return problems + [("fields", "fields must be a list of {name, label, ...}")]
    seen = set()
    for n, f in enumerate(fields, start=1):
        if not isinstance(f, dict) or not f.get("name") or not f.get("label"):
            problems.append((f"fields[{n}]", "each field needs a name and a label"))
            continue
        if f["name"] in seen:
            problems.append((f"fields[{n}]", f"field {f['name']!r} is declared twice"))
        seen.add(f["name"])
        if f.get("type", "text") not in FIELD_TYPES:
            problems.append((f"fields[{n}]", f"type {f.get('type')!r}: one of {', '.join(sorted(FIELD_TYPES))}"))
        problem = mask_problem(f)
        if problem:
            problems.append((f"fields[{n}]", problem))
    return problems


def spec_from(raw: dict[str, Any], source: str) -> TypeSpec:
    code = str(raw["code"])
    return TypeSpec(
        code=code,
        name=str(raw["name"]).strip(),
        type_oid=str(raw.get("type_oid") or default_type_oid(code)),
        fields=[{"type": "text", "required": False, **f, "mask": field_mask(f)} for f in raw.get("fields") or []],
        validity_years=raw.get("validity_years"),
        template=raw.get("template"),
        department_code=raw.get("department"),
        source=source,
    )


def collect_plugin_types(host) -> dict[str, TypeSpec]:
    """Run ``register_licence_types`` of every plugin; a bad or duplicate type stops startup."""
    from onewindow.errors import StartupError

    registry = Registry("licence type")
    for source, args, kwargs in host.collect("register_licence_types"):
        raw = {"code": args[0] if args else kwargs.pop("type_code", None), **kwargs}
        problems = spec_problems(raw)
        if problems:
            raise StartupError(
                f"{source}: licence type {raw.get('code')!r}: " + "; ".join(f"{f}: {m}" for f, m in problems)
            )
        registry.add(raw["code"], spec_from(raw, source.replace("plugin ", "plugin:").replace("'", "")), source)
    return dict(registry.items())


def plugin_types() -> dict[str, TypeSpec]:
    ext = current_app.extensions.get(EXTENSION)
    return dict(ext.types) if ext else {}


def ensure_type(code: str, session) -> LicenceType:
    """The row of licence type ``code``, written from the plugin declaration when missing."""
    row = session.query(LicenceType).filter_by(code=code).one_or_none()
    spec = plugin_types().get(code)
    if row is None and spec is None:
        known = sorted({c for (c,) in session.query(LicenceType.code)} | set(plugin_types()))
        raise ValidationError(
            gettext(
                "licence type %(code)s is not declared by any item pack (section licence_types) "
                "or plugin (register_licence_types); "
                "known types: %(known)s",
                code=code,
                known=", ".join(known) or "—",
            )
        )
    if spec is not None:
        if row is not None and not row.source.startswith("plugin:"):
            raise ValidationError(
                gettext(
                    "licence type %(code)s is declared both by %(first)s and by %(second)s; rename one of them",
                    code=code,
                    first=row.source,
                    second=spec.source,
                )
            )
        row = row or LicenceType(code=code)
        _apply(row, spec, session)
        session.add(row)
        session.flush()
    return row


def _apply(row: LicenceType, spec: TypeSpec, session) -> None:
    from onewindow.models import Department

    row.name, row.type_oid, row.fields = spec.name, spec.type_oid, spec.fields
    row.validity_years, row.template, row.source = spec.validity_years, spec.template, spec.source
    row.department = None
    if spec.department_code:
        row.department = session.query(Department).filter_by(credit_code=spec.department_code).one_or_none()
        if row.department is None:
            raise ValidationError(
                gettext(
                    "licence type %(code)s (%(source)s): issuing department %(department)s does not exist; "
                    "load the organisation first",
                    code=spec.code,
                    source=spec.source,
                    department=spec.department_code,
                )
            )


# --- item packs: the ``core.licences`` section -------------------------------------
#
# Packs name a part's section after its key (catalogue convention), so a county writes
#
#   core.licences:
#     types:
#       - {code: business_licence, name: 营业执照, type_oid: "11100", department: "<USCC>", fields: [...]}

SECTION = "core.licences"


def _pack_types(pack) -> tuple[list | None, str]:
    sections = getattr(pack, "sections", None) or {}
    files = (getattr(pack, "section_files", None) or {}).get(SECTION) or [SECTION]
    file = pack.file(files[0]) if hasattr(pack, "file") and files[0] != SECTION else files[0]
    section = sections.get(SECTION)
    if section is None:
        return None, file
    return (section.get("types") if isinstance(section, dict) else section), file


def validate_pack_types(pack, report: Callable[..., None]) -> None:
    raw_types, file = _pack_types(pack)
    if raw_types is None:
        return
    if not isinstance(raw_types, list):
        report(file, SECTION, "types", "must be a list of licence types (code, name, type_oid, fields…)")
        return
    plugin = plugin_types()
    seen: set[str] = set()
    for n, raw in enumerate(raw_types, start=1):
        where = f"{SECTION}.types[{n}]"
        if not isinstance(raw, dict):
            report(file, where, "", "must be a mapping with code, name, type_oid, fields…")
            continue
        for fld, message in spec_problems(raw):
            report(file, f"{where} ({raw.get('code')})", fld, message)
        code = raw.get("code")
        if code in seen:
            report(file, where, "code", f"{code!r} is declared twice in this pack")
        if code in plugin:
            report(file, where, "code", f"{code!r} is already declared by {plugin[code].source}; rename it")
        seen.add(code)


def install_pack_types(pack, session) -> None:
    raw_types, _file = _pack_types(pack)
    key = getattr(pack, "key", None) or "pack"
    for raw in raw_types or []:
        spec = spec_from(raw, f"pack:{key}")
        row = session.query(LicenceType).filter_by(code=spec.code).one_or_none()
        if row is not None and row.source != spec.source:
            raise ValidationError(
                gettext(
                    "licence type %(code)s belongs to %(owner)s; pack %(key)s cannot redefine it",
                    code=spec.code,
                    owner=row.source,
                    key=key,
                )
            )
        row = row or LicenceType(code=spec.code)
        _apply(row, spec, session)
        session.add(row)
    session.flush()
