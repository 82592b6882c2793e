"""pytest fixtures for OneWindow and for plugin authors (loaded through the ``pytest11`` entry point).

The database is real: SQLite by default, PostgreSQL when ``ONEWINDOW_TEST_DATABASE_URL`` names
a server (``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``; the role must be
allowed to create databases). A template database is migrated and seeded once per
session (roles, permissions, demo organisation and staff); every test gets a fresh
copy of it (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL).

Fixtures:

- ``ow_database`` — URL of a fresh database for this test (template copy)
- ``app`` — the application on that database (CSRF off for convenience)
- ``client`` / ``runner`` — Flask test client and CLI runner
- ``demo_logins`` — ``{username: password}`` of the demo staff (one per role)
- ``login`` — ``login(client, username)`` signs a demo user in through the real form
- ``make_app`` — ``make_app(plugins=[(key, module)], config={...})`` builds an app with
  extra (throwaway) plugins on this test's database and syncs their permissions
- ``throwaway_plugin`` — ``throwaway_plugin(source, key="throwaway")`` writes a module
  from source text and returns it, ready for ``make_app(plugins=[(key, module)])``

Helper: :func:`database_fingerprint` (every table's rows, hashed) to assert that a
database is exactly as before, or exactly like another.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import sys
import textwrap
import uuid
import weakref
from pathlib import Path

import pytest

from onewindow.environ import getenv

#: ``ONEWINDOW_TEST_DATABASE_URL`` (its old name ``OW_TEST_DATABASE_URL`` is still read, with a warning).
TEST_DB_ENV = "TEST_DATABASE_URL"
_counter = itertools.count()


def database_fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """{table: (row count, SHA-256 of every row in primary-key order)} of a whole database."""
    import hashlib

    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        found = {}
        with engine.connect() as conn:
            for name, table in sorted(meta.tables.items()):
                order = list(table.primary_key.columns) or list(table.columns)
                digest, count = hashlib.sha256(), 0
                for row in conn.execute(select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                    count += 1
                found[name] = (count, digest.hexdigest())
        return found
    finally:
        engine.dispose()


def _is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith("postgresql")


class _Databases:
    """Template database plus per-test clones."""

    def __init__(self, base_dir: Path, server_url: str | None):
        self.base_dir = base_dir
        self.server_url = server_url
        self.template_name = f"ow_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.clones: list[str] = []

    # -- URLs
    def _pg_url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        assert self.server_url is not None
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def template_url(self) -> str:
        if _is_postgres(self.server_url):
            return self._pg_url(self.template_name)
        return f"sqlite:///{self.base_dir / 'template.db'}"

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        assert self.server_url is not None
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def create_template(self) -> dict[str, str]:
        from onewindow.app import create_app, db
        from onewindow.setup import initialise

        if _is_postgres(self.server_url):
            self._admin(f'CREATE DATABASE "{self.template_name}"')
        instance = self.base_dir / "template-instance"
        app = create_app({"DATABASE_URL": self.template_url(), "TESTING": True}, instance_path=instance)
        report = initialise(app, demo=True, history=False)  # tests start from an empty centre
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return {user: password for user, password, _role in report.logins}

    def clone(self) -> str:
        n = next(_counter)
        if _is_postgres(self.server_url):
            name = f"{self.template_name}_{n}"
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
            self.clones.append(name)
            return self._pg_url(name)
        target = self.base_dir / f"test_{n}.db"
        shutil.copyfile(self.base_dir / "template.db", target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        if _is_postgres(self.server_url):
            name = url.rsplit("/", 1)[1]
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.clones.remove(name)

    def close(self) -> None:
        if _is_postgres(self.server_url):
            for name in list(self.clones):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._admin(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _ow_databases(tmp_path_factory):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "engine_connect", _remember_engine)
    dbs = _Databases(tmp_path_factory.mktemp("onewindow-db"), getenv(TEST_DB_ENV) or None)
    dbs.logins = dbs.create_template()
    yield dbs
    dbs.close()
    event.remove(Engine, "engine_connect", _remember_engine)


@pytest.fixture
def demo_logins(_ow_databases) -> dict[str, str]:
    return dict(_ow_databases.logins)


@pytest.fixture
def ow_database(_ow_databases):
    url = _ow_databases.clone()
    yield url
    _dispose_all()
    _ow_databases.drop(url)


#: Every engine that connected during the tests (the apps' engines included), so that a
#: test's database can be dropped or its file removed once its connections are closed.
_engines: weakref.WeakSet = weakref.WeakSet()


def _remember_engine(connection) -> None:
    _engines.add(connection.engine)


def _dispose_all() -> None:
    for engine in list(_engines):
        engine.dispose()


@pytest.fixture
def make_app(ow_database, tmp_path):
    """Build an app on this test's database, optionally with extra plugins and config."""
    from onewindow.app import create_app
    from onewindow.setup import initialise

    built = []

    def _make(plugins=(), config=None, sync=True):
        settings = {"DATABASE_URL": ow_database, "TESTING": True, "WTF_CSRF_ENABLED": False}
        settings.update(config or {})
        app = create_app(settings, instance_path=tmp_path / "instance", plugins=list(plugins))
        if sync and plugins:
            initialise(app)  # writes the plugins' permissions and role grants
        built.append(app)
        return app

    yield _make
    from onewindow.app import db

    for app in built:
        with app.app_context():
            db.session.remove()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(demo_logins):
    def _login(client, username: str, password: str | None = None):
        response = client.post(
            "/login/",
            data={"username": username, "password": password or demo_logins[username]},
            follow_redirects=False,
        )
        assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
        return response

    return _login


