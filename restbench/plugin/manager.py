"""Finding and loading plugins, the pytest way.

Sources, in order: the built-in plugins (same hooks as everyone else), entry points in group
``restbench`` (unless ``RESTBENCH_DISABLE_PLUGIN_AUTOLOAD`` is set), then modules named with
``--plugin MODULE`` or ``RESTBENCH_PLUGINS=mod1,mod2``. ``RESTBENCH_BLOCK_PLUGINS=name1,name2``
skips plugins by entry-point or module name. A plugin that fails to import or to register is
recorded in :data:`PluginState.errors` with a one-line reason; the others still load.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata as md
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Iterable, Mapping

import pluggy

from restbench.plugin import hookspecs
from restbench.registry import Architecture, CheckpointArchitecture, Dataset, Registry, RegistrationError, Variant

ENTRY_POINT_GROUP = "restbench"
DEFAULT_PLUGINS = ("restbench.plugin.builtin.baselines", "restbench.plugin.builtin.datasets")


@dataclass
class PluginInfo:
    name: str
    module: str
    version: str
    source: str  # 'builtin', 'entry-point' or 'option'


@dataclass
class PluginState:
    manager: pluggy.PluginManager
    registry: Registry
    plugins: list[PluginInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[PluginInfo] = field(default_factory=list)  # skipped by RESTBENCH_BLOCK_PLUGINS (never imported)


def _env_list(name: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").split(",") if x.strip()]


def _dist_version(module: ModuleType, dist: md.Distribution | None = None) -> str:
    """The version of the distribution a plugin came from (entry points carry it for free)."""
    if dist is not None:
        return dist.version
    top = module.__name__.split(".")[0]
    if top == "restbench":
        from restbench.version import __version__

        return __version__
    for dist_name in _packages_distributions().get(top, []):
        try:
            return md.version(dist_name)
        except md.PackageNotFoundError:
            pass
    return getattr(module, "__version__", "unknown")


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> Mapping[str, list[str]]:
    """Reads every installed package's file list (~0.4 s): once per process, and only for --plugin."""
    return md.packages_distributions()


def load_plugins(extra: Iterable[str] = (), autoload: bool | None = None) -> PluginState:
    """Build a plugin manager and a filled registry. Never raises for a broken plugin."""
    pm = pluggy.PluginManager("restbench")
    pm.add_hookspecs(hookspecs)
    state = PluginState(manager=pm, registry=Registry())
    blocked = set(_env_list("RESTBENCH_BLOCK_PLUGINS"))
    if autoload is None:
        autoload = not os.environ.get("RESTBENCH_DISABLE_PLUGIN_AUTOLOAD")

    def add(name: str, module_name: str, source: str, loader, dist=None) -> None:
        if name in blocked or module_name in blocked:
            version = getattr(dist, "version", None) or "unknown"
            state.blocked.append(PluginInfo(name, module_name, version, source))
            return
        if pm.has_plugin(name):
            return
        try:
            module = loader()
        except Exception as exc:  # a broken plugin must not take the others down
            state.errors.append(f"plugin {name!r} ({module_name}) failed to import: {type(exc).__name__}: {exc}")
            return
        try:
            pm.register(module, name=name)
        except Exception as exc:
            state.errors.append(f"plugin {name!r} could not be registered: {exc}")
            return
        state.plugins.append(PluginInfo(name, module_name, _dist_version(module, dist), source))

    for mod in DEFAULT_PLUGINS:
        add(mod.rsplit(".", 1)[-1], mod, "builtin", lambda mod=mod: importlib.import_module(mod))
    if autoload:
        for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            add(ep.name, ep.value, "entry-point", ep.load, getattr(ep, "dist", None))
    for mod in [*_env_list("RESTBENCH_PLUGINS"), *extra]:
        add(mod, mod, "option", lambda mod=mod: importlib.import_module(mod))

    _collect(state)
    return state


def _collect(state: PluginState) -> None:
    """Call each plugin's hook implementations one at a time so a failure is pinned on its owner.

    Registration is all-or-nothing per plugin and hook: a plugin that raises half-way leaves
    nothing behind.
    """
    reg = state.registry
    for impl in state.manager.hook.register_models.get_hookimpls():
        pending: list[tuple[Architecture, list[Variant]]] = []

        def register(arch: Architecture, variants: Iterable[Variant] = ()) -> None:
            pending.append((arch, list(variants)))

        if not _call(state, impl, "register_models", register):
            continue
        for arch, variants in pending:
            try:
                reg.add_model(impl.plugin_name, arch, variants)
            except RegistrationError as exc:
                state.errors.append(f"plugin {impl.plugin_name!r}: {exc}")
    for impl in state.manager.hook.register_datasets.get_hookimpls():
        pending_ds: list[Dataset] = []
        if not _call(state, impl, "register_datasets", pending_ds.append):
            continue
        for ds in pending_ds:
            try:
                reg.add_dataset(impl.plugin_name, ds)
            except RegistrationError as exc:
                state.errors.append(f"plugin {impl.plugin_name!r}: {exc}")


def _call(state: PluginState, impl, hook: str, register) -> bool:
    try:
        impl.function(register=register)
    except Exception as exc:
        state.errors.append(f"plugin {impl.plugin_name!r} failed in {hook}: {type(exc).__name__}: {exc}")
        return False
    return True


def checkpoint_architectures(state: PluginState) -> list[CheckpointArchitecture]:
    """What the loaded ``resolve_checkpoint`` plugins can identify; a failing plugin is reported, not fatal."""
    found: list[CheckpointArchitecture] = []
    for impl in state.manager.hook.checkpoint_architectures.get_hookimpls():
        try:
            found.extend(impl.function())
        except Exception as exc:
            state.errors.append(f"plugin {impl.plugin_name!r} failed in checkpoint_architectures: {type(exc).__name__}: {exc}")
    return found


_STATE: PluginState | None = None


def get_state(extra: Iterable[str] = ()) -> PluginState:
    """The process-wide plugin state, loaded once (``reset()`` forgets it, for tests and --plugin)."""
    global _STATE
    if _STATE is None or extra:
        _STATE = load_plugins(extra)
    return _STATE


def reset() -> None:
    global _STATE
    _STATE = None


__all__ = ["Dataset", "PluginInfo", "PluginState", "checkpoint_architectures", "get_state", "load_plugins", "reset"]
