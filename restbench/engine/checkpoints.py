"""Bare checkpoint files on the command line: ``--models mynet.pth`` becomes a variant on the fly.

restbench reads the file safely (``torch.load(weights_only=True)`` or safetensors: no pickle code
runs), asks the ``resolve_checkpoint`` plugins what it is (``restbench-spandrel`` answers for
spandrel's ~40 architectures), and defines a :class:`~restbench.registry.Variant` from the answer:

* **id**: the file stem plus the first 8 hex digits of its sha256 (``mynet-3f2a9c1d``), so two
  different files with one name never share results;
* **task**: one of the tasks the identified network is used for that the test set has; ``--task``
  picks when several fit (NAFNet on a set that is both deblurring and denoising), and a super-
  resolution checkpoint is scored as ``classical-sr`` (bicubic ×s, the benchmark SR papers report)
  unless ``--task`` says ``lightweight-sr``/``real-sr``;
* **level**: the scale the network upsamples by; for denoising and JPEG sets the ``--sigma`` /
  ``--quality`` of the run (a bare file says nothing about what it was trained for);
* **protocol**: the task's reference protocol for that set (``protocol_for`` with a family that
  has no scripts of its own; the table is in docs/plugins.md); ``--protocol`` overrides it;
* **weights**: that very file, used in place and pinned to its sha256; results record the file,
  its sha256 and the identification (``Variant.origin``, the summary's ``checkpoint`` field).

A file nothing identifies, or whose network does not fit the test set, stops the command with
one :class:`~restbench.errors.UserError` saying what was found and what the set needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from restbench.errors import UserError
from restbench.fetch.checkpoint import CheckpointError, read_state_dict
from restbench.fetch.download import sha256_file
from restbench.registry import TASKS, DetectedCheckpoint, RegistrationError, Variant, WeightSource

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".safetensors", ".bin")
SR_TASKS = ("classical-sr", "lightweight-sr", "real-sr")
LEVEL_FLAG = {"gaussian-denoising": ("sigma", "--sigma"), "jpeg-car": ("quality", "--quality")}


@dataclass(frozen=True)
class CheckpointRequest:
    """What the command knows when it meets a checkpoint path: the test set and the asked level.

    ``strict_task`` False (profile, analyses) takes the first fitting task instead of asking for
    ``--task``: costs do not depend on it.
    """

    dataset: str | None = None
    dataset_tasks: tuple[str, ...] = ()
    task: str | None = None
    sigma: int | None = None
    quality: int | None = None
    strict_task: bool = False


def looks_like_checkpoint(target: str) -> bool:
    """An existing file, or a name with a checkpoint's extension (so a typo gets 'not found')."""
    path = Path(target).expanduser()
    return path.suffix.lower() in CHECKPOINT_SUFFIXES or path.is_file()


def describe(detected: Mapping[str, Any]) -> str:
    """One line on what identified the file as what: 'spandrel 0.4.2: SwinIR (SR, x2, 3→3 channels, …)'."""
    bits = [str(detected.get("purpose") or "?")]
    if detected.get("scale"):
        bits.append(f"x{detected['scale']}")
    if detected.get("input_channels") is not None:
        bits.append(f"{detected['input_channels']}→{detected.get('output_channels', '?')} channels")
    if detected.get("tags"):
        bits.append("tags " + "/".join(map(str, detected["tags"])))
    who = detected.get("identified_by", "a plugin")
    return f"{who} identified {detected.get('architecture', '?')} ({', '.join(bits)})"


def variant_from_checkpoint(state, target: str | Path, request: CheckpointRequest | None = None) -> Variant:
    """Identify ``target`` and register a variant for it in ``state.registry`` (raises UserError)."""
    request = request or CheckpointRequest()
    path = Path(target).expanduser()
    if not path.is_file():
        raise UserError(f"checkpoint file not found: {path}")
    try:
        state_dict, key = read_state_dict(path)
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    sha = sha256_file(path)
    found, plugin = _identify(state, path, state_dict)
    task = choose_task(found, request, path)
    level = _level(found, task, request, path)
    kwargs = dict(found.arch_kwargs)
    if found.noise_level_input and task == "gaussian-denoising" and level.get("sigma") is not None:
        kwargs["noise_sigma"] = level["sigma"]
    v = Variant(
        id=f"{_slug(path.stem)}-{sha[:8]}",
        arch=found.architecture.name,
        task=task,
        arch_kwargs=kwargs,
        weight_file=path.name,
        sources=(WeightSource(url=path.resolve().as_uri()),),
        sha256=sha,
        checkpoint_key=found.checkpoint_key if found.checkpoint_key is not None else key,
        licence_code=found.licence,
        licence_weights="",  # a user's file: its licence is theirs to know
        scale=found.scale if task in SR_TASKS else None,
        sigma=level.get("sigma"),
        quality=level.get("quality"),
        channels="grey" if found.in_channels == 1 else "rgb",
        input=found.input,
        notes=f"Bare checkpoint {path.resolve()} (sha256 {sha}); {describe(found.detected)}.",
        origin=dict(file=str(path.resolve()), sha256=sha, licence_code=found.licence, **found.detected),
    )
    known = state.registry.variants.get(v.id)
    if known is not None and known.origin.get("sha256") == sha:
        return known  # the same file named twice
    try:
        state.registry.add_variant(plugin, found.architecture, v)
    except RegistrationError as exc:
        raise UserError(f"{path}: {exc}") from None
    return v


