"""The records a test set is described by: :class:`DatasetSpec`, its :class:`DataSource` entries,
and the :class:`Sample` the loader yields. Declarative only — no I/O here."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

SR_TASKS = ("classical-sr", "lightweight-sr", "real-sr")
LAYOUTS = ("sr", "hr-only", "paired", "mat")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_SOURCE_KINDS = ("files", "archive", "github-dir", "gdrive", "page")


class DatasetError(Exception):
    """A test set is missing, incomplete or inconsistent; the message says what, where and how to fix it."""


@dataclass(frozen=True)
class DataSource:
    """One place (part of) a test set can be fetched from.

    ``kind``:

    * ``files``      — ``url`` is a base URL; every file of the set's packaged sha256 manifest is
      fetched from ``url/<relative path>`` and checked against its sha256;
    * ``archive``    — a zip/tar at ``url`` or on the Hugging Face hub (``hf_repo``/``hf_filename``,
      a *dataset* repo); unpacked safely, then ``member`` (a folder inside it, ``""`` = the single
      top folder if there is one) goes to ``<Name>/<dest>``; ``flatten`` gathers its images from
      any depth;
    * ``github-dir`` — ``url`` is ``https://github.com/OWNER/REPO/tree/REF/PATH``; the folder is
      listed through the GitHub API and each file checked against its git blob hash;
    * ``gdrive``     — a Google Drive file id (the authors' scripts fetch these with ``gdown``/
      ``gdrive``); not fetched automatically (Drive needs an interactive confirmation for big files);
    * ``page``       — a page that explains how to get the data (licence forms, folders).
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

    def __post_init__(self) -> None:
        if self.kind not in _SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; one of {', '.join(_SOURCE_KINDS)}")

    @property
    def automatic(self) -> bool:
        return self.kind in ("files", "archive", "github-dir")

    @property
    def fetch_url(self) -> str:
        if self.hf_repo:
            path = urllib.parse.quote(self.hf_filename)
            return f"https://huggingface.co/datasets/{self.hf_repo}/resolve/{self.hf_revision}/{path}"
        if self.gdrive_id:
            return f"https://drive.google.com/file/d/{self.gdrive_id}/view"
        return self.url

    def describe(self) -> str:
        if self.hf_repo:
            return f"hf://datasets/{self.hf_repo}/{self.hf_filename}"
        if self.gdrive_id:
            return f"Google Drive id {self.gdrive_id} ({self.fetch_url})"
        return self.url


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

    @property
    def task(self) -> tuple[str, ...]:
        """Alias of :attr:`tasks` (the registry's first placeholder used ``task``)."""
        return self.tasks

    @property
    def folder_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class Sample:
    """One test image: ``target`` (clean), and ``input`` (degraded) or None when the harness
    synthesises the degradation from the protocol (noise, JPEG, bicubic LR without LR files)."""

    name: str
    target: np.ndarray
    input: np.ndarray | None = None
    source: str | None = None  # the target file, for messages that must name it
