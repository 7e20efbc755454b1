"""The records a test set is described by: :class:`DatasetSpec`, its :class:`DataSource` entries,
and the :class:`Sample` the loader yields. Declarative only — no I/O here."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

SR_TASKS = ("classical-sr", "lightweight-sr", "real-sr")
LAYOUTS = ("sr", "hr-only", "paired", "mat")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_SOURCE_KINDS = ("url", "gdrive", "hf", "files", "github-dir", "page")
_ARCHIVE_KINDS = ("url", "gdrive", "hf")


class DatasetError(Exception):
    """A test set is missing, incomplete or inconsistent; the message says what, where and how to fix it."""


@dataclass(frozen=True)
class DataSource:
    """One place a test set can be fetched from. A set's sources are alternatives, tried in order.

    ``kind``:

    * ``url``        — a zip/tar archive at ``url``;
    * ``gdrive``     — a zip/tar archive that is the Google Drive file ``gdrive_id`` (fetched with
      gdown: confirmation form, quota page and resume handled by :mod:`restbench.fetch.gdrive`);
    * ``hf``         — a zip/tar archive on the Hugging Face hub: ``hf_repo``/``hf_filename`` at
      ``hf_revision`` of a ``hf_repo_type`` (default ``dataset``) repository;
    * ``files``      — ``url`` is a base URL; every file of the set's packaged sha256 manifest is
      fetched from ``url/<relative path>`` and checked against its sha256;
    * ``github-dir`` — ``url`` is ``https://github.com/OWNER/REPO/tree/REF/PATH``; the folder is
      listed through the GitHub API and each file checked against its git blob hash;
    * ``page``       — a page that explains how to get the data by hand (licence forms, folders).

    An archive (the first three kinds) is checked against ``sha256`` when known, its format is read
    from its first bytes, it is unpacked safely, then ``member`` (a folder inside it, e.g.
    ``test/GoPro``; ``""`` = the single top folder if there is one) becomes ``<Name>/<dest>``;
    ``flatten`` gathers its images from any depth. ``size`` is the archive's size in bytes when
    known (informational). ``kind="archive"`` (older plugins) means ``hf`` when ``hf_repo`` is set,
    else ``url``.
    """

    kind: str
    url: str = ""
    hf_repo: str = ""
    hf_filename: str = ""
    hf_revision: str = "main"
    gdrive_id: str = ""
    sha256: str | None = None
    member: str = ""
    dest: str = ""
    flatten: bool = False
    note: str = ""
    size: int | None = None
    hf_repo_type: str = "dataset"

    def __post_init__(self) -> None:
        if self.kind == "archive":
            object.__setattr__(self, "kind", "hf" if self.hf_repo else "url")
        if self.kind not in _SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; one of {', '.join(_SOURCE_KINDS)}")
        need = {"gdrive": ("gdrive_id", self.gdrive_id), "hf": ("hf_repo/hf_filename", self.hf_repo and self.hf_filename)}
        if self.kind in need and not need[self.kind][1]:
            raise ValueError(f"a {self.kind!r} source needs {need[self.kind][0]}")
        if self.kind in ("url", "files", "github-dir", "page") and not self.url:
            raise ValueError(f"a {self.kind!r} source needs a url")
        if self.sha256:
            object.__setattr__(self, "sha256", self.sha256.lower())

    @property
    def automatic(self) -> bool:
        return self.kind != "page"

    @property
    def is_archive(self) -> bool:
        return self.kind in _ARCHIVE_KINDS

    def remote(self):
        """The archive as a :class:`restbench.fetch.mirror.Remote` (archive kinds only)."""
        from restbench.sources import Remote

        if self.kind == "hf":
            return Remote("hf", hf_repo=self.hf_repo, hf_filename=self.hf_filename, hf_revision=self.hf_revision,
                          hf_repo_type=self.hf_repo_type, sha256=self.sha256, size=self.size)
        if self.kind == "gdrive":
            return Remote("gdrive", gdrive_id=self.gdrive_id, sha256=self.sha256, size=self.size)
        if self.kind == "url":
            return Remote("url", url=self.url, sha256=self.sha256, size=self.size)
        raise ValueError(f"a {self.kind!r} source is not a single archive")

    @property
    def fetch_url(self) -> str:
        """The source as one URL (Drive as ``https://drive.google.com/uc?id=ID``, HF as its resolve URL)."""
        if self.kind == "hf":
            path = urllib.parse.quote(self.hf_filename)
            prefix = {"dataset": "datasets/", "space": "spaces/"}.get(self.hf_repo_type, "")
            return f"https://huggingface.co/{prefix}{self.hf_repo}/resolve/{self.hf_revision or 'main'}/{path}"
        if self.kind == "gdrive":
            return f"https://drive.google.com/uc?id={self.gdrive_id}"
        return self.url

    def describe(self) -> str:
        if self.kind == "hf":
            prefix = "datasets/" if self.hf_repo_type == "dataset" else ""
            return f"hf://{prefix}{self.hf_repo}/{self.hf_filename}" + (f"@{self.hf_revision}" if self.hf_revision not in ("", "main") else "")
        if self.kind == "gdrive":
            return f"Google Drive id {self.gdrive_id} ({self.fetch_url})"
        return self.url

    def to_dict(self) -> dict[str, Any]:
        """What ``restbench datasets --json`` lists for this source."""
        return dict(
            kind=self.kind,
            url=self.fetch_url,
            gdrive_id=self.gdrive_id or None,
            hf_repo=self.hf_repo or None,
            hf_filename=self.hf_filename or None,
            hf_revision=(self.hf_revision or "main") if self.hf_repo else None,
            sha256=self.sha256,
            size=self.size,
            member=self.member or None,
            automatic=self.automatic,
            note=self.note,
        )


@dataclass(frozen=True)
class DatasetSpec:
    """A registered test set: its task(s), on-disk layout, sources, checksums and licence.

    ``channels`` lists the colour modes it is evaluated in (grey sets: ``("grey",)``; colour sets
    that papers also use in grey, e.g. Urban100 for grey denoising: ``("rgb", "grey")``).
    ``pair_by`` is how inputs meet targets: ``"name"`` (same file names) or ``"order"`` — the
    MATLAB evaluation scripts of Restormer/MPRNet pair the i-th result with the i-th target of
    ``[dir('*.jpg'); dir('*.png')]``, so names may differ (``order`` still pairs by name when the
    names agree). ``task_inputs`` maps a task to a folder of pre-made degraded inputs (demo set).
    ``checksums`` names a sha256 manifest shipped in ``restbench/data/datasets/``.
    ``dual_pixel_dirs`` (paired sets with dual-pixel views, DPDD: ``("inputL", "inputR")``): the
    left/right folders a 6-channel model reads instead of ``input_dir``, at 16 bits (as Restormer's
    dual-pixel script does). ``splits`` maps a published split's name to a file in the set's folder
    listing its images as 1-based indices into the set's natural order (DPDD's
    ``indoor_labels.npy``; Restormer's scripts average ``psnr[indoor_labels - 1]``).
    """

    name: str
    tasks: tuple[str, ...]
    layout: str
    channels: tuple[str, ...] = ("rgb",)
    count: int | None = None
    suffixes: tuple[str, ...] = (".png",)
    scales: tuple[int, ...] = ()
    input_dir: str = "input"
    target_dir: str = "target"
    mat_files: tuple[str, str] = ("ValidationNoisyBlocksSrgb.mat", "ValidationGtBlocksSrgb.mat")
    pair_by: str = "name"
    task_inputs: Mapping[str, str] = field(default_factory=dict)
    dual_pixel_dirs: tuple[str, ...] = ()
    splits: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    sources: tuple[DataSource, ...] = ()
    checksums: str | None = None
    packaged: str | None = None  # folder under restbench/data/ holding a shipped set
    licence: str = ""
    paper: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"{self.name}: unknown layout {self.layout!r}; one of {', '.join(LAYOUTS)}")
        if isinstance(self.tasks, str):
            object.__setattr__(self, "tasks", (self.tasks,))
        if isinstance(self.channels, str):
            object.__setattr__(self, "channels", (self.channels,))
        if self.pair_by not in ("name", "order"):
            raise ValueError(f"{self.name}: pair_by must be 'name' or 'order'")
        if self.dual_pixel_dirs and (self.layout != "paired" or len(self.dual_pixel_dirs) != 2):
            raise ValueError(f"{self.name}: dual_pixel_dirs names two folders (left, right) of a paired set")

    @property
    def task(self) -> tuple[str, ...]:
        """Alias of :attr:`tasks` (the registry's first placeholder used ``task``)."""
        return self.tasks

    @property
    def folder_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def automatic(self) -> bool:
        """Whether some source can be fetched without a person (not only pages/licence forms)."""
        return bool(self.packaged) or any(s.automatic for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (``restbench datasets --json``), sources included."""
        return dict(
            name=self.name,
            tasks=list(self.tasks),
            layout=self.layout,
            channels=list(self.channels),
            count=self.count,
            suffixes=list(self.suffixes),
            scales=list(self.scales),
            input_dir=self.input_dir if self.layout == "paired" else None,
            target_dir=self.target_dir if self.layout == "paired" else None,
            mat_files=list(self.mat_files) if self.layout == "mat" else None,
            dual_pixel_dirs=list(self.dual_pixel_dirs) or None,
            splits=dict(self.splits) or None,
            aliases=list(self.aliases),
            automatic=self.automatic,
            sources=[src.to_dict() for src in self.sources],
            licence=self.licence,
            paper=self.paper,
            notes=self.notes,
        )


@dataclass
class Sample:
    """One test image: ``target`` (clean), and ``input`` (degraded) or None when the harness
    synthesises the degradation from the protocol (noise, JPEG, bicubic LR without LR files)."""

    name: str
    target: np.ndarray
    input: np.ndarray | None = None
    source: str | None = None  # the target file, for messages that must name it
