"""The benchmark scripts in ``bench/`` import only names the platform still has: a
refactoring that moves a function must not leave a benchmark failing at its first run
(``bench/case_lifecycle.py`` once imported a helper from ``onewindow.app`` after it had
moved to ``onewindow.db``). Benchmarks are too slow for the suite; their imports are not."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _imports() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "onewindow":
                found += [(path.name, node.module, alias.name) for alias in node.names]
    return found


def test_bench_scripts_import_names_the_platform_has():
    assert _imports(), "no bench script imports the platform: the scan is broken"
    missing = []
    for script, module, name in _imports():
        mod = importlib.import_module(module)
        if not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"bench/{script}: from {module} import {name}")
    assert not missing, "bench scripts import names that no longer exist:\n" + "\n".join(missing)


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_bench_script_parses(script):
    compile((BENCH / script).read_text(encoding="utf-8"), script, "exec")
