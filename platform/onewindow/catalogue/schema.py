"""The published JSON Schema of item packs, compiled to fast checking closures.

``item_packs/schema/pack.schema.json`` is the contract counties edit against (editors
pick it up through ``# yaml-language-server: $schema=…``). ``jsonschema`` is too slow
for the validation target of a 10,000-item pack (bench/pack_install.py), so the subset of
keywords the schema uses is compiled here into plain Python closures; a test checks that
both agree.
Messages say what is expected, so the county knows how to fix the value.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "item_packs" / "schema" / "pack.schema.json"

Problem = tuple[str, str]  # (dotted path, message)
#: A compiled check appends ``(path parts, message)`` to ``out``; paths are formatted only on error.
Check = Callable[[Any, tuple, list], None]

_PY_TYPES = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_KNOWN = {
    "type",
    "enum",
    "pattern",
    "required",
    "additionalProperties",
    "properties",
    "items",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "$ref",
    "oneOf",
    "description",
    "title",
    "$schema",
    "$id",
    "$defs",
}


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def format_path(parts: tuple) -> str:
    out = ""
    for key in parts:
        if isinstance(key, int):
            out += f"[{key + 1}]"  # 1-based, as counties count rows
        else:
            out = f"{out}.{key}" if out else str(key)
    return out


class _Compiler:
    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        refs = self.refs
        if ref not in refs:
            node: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            refs[ref] = lambda v, p, out: None  # placeholder while compiling recursive references
            refs[ref] = self.compile(node)
        return lambda v, p, out: refs[ref](v, p, out)

    def compile(self, s: dict[str, Any]) -> Check:
        unknown = set(s) - _KNOWN
        if unknown:  # a schema edit that this compiler would silently ignore
            raise ValueError(f"pack.schema.json uses unsupported keyword(s) {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in s:
            checks.append(self.ref(s["$ref"]))
        if "type" in s:
            names = s["type"] if isinstance(s["type"], list) else [s["type"]]
            exact = tuple(t for n in names for t in _PY_TYPES[n])
            words = " or ".join(_TYPE_WORDS[n] for n in names)

            def check_type(v, p, out, exact=exact, words=words):
                if type(v) not in exact:
                    hint = (
                        "; write it in quotes so YAML keeps it as text"
                        if "text" in words and type(v) in (int, float)
                        else ""
                    )
                    out.append((p, f"is {_shown(v)}; expected {words}{hint}"))

            checks.append(check_type)
        if "enum" in s:
            allowed = s["enum"]
            typed = {(type(a), a) for a in allowed}

            def check_enum(v, p, out, typed=typed, allowed=allowed):
                if (type(v), v) not in typed:
                    out.append(
                        (
                            p,
                            f"is {_shown(v)}; choose one of: "
                            f"{', '.join(json.dumps(a, ensure_ascii=False) for a in allowed)}",
                        )
                    )

            checks.append(check_enum)
        if "pattern" in s:
            search = re.compile(s["pattern"]).search

            def check_pattern(v, p, out, search=search, pattern=s["pattern"]):
                if type(v) is str and not search(v):
                    out.append((p, f"{_shown(v)} does not have the expected format ({pattern})"))

            checks.append(check_pattern)
        if "minimum" in s or "maximum" in s:
            low, high = s.get("minimum"), s.get("maximum")

            def check_range(v, p, out, low=low, high=high):
                if type(v) in (int, float):
                    if low is not None and v < low:
                        out.append((p, f"is {v}; must be at least {low}"))
                    elif high is not None and v > high:
                        out.append((p, f"is {v}; must be at most {high}"))

            checks.append(check_range)
        if "minLength" in s or "maxLength" in s:
            shortest, longest = s.get("minLength", 0), s.get("maxLength", 10**9)

            def check_length(v, p, out, shortest=shortest, longest=longest):
                if type(v) is str and not shortest <= len(v) <= longest:
                    word = f"at least {shortest}" if len(v) < shortest else f"at most {longest}"
                    out.append((p, f"has {len(v)} characters; must have {word}"))

            checks.append(check_length)
        if "oneOf" in s:
            options = [self.compile(o) for o in s["oneOf"]]

            def check_one_of(v, p, out, options=options):
                results = []
                for option in options:
                    found: list = []
                    option(v, p, found)
                    results.append(found)
                if sum(1 for r in results if not r) != 1:
                    out.append(min(results, key=len)[0] if all(results) else (p, "matches more than one form"))

            checks.append(check_one_of)
        if "required" in s or "properties" in s or "additionalProperties" in s:
            checks.append(self._object(s))
        if "items" in s:
            each = self.compile(s["items"])

            def check_items(v, p, out, each=each):
                if type(v) is list:
                    for i, x in enumerate(v):
                        each(x, (*p, i), out)

            checks.append(check_items)
        if len(checks) == 1:
            return checks[0]
        checks_t = tuple(checks)

        def check_all(v, p, out, checks=checks_t):
            for c in checks:
                c(v, p, out)

        return check_all

    def _object(self, s: dict[str, Any]) -> Check:
        required = tuple(s.get("required", []))
        props = {k: self.compile(v) for k, v in s.get("properties", {}).items()}
        closed = s.get("additionalProperties") is False
        extra = s.get("additionalProperties")
        extra_check = self.compile(extra) if isinstance(extra, dict) else None
        known = ", ".join(props)

        def check_object(v, p, out):
            if type(v) is not dict:
                return
            for key in required:
                if key not in v:
                    out.append(((*p, key), "is missing; it is required"))
            for key, value in v.items():
                check = props.get(key)
                if check is not None:
                    check(value, (*p, key), out)
                elif closed:
                    out.append(((*p, key), f"is not a known field; known: {known}"))
                elif extra_check is not None:
                    extra_check(value, (*p, key), out)

        return check_object


def _shown(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


@lru_cache(maxsize=None)
def _compiled(definition: str | None) -> Check:
    root = load_schema()
    compiler = _Compiler(root)
    if definition is None:
        return compiler.compile({k: v for k, v in root.items() if k != "$defs"})
    return compiler.ref(f"#/$defs/{definition}")


def checker(definition: str | None = None) -> Callable[[Any, str], list[Problem]]:
    """A checker for the whole file schema, or for ``#/$defs/<definition>``: returns (path, message) pairs."""
    compiled = _compiled(definition)

    def check(value: Any, prefix: str = "") -> list[Problem]:
        out: list = []
        compiled(value, (prefix,) if prefix else (), out)
        return [(format_path(p), m) for p, m in out]

    return check
