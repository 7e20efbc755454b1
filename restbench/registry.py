"""Declarative records that plugins hand to restbench: architectures, pretrained variants, datasets.

Plugins describe *what exists* (like timm's pretrained-config tables); nothing here does I/O.
The :class:`Registry` collects them from every plugin and refuses duplicate names with a clear
message, so one plugin can never silently shadow another's model.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, asdict, dataclass, field
from typing import Any, Callable, Iterable, Mapping

import torch.nn as nn

from restbench.datasets import DatasetSpec

TASKS = (
    "motion-deblurring",
    "defocus-deblurring",
    "deraining",
    "gaussian-denoising",
    "real-denoising",
    "classical-sr",
    "lightweight-sr",
    "real-sr",
    "jpeg-car",
    "identity",
)


@dataclass(frozen=True)
class WeightSource:
    """One place a checkpoint can be fetched from: a URL, a Google Drive file id, or a Hugging Face file.

    A variant lists its sources in the order they are tried; all of them are checked against the
    variant's sha256 (or the one recorded when the file was first seen). ``size`` (bytes) is
    informational, for reports of what a run would download; ``note`` says where the source was
    documented.
    """

    url: str | None = None
    hf_repo: str | None = None
    hf_filename: str | None = None
    hf_revision: str | None = None
    gdrive_id: str | None = None
    gdrive_folder: str | None = None  # with gdrive_path: a file the authors share only inside a Drive folder
    gdrive_path: str | None = None
    hf_repo_type: str = "model"
    size: int | None = None
    note: str = ""

    @property
    def kind(self) -> str:
        """``hf``, ``gdrive`` or ``url``."""
        if self.hf_repo:
            return "hf"
        if self.gdrive_id or self.gdrive_folder:
            return "gdrive"
        return "url"

    @property
    def canonical_url(self) -> str:
        """The source as one URL: Drive as ``https://drive.google.com/uc?id=ID``, HF as its resolve URL."""
        return self.remote().canonical_url if (self.url or self.gdrive_id or self.gdrive_folder or self.hf_filename) else ""

    def remote(self, weight_file: str | None = None, sha256: str | None = None):
        """This source as a :class:`restbench.fetch.mirror.Remote` (``weight_file`` names an HF file left unnamed)."""
        from restbench.sources import Remote

        if self.kind == "hf":
            return Remote("hf", hf_repo=self.hf_repo or "", hf_filename=self.hf_filename or weight_file or "",
                          hf_revision=self.hf_revision, hf_repo_type=self.hf_repo_type, sha256=sha256, size=self.size)
        if self.kind == "gdrive":
            return Remote("gdrive", gdrive_id=self.gdrive_id or "", gdrive_folder=self.gdrive_folder or "",
                          gdrive_path=self.gdrive_path or (weight_file if self.gdrive_folder else "") or "",
                          sha256=sha256, size=self.size)
        return Remote("url", url=self.url or "", sha256=sha256, size=self.size)

    def describe(self) -> str:
        if self.hf_repo:
            return f"hf://{self.hf_repo}/{self.hf_filename}"
        if self.gdrive_folder and not self.gdrive_id:
            return f"{self.canonical_url} ({self.gdrive_path or 'the weight file'})"
        return self.canonical_url or "?"

    def to_dict(self) -> dict[str, Any]:
        return dict(kind=self.kind, url=self.canonical_url, gdrive_id=self.gdrive_id, gdrive_folder=self.gdrive_folder,
                    gdrive_path=self.gdrive_path, hf_repo=self.hf_repo,
                    hf_filename=self.hf_filename, hf_revision=self.hf_revision, size=self.size, note=self.note)


# Where a claim's number was read, most direct first. "untraced": registered earlier from a
# transcription nobody could check against a readable source since; kept, but marked.
SOURCE_KINDS = (
    "paper table",
    "authors' README",
    "authors' issue reply",
    "third-party quote",
    "transcribed from a table image",
    "untraced",
)