def choose_task(found: DetectedCheckpoint, request: CheckpointRequest, path: Path) -> str:
    """The restbench task to score ``found`` as, or a UserError saying why none/which one."""
    what = f"{path.name}: {describe(found.detected)}"
    cands = tuple(found.tasks)
    if not cands:
        raise UserError(
            f"{what}; it does {found.does or 'something'} — restbench has no task for that "
            f"(tasks: {', '.join(t for t in TASKS if t != 'identity')})"
        )
    need = f"test set {request.dataset} needs {'/'.join(request.dataset_tasks)}" if request.dataset_tasks else ""
    if request.task:
        if request.task not in TASKS:
            raise UserError(f"unknown --task {request.task!r}; one of {', '.join(TASKS)}")
        if request.task not in cands:
            raise UserError(f"{what}; that network is used for {'/'.join(cands)}, not --task {request.task}")
        if request.dataset_tasks and request.task not in request.dataset_tasks:
            raise UserError(f"{what}; --task {request.task} does not fit: {need}")
        return request.task
    fits = [t for t in cands if t in request.dataset_tasks] if request.dataset_tasks else list(cands)
    if not fits:
        raise UserError(f"{what}, a {'/'.join(cands)} model; {need}")
    if len(fits) == 1 or not request.strict_task:
        return fits[0]
    if "classical-sr" in fits and set(fits) <= set(SR_TASKS):
        return "classical-sr"
    where = f" on {request.dataset}" if request.dataset else ""
    raise UserError(f"{what}; it may be {' or '.join(fits)}{where}: say which with --task")


def _level(found: DetectedCheckpoint, task: str, request: CheckpointRequest, path: Path) -> dict[str, int | None]:
    """σ / quality for same-size tasks: the run's own (a bare file does not say what it was trained for)."""
    if task not in LEVEL_FLAG:
        return {}
    name, flag = LEVEL_FLAG[task]
    value = getattr(request, name)
    if value is None and (request.strict_task or found.noise_level_input):
        why = " (it takes the noise level as an input channel)" if found.noise_level_input else ""
        raise UserError(f"{path.name}: {describe(found.detected)}{why}; {task} needs {flag}")
    return {name: value}


def _identify(state, path: Path, state_dict: Mapping[str, Any]) -> tuple[DetectedCheckpoint, str]:
    """Ask each resolver in pluggy's call order; the first answer wins and owns the variant."""
    impls = list(reversed(state.manager.hook.resolve_checkpoint.get_hookimpls()))
    if not impls:
        raise UserError(
            f"{path}: no installed plugin identifies checkpoint files; pip install restbench-spandrel "
            "(or name a registered variant, see `restbench models`)"
        )
    for impl in impls:
        try:
            found = impl.function(path=path, state_dict=state_dict)
        except UserError:
            raise
        except Exception as exc:  # a resolver's bug is reported with its owner, not as a traceback
            raise UserError(f"plugin {impl.plugin_name!r} failed on {path}: {type(exc).__name__}: {exc}", 1) from None
        if found is not None:
            return found, impl.plugin_name
    names = ", ".join(i.plugin_name for i in impls)
    keys = ", ".join(list(state_dict)[:5])
    raise UserError(f"{path}: no plugin ({names}) identifies this checkpoint ({len(state_dict)} tensors: {keys} …)")


def require_planned(plan, variants: list[Variant]) -> None:
    """A checkpoint the plan could not use is an error with its reason, not a 'skipped' line."""
    planned = {j.variant.id for j in plan.jobs}
    reasons = dict(plan.skipped)
    for v in variants:
        if v.origin and v.id not in planned:
            why = reasons.get(v.arch) or reasons.get(v.id) or "it does not suit this test set"
            raise UserError(f"{Path(v.origin['file']).name}: {describe(v.origin)}; {why}")


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-") or "checkpoint"


__all__ = ["CHECKPOINT_SUFFIXES", "CheckpointRequest", "choose_task", "describe", "looks_like_checkpoint",
           "require_planned", "variant_from_checkpoint"]
