"""Planning: which variants run on which test set, at which level, under which protocol.

Per family, the variants trained for the set's task and the asked level are picked (Set5 x2 →
SwinIR classical and lightweight x2, bicubic x2; GoPro → Restormer and Uformer deblurring). A
family with nothing suitable is reported as skipped with the reason — never silently dropped.
A blind denoiser runs only when its family has no variant trained for the asked σ, or when it
is named by id: the papers compare per-σ models, and a blind model is a different claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from restbench.registry import Registry, Variant

# Tasks whose inputs are smaller than the target; everything else is same-size restoration.
SR_TASKS = ("classical-sr", "lightweight-sr", "real-sr")
LEVEL_OF_TASK = {
    "gaussian-denoising": "sigma",
    "classical-sr": "scale",
    "lightweight-sr": "scale",
    "real-sr": "scale",
    "jpeg-car": "quality",
}


class PlanError(Exception):
    """The request cannot be planned (unknown set, missing level); the message says what to pass."""


@dataclass(frozen=True)
class Level:
    sigma: int | None = None
    scale: int | None = None
    quality: int | None = None

    def get(self, name: str) -> int | None:
        return getattr(self, name)


@dataclass
class Job:
    variant: Variant
    dataset: str
    task: str
    level: Level
    channels: str
    protocol: str

    @property
    def scale(self) -> int:
        return self.level.scale or 1

    @property
    def dual_pixel(self) -> bool:
        """A 6-channel model (Restormer's dual-pixel defocus): it reads the set's left/right views."""
        return self.variant.input.channels == 6


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (family or variant, reason)


def dataset_tasks(spec) -> tuple[str, ...]:
    tasks = getattr(spec, "tasks", None) or getattr(spec, "task", ())
    return (tasks,) if isinstance(tasks, str) else tuple(tasks)


def dataset_channels(spec) -> tuple[str, ...]:
    """Colour modes a set can be evaluated in ('grey' sets only grey; colour sets both)."""
    ch = getattr(spec, "channels", "rgb")
    return (ch,) if isinstance(ch, str) else tuple(ch)


def _level_ok(v: Variant, task: str, level: Level) -> str | None:
    """None if the variant fits the level, else why not."""
    what = LEVEL_OF_TASK.get(task)
    if what is None:
        return None
    want, have = level.get(what), getattr(v, what)
    if want is None:
        return None
    if what == "sigma" and v.blind:
        return None
    if have != want:
        return f"trained for {what} {have}, not {want}"
    return None


def _suits(v: Variant, tasks: tuple[str, ...], channels: tuple[str, ...], level: Level) -> tuple[str | None, str | None]:
    """(task it runs as, None) or (None, reason)."""
    if v.arch == "identity":
        same_size = [t for t in tasks if t not in SR_TASKS]
        return (same_size[0], None) if same_size else (None, "identity cannot upscale")
    if v.task not in tasks:
        return None, f"task:{v.task}"
    if v.channels not in channels:
        return None, f"{v.channels} model, {'/'.join(channels)} test set"
    why = _level_ok(v, v.task, level)
    return (v.task, None) if why is None else (None, why)


def needed_levels(tasks: Iterable[str], level: Level, variants: Iterable[Variant]) -> None:
    """Refuse a plan that needs --sigma/--scale/--quality but did not get it, listing the choices."""
    for task in tasks:
        what = LEVEL_OF_TASK.get(task)
        if what and level.get(what) is None:
            choices = sorted({getattr(v, what) for v in variants if v.task == task and getattr(v, what) is not None})
            if choices:
                flag = f"--{what}"
                raise PlanError(f"{task} needs {flag} (registered variants have {', '.join(map(str, choices))})")


def make_plan(
    registry: Registry,
    variants: list[Variant],
    dataset: str,
    level: Level,
    protocol_override: str | None = None,
    channels: str | None = None,
    explicit: frozenset[str] = frozenset(),
    representative: bool = False,
) -> Plan:
    """Jobs for ``variants`` on ``dataset``; ``explicit`` are variant ids the user named.

    ``representative`` keeps one variant per (family, task) — for the demo set, whose numbers
    only show that each model runs, so running every training-set twin would only cost time.
    """
    from restbench.protocols.named import protocol_for

    if dataset not in registry.datasets:
        raise PlanError(f"unknown dataset {dataset!r}; registered: {', '.join(sorted(registry.datasets))}")
    spec = registry.datasets[dataset]
    tasks = dataset_tasks(spec)
    chans = dataset_channels(spec) if channels is None else (channels,)
    plan = Plan()
    families: dict[str, list[str]] = {}
    relevant = [t for t in tasks if any(v.task == t for v in variants)]
    needed_levels(relevant, level, variants)
    for v in variants:
        task, why = _suits(v, tasks, chans, level)
        if task is None:
            families.setdefault(v.arch, []).append(why or "")
            continue
        what = LEVEL_OF_TASK.get(task)
        if v.arch == "identity" and what and level.get(what) is None:
            families.setdefault(v.arch, []).append(f"{task} needs --{what}")
            continue
        channels_used = v.channels if v.arch != "identity" else ("grey" if chans == ("grey",) else chans[0])
        if protocol_override:
            proto = protocol_override
        else:
            try:
                proto = protocol_for(v.arch, task, dataset, channels=1 if channels_used == "grey" else 3).name
            except KeyError as exc:
                families.setdefault(v.arch, []).append(f"{task}: {exc.args[0]}")
                continue
        plan.jobs.append(Job(v, dataset, task, _only(level, what), channels_used, proto))
    plan.jobs = _prefer_exact_level(plan.jobs, explicit)
    if representative:
        first: dict[tuple[str, str, str], Job] = {}
        for j in plan.jobs:
            first.setdefault((j.variant.arch, j.task, j.channels), j)
        plan.jobs = [j for j in plan.jobs if j.variant.id in explicit or first[(j.variant.arch, j.task, j.channels)] is j]
    planned = {j.variant.arch for j in plan.jobs}
    for fam, reasons in families.items():
        if fam not in planned:
            plan.skipped.append((fam, _summarise(reasons, tasks)))
    return plan


def _only(level: Level, what: str | None) -> Level:
    """The level a task actually uses (the demo passes σ, scale and quality to every task)."""
    return Level(**{what: level.get(what)}) if what else Level()


def _prefer_exact_level(jobs: list[Job], explicit: set[str]) -> list[Job]:
    """Drop blind variants of a family that also has a variant trained for exactly this level."""
    exact = {(j.variant.arch, j.task) for j in jobs if not j.variant.blind}
    return [j for j in jobs if not j.variant.blind or j.variant.id in explicit or (j.variant.arch, j.task) not in exact]


def _summarise(reasons: list[str], tasks: tuple[str, ...]) -> str:
    has = list(dict.fromkeys(r[5:] for r in reasons if r.startswith("task:")))
    other = list(dict.fromkeys(r for r in reasons if r and not r.startswith("task:")))
    if other:
        return "; ".join(other[:3]) + (" …" if len(other) > 3 else "")
    return f"no {'/'.join(tasks)} variant (it has {', '.join(has)})"
