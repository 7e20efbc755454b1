"""Remote files, where they live in a mirror, and fetching one from its sources: mirror first.

Every file restbench downloads (a checkpoint, a test-set archive, one image of a set) is described
by one or more :class:`Remote` entries, alternatives tried in order: a plain URL, a Google Drive
file id, or a Hugging Face hub file. Each may carry a sha256 pin, which is checked wherever the
bytes come from.

**Mirrors.** ``RESTBENCH_MIRROR`` names a base URL (``http://``, ``https://``, ``file://``) or a
directory. Every remote file is looked up there first, at a path derived from its canonical source
(:attr:`Remote.mirror_path`):

* ``https://HOST/PATH?QUERY``           -> ``<mirror>/HOST/PATH`` (query dropped);
* Google Drive file id ``ID``           -> ``<mirror>/drive.google.com/uc/ID``;
* Hugging Face file                     -> ``<mirror>/huggingface.co/[datasets/]REPO/resolve/REVISION/FILE``
  (``main`` when the source pins no revision);
* GitHub contents-API listings          -> ``<mirror>/api.github.com/repos/OWNER/REPO/contents/PATH``
  (the first rule applied to the API URL), and the files they list by the first rule.

:func:`fetch_file` tries every source on the mirror, in order, before any origin; then the local
Hugging Face cache; then the origins in order. Offline (``RESTBENCH_OFFLINE=1``, or
``HF_HUB_OFFLINE=1``, or ``offline=True``) no origin is contacted at all: only the mirror and the
caches. :func:`write_to_mirror` fills a directory in the same layout, so one machine with internet
can serve a whole cluster (``RESTBENCH_MIRROR=/shared/restbench-mirror``).

Hugging Face files go through ``huggingface_hub`` with ``endpoint``/``cache_dir`` read from the
environment at call time (``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE``): huggingface_hub reads
them once at import, so a variable set later would otherwise be ignored.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from restbench.fetch.download import DownloadError, HTTPStatusError, sha256_file
from restbench.sources import (  # noqa: F401  (the mirror layout is part of this module's face)
    KINDS,
    Remote,
    gdrive_mirror_path,
    github_listing_mirror_path,
    hf_mirror_path,
    url_mirror_path,
)

MIRROR_ENV = "RESTBENCH_MIRROR"
OFFLINE_ENV = "RESTBENCH_OFFLINE"
_TRUE = {"1", "on", "yes", "true"}


def is_offline(offline: bool | None = None) -> bool:
    """An explicit ``offline`` wins; else ``RESTBENCH_OFFLINE`` or ``HF_HUB_OFFLINE`` (read now)."""
    if offline is not None:
        return offline
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in (OFFLINE_ENV, "HF_HUB_OFFLINE"))


@dataclass(frozen=True)
class MirrorBase:
    """``RESTBENCH_MIRROR`` parsed: a local directory or an http(s) base URL."""

    directory: Path | None = None
    base_url: str | None = None

    def locate(self, rel: str) -> str | None:
        """The URL of ``rel`` in this mirror, or None when a directory mirror does not have it."""
        if self.directory is not None:
            path = self.directory / rel
            return path.resolve().as_uri() if path.is_file() else None
        assert self.base_url is not None
        return self.base_url.rstrip("/") + "/" + urllib.parse.quote(rel)

    def __str__(self) -> str:
        return str(self.directory) if self.directory is not None else str(self.base_url)


def mirror_base(value: str | None = None) -> MirrorBase | None:
    """The configured mirror (``value``, else ``RESTBENCH_MIRROR`` read now), or None."""
    raw = (value if value is not None else os.environ.get(MIRROR_ENV, "")).strip()
    if not raw:
        return None
    scheme = urllib.parse.urlsplit(raw).scheme.lower()
    if scheme in ("http", "https"):
        return MirrorBase(base_url=raw)
    if scheme == "file":
        return MirrorBase(directory=Path(urllib.parse.unquote(urllib.parse.urlsplit(raw).path)))
    return MirrorBase(directory=Path(raw).expanduser())


# --------------------------------------------------------------------------- Hugging Face


def hf_cache_dir() -> str | None:
    """The HF hub cache, read from the environment now (huggingface_hub reads it at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]).expanduser() / "hub")
    return None


