"""Which variants a user means: 'all', family names, variant ids, comma lists.

Shared by run, profile, verify, explain, compare and ablate, so that every command understands
``--models`` the same way and fails the same way on a name it does not know.
"""

from __future__ import annotations

from restbench.engine.checkpoints import looks_like_checkpoint, variant_from_checkpoint
from restbench.errors import UserError
from restbench.registry import Variant


def level(v: Variant) -> str:
    """The degradation level a variant was trained for, as users write it."""
    parts = []
    if v.scale:
        parts.append(f"x{v.scale}")
    if v.sigma is not None:
        parts.append(f"σ{v.sigma}")
    if v.quality is not None:
        parts.append(f"q{v.quality}")
    if v.blind:
        parts.append("blind")
    return " ".join(parts)


def select_variants(state, targets: list[str], checkpoints=None) -> list[Variant]:
    """Expand 'all', family names and variant ids (comma lists allowed) into variants.

    An item that is a checkpoint file (``mynet.pth``) becomes a variant on the fly
    (:mod:`restbench.engine.checkpoints`; ``checkpoints`` is the command's
    :class:`~restbench.engine.checkpoints.CheckpointRequest`).
    """
    reg = state.registry
    out: list[Variant] = []
    for t in [x.strip() for item in targets for x in item.split(",") if x.strip()]:
        if t == "all":
            out.extend(reg.variants.values())
        elif t in reg.variants:
            out.append(reg.variants[t])
        elif t in reg.architectures:
            out.extend(reg.variants_of(t))
        elif looks_like_checkpoint(t):
            out.append(variant_from_checkpoint(state, t, checkpoints))
        else:
            raise UserError(_unknown_model(state, t))
    seen: dict[str, Variant] = {}
    for v in out:
        seen.setdefault(v.id, v)
    return list(seen.values())


def _unknown_model(state, name: str) -> str:
    """Why ``name`` is unknown: a blocked plugin that provides it is named, not hidden."""
    blocked = list(getattr(state, "blocked", ()))
    for p in blocked:
        if name == p.name or name.startswith(p.name) or p.module.endswith("_" + name.split("-")[0]):
            return (f"model {name!r} is provided by plugin {p.name!r} ({p.module}), which is blocked by "
                    f"RESTBENCH_BLOCK_PLUGINS; remove {p.name} from RESTBENCH_BLOCK_PLUGINS to use it")
    msg = (f"unknown model {name!r}; families: {', '.join(sorted(state.registry.architectures))} "
           "(see `restbench models` for variant ids)")
    if blocked:
        msg += f"; blocked by RESTBENCH_BLOCK_PLUGINS (not loaded): {', '.join(p.name for p in blocked)}"
    return msg


__all__ = ["level", "select_variants"]