@pytest.fixture
def throwaway_plugin(tmp_path):
    """Write a plugin module from source text; returns the imported module."""
    created = []

    def _make(source: str, key: str = "throwaway"):
        name = f"ow_throwaway_{key}_{uuid.uuid4().hex[:8]}"
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        created.append(name)
        return module

    yield _make
    for name in created:
        sys.modules.pop(name, None)


# --- browser tests -----------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(getenv("TEST_ARTIFACTS") or "test-artifacts")


@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def _chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test.sh (it installs Debian's chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(_chromium, request):
    """A fresh Chromium page; a screenshot is kept in test-artifacts/ after the test."""
    context = _chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


# --- cases -------------------------------------------------------------------


@pytest.fixture
def make_item(app):
    """Create an item (in force) with materials and routing; returns its id.

    ``steps``: ``[(department credit code, days, is_lead, silence_consents), ...]``;
    ``materials``: ``[(name, necessity, source, licence_type_code), ...]`` with necessity
    ``required|optional|deferrable`` and source ``applicant|government|other``.
    """
    from onewindow.app import db
    from onewindow.models import Department
    from onewindow.models.items import (
        HandlingType,
        Item,
        ItemType,
        Material,
        MaterialForm,
        MaterialSource,
        Necessity,
        RoutingMode,
        RoutingStep,
        ServiceMode,
    )

    counter = itertools.count(1)

    def _make(
        *,
        name="测试事项",
        department="11369921102345608H",
        handling="promised",
        promised=5,
        legal=20,
        routing="sequential",
        steps=None,
        materials=None,
        correction_limit=5,
        extension_days=10,
        in_person=False,
        postal=True,
        visits=1,
        licence_type_code=None,
        warning_days=1,
    ):
        with app.app_context():
            dept = db.session.query(Department).filter_by(credit_code=department).one()
            item_type = db.session.query(ItemType).filter_by(code="01").one_or_none()
            if item_type is None:
                item_type = ItemType(code="01", name="行政许可")
                db.session.add(item_type)
            basic = f"9{next(counter):011d}"
            item = Item(
                basic_code=basic,
                implementation_code=f"{dept.credit_code}3{basic}",
                name=name,
                item_type=item_type,
                department=dept,
                legal_days=legal,
                promised_days=promised,
                handling_type=HandlingType[handling],
                correction_limit_days=correction_limit,
                extension_days=extension_days,
                service_mode=ServiceMode.window_post,
                visits_required=visits,
                postal_delivery=postal,
                in_person_required=in_person,
                routing_mode=RoutingMode[routing],
                licence_type_code=licence_type_code,
                warning_days=warning_days,
                legal_basis="测试依据",
            )
            for position, (m_name, necessity, source, licence) in enumerate(
                materials
                or [
                    ("申请书", "required", "applicant", None),
                    ("身份证明", "required", "applicant", None),
                    ("场所使用证明", "deferrable", "applicant", None),
                ],
                start=1,
            ):
                item.materials.append(
                    Material(
                        position=position,
                        name=m_name,
                        necessity=Necessity[necessity],
                        form=MaterialForm.original,
                        copies=1,
                        source=MaterialSource[source],
                        licence_type_code=licence,
                    )
                )
            for position, (code, days, lead, silence) in enumerate(
                steps or [(department, promised, True, False)], start=1
            ):
                step_dept = db.session.query(Department).filter_by(credit_code=code).one()
                item.steps.append(
                    RoutingStep(
                        position=position, department=step_dept, is_lead=lead, days=days, silence_consents=silence
                    )
                )
            db.session.add(item)
            db.session.commit()
            return item.id

    return _make


@pytest.fixture
def actor(app):
    """``actor("approver")``: the engine Actor of a demo staff user."""
    from onewindow.app import db
    from onewindow.cases.core import Actor
    from onewindow.models import Staff

    def _actor(username: str):
        with app.app_context():
            return Actor.of(db.session.query(Staff).filter_by(username=username).one())

    return _actor
