"""The hooks a restbench plugin implements (entry-point group ``restbench``).

A plugin module defines functions decorated with ``@restbench.hookimpl`` whose names match
these specs. Built-in baselines use the very same hooks (see ``restbench.plugin.builtin``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import pluggy

if TYPE_CHECKING:
    from restbench.registry import CheckpointArchitecture, DetectedCheckpoint

hookspec = pluggy.HookspecMarker("restbench")
hookimpl = pluggy.HookimplMarker("restbench")


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Register model families: ``register(Architecture(...), variants=[Variant(...), ...])``."""


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Register test sets: ``register(DatasetSpec(...))``."""


@hookspec
def resolve_checkpoint(path: Path, state_dict: Mapping[str, Any]) -> DetectedCheckpoint | None:
    """Identify a bare checkpoint file named with ``--models PATH``.

    ``state_dict`` is the file's content, already read safely by restbench (``torch.load`` with
    ``weights_only=True``, or safetensors) and unwrapped from the usual ``params``/``state_dict``
    keys; a plugin never unpickles the file itself. Return a
    :class:`~restbench.registry.DetectedCheckpoint`, or None when the file is not yours (the next
    resolver is asked). Raise :class:`~restbench.errors.UserError` to stop with a message when you
    recognise the file but it cannot be run (say what was found and what is missing).
    """


@hookspec
def checkpoint_architectures() -> Sequence[CheckpointArchitecture]:
    """The architectures your ``resolve_checkpoint`` identifies, each with the licence it carries.

    Listed by ``restbench models`` (and its ``--json``), so the licence of what a bare file would
    run as is visible before anything runs.
    """
