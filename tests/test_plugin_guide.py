"""The plugin guide (docs/plugin-guide.md) documents every hook of the contract."""

import inspect
import re
from pathlib import Path

from onewindow import hookspecs

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugin-guide.md"


def _hook_names():
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(fn, "onewindow_spec")]


def test_every_hookspec_has_a_docstring():
    for name in _hook_names():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"hook {name} has no docstring"


def test_plugin_guide_documents_every_hook():
    guide = GUIDE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#### `(\w+)", guide, flags=re.M))
    missing = sorted(set(_hook_names()) - documented)
    assert not missing, f"the plugin guide lacks a '#### `hook`' section for: {missing}"
    stale = sorted(documented - set(_hook_names()))
    assert not stale, f"the plugin guide documents hooks that do not exist: {stale}"
