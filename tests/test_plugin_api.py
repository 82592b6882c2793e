"""The public API for plugins: built-in plugins import only ``onewindow.__all__``
(and the test fixtures of ``onewindow.testing``); every public name resolves; importing
``onewindow`` stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import onewindow

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def plugin_sources() -> list[Path]:
    return sorted(p for p in PLUGINS.glob("*/onewindow_*/**/*.py") if "migrations" not in p.parts)


def outside_public_api(source: str) -> list[tuple[int, str]]:
    """(line, what) for each use of an ``onewindow`` module or name outside the public API."""
    public, modules = set(onewindow.__all__), set(onewindow.PUBLIC_MODULES)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "onewindow" and alias.name not in modules:
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "onewindow":
                continue
            if node.module not in modules:
                found.append((node.lineno, f"from {node.module} import ..."))
            elif node.module == "onewindow":
                found += [(node.lineno, f"from onewindow import {a.name}") for a in node.names if a.name not in public]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "onewindow":
            if node.attr not in public:
                found.append((node.lineno, f"onewindow.{node.attr}"))
    return found


def test_built_in_plugins_import_only_the_public_api():
    sources = plugin_sources()
    assert len({p.parts[len(PLUGINS.parts)] for p in sources}) >= 6, "the built-in plugins were not found"
    offences = [
        f"{path.relative_to(PLUGINS.parent)}:{line}: {what}"
        for path in sources
        for line, what in outside_public_api(path.read_text(encoding="utf-8"))
    ]
    assert not offences, (
        "plugins must import only names of onewindow.__all__ (or onewindow.testing); "
        "add the name to onewindow/__init__.py's _PUBLIC if plugins need it:\n" + "\n".join(offences)
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from onewindow.app import db", [(1, "from onewindow.app import ...")]),
        ("import onewindow.cases.core", [(1, "import onewindow.cases.core")]),
        ("from onewindow import db, errors", [(1, "from onewindow import errors")]),
        ("import onewindow\nonewindow.cases", [(2, "onewindow.cases")]),
        ("from onewindow import Case, db, hookimpl, unit_of_work\nimport onewindow\nonewindow.engine", []),
        ("from onewindow.testing import make_item\nfrom onewindow_supervision import models", []),
    ],
)
def test_the_import_check_tells_public_from_internal(source, expected):
    assert outside_public_api(source) == expected


def test_every_public_name_resolves(app):
    missing = []
    for name in onewindow.__all__:
        try:
            getattr(onewindow, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing


def test_public_db_is_the_platform_database(app):
    from onewindow.app import db as core_db

    with app.app_context():
        assert onewindow.db.session is core_db.session
        assert onewindow.db.engine is core_db.engine
        assert onewindow.Model.metadata is core_db.metadata


def test_one_unit_of_work_commits_or_rolls_back_everything(app):
    from onewindow.models.org import Region, RegionLevel

    db, unit_of_work = onewindow.db, onewindow.unit_of_work
    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work() as session:
            session.add(Region(code="999001", name="回滚区", level=RegionLevel.county))
            session.flush()
            raise RuntimeError("refused")
        assert db.session.query(Region).filter_by(code="999001").count() == 0
        with unit_of_work() as session:
            session.add(Region(code="999002", name="提交区", level=RegionLevel.county))
        db.session.remove()
        assert db.session.query(Region).filter_by(code="999002").count() == 1


def test_importing_onewindow_loads_neither_the_framework_nor_the_app():
    code = (
        "import sys, onewindow; heavy = sorted(m for m in sys.modules if m.startswith(('flask_appbuilder', "
        "'onewindow.app', 'onewindow.cases', 'sqlalchemy'))); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_unknown_name_says_where_the_public_api_is():
    with pytest.raises(AttributeError, match="onewindow.__all__"):
        onewindow.no_such_name  # noqa: B018
