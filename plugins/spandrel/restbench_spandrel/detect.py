"""What a bare checkpoint is, according to spandrel: architecture, purpose, scale, channels, size rules.

restbench reads the file (safely) and hands us its state dict; spandrel's registry (plus
spandrel-extra-arches when installed) identifies it. We answer with a
:class:`~restbench.registry.DetectedCheckpoint`: spandrel's network class with the
hyperparameters it read off the tensors, the restbench tasks such a network is used for, and an
:class:`~restbench.registry.InputSpec` from spandrel's size requirements. restbench's engine then
picks the task against the test set and builds the variant (restbench/engine/checkpoints.py).

Tasks: spandrel's ``purpose`` says SR / Restoration / FaceSR / Inpainting, not *which*
restoration. ``ARCH_TASKS`` says what each restoration architecture's authors released models
for (their papers' task tables), first the most common; architectures not listed get every
same-size task (a 1× ESRGAN/Compact model could be a denoiser or a de-JPEG), so the test set or
``--task`` decides. ``NO_TASK`` lists what restbench cannot score yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from restbench.errors import UserError
from restbench.registry import Architecture, CheckpointArchitecture, DetectedCheckpoint, InputSpec

from .builders import builder_for
from .licences import is_extra, licence_of

SR_TASKS = ("classical-sr", "lightweight-sr", "real-sr")
SAME_SIZE_TASKS = ("gaussian-denoising", "real-denoising", "motion-deblurring", "defocus-deblurring",
                   "deraining", "jpeg-car")

ARCH_TASKS: dict[str, tuple[str, ...]] = {
    "DnCNN": ("gaussian-denoising", "jpeg-car"),  # DnCNN-3 also deblocks
    "DRUNet": ("gaussian-denoising",),
    "FBCNN": ("jpeg-car",),
    "SCUNet": ("real-denoising", "gaussian-denoising"),
    "NAFNet": ("motion-deblurring", "real-denoising"),
    "Uformer": ("real-denoising", "motion-deblurring", "deraining"),
    "Restormer": ("motion-deblurring", "defocus-deblurring", "deraining", "gaussian-denoising", "real-denoising"),
    "MPRNet": ("motion-deblurring", "deraining", "real-denoising"),
    "MIRNet2": ("real-denoising", "defocus-deblurring"),
    "FFTformer": ("motion-deblurring",),
    "KBNet": ("real-denoising", "gaussian-denoising", "defocus-deblurring", "deraining"),
    "M3SNet": ("motion-deblurring", "real-denoising"),
    "SwinIR": ("gaussian-denoising", "jpeg-car"),  # its 1x models; SR ones have purpose "SR"
}
NO_TASK = {
    "RetinexFormer": "low-light enhancement",
    "HVICIDNet": "low-light enhancement",
    "MixDehazeNet": "dehazing",
    "DDColor": "colourisation",
}
NO_TASK_PURPOSE = {"FaceSR": "face restoration", "Inpainting": "inpainting"}

# How the descriptor's call differs from model(x): spandrel's call_fn, reproduced by our builder.
NOISE_LEVEL_INPUT = {"DRUNet"}  # and DnCNN in its FDnCNN mode
FIRST_OUTPUT = {"FBCNN", "MPRNet"}

# Architectures this plugin registers variants for keep their plain names, so a released file
# passed as a path lands in the same family as its registered variant; others get a prefix that
# keeps them apart from restbench's own implementations (swinir, dncnn, restormer, uformer).
REGISTERED = {"NAFNet": "nafnet", "DRUNet": "drunet", "SCUNet": "scunet", "HAT": "hat"}


def arch_name(arch_id: str) -> str:
    return REGISTERED.get(arch_id) or f"spandrel-{arch_id.lower()}"


_ARCHITECTURES: dict[str, Architecture] = {}


def architecture(arch_id: str, display_name: str = "") -> Architecture:
    """The restbench Architecture for a spandrel id: one object per id (same builder every time)."""
    if arch_id not in _ARCHITECTURES:
        extra = is_extra(arch_id)
        _ARCHITECTURES[arch_id] = Architecture(
            name=arch_name(arch_id),
            builder=builder_for(arch_id),
            code=("https://github.com/chaiNNer-org/spandrel/tree/main/libs/"
                  + ("spandrel_extra_arches" if extra else "spandrel") + f" ({arch_id})"),
            licence=licence_of(arch_id),
            description=f"{display_name or arch_id} as implemented by spandrel"
            + (" (spandrel-extra-arches)" if extra else ""),
        )
    return _ARCHITECTURES[arch_id]


def _registry():
    """spandrel's main registry, plus the extra arches when installed (without touching spandrel's global)."""
    from spandrel import MAIN_REGISTRY, ArchRegistry

    reg = ArchRegistry()
    reg.add(*MAIN_REGISTRY)
    try:
        from spandrel_extra_arches import EXTRA_REGISTRY
    except ImportError:
        return reg, False
    reg.add(*EXTRA_REGISTRY, ignore_duplicates=True)
    return reg, True


def supported_architectures() -> list[CheckpointArchitecture]:
    """Every architecture spandrel (and spandrel-extra-arches, when installed) identifies, with its licence."""
    import spandrel
    from spandrel import MAIN_REGISTRY

    rows = [CheckpointArchitecture(s.architecture.id, licence_of(s.architecture.id), f"spandrel {spandrel.__version__}")
            for s in MAIN_REGISTRY]
    try:
        import spandrel_extra_arches
        from spandrel_extra_arches import EXTRA_REGISTRY
    except ImportError:
        return rows
    main_ids = {r.name for r in rows}
    rows += [CheckpointArchitecture(s.architecture.id, licence_of(s.architecture.id),
                                    f"spandrel-extra-arches {spandrel_extra_arches.__version__}",
                                    restrictive=True)  # the extra package exists for restrictive licences
             for s in EXTRA_REGISTRY if s.architecture.id not in main_ids]
    return rows


def identified_by(extra: bool) -> str:
    import spandrel

    who = f"spandrel {spandrel.__version__}"
    if extra:
        import spandrel_extra_arches

        who += f" + spandrel-extra-arches {spandrel_extra_arches.__version__}"
    return who


def detect(path: Path, state_dict: Mapping[str, Any]) -> DetectedCheckpoint:
    """Identify ``state_dict`` (read from ``path``) or raise UserError saying what was tried."""
    from spandrel import UnsupportedModelError, canonicalize_state_dict

    reg, extra = _registry()
    sd = canonicalize_state_dict(dict(state_dict))
    try:
        desc = reg.load(sd)
    except UnsupportedModelError:
        hint = "" if extra else (" — pip install 'restbench-spandrel[extra]' adds Restormer, MPRNet, MIRNet-v2, "
                                 "SRFormer, … (non-commercial licences)")
        keys = ", ".join(list(sd)[:4])
        raise UserError(
            f"{path}: {identified_by(extra)} does not recognise this checkpoint ({len(sd)} tensors: {keys} …) "
            f"among its {len(list(reg))} architectures{hint}"
        ) from None
    except Exception as exc:  # detected, but the tensors do not fit the architecture spandrel chose
        raise UserError(f"{path}: spandrel failed while loading it: {type(exc).__name__}: {exc}") from None
    _same_keys(path, state_dict, desc.model)
    return describe(desc, extra)


DERIVED = ("relative_position_index", "attn_mask")  # restbench's loader recomputes these


def _same_keys(path: Path, state_dict: Mapping[str, Any], model) -> None:
    """restbench loads the file unchanged; refuse one whose keys spandrel had to rename."""
    own, given = set(model.state_dict()), set(state_dict)
    odd = sorted(k for k in own ^ given if not k.endswith(DERIVED))
    if odd:
        raise UserError(
            f"{path}: spandrel identified {type(model).__name__} but renamed the file's parameters to load it "
            f"(e.g. {', '.join(odd[:3])}); restbench loads checkpoints unchanged: re-save the state dict "
            "spandrel builds (spandrel.ModelLoader().load_from_file(path).model.state_dict()) and pass that file"
        )


def describe(desc, extra: bool) -> DetectedCheckpoint:
    """Turn spandrel's ImageModelDescriptor into restbench's record."""
    arch_id = desc.architecture.id
    purpose = desc.purpose
    hyper = dict(getattr(desc.model, "hyperparameters", {}) or {})
    req = desc.size_requirements
    detected = dict(
        architecture=arch_id,
        purpose=purpose,
        tags=list(desc.tags),
        scale=desc.scale,
        input_channels=desc.input_channels,
        output_channels=desc.output_channels,
        size_requirements=dict(minimum=req.minimum, multiple_of=req.multiple_of, square=req.square),
        identified_by=identified_by(extra),
    )
    kwargs: dict[str, Any] = dict(hyper)
    noise = arch_id in NOISE_LEVEL_INPUT or (arch_id == "DnCNN" and hyper.get("mode") == "FDnCNN")
    if arch_id in FIRST_OUTPUT:
        kwargs["first_output"] = True
    custom_call = not getattr(desc, "_call_fn", None) or "ImageModelDescriptor.__init__" not in getattr(
        desc._call_fn, "__qualname__", "")
    does = NO_TASK.get(arch_id) or NO_TASK_PURPOSE.get(purpose, "")
    if does:
        tasks: tuple[str, ...] = ()
    elif custom_call and not noise and arch_id not in FIRST_OUTPUT:
        tasks, does = (), f"{arch_id} through a custom call spandrel makes (not reproduced by restbench)"
    elif purpose == "SR" or desc.scale > 1:
        tasks = SR_TASKS
    else:
        tasks = ARCH_TASKS.get(arch_id, SAME_SIZE_TASKS)
    if not hyper and tasks:
        tasks, does = (), f"{arch_id} without recorded hyperparameters (spandrel cannot rebuild it)"
    return DetectedCheckpoint(
        architecture=architecture(arch_id, desc.architecture.name),
        arch_kwargs=kwargs,
        detected=detected,
        tasks=tasks,
        does=does,
        scale=desc.scale,
        in_channels=desc.input_channels,
        input=InputSpec(pad_multiple=req.multiple_of, square=req.square, min_size=req.minimum,
                        pad_mode="reflect", channels=desc.input_channels),
        licence=licence_of(arch_id),
        noise_level_input=noise,
    )


__all__ = ["ARCH_TASKS", "NO_TASK", "SAME_SIZE_TASKS", "SR_TASKS", "arch_name", "architecture", "detect"]
