"""The hooks a restbench plugin implements (entry-point group ``restbench``).

A plugin module defines functions decorated with ``@restbench.hookimpl`` whose names match
these specs. Built-in baselines use the very same hooks (see ``restbench.plugin.builtin``).
"""

from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("restbench")
hookimpl = pluggy.HookimplMarker("restbench")


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Register model families: ``register(Architecture(...), variants=[Variant(...), ...])``."""


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Register test sets: ``register(DatasetSpec(...))``."""
