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
  and ``from sqlalchemy… import _private``;
* for every class deriving (directly or through our own classes) from a Flask-AppBuilder
  class: no ``self._name``/``cls._name``/``super()._name`` — read, written or defined —
  where ``_name`` is a private member of that FAB base (``_base_filters``, ``_show``,
  ``_related_views``, ``_list``, ``_apply_inner_all``…): FAB's private members are found
  by reading FAB's classes, not listed by hand. Our own helpers must not share their names;
* no template of ours reads a private member (``widget._x``) that FAB defines.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
import textwrap
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


def _module_name(path: Path) -> str:
    """``platform/onewindow/a/b.py`` → ``onewindow.a.b``; ``plugins/<dist>/<pkg>/v.py`` → ``<pkg>.v``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    parts = parts[1:] if parts[0] == "platform" else parts[2:]
    return ".".join(p for p in parts if p != "__init__")


@functools.cache
def fab_private_members(qualname: str) -> frozenset[str]:
    """Private members of the Flask-AppBuilder class ``module:Class`` and its FAB bases:
    methods and class attributes, and instance attributes its methods assign (``self._x = …``)."""
    module, _, name = qualname.partition(":")
    cls = getattr(importlib.import_module(module), name)
    found: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("flask_appbuilder"):
            continue
        found.update(n for n in vars(klass) if _private(n))
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                if isinstance(node.ctx, ast.Store) and _private(node.attr):
                    found.add(node.attr)
    return frozenset(found)


def _class_index(sources: dict[str, tuple[str, ast.Module]]) -> dict[tuple[str, str], tuple[ast.ClassDef, list]]:
    """(module, class name) → (the class, its bases resolved to ``("ours", module, name)``
    or ``("fab", "module:Class")``)."""
    index: dict[tuple[str, str], tuple[ast.ClassDef, list]] = {}
    for module, (_filename, tree) in sources.items():
        imported: dict[str, tuple[str, str]] = {}  # local name → (module, name)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imported[alias.asname or alias.name] = (alias.name, "")
        local = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = []
            for base in node.bases:
                dotted = ast.unparse(base)
                head, _, rest = dotted.partition(".")
                if head in local and not rest:
                    bases.append(("ours", module, head))
                elif head in imported:
                    mod, name = imported[head]
                    if not name:  # ``import flask_appbuilder`` … ``flask_appbuilder.ModelView``
                        *path, name = rest.split(".")
                        mod = ".".join([mod, *path])
                    if name and mod.startswith("flask_appbuilder"):
                        bases.append(("fab", f"{mod}:{name}"))
                    elif name:
                        bases.append(("ours", mod, name))
            index[(module, node.name)] = (node, bases)
    return index


def _fab_bases(index, key, seen=None) -> set[str]:
    """The Flask-AppBuilder classes ``key`` derives from, through our own classes too."""
    seen = seen if seen is not None else set()
    if key in seen or key not in index:
        if key not in index and key[1]:  # e.g. re-exported through ``onewindow``: find it by name
            matches = [k for k in index if k[1] == key[1]]
            if len(matches) == 1 and matches[0] not in seen:
                return _fab_bases(index, matches[0], seen)
        return set()
    seen.add(key)
    found: set[str] = set()
    for base in index[key][1]:
        if base[0] == "fab":
            found.add(base[1])
        else:
            found |= _fab_bases(index, (base[1], base[2]), seen)
    return found


def _defined_names(stmt: ast.stmt) -> list[str]:
    """The names a statement of a class body defines (methods, class attributes)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [stmt.name]
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def fab_subclass_private_uses(sources: dict[str, tuple[str, str]]) -> list[str]:
    """``module → (filename, source)``: every ``self._x`` in a class deriving from a FAB
    class where ``_x`` is one of that FAB class's private members, as ``file:line: what``."""
    trees = {m: (f, ast.parse(src, f)) for m, (f, src) in sources.items()}
    index = _class_index(trees)
    found = []
    for (module, _name), (node, _bases) in index.items():
        fab = _fab_bases(index, (module, _name))
        if not fab:
            continue
        private = frozenset().union(*(fab_private_members(q) for q in fab))
        filename = trees[module][0]
        for stmt in node.body:  # our definitions that override FAB's private members
            names = _defined_names(stmt)
            found.extend(f"{filename}:{stmt.lineno}: {node.name}.{n} overrides FAB's" for n in names if n in private)
        for sub in ast.walk(node):
            if not (isinstance(sub, ast.Attribute) and sub.attr in private):
                continue
            owner = sub.value
            if (isinstance(owner, ast.Name) and owner.id in ("self", "cls")) or (
                isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super"
            ):
                found.append(f"{filename}:{sub.lineno}: {ast.unparse(sub)} (private to {', '.join(sorted(fab))})")
    return sorted(set(found))