def hf_endpoint() -> str | None:
    """``HF_ENDPOINT`` read now; None means huggingface.co (huggingface_hub's default)."""
    endpoint = os.environ.get("HF_ENDPOINT", "").strip()
    return endpoint.rstrip("/") or None


def _silent_tqdm() -> type:
    from tqdm.auto import tqdm

    class _Silent(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return _Silent


def _hub_reason(exc: Exception) -> str:
    """Turn huggingface_hub's exceptions into one line for the summary."""
    name = type(exc).__name__
    if name in ("RemoteEntryNotFoundError", "EntryNotFoundError"):
        return "the file is not in that repository (HTTP 404)"
    if name in ("RepositoryNotFoundError", "GatedRepoError"):
        return "repository not found or not accessible (HTTP 401/404)"
    if name == "RevisionNotFoundError":
        return "revision not found"
    if name in ("LocalEntryNotFoundError", "OfflineModeIsEnabled"):
        return "not in the local Hugging Face cache, and the hub was not reached (offline or unreachable)"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{name}: {first}" if first else name


def _unreachable(endpoint: str | None, timeout: float = 3.0) -> str | None:
    """Why the hub endpoint cannot be reached, or None if a TCP connection opens (or a proxy is set).

    huggingface_hub retries a failed connection with backoff for ~25 s before giving up; a dead
    network or mirror should instead fall through to the next source at once. With a proxy in
    the environment we cannot judge reachability ourselves, so we let huggingface_hub try.
    """
    import socket
    import urllib.request

    if endpoint is None:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(host):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        return f"hub endpoint {endpoint} unreachable ({e.strerror or e})"
    return None


def place(src: Path, dest: Path) -> None:
    """Put ``src`` at ``dest`` atomically: hard link when possible (no second copy), else copy."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class _Failed(Exception):
    """One source could not deliver; the message is a one-line reason for the summary."""


def _from_hub(remote: Remote, dest: Path, want: str | None, *, local_only: bool, progress: bool) -> None:
    import inspect

    from huggingface_hub import hf_hub_download

    endpoint = hf_endpoint()
    kwargs: dict[str, Any] = dict(
        repo_type=remote.hf_repo_type,
        revision=remote.hf_revision,
        cache_dir=hf_cache_dir(),
        endpoint=endpoint,
        local_files_only=local_only,
    )
    if not progress and "tqdm_class" in inspect.signature(hf_hub_download).parameters:
        kwargs["tqdm_class"] = _silent_tqdm()
    try:
        if not local_only:
            unreachable = _unreachable(endpoint)
            if unreachable:
                raise _Failed(unreachable)
        got = Path(hf_hub_download(remote.hf_repo, remote.hf_filename, **kwargs))
    except _Failed:
        raise
    except Exception as e:  # any hub failure means "try the next source"; the reason is reported
        raise _Failed(_hub_reason(e)) from e
    blob = got.resolve()
    actual = sha256_file(blob)
    if want and actual != want:
        raise _Failed(f"sha256 mismatch: expected {want}, got {actual} (not copied into the cache)")
    place(blob, dest)


def _refuse_web_page(dest: Path, where: str) -> None:
    """A 200 answer that is an HTML page (expired share link, login or quota page) is not the file.

    Nothing restbench fetches is a web page, and without a sha256 pin such a page would otherwise
    be cached (and its hash recorded) as if it were the checkpoint.
    """
    with open(dest, "rb") as fh:
        head = fh.read(512).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        dest.unlink(missing_ok=True)
        raise _Failed(f"{where} sent a web page instead of the file (an expired share link, a login or a quota page?)")


def _from_url(url: str, dest: Path, want: str | None, *, progress: bool, retries: int = 3) -> None:
    from restbench.fetch.download import download_url

    try:
        download_url(url, dest, sha256=want, progress=progress, retries=retries)
    except HTTPStatusError as e:
        raise _Failed(str(e)) from e
    except DownloadError as e:
        raise _Failed(str(e)) from e
    if not want:
        _refuse_web_page(dest, url)


def _find_in_folder(remote: Remote) -> str:
    """The Drive id of ``remote.gdrive_path`` in its folder: that exact path, else the one file of that name."""
    from restbench.fetch.gdrive import list_folder

    listing = list_folder(remote.gdrive_folder)
    exact = [fid for fid, rel in listing if rel == remote.gdrive_path]
    named = [fid for fid, rel in listing if rel.rsplit("/", 1)[-1] == remote.gdrive_path.rsplit("/", 1)[-1]]
    if exact or len(named) == 1:
        return (exact or named)[0]
    names = ", ".join(rel for _, rel in listing[:12]) + (" …" if len(listing) > 12 else "")
    why = f"holds {len(named)} files of that name" if named else f"has no such file (it holds: {names or 'nothing'})"
    raise _Failed(f"Google Drive folder {remote.canonical_url}, looking for {remote.gdrive_path!r}: {why}")


def _from_gdrive(remote: Remote, dest: Path, want: str | None, *, progress: bool, next_source: str | None) -> None:
    from restbench.fetch.gdrive import download_file

    try:
        file_id = remote.gdrive_id or _find_in_folder(remote)
        download_file(file_id, dest, sha256=want, progress=progress, next_source=next_source)
    except DownloadError as e:
        raise _Failed(str(e)) from e
    if not want:
        _refuse_web_page(dest, remote.canonical_url)


# --------------------------------------------------------------------------- fetching


@dataclass
class Fetched:
    """Where a fetched file is, which source delivered it, and how (``mirror``, ``hf-cache``, ``origin``)."""

    path: Path
    remote: Remote
    via: str
    source: str


class FetchFailed(Exception):
    """No source delivered the file. ``tried`` lists ``(where, why)``; ``offline`` says origins were skipped."""

    def __init__(self, what: str, tried: list[tuple[str, str]], offline: bool, mirror: MirrorBase | None) -> None:
        self.what = what
        self.tried = tried
        self.offline = offline
        self.mirror = mirror
        lines = [f"could not get {what}:"] + [f"  - {w}: {r}" for w, r in tried]
        if offline:
            lines.append("  (offline: no origin was contacted; only the mirror and the local caches)")
        super().__init__("\n".join(lines))


def _want(remote: Remote, sha256: str | None) -> str | None:
    return (sha256 or remote.sha256 or "").lower() or None


def fetch_file(
    remotes: Sequence[Remote],
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    offline: bool | None = None,
    progress: bool = True,
    use_mirror: bool = True,
    use_origin: bool = True,
    what: str = "",
    then: str | None = None,
) -> Fetched:
    """Make ``dest`` hold the file described by ``remotes`` (alternatives), verified; say how.

    Order: every remote on the mirror (``RESTBENCH_MIRROR``), then Hugging Face remotes from the
    local HF cache, then (unless offline or ``use_origin=False``) every remote at its origin. The
    expected sha256 is ``sha256`` (the caller's pin) or else the remote's own pin. ``dest``
    appears atomically and only verified; a failure leaves at most a resumable ``.part``.
    ``then`` names what the caller tries after these remotes (for Drive's quota message).
    Raises :class:`FetchFailed` with every attempt and its reason.
    """
    dest = Path(dest)
    remotes = list(remotes)
    off = is_offline(offline)
    origin = use_origin and not off
    tried: list[tuple[str, str]] = []
    base = mirror_base() if use_mirror else None
    if base is not None:
        for r in remotes:
            want = _want(r, sha256)
            try:
                rel = r.mirror_path
            except ValueError as e:
                tried.append((f"mirror {base}", str(e)))
                continue
            url = base.locate(rel)
            if url is None:
                tried.append((f"mirror {base}", f"no {rel}"))
                continue
            try:
                _from_url(url, dest, want, progress=progress, retries=1)
            except _Failed as e:
                reason = str(e)
                if "HTTP 404" in reason:
                    reason = f"no {rel} (HTTP 404)"
                tried.append((f"mirror {url}", reason))
                continue
            return Fetched(dest, r, "mirror", url)
    for r in remotes:
        if r.kind != "hf":
            continue
        try:
            _from_hub(r, dest, _want(r, sha256), local_only=True, progress=progress)
        except _Failed as e:
            if not origin or "sha256 mismatch" in str(e):
                tried.append((r.describe(), str(e)))
            continue
        return Fetched(dest, r, "hf-cache", r.describe())
    if not origin:
        tried += [(r.describe(), "skipped: offline mode" if off else "skipped: origins not tried") for r in remotes if r.kind != "hf"]
        raise FetchFailed(what or dest.name, tried, off, base)
    for i, r in enumerate(remotes):
        want = _want(r, sha256)
        nxt = remotes[i + 1].describe() if i + 1 < len(remotes) else then
        try:
            if r.kind == "hf":
                _from_hub(r, dest, want, local_only=False, progress=progress)
            elif r.kind == "gdrive":
                _from_gdrive(r, dest, want, progress=progress, next_source=nxt)
            else:
                _from_url(r.url, dest, want, progress=progress)
        except _Failed as e:
            tried.append((r.describe(), str(e)))
            continue
        return Fetched(dest, r, "origin", r.describe())
    raise FetchFailed(what or dest.name, tried, False, base)


@dataclass
class MirrorReport:
    """What :func:`write_to_mirror` did: files written or already present, and failures."""

    written: list[Path] = field(default_factory=list)
    present: list[Path] = field(default_factory=list)
    failed: list[tuple[Remote, str]] = field(default_factory=list)


def write_to_mirror(
    remotes: Sequence[Remote],
    directory: str | os.PathLike[str],
    *,
    first_only: bool = True,
    progress: bool = True,
) -> MirrorReport:
    """Store ``remotes`` in ``directory`` in the mirror layout (``directory/<mirror_path>``).

    ``remotes`` are alternatives for one file: with ``first_only`` the first that can be fetched
    (or is already there, verified) is stored and the rest skipped, which is all a mirror needs
    because every source is looked up there in order. With ``first_only=False`` every remote is
    stored. Files are fetched with :func:`fetch_file` (so ``RESTBENCH_MIRROR`` may itself be an
    upstream mirror) and checked against their sha256 pins. Failures are reported, not raised.
    """
    directory = Path(directory)
    report = MirrorReport()
    for r in remotes:
        target = directory / r.mirror_path
        if target.is_file() and (not r.sha256 or sha256_file(target) == r.sha256):
            report.present.append(target)
        else:
            try:
                fetch_file([r], target, offline=False, progress=progress, what=r.describe())
            except FetchFailed as e:
                report.failed.append((r, "; ".join(f"{w}: {why}" for w, why in e.tried)))
                continue
            report.written.append(target)
        if first_only:
            break
    return report


__all__ = [
    "KINDS",
    "MIRROR_ENV",
    "OFFLINE_ENV",
    "FetchFailed",
    "Fetched",
    "MirrorBase",
    "MirrorReport",
    "Remote",
    "fetch_file",
    "gdrive_mirror_path",
    "github_listing_mirror_path",
    "hf_cache_dir",
    "hf_endpoint",
    "hf_mirror_path",
    "is_offline",
    "mirror_base",
    "place",
    "url_mirror_path",
    "write_to_mirror",
]
