"""No private (``_``-prefixed) API of SQLAlchemy, Alembic, Flask-SQLAlchemy or
Flask-AppBuilder is used by the platform or the plugins: a library upgrade must not be
able to break them silently (issue #20; the house rule in the contributor guide).

Two checks over every module under ``platform/`` and ``plugins/``:

* a text search for private names known to have been used or to be tempting
  (``Session._register_persistent``, ``_sa_instance_state``, ``appbuilder.sm._…``);
* a syntax-tree check: an attribute starting with ``_`` (not a dunder) read from a name
  bound to one of those libraries — imported from it, assigned from an expression on
  such a name, a parameter annotated with one of its types, the Flask-SQLAlchemy ``db``
  object, or the usual names of its objects (``session``, ``conn``, ``appbuilder``,
  ``sm``) — including through ``getattr``/``setattr``/``hasattr`` with a literal name,
  and ``from sqlalchemy… import _private``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = (ROOT / "platform", ROOT / "plugins")
FRAMEWORKS = ("sqlalchemy", "alembic", "flask_sqlalchemy", "flask_appbuilder")

KNOWN = re.compile(
    r"_register_persistent|_sa_instance_state|_sa_class_manager|\b_flush\b|\bSession\._[a-z]"
    r"|\bsm\._[a-z]|\bappbuilder\._[a-z]|\bsecurity_manager\._[a-z]|\b_app_engines\b|\b_revision_map\b"
    r"|\b_commit_all\b|\b_expire_attributes\b|\b_identity_key_from_state\b"
)
#: Names (and attribute names on a chain) that stand for the libraries' objects here.
CONVENTIONAL = {
    "db",
    "session",
    "sess",
    "conn",
    "connection",
    "appbuilder",
    "sm",
    "security_manager",
    "mapper",
    "metadata",
}


def _modules() -> list[Path]:
    return sorted(
        p
        for root in SCANNED
        for p in root.rglob("*.py")
        if ".venv" not in p.parts and "build" not in p.parts and ".egg-info" not in str(p)
    )


def _root(node: ast.AST) -> tuple[str | None, list[str]]:
    """The name an expression starts from and the attribute names on the way."""
    chain = []
    while True:
        if isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        elif isinstance(node, (ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        else:
            return (node.id if isinstance(node, ast.Name) else None), chain


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str, filename: str = "<source>") -> list[str]:
    """Every private framework name ``source`` uses, as ``file:line: what``."""
    found = [
        f"{filename}:{n}: {m.group(0)}" for n, line in enumerate(source.splitlines(), 1) for m in KNOWN.finditer(line)
    ]
    tree = ast.parse(source, filename)
    bound = set(CONVENTIONAL)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FRAMEWORKS:
                    bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in FRAMEWORKS:
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{filename}:{node.lineno}: from {node.module} import {alias.name}")
                    bound.add(alias.asname or alias.name)
    for _ in range(3):  # names assigned from (or annotated with) a framework expression
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.withitem, ast.arg)):
                value = {
                    ast.Assign: "value",
                    ast.AnnAssign: "value",
                    ast.withitem: "context_expr",
                    ast.arg: "annotation",
                }[type(node)]
                expr = getattr(node, value)
                if expr is None or _root(expr)[0] not in bound:
                    continue
                targets = {
                    ast.Assign: lambda n: n.targets,
                    ast.AnnAssign: lambda n: [n.target],
                    ast.withitem: lambda n: [n.optional_vars] if n.optional_vars else [],
                    ast.arg: lambda n: [],
                }[type(node)](node)
                if isinstance(node, ast.arg):
                    bound.add(node.arg)
                for target in targets:  # plain names only: ``self._x = …`` binds nothing
                    names = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                    bound.update(n.id for n in names if isinstance(n, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            root, chain = _root(node.value)
            if root in bound or CONVENTIONAL & set(chain):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            root, chain = _root(node.args[0])
            if root in bound or CONVENTIONAL & set(chain):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_platform_and_the_plugins_call_no_private_sqlalchemy_or_appbuilder_api():
    modules = _modules()
    assert len(modules) > 50, "the scan found too few modules: check SCANNED"
    found = [
        use for path in modules for use in private_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "private framework API in use (use the public API; see docs/contributing.md):\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy.orm import Session\ndef flush(s: Session):\n    s._register_persistent(set())\n",
        "from onewindow.app import db\nfor e in getattr(db, '_app_engines', {}).values():\n    pass\n",
        "from flask import current_app\ncurrent_app.appbuilder.sm._get_user_permissions()\n",
        "from alembic.script import ScriptDirectory\nscript = ScriptDirectory.from_config(c)\n"
        "known = script.revision_map._revision_map\n",
        "from sqlalchemy.orm.session import _state_session\n",
        "import sqlalchemy as sa\nstate = sa.inspect(obj)\nstate._commit_all(state.dict)\n",
        "from sqlalchemy import inspect\nx = obj._sa_instance_state\n",
    ],
)
def test_the_check_finds_private_framework_calls(source):
    assert private_uses(source)


@pytest.mark.parametrize(
    "source",
    [
        "class A:\n    def f(self):\n        return self._cache\n",
        "from sqlalchemy.orm import make_transient_to_detached, Session\ndef f(s: Session, o):\n"
        "    make_transient_to_detached(o)\n    s.add(o)\n",
        "import datetime as _dt\n_dt.date.today()\n",
        "from wtforms import Form\nclass F(Form):\n    pass\nF().__class__.__name__\n",
    ],
)
def test_the_check_leaves_public_calls_and_our_own_private_names_alone(source):
    assert private_uses(source) == []