@dataclass(frozen=True)
class Claim:
    """A number a paper reports for a variant, with where it was read.

    ``sigma``/``scale``/``quality`` are only set when the variant covers several levels
    (blind denoisers); otherwise the variant's own level applies. ``subset`` names a published
    split of the test set (DPDD ``"indoor"``/``"outdoor"``); None is the whole set.

    Provenance: ``paper`` (short citation) and ``table`` say which published table the number
    belongs to; ``source_kind`` (one of :data:`SOURCE_KINDS`) and ``source_ref`` (URL or exact
    reference) say where restbench actually read it — a paper table can reach us through the
    authors' README, an image of the table, or another paper quoting it. A traced claim must
    name all three; ``"untraced"`` claims keep whatever is known. ``source`` is the older free-text
    label, still shown where no table is given.
    """

    dataset: str
    psnr: float | None
    ssim: float | None = None
    source: str = ""
    sigma: int | None = None
    scale: int | None = None
    quality: int | None = None
    protocol: str | None = None
    _: KW_ONLY
    psnrb: float | None = None
    lpips: float | None = None
    mae: float | None = None
    subset: str | None = None
    paper: str = ""
    table: str = ""
    source_kind: str = "untraced"
    source_ref: str = ""

    def __post_init__(self) -> None:
        if self.source_kind not in SOURCE_KINDS:
            raise ValueError(
                f"claim on {self.dataset!r}: unknown source_kind {self.source_kind!r}; "
                f"one of {', '.join(repr(k) for k in SOURCE_KINDS)}"
            )
        if self.source_kind != "untraced":
            missing = [n for n in ("paper", "table", "source_ref") if not getattr(self, n)]
            if missing:
                raise ValueError(
                    f"claim on {self.dataset!r} is marked {self.source_kind!r} but has no {', '.join(missing)}: "
                    "a traced claim names its paper, table and where it was read (else mark it 'untraced')"
                )

    @property
    def traced(self) -> bool:
        return self.source_kind != "untraced"

    @property
    def citation(self) -> str:
        """One line for footnotes: paper, table, and how the number reached us."""
        if not self.traced:
            return f"{self.source or self.paper or 'source unknown'} (untraced)"
        return f"{self.paper}, {self.table} ({self.source_kind}: {self.source_ref})"


@dataclass(frozen=True)
class InputSpec:
    """How a model wants its input (cf. spandrel's size requirements).

    ``pad_multiple``: H and W are padded (bottom/right) up to a multiple of it and cropped back;
    ``always_pad``: pad to the *next* multiple even when already aligned, as SwinIR's script does
    with ``(h // m + 1) * m - h`` (Restormer's scripts compute ``((h + m) // m) * m`` but then skip
    the pad when ``h % m == 0``, so they are ``always_pad=False``); ``square``: pad to a square (Uformer's script); ``pad_mode``: "reflect" (Restormer's F.pad),
    "symmetric" (SwinIR's flip-and-concatenate, which repeats the edge pixel), "center-zero" (Uformer's
    zero canvas with the image centred), "zero"; ``channels``: input channels (1, 3, or 6 for
    dual-pixel pairs); ``upsample_input``: for SR, the model takes the LR image bicubic-upsampled
    to the target size (MATLAB-style ``imresize``) and restores it at that size, as DnCNN-3 and
    VDSR do, instead of upsampling itself; ``min_size``: H and W are padded up to at least this
    (spandrel's ``SizeRequirements.minimum``, e.g. 16 for HAT), still a multiple of ``pad_multiple``.
    """

    pad_multiple: int = 1
    always_pad: bool = False
    square: bool = False
    pad_mode: str = "reflect"
    channels: int = 3
    value_range: float = 1.0
    upsample_input: bool = False
    min_size: int = 0


@dataclass(frozen=True)
class Variant:
    """One released checkpoint (or a weight-free baseline) and everything known about it."""

    id: str
    arch: str
    task: str
    arch_kwargs: Mapping[str, Any] = field(default_factory=dict)
    weight_file: str | None = None
    sources: tuple[WeightSource, ...] = ()
    sha256: str | None = None
    checkpoint_key: str | None = None  # 'params', 'params_ema', 'state_dict' or None (plain)
    licence_code: str = ""
    licence_weights: str = ""
    sigma: int | None = None
    scale: int | None = None
    quality: int | None = None
    blind: bool = False
    channels: str = "rgb"  # 'rgb' or 'grey'
    train_set: str | None = None
    claims: tuple[Claim, ...] = ()
    input: InputSpec = field(default_factory=InputSpec)
    paper: str = ""
    notes: str = ""
    # Set only for a variant defined on the fly from a checkpoint file (``--models PATH``): the
    # file, its sha256 and what identified it, so that results say exactly what was run.
    origin: Mapping[str, Any] = field(default_factory=dict)

    @property
    def needs_weights(self) -> bool:
        return self.weight_file is not None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["arch_kwargs"] = dict(self.arch_kwargs)
        d["origin"] = dict(self.origin)
        return d


@dataclass(frozen=True)
class Architecture:
    """A model family: a builder with the authors' constructor arguments, plus where it comes from."""

    name: str
    builder: Callable[..., nn.Module]
    paper: str = ""
    code: str = ""
    licence: str = ""
    description: str = ""
    # NHWC memory format is faster for this architecture (plain convolution stacks); restbench
    # uses it unless told --no-channels-last. Outputs are unchanged to float32 rounding.
    prefers_channels_last: bool = False


