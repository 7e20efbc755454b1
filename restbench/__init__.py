"""restbench: what an image-restoration model really scores, what it costs, and why.

Public API::

    restbench.build_model("restormer", **authors_kwargs) -> nn.Module
    restbench.load_weights(model, "checkpoint.pth")
    restbench.get_registry()  # architectures, variants, datasets from every plugin
    restbench.hookimpl        # the marker a plugin's register_models/register_datasets carry

The package follows the data flow, one subpackage per stage (docs/architecture.md):
plugin → datasets/protocols/metrics → fetch → costs/results → engine → report → analysis → cli.
"""

from __future__ import annotations

from typing import Any

from restbench.plugin.hookspecs import hookimpl

from restbench.version import __version__


def get_registry():
    """The registry filled by every loaded plugin (built-ins, entry points, --plugin modules)."""
    from restbench.plugin.manager import get_state

    return get_state().registry


def build_model(name: str, **kwargs: Any):
    """Build architecture ``name`` with the authors' constructor arguments (random init).

    ``name`` is an architecture (``"swinir"``) or a variant id, in which case the variant's
    registered kwargs are used and ``kwargs`` override them.
    """
    reg = get_registry()
    if name in reg.architectures:
        return reg.architectures[name].builder(**kwargs)
    if name in reg.variants:
        v = reg.variants[name]
        return reg.architectures[v.arch].builder(**{**v.arch_kwargs, **kwargs})
    known = ", ".join(sorted(reg.architectures))
    raise KeyError(f"no architecture or variant named {name!r}; architectures: {known}")


def load_weights(model, path, **kwargs):
    """Load an authors' checkpoint into ``model`` (see :func:`restbench.fetch.checkpoint.load_weights`)."""
    from restbench.fetch.checkpoint import load_weights as _load

    return _load(model, path, **kwargs)


__all__ = ["__version__", "build_model", "get_registry", "hookimpl", "load_weights"]