def test_views_and_interfaces_use_no_private_member_of_their_appbuilder_base():
    sources = {
        _module_name(p): (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for p in _modules()
        if "migrations" not in p.parts
    }
    found = fab_subclass_private_uses(sources)
    assert not found, (
        "a class deriving from Flask-AppBuilder uses FAB's private members "
        "(use the public API, e.g. onewindow.views.model):\n" + "\n".join(found)
    )


def test_templates_read_no_private_appbuilder_member():
    private = set().union(
        *(
            fab_private_members(q)
            for q in (
                "flask_appbuilder.views:ModelView",
                "flask_appbuilder.widgets:ListWidget",
                "flask_appbuilder.widgets:ShowWidget",
                "flask_appbuilder.widgets:FormWidget",
                "flask_appbuilder.models.sqla.interface:SQLAInterface",
                "flask_appbuilder.models.filters:Filters",
            )
        )
    )
    templates = [p for root in SCANNED for p in root.rglob("*.html") if ".venv" not in p.parts]
    assert len(templates) > 20, "the scan found too few templates"
    found = [
        f"{p.relative_to(ROOT)}:{n}: .{m.group(1)}"
        for p in templates
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        for m in re.finditer(r"\.(_[a-z]\w*)", line)
        if m.group(1) in private
    ]
    assert not found, "a template reads Flask-AppBuilder's private members:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from flask_appbuilder import ModelView\nclass V(ModelView):\n"
        "    def show(self, pk):\n        return self.datamodel.get(pk, self._base_filters)\n",
        "from flask_appbuilder import ModelView\nclass V(ModelView):\n"
        "    def show(self, pk):\n        return self._show(pk), self._related_views\n",
        "from flask_appbuilder import ModelView\nclass Base(ModelView):\n    pass\nclass V(Base):\n"
        "    def list(self):\n        return super()._list()\n",
        "from flask_appbuilder.models.sqla.interface import SQLAInterface\nclass I(SQLAInterface):\n"
        "    def query_count(self, q, filters=None, select_columns=None):\n"
        "        return self._apply_inner_all(q, filters).count()\n",
        "import flask_appbuilder\nclass V(flask_appbuilder.ModelView):\n    def _get_list_widget(self, **kw):\n"
        "        return {}\n",
    ],
)
def test_the_check_finds_private_members_of_appbuilder_bases(source):
    assert fab_subclass_private_uses({"m": ("m.py", source)})


@pytest.mark.parametrize(
    "source",
    [
        "from flask_appbuilder import BaseView\nclass D(BaseView):\n    @staticmethod\n"
        "    def _page_of(p):\n        return p\n    def f(self):\n        return self._page_of(1)\n",
        "class Plain:\n    def f(self):\n        return self._show(1)\n",
        "from flask_appbuilder import ModelView\nclass V(ModelView):\n"
        "    def show(self, pk):\n        return self.datamodel.get(pk, self.datamodel.get_filters())\n",
    ],
)
def test_the_check_leaves_our_own_members_of_appbuilder_subclasses_alone(source):
    assert fab_subclass_private_uses({"m": ("m.py", source)}) == []


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