@dataclass(frozen=True)
class DetectedCheckpoint:
    """What a ``resolve_checkpoint`` plugin found in a bare checkpoint file (``--models PATH``).

    The plugin identifies; restbench's engine turns this into a :class:`Variant` (id from the file
    name and sha256, task chosen from ``tasks`` against the test set, level from the request).
    ``architecture`` builds the network from ``arch_kwargs`` (random init; the file's weights are
    then loaded unchanged); ``detected`` is the identifier's own description (architecture id,
    purpose, tags, size requirements, its version) and is recorded with every result.
    ``tasks`` lists the restbench tasks such a network is used for, most common first; an empty
    tuple means it does something restbench has no task for (``does`` says what, for the error).
    ``noise_level_input``: the network takes the noise level as an extra input channel (DRUNet,
    FFDNet-style), so it needs ``--sigma`` and ``arch_kwargs`` get ``noise_sigma``.
    """

    architecture: Architecture
    arch_kwargs: Mapping[str, Any]
    detected: Mapping[str, Any]
    tasks: tuple[str, ...]
    does: str = ""
    scale: int = 1
    in_channels: int = 3
    input: InputSpec = field(default_factory=InputSpec)
    licence: str = ""
    noise_level_input: bool = False
    checkpoint_key: str | None = None


@dataclass(frozen=True)
class CheckpointArchitecture:
    """An architecture a ``resolve_checkpoint`` plugin can identify in a bare file, and its code's licence.

    ``restbench models`` lists these so a user sees *before* running a file that, say, Restormer
    identified through spandrel-extra-arches is under a non-commercial licence. ``provider`` names
    the identifier and its version (``spandrel 0.4.2``); ``restrictive`` marks non-commercial or
    copyleft code.
    """

    name: str
    licence: str
    provider: str
    restrictive: bool = False


# A registered test set is a DatasetSpec (name, tasks, layout, sources, checksums, licence).
Dataset = DatasetSpec


class RegistrationError(Exception):
    """A plugin tried to register something invalid or already taken."""


@dataclass
class Registry:
    """Everything the loaded plugins registered, with the plugin that owns each entry."""

    architectures: dict[str, Architecture] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)

    def add_model(self, plugin: str, arch: Architecture, variants: Iterable[Variant] = ()) -> None:
        variants = list(variants)
        key = f"arch:{arch.name}"
        if arch.name in self.architectures:
            raise RegistrationError(
                f"architecture {arch.name!r} is already registered by plugin {self.owner[key]!r}"
            )
        seen = set()
        for v in variants:
            if v.arch != arch.name:
                raise RegistrationError(f"variant {v.id!r} names arch {v.arch!r}, registered under {arch.name!r}")
            if v.id in self.variants or v.id in seen:
                other = self.owner.get(f"variant:{v.id}", plugin)
                raise RegistrationError(f"variant {v.id!r} is already registered by plugin {other!r}")
            seen.add(v.id)
        self.architectures[arch.name] = arch
        self.owner[key] = plugin
        for v in variants:
            self.variants[v.id] = v
            self.owner[f"variant:{v.id}"] = plugin

    def add_dataset(self, plugin: str, dataset: Dataset) -> None:
        if dataset.name in self.datasets:
            raise RegistrationError(
                f"dataset {dataset.name!r} is already registered by plugin {self.owner['dataset:' + dataset.name]!r}"
            )
        self.datasets[dataset.name] = dataset
        self.owner[f"dataset:{dataset.name}"] = plugin

    def add_variant(self, plugin: str, arch: Architecture, variant: Variant) -> None:
        """Add one variant after loading (a checkpoint named on the command line), registering its
        architecture first if no plugin has; the same rules as :meth:`add_model` otherwise."""
        if variant.arch != arch.name:
            raise RegistrationError(f"variant {variant.id!r} names arch {variant.arch!r}, not {arch.name!r}")
        if variant.id in self.variants:
            raise RegistrationError(
                f"variant {variant.id!r} is already registered by plugin {self.owner.get('variant:' + variant.id)!r}"
            )
        known = self.architectures.get(arch.name)
        if known is None:
            self.architectures[arch.name] = arch
            self.owner[f"arch:{arch.name}"] = plugin
        elif known.builder is not arch.builder:
            raise RegistrationError(
                f"architecture {arch.name!r} is already registered by plugin {self.owner[f'arch:{arch.name}']!r} "
                "with another builder"
            )
        self.variants[variant.id] = variant
        self.owner[f"variant:{variant.id}"] = plugin

    def variants_of(self, arch: str) -> list[Variant]:
        return [v for v in self.variants.values() if v.arch == arch]
