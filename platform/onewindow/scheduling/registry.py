"""The jobs plugins contribute through ``register_jobs``, collected once per app.

A job is referenced by import path (``"module:function"``) so that the persistent
job store can reload it in another process; a job id registered twice stops startup
with both sources named (STYLE 4: duplicates fail loudly, nothing is overridden).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from onewindow.errors import StartupError
from onewindow.plugins import PluginHost, Registry

TRIGGERS = ("interval", "cron", "date")


@dataclass(frozen=True)
class JobSpec:
    id: str
    ref: str  # "module:function"
    trigger: str = "interval"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def resolve(self) -> Callable[[], Any]:
        return resolve(self.ref)


def resolve(ref: str) -> Callable[[], Any]:
    module, _, name = ref.partition(":")
    if not module or not name:
        raise StartupError(f"job reference {ref!r} is not 'module:function'")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise StartupError(f"job reference {ref!r} cannot be imported: {exc}") from None


def collect_jobs(host: PluginHost) -> list[JobSpec]:
    """Every job of the core parts and plugins, in registration order; duplicates refused."""
    registry = Registry("scheduler job")
    specs: list[JobSpec] = []
    for source, args, kwargs in host.collect("register_jobs"):
        if len(args) < 2:
            raise StartupError(f"{source} registers a job without 'job_id, \"module:function\"': {args!r}")
        job_id, ref, kwargs = args[0], args[1], dict(kwargs)
        trigger = args[2] if len(args) > 2 else kwargs.pop("trigger", "interval")
        kwargs.pop("trigger", None)
        if trigger not in TRIGGERS:
            raise StartupError(
                f"{source} registers job {job_id!r} with unknown trigger {trigger!r}; use one of {', '.join(TRIGGERS)}"
            )
        spec = JobSpec(str(job_id), str(ref), trigger, dict(kwargs), source)
        registry.add(spec.id, spec, source)
        spec.resolve()  # an unimportable job fails at startup, not at 3 a.m.
        specs.append(spec)
    return specs
