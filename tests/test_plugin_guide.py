"""The plugin guide (docs/plugin-guide.md) documents every hook of the contract, headed by its signature."""

import inspect
import re
from pathlib import Path

from onewindow import hookspecs

#: Where the plugin guide lives (one place to change when the guide moves).
PLUGIN_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugin-guide.md"
#: ``#### `hook_name(param, ...)` `` headings of the guide's hook sections.
HEADING = re.compile(r"^#### `(\w+)(?:\(([^)]*)\))?`", flags=re.M)


def _hooks():
    return {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "onewindow_spec")}


def _documented() -> dict[str, list[str] | None]:
    """Hook name → the parameter names its heading shows (None: no signature shown)."""
    guide = PLUGIN_GUIDE.read_text(encoding="utf-8")
    return {
        m.group(1): None if m.group(2) is None else [p.strip() for p in m.group(2).split(",") if p.strip()]
        for m in HEADING.finditer(guide)
    }


def test_every_hookspec_has_a_docstring():
    for name, fn in _hooks().items():
        assert (fn.__doc__ or "").strip(), f"hook {name} has no docstring"


def test_plugin_guide_documents_every_hook():
    documented = set(_documented())
    missing = sorted(set(_hooks()) - documented)
    assert not missing, f"{PLUGIN_GUIDE.name} plugin guide lacks a '#### `hook(...)`' section for: {missing}"
    stale = sorted(documented - set(_hooks()))
    assert not stale, f"{PLUGIN_GUIDE.name} documents hooks that do not exist: {stale}"


def test_plugin_guide_shows_each_hooks_signature():
    documented = _documented()
    wrong = {
        name: (documented.get(name), list(inspect.signature(fn).parameters))
        for name, fn in _hooks().items()
        if documented.get(name) != list(inspect.signature(fn).parameters)
    }
    assert not wrong, f"the guide's '#### `hook(params)`' headings differ from hookspecs.py (guide, code): {wrong}"
