"""Plugin manager: one per app, built in the app factory; nothing loads at import time.

Plugins are discovered through the entry-point group ``onewindow.plugins``; the
entry-point name is the plugin key, used everywhere (table prefix, permission
prefix, template folder, migration branch, config section). Built-in plugins under
``plugins/`` are installed packages registered exactly like third-party ones.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pluggy

from onewindow import hookspecs
from onewindow.errors import DuplicateRegistration, StartupError

ENTRY_POINT_GROUP = "onewindow.plugins"

hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)


# --- permission pairs for ``register_permissions`` -----------------------------


def can(view: str, *methods: str) -> list[tuple[str, str]]:
    """``can("CaseView", "list", "show")`` → ``[("can_list", "CaseView"), ("can_show", "CaseView")]``."""
    return [(f"can_{m}", view) for m in methods]


def read(*views: str, api: bool = False) -> list[tuple[str, str]]:
    """List and show on each view (and, for a REST API, ``get`` and ``info``)."""
    methods = ("list", "show", "get", "info") if api else ("list", "show")
    return [pair for view in views for pair in can(view, *methods)]


def menu(*names: str) -> list[tuple[str, str]]:
    """``menu_access`` to each menu entry or category."""
    return [("menu_access", n) for n in names]


@dataclass
class PluginInfo:
    key: str
    version: str
    module: str
    status: str  # "loaded" | "disabled"
    distribution: str = ""
    #: A disabled plugin's migration folder (``<package>/migrations/versions``), found
    #: without importing it, so that its applied revisions stay known to Alembic.
    migrations: str | None = None


def migrations_folder(module: str) -> str | None:
    """``<package>/migrations/versions`` of the package holding ``module``, if it exists.

    Only the package is located (``importlib.util.find_spec`` of the top-level name, which
    does not run it): a plugin may be disabled precisely because it fails to import.
    """
    try:
        spec = importlib.util.find_spec(module.split(".")[0])
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "migrations" / "versions"
        if folder.is_dir():
            return str(folder)
    return None


def installed_plugin_keys() -> list[str]:
    """The keys of the installed plugins (entry points), without importing any of them."""
    return [ep.name for ep in _entry_points()]


def set_plugin_enabled(instance_path: Path, key: str, *, enabled: bool) -> list[str]:
    """Record in ``<instance>/onewindow.toml`` (``PLUGINS_DISABLED``) that a plugin is
    enabled or disabled from the next start; returns the disabled keys.

    Works without importing any plugin, so a plugin that fails to import can be disabled.
    """
    import os

    from onewindow import config

    installed = installed_plugin_keys()
    if key not in installed:
        raise StartupError(f"no installed plugin has the key {key!r}; installed: {', '.join(installed) or 'none'}")
    variable = f"{config.ENV_PREFIX}PLUGINS_DISABLED"
    if variable in os.environ:
        raise StartupError(
            f"the environment variable {variable} overrides PLUGINS_DISABLED of "
            f"{instance_path / config.CONFIG_FILE_NAME}; unset it (or change it there) first"
        )
    file_values, _ = config.load_file(instance_path / config.CONFIG_FILE_NAME)
    disabled = [k for k in file_values.get("PLUGINS_DISABLED", []) if k != key]
    if not enabled:
        disabled.append(key)
    config.write_plugins_disabled(instance_path, disabled)
    return disabled


class Registry:
    """Keyed contributions that refuse duplicates, naming both sources."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, tuple[Any, str]] = {}

    def add(self, key: str, value: Any, source: str) -> None:
        if key in self._items:
            first = self._items[key][1]
            raise DuplicateRegistration(
                f"duplicate {self.kind} {key!r}: registered by {first} and again by {source}; "
                f"rename one of them or disable one plugin (onewindow plugins disable KEY)"
            )
        self._items[key] = (value, source)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __getitem__(self, key: str) -> Any:
        return self._items[key][0]

    def items(self) -> Iterable[tuple[str, Any]]:
        return ((k, v) for k, (v, _src) in self._items.items())

    def source(self, key: str) -> str:
        return self._items[key][1]

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class PluginHost:
    """The app's plugin manager plus what the plugins contributed."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    plugin_sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: Registry = field(default_factory=lambda: Registry("config section"))

    @property
    def hook(self):
        return self.pm.hook

    def plugin_key(self, plugin: object) -> str:
        name = self.pm.get_name(plugin)
        return name or repr(plugin)

    def collect(self, hook_name: str) -> list[tuple[str, tuple, dict]]:
        """Call a ``register_*`` hook; return ``(source, args, kwargs)`` per register() call."""
        calls: list[tuple[str, tuple, dict]] = []
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            source = f"plugin {impl.plugin_name!r}"

            def register(*args: Any, _source: str = source, **kwargs: Any) -> None:
                calls.append((_source, args, kwargs))

            impl.function(**{name: register for name in impl.argnames})
        return calls

    def plugin_config(self, key: str) -> dict[str, Any]:
        defaults = self.config[key] if key in self.config else {}
        return {**defaults, **self.plugin_sections.get(key, {})}

    def load_config_sections(self) -> None:
        for source, (key, defaults), _ in self.collect("register_config"):
            self.config.add(key, dict(defaults), source)
        for key, section in self.plugin_sections.items():
            if key not in self.config:
                raise StartupError(
                    f"onewindow.toml: [plugins.{key}] is for a plugin that is not loaded "
                    f"or declares no configuration; loaded plugins: "
                    f"{', '.join(p.key for p in self.plugins if p.status == 'loaded') or 'none'}"
                )
            unknown = sorted(set(section) - set(self.config[key]))
            if unknown:
                raise StartupError(
                    f"onewindow.toml: [plugins.{key}] has unknown key(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(self.config[key])) or 'none'}"
                )


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    seen: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in eps:
        if ep.name in seen and seen[ep.name].value != ep.value:
            raise DuplicateRegistration(
                f"duplicate plugin key {ep.name!r}: entry points {seen[ep.name].value} and {ep.value}; "
                "two installed packages claim the same key, uninstall one"
            )
        seen[ep.name] = ep
    return sorted(seen.values(), key=lambda e: e.name)


def build_plugin_host(
    disabled: Iterable[str] = (),
    extra_plugins: Iterable[tuple[str, object]] = (),
    plugin_sections: dict[str, dict[str, Any]] | None = None,
) -> PluginHost:
    """Create the plugin manager: block disabled plugins, load entry points, check hooks.

    ``extra_plugins`` are ``(key, module_or_object)`` pairs registered like entry points
    (tests use it for throwaway plugins).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm=pm, plugin_sections=dict(plugin_sections or {}))
    disabled = set(disabled)

    for ep in _entry_points():
        dist = ep.dist
        version = dist.version if dist else "?"
        dist_name = dist.metadata["Name"] if dist else ""
        if ep.name in disabled:
            pm.set_blocked(ep.name)
            host.plugins.append(
                PluginInfo(ep.name, version, ep.value, "disabled", dist_name, migrations=migrations_folder(ep.value))
            )
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must stop startup with one clear line
            last = traceback.extract_tb(exc.__traceback__)[-1]
            raise StartupError(
                f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc} "
                f"at {last.filename}:{last.lineno}; fix it or disable it: "
                f"onewindow plugins disable {ep.name} (or ONEWINDOW_PLUGINS_DISABLED={ep.name})"
            ) from exc
        _register(pm, plugin, ep.name)
        host.plugins.append(PluginInfo(ep.name, version, ep.value, "loaded", dist_name))

    for key, plugin in extra_plugins:
        if key in disabled:
            name = getattr(plugin, "__name__", "")
            host.plugins.append(
                PluginInfo(key, "test", repr(plugin), "disabled", migrations=migrations_folder(name) if name else None)
            )
            continue
        _register(pm, plugin, key)
        version = getattr(plugin, "__version__", "0")
        host.plugins.append(PluginInfo(key, str(version), getattr(plugin, "__name__", repr(plugin)), "loaded"))

    unknown_disabled = disabled - {p.key for p in host.plugins}
    if unknown_disabled:
        raise StartupError(
            f"PLUGINS_DISABLED names unknown plugin(s) {', '.join(sorted(unknown_disabled))}; "
            f"installed: {', '.join(p.key for p in host.plugins) or 'none'}"
        )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(
            f"plugin {pm.get_name(exc.plugin)!r} implements a hook that does not exist: {exc}; "
            "check the spelling against onewindow/hookspecs.py"
        ) from None
    host.load_config_sections()
    return host


def _register(pm: pluggy.PluginManager, plugin: object, key: str) -> None:
    if pm.get_plugin(key) is not None:
        raise DuplicateRegistration(f"duplicate plugin key {key!r}: a plugin with that key is already loaded")
    try:
        pm.register(plugin, name=key)
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"plugin {key!r} has an invalid hook implementation: {exc}") from None


def call_register_hook(
    host: PluginHost, hook_name: str, registry: Registry, key_of: Callable[[tuple, dict], str]
) -> list[tuple[str, tuple, dict]]:
    """Run a register hook, enforce unique keys, return the calls in order."""
    calls = host.collect(hook_name)
    for source, args, kwargs in calls:
        registry.add(key_of(args, kwargs), (args, kwargs), source)
    return calls
