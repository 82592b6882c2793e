"""The pack section ``hall``: audiences (个人 / 法人), themes and keywords of the items.

```yaml
hall:
  audiences: {person: [basic codes], legal_person: [basic codes]}   # in neither list: both
  themes: {企业开办: [basic codes], ...}
  keywords: {"011001000000": [开公司, 营业执照]}
```
Install writes one :class:`ItemProfile` per item of the pack with the pinyin of its name, so
the guide search matches ``gtgsh`` to 个体工商户 without computing pinyin per request.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from sqlalchemy import delete

from onewindow_hall.forms import install_forms, validate_forms
from onewindow_hall.tables import ItemProfile

SECTION = "hall"
NOT_A_CODE = "is not an item basic code; write the item's basic_code, quoted ('011001000000')"
AUDIENCES = ("person", "legal_person")
KNOWN_KEYS = ("audiences", "themes", "keywords", "forms")


def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters of ``text``, lower case (个体工商户 → gtgsh)."""
    from pypinyin import Style, lazy_pinyin  # imported on first use: its dictionaries take ~55 MB

    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


def spelling(text: str) -> str:
    """Full toneless pinyin of ``text`` without spaces (个体 → geti)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text, errors="ignore")).lower()


def _section(pack) -> tuple[Any, str]:
    files = getattr(pack, "section_files", {}).get(SECTION) or [SECTION]
    file = pack.file(files[0]) if hasattr(pack, "file") else files[0]
    return pack.sections.get(SECTION), file


def _code_lists(mapping: Any) -> dict[str, Any]:
    return mapping if isinstance(mapping, dict) else {}


def validate_section(pack, report: Callable[..., None]) -> None:
    """Every problem of the ``hall`` section, each naming the key and the code to fix."""
    section, file = _section(pack)
    if section is None:
        return
    if not isinstance(section, dict):
        report(file, SECTION, "", "must be a mapping with audiences, themes, keywords and forms")
        return
    validate_forms(pack, section, file, report)
    for key in section:
        if key not in KNOWN_KEYS:
            report(file, SECTION, str(key), f"unknown key; use one of {', '.join(KNOWN_KEYS)}")
    codes = {str(it.get("basic_code")) for it in pack.items if isinstance(it, dict)}
    codes_rule = (pack.manifest.get("codes") or {}).get("basic_code_pattern") or r"^[0-9A-Za-z]{12}$"

    def is_code(code: Any) -> bool:
        # A code of an item the pack no longer lists (being cancelled) is tolerated; an
        # unquoted number or a typo in the code's format is not.
        return isinstance(code, str) and (code in codes or re.fullmatch(codes_rule, code) is not None)

    def check_codes(where: str, value: Any) -> None:
        if not isinstance(value, list):
            report(file, where, "", "must be a list of item basic codes")
            return
        for code in value:
            if not is_code(code):
                report(file, where, str(code), NOT_A_CODE)

    audiences = section.get("audiences", {})
    if not isinstance(audiences, dict):
        report(file, f"{SECTION}.audiences", "", "must map person / legal_person to lists of basic codes")
    for name, value in _code_lists(audiences).items():
        if name not in AUDIENCES:
            report(file, f"{SECTION}.audiences", str(name), "unknown; use person (个人) or legal_person (法人)")
        else:
            check_codes(f"{SECTION}.audiences.{name}", value)
    themes = section.get("themes", {})
    if not isinstance(themes, dict):
        report(file, f"{SECTION}.themes", "", "must map theme names to lists of basic codes")
    for name, value in _code_lists(themes).items():
        check_codes(f"{SECTION}.themes.{name}", value)
    keywords = section.get("keywords", {})
    if not isinstance(keywords, dict):
        report(file, f"{SECTION}.keywords", "", "must map basic codes to lists of keywords")
    for code, words in _code_lists(keywords).items():
        if not is_code(code):
            report(file, f"{SECTION}.keywords", str(code), NOT_A_CODE)
        elif not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            report(file, f"{SECTION}.keywords.{code}", "", "must be a list of non-empty words")


def profiles_of(pack) -> list[ItemProfile]:
    """One profile per item of the validated ``pack``."""
    section, _file = _section(pack)
    section = section if isinstance(section, dict) else {}
    audiences = {name: {str(c) for c in codes} for name, codes in _code_lists(section.get("audiences")).items()}
    themes = _code_lists(section.get("themes"))
    keywords = _code_lists(section.get("keywords"))
    rows = []
    for item in pack.items:
        code, name = str(item["basic_code"]), str(item["name"])
        serves = [a for a in AUDIENCES if code in audiences.get(a, set())] or list(AUDIENCES)
        rows.append(
            ItemProfile(
                pack_key=pack.key,
                basic_code=code,
                audiences=serves,
                themes=[str(t) for t, codes in themes.items() if code in {str(c) for c in codes}],
                keywords=[str(w) for w in keywords.get(code, [])],
                initials=initials(name)[:200],
                spelling=spelling(name)[:800],
            )
        )
    return rows


def install_section(pack, session) -> None:
    """Replace the pack's profiles inside the install transaction (all or nothing)."""
    session.execute(delete(ItemProfile).where(ItemProfile.pack_key == pack.key))
    session.add_all(profiles_of(pack))
    install_forms(pack, _section(pack)[0], session)
    session.flush()
