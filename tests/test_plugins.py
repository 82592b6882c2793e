"""The plugin contract: discovery by entry point, disabling, hook checks, duplicates fail loudly."""

import sys
import textwrap

import pytest

from onewindow.app import create_app
from onewindow.errors import DuplicateRegistration, StartupError
from onewindow.plugins import build_plugin_host

VIEW_PLUGIN = """
    from flask_appbuilder import BaseView, expose, has_access
    from onewindow.plugins import hookimpl

    class HelloView(BaseView):
        route_base = "/hello"
        default_view = "index"
        base_permissions = ["can_index"]

        @expose("/")
        @has_access
        def index(self):
            return "hello from a plugin"

    @hookimpl
    def register_views(register):
        register(HelloView, name="Hello", label="Hello", category="Organisation")

    @hookimpl
    def register_permissions(register):
        register("acceptor", [("can_index", "HelloView"), ("menu_access", "Hello")])
"""


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """Install a plugin the way a third party would: a distribution with an entry point."""

    def _install(key: str, module_source: str, module: str | None = None):
        module = module or f"ow_ep_{key}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
        dist = tmp_path / f"ow_ep_{key}-1.2.3.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: ow-ep-{key}\nVersion: 1.2.3\n")
        (dist / "entry_points.txt").write_text(f"[onewindow.plugins]\n{key} = {module}\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, module, raising=False)
        return module

    return _install


def test_entry_point_plugin_is_discovered_and_listed(installed_plugin, tmp_path):
    installed_plugin("hello", VIEW_PLUGIN)
    host = build_plugin_host()
    info = {p.key: p for p in host.plugins}["hello"]
    assert (info.version, info.status) == ("1.2.3", "loaded")


def test_disabled_plugin_is_not_loaded_but_listed_as_disabled(installed_plugin):
    installed_plugin("hello", "raise RuntimeError('must not be imported')")
    host = build_plugin_host(disabled=["hello"])
    assert {p.key: p.status for p in host.plugins}["hello"] == "disabled"
    assert host.pm.get_plugin("hello") is None


def test_disabling_an_unknown_plugin_is_refused():
    with pytest.raises(StartupError, match="unknown plugin.*nosuch"):
        build_plugin_host(disabled=["nosuch"])


def test_plugin_that_fails_to_import_stops_startup_naming_it(installed_plugin):
    installed_plugin("broken", "import does_not_exist_anywhere\n")
    with pytest.raises(StartupError) as err:
        build_plugin_host()
    message = str(err.value)
    assert "plugin 'broken'" in message and "does_not_exist_anywhere" in message
    assert "ONEWINDOW_PLUGINS_DISABLED=broken" in message


def test_misspelt_hook_fails_startup(throwaway_plugin):
    plugin = throwaway_plugin("""
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_veiws(register):
            pass
    """)
    with pytest.raises(StartupError, match="register_veiws"):
        build_plugin_host(extra_plugins=[("typo", plugin)])


def test_duplicate_view_registration_names_both_plugins(throwaway_plugin, tmp_path, ow_database):
    source = VIEW_PLUGIN
    first = throwaway_plugin(source, key="one")
    second_source = "from {} import HelloView\n".format(first.__name__) + textwrap.dedent("""
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_views(register):
            register(HelloView)
    """)
    second = throwaway_plugin(second_source, key="two")
    with pytest.raises(DuplicateRegistration) as err:
        create_app({"DATABASE_URL": ow_database}, instance_path=tmp_path, plugins=[("one", first), ("two", second)])
    assert "'HelloView'" in str(err.value) and "'one'" in str(err.value) and "'two'" in str(err.value)


def test_plugin_cannot_redefine_a_core_role(throwaway_plugin, tmp_path, ow_database):
    plugin = throwaway_plugin("""
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_roles(register):
            register("acceptor", "另一个受理员")
    """)
    with pytest.raises(DuplicateRegistration, match="duplicate role 'acceptor'"):
        create_app({"DATABASE_URL": ow_database}, instance_path=tmp_path, plugins=[("x", plugin)])


def test_grant_to_unknown_role_is_refused(throwaway_plugin, tmp_path, ow_database):
    plugin = throwaway_plugin("""
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_permissions(register):
            register("janitor", [("can_list", "RegionView")])
    """)
    with pytest.raises(StartupError, match="unknown role 'janitor'"):
        create_app({"DATABASE_URL": ow_database}, instance_path=tmp_path, plugins=[("x", plugin)])


def test_plugin_config_section_is_validated(throwaway_plugin):
    plugin = throwaway_plugin("""
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_config(register):
            register("cfgplug", {"yellow_days": 1})
    """)
    host = build_plugin_host(extra_plugins=[("cfgplug", plugin)], plugin_sections={"cfgplug": {"yellow_days": 2}})
    assert host.plugin_config("cfgplug") == {"yellow_days": 2}
    with pytest.raises(StartupError, match=r"\[plugins.cfgplug\] has unknown key\(s\) yelow_days"):
        build_plugin_host(extra_plugins=[("cfgplug", plugin)], plugin_sections={"cfgplug": {"yelow_days": 2}})


def test_throwaway_plugin_adds_a_view_and_a_role_permission(throwaway_plugin, make_app, login):
    plugin = throwaway_plugin(VIEW_PLUGIN, key="hello")
    app = make_app(plugins=[("hello", plugin)])
    acceptor = app.test_client()
    login(acceptor, "acceptor")
    assert acceptor.get("/hello/").get_data(as_text=True) == "hello from a plugin"
    approver = app.test_client()
    login(approver, "approver")
    assert approver.get("/hello/").status_code == 403


def test_plugins_page_lists_loaded_plugins(throwaway_plugin, make_app, login):
    plugin = throwaway_plugin(VIEW_PLUGIN, key="hello")
    app = make_app(plugins=[("hello", plugin)])
    client = app.test_client()
    login(client, "admin")
    page = client.get("/plugins/").get_data(as_text=True)
    assert "hello" in page and "已加载" in page
