"""What a user is told goes through the translation catalogue: no user-facing error of the
platform or of a plugin (``onewindow.errors.ValidationError`` and every class derived from
it: engine, seal, licence, pack, calendar and CLI refusals) is raised with English text
written in place, and no public page aborts with English text. English text must be a
msgid wrapped in ``gettext`` (its Chinese in ``scripts/zh/*.tsv``); messages written in
Chinese in place are allowed, as the engine writes them.

A syntax-tree check over every module under ``platform/onewindow`` and the plugins.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    p
    for base in (ROOT / "platform" / "onewindow", *(ROOT / "plugins").glob("*/onewindow_*"))
    for p in base.rglob("*.py")
    if "migrations" not in p.parts
)
#: Two English words in a row, outside `command examples` and <placeholders>.
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,;:'()]+[A-Za-z]{2,}")
QUOTED = re.compile(r"`[^`]*`|<[^>]*>")

#: Refusals only a plugin's or the platform's own programmer can meet (a hook returning
#: the wrong shape, a broken invariant): they name code, not a user's input.
DEVELOPER_ONLY = {
    ("platform/onewindow/licences/library.py", "licence_data returned _holder without name and id"),
    ("platform/onewindow/licences/library.py", "licence_data returned"),
    ("platform/onewindow/licences/library.py", "which a licence cannot carry"),
    ("platform/onewindow/licences/models.py", "the lifecycle record is append-only"),
    ("platform/onewindow/licences/crypto.py", "SM2 signing failed 16 times in a row"),
}
#: Raised before an application (and so its catalogue) exists: ``onewindow restore`` and
#: the audit key checks run on the bare configuration; they stay in the operator's English.
WITHOUT_APPLICATION = {"BackupError", "AuditKeyError"}
#: Refusals written through the catalogue in every language: raised with a message written in
#: place — Chinese included — they fail. By class, and by module (every user-facing class
#: raised there): the hall's appointment service and its booking pages.
CATALOGUED_ONLY = {"BookingRefused"}
CATALOGUED_MODULES = {
    "plugins/onewindow-queue/onewindow_queue/appointments.py",
    "plugins/onewindow-queue/onewindow_queue/booking.py",
}


def _class_tree() -> dict[str, set[str]]:
    """Class name → names of its bases, over every scanned module."""
    tree: dict[str, set[str]] = {}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                tree.setdefault(node.name, set()).update(bases)
    return tree


def user_facing_errors() -> set[str]:
    tree = _class_tree()
    found = {"ValidationError", "OneWindowValidationError", "CalendarRangeError"}
    grew = True
    while grew:
        more = {name for name, bases in tree.items() if bases & found} - found
        found |= more
        grew = bool(more)
    return found


def literal_text(node: ast.AST) -> str | None:
    """The text of a string literal, an f-string (placeholders as {}) or a + of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_text(node.left), literal_text(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    return None


def english_in_place(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """(line, text) of each user-facing raise or abort whose message is English written in place."""
    found = []
    for node in ast.walk(ast.parse(source)):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if isinstance(node, ast.Raise) and name in classes and call.args:
            message = call.args[0]
        elif name == "abort" and len(call.args) >= 2:
            message = call.args[1]
        else:
            continue
        text = literal_text(message)
        if text is not None and ENGLISH.search(QUOTED.sub("", text)):
            found.append((call.lineno, text))
    return found


def written_in_place(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """(line, text) of each raise of these classes whose message is text written in place, in
    any language (a literal, an f-string or a + of them), not a ``gettext`` call."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in classes and node.exc.args:
            text = literal_text(node.exc.args[0])
            if text is not None:
                found.append((node.exc.lineno, text))
    return found


def scan(check, classes_of) -> list[str]:
    """``path:line: text`` of each offence ``check(source, classes_of(path))`` finds in the modules."""
    offences = []
    for path in MODULES:
        rel = path.relative_to(ROOT).as_posix()
        for line, text in check(path.read_text(encoding="utf-8"), classes_of(rel)):
            if not any(rel == f and part in text for f, part in DEVELOPER_ONLY):
                offences.append(f"{rel}:{line}: {text[:100]}")
    return offences


def test_appointment_refusals_are_catalogue_entries_even_in_chinese():
    classes = user_facing_errors() - WITHOUT_APPLICATION
    assert CATALOGUED_ONLY <= classes  # BookingRefused is a ValidationError: users read it
    assert {p.relative_to(ROOT).as_posix() for p in MODULES} >= CATALOGUED_MODULES
    offences = scan(written_in_place, lambda rel: classes if rel in CATALOGUED_MODULES else CATALOGUED_ONLY)
    assert not offences, "A refusal of the appointment service is written in place, wrap it in gettext(...):\n" + (
        "\n".join(offences)
    )


def test_the_strict_check_finds_chinese_written_in_place():
    found = {
        'raise BookingRefused("已约满；请选择其他时段")': 1,
        'raise BookingRefused(f"预约 {code}: 不能取消")': 1,
        'raise BookingRefused(_("Slot %(slot)s: fully booked", slot=slot))': 0,
        'raise ValueError("内部错误")': 0,
    }
    assert {source: len(written_in_place(source, {"BookingRefused"})) for source in found} == found


def test_user_facing_errors_are_raised_with_catalogued_messages_only():
    classes = user_facing_errors() - WITHOUT_APPLICATION
    assert {"SealRefused", "MalformedIdentifier", "CalendarRangeError", "TransitionError"} <= classes
    offences = scan(english_in_place, lambda rel: classes)
    assert not offences, (
        "English written in place reaches users: wrap it in gettext(...) with named placeholders "
        "and put its Chinese in scripts/zh/<branch>.tsv:\n" + "\n".join(offences)
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        ('raise ValidationError(f"user {name!r} already exists; choose another")', 1),
        ('raise SealRefused("the seal " + "is gone")', 1),
        ('abort(403, "look your licences up first")', 1),
        ('raise ValidationError(gettext("user %(name)s already exists", name=name))', 0),
        ('raise TransitionError(f"请用 step_id 指明要处理的审批环节：{x}")', 0),
        ('raise TransitionError("请运行 `onewindow audit verify` 排查")', 0),
        ('raise ValueError("a programming error, not for users")', 0),
    ],
)
def test_the_check_finds_english_written_in_place(source, expected):
    classes = {"ValidationError", "SealRefused", "TransitionError"}
    assert len(english_in_place(source, classes)) == expected
