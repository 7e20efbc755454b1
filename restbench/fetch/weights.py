"""Find, fetch, verify and cache a variant's checkpoint.

A variant's weight lives at ``<cache root>/weights/<arch>/<weight_file>`` (see
:func:`weight_path`); that path is also where a user may put a file by hand. Resolution order:

1. ``override`` (the CLI's ``--weights ID=PATH``), or a ``file://`` source (a checkpoint named
   on the command line with ``--models PATH``): used in place, never copied into the cache.
2. the cached file, if it passes verification: no network request at all.
3. each registered :class:`~restbench.registry.WeightSource` in order: a Hugging Face hub file
   through ``huggingface_hub`` (so ``HF_ENDPOINT`` mirrors, ``HF_HOME``/``HF_HUB_CACHE`` and
   ``HF_HUB_OFFLINE`` behave as users expect, and a file already in the HF cache is reused
   offline), then plain URLs through :func:`restbench.fetch.download.download_url`.

Verification: against ``Variant.sha256`` when the registry knows it. Otherwise the sha256 seen
the first time is recorded in ``weights/known_sha256.json`` and pinned from then on (trust on
first use), so a file that silently changes upstream is caught rather than mixed into results.
The same JSON remembers each cached file's size and mtime, so a cache hit does not re-hash
hundreds of MB every run. The sha256 is always returned, for results to carry.

Every failure to produce a file raises :class:`WeightsUnavailable`, whose message is the full
user-facing explanation (what was tried, and how to place the file by hand).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from restbench.paths import weights_dir
from restbench.fetch.download import DownloadError, sha256_file
from restbench.registry import Variant, WeightSource

SHA_BOOK = "known_sha256.json"
_TRUE = {"1", "on", "yes", "true"}

#: Values :func:`weights_status` returns.
STATUSES = ("cached", "missing", "partial", "hf-cache", "mismatch", "not-needed")


class WeightsUnavailable(RuntimeError):
    """No usable weight file for a variant; ``str(exc)`` is the explanation to show the user."""


@dataclass(frozen=True)
class WeightFile:
    """A verified checkpoint on disk: where it is, its sha256, and where it came from.

    ``source`` is ``"override"``, a URL, ``hf://repo/file``, or ``"manual"`` for a file someone
    put into the cache by hand; ``from_cache`` says whether this call found it already cached.
    """

    path: Path
    sha256: str
    source: str
    from_cache: bool = False


def weight_path(variant: Variant) -> Path:
    """Where the cache keeps (and a user may place) ``variant``'s checkpoint.

    Grouped per architecture because release file names are only unique within one project.
    """
    if not variant.weight_file:
        raise ValueError(f"variant {variant.id!r} has no weight file")
    return weights_dir() / variant.arch / variant.weight_file


def is_offline(offline: bool | None = None) -> bool:
    """An explicit ``offline`` wins; otherwise ``HF_HUB_OFFLINE`` (read now, not at import)."""
    if offline is not None:
        return offline
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def parse_weight_overrides(items: Iterable[str]) -> dict[str, Path]:
    """Parse ``--weights ID=PATH`` arguments into ``{variant id: path}``."""
    out: dict[str, Path] = {}
    for item in items:
        vid, sep, path = item.partition("=")
        if not sep or not vid.strip() or not path.strip():
            raise ValueError(f"--weights expects ID=PATH, got {item!r}")
        out[vid.strip()] = Path(path.strip()).expanduser()
    return out


# --------------------------------------------------------------------------- sha256 book


class _Book:
    """``weights/known_sha256.json``: per cached file, its sha256 plus the size/mtime it had.

    Written atomically (temp file + rename). Two processes recording at once can lose one
    entry, which only means that file is hashed again next time.
    """

    def __init__(self) -> None:
        self.path = weights_dir() / SHA_BOOK
        try:
            data = json.loads(self.path.read_text())
            self.files: dict[str, dict[str, Any]] = dict(data.get("files", {}))
        except (OSError, ValueError, AttributeError):
            self.files = {}

    def entry(self, key: str) -> dict[str, Any] | None:
        return self.files.get(key)

    def record(self, key: str, path: Path, sha: str, source: str, variant: Variant) -> None:
        st = path.stat()
        old = self.files.get(key, {})
        self.files[key] = {
            "sha256": sha,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "source": source,
            "variant": variant.id,
            "first_seen": old.get("first_seen") if old.get("sha256") == sha else _now(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{SHA_BOOK}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(json.dumps({"version": 1, "files": self.files}, indent=1, sort_keys=True))
        os.replace(tmp, self.path)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _key(variant: Variant) -> str:
    return f"{variant.arch}/{variant.weight_file}"


def _cached_sha(path: Path, entry: Mapping[str, Any] | None) -> str:
    """The file's sha256, from the book when size and mtime are unchanged, else by hashing."""
    st = path.stat()
    if entry and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns and entry.get("sha256"):
        return str(entry["sha256"])
    return sha256_file(path)


def _expected(variant: Variant, entry: Mapping[str, Any] | None) -> tuple[str | None, str]:
    """The sha256 to insist on and where it comes from (the registry, or the first sighting)."""
    if variant.sha256:
        return variant.sha256.lower(), "registry"
    if entry and entry.get("sha256"):
        return str(entry["sha256"]), "recorded"
    return None, ""


# --------------------------------------------------------------------------- sources


class _SourceFailed(Exception):
    """One source could not deliver; the message is a one-line reason for the summary."""


def _hf_cache_dir() -> str | None:
    """The HF hub cache, read from the environment now (huggingface_hub reads it at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]).expanduser() / "hub")
    return None


def _hf_endpoint() -> str | None:
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


def _place(src: Path, dest: Path) -> None:
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


def _unreachable(endpoint: str | None, timeout: float = 3.0) -> str | None:
    """Why the hub endpoint cannot be reached, or None if a TCP connection opens (or a proxy is set).

    huggingface_hub retries a failed connection with backoff for ~25 s before giving up; a dead
    network or mirror should instead fall through to the next source at once. With a proxy in
    the environment we cannot judge reachability ourselves, so we let huggingface_hub try.
    """
    import socket
    import urllib.request
    from urllib.parse import urlsplit

    if endpoint is None:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(host):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        return f"hub endpoint {endpoint} unreachable ({e.strerror or e})"
    return None


def _from_hub(src: WeightSource, dest: Path, expected: str | None, *, offline: bool, progress: bool) -> str:
    """Fetch through huggingface_hub (its cache first), verify, then place into our cache."""
    import inspect

    from huggingface_hub import hf_hub_download

    kwargs: dict[str, Any] = dict(
        revision=src.hf_revision,
        cache_dir=_hf_cache_dir(),
        endpoint=_hf_endpoint(),
        local_files_only=offline,
    )
    if not progress and "tqdm_class" in inspect.signature(hf_hub_download).parameters:
        kwargs["tqdm_class"] = _silent_tqdm()
    filename = src.hf_filename or dest.name
    try:
        if not offline:
            try:  # a file already in the HF cache needs no connection check
                kwargs["local_files_only"] = True
                got = Path(hf_hub_download(src.hf_repo, filename, **kwargs))
            except Exception:
                kwargs["local_files_only"] = False
                unreachable = _unreachable(kwargs["endpoint"])
                if unreachable:
                    raise _SourceFailed(unreachable) from None
                got = Path(hf_hub_download(src.hf_repo, filename, **kwargs))
        else:
            got = Path(hf_hub_download(src.hf_repo, filename, **kwargs))
    except _SourceFailed:
        raise
    except Exception as e:  # any hub failure means "try the next source"; the reason is reported
        raise _SourceFailed(_hub_reason(e)) from e
    blob = got.resolve()
    actual = sha256_file(blob)
    if expected and actual != expected:
        raise _SourceFailed(f"sha256 mismatch: expected {expected}, got {actual} (not copied into the cache)")
    _place(blob, dest)
    return src.describe()


def _from_url(url: str, dest: Path, expected: str | None, *, progress: bool) -> str:
    from restbench.fetch.download import download_url

    try:
        download_url(url, dest, sha256=expected, progress=progress)
    except DownloadError as e:
        raise _SourceFailed(str(e)) from e
    return url


# --------------------------------------------------------------------------- public API


def resolve_weights(
    variant: Variant,
    override: Path | str | None = None,
    offline: bool | None = None,
    progress: bool = True,
) -> WeightFile:
    """Return a verified local checkpoint for ``variant``, downloading it if needed.

    ``override`` uses that file as is (checked against the registry's sha256 if there is one).
    ``offline`` (default: ``HF_HUB_OFFLINE``) forbids network requests: only the restbench
    cache and the Hugging Face cache are consulted. Raises :class:`WeightsUnavailable`.
    """
    if not variant.needs_weights:
        raise ValueError(f"variant {variant.id!r} needs no weights")
    if override is not None:
        return _use_override(variant, Path(override).expanduser())
    local = next((s.url for s in variant.sources if s.url and s.url.startswith("file://")), None)
    if local is not None:
        from urllib.parse import unquote, urlsplit

        wf = _use_override(variant, Path(unquote(urlsplit(local).path)))
        return WeightFile(wf.path, wf.sha256, local)

    dest = weight_path(variant)
    key = _key(variant)
    book = _Book()
    expected, why = _expected(variant, book.entry(key))
    rejected: tuple[Path, str] | None = None

    if dest.is_file():
        actual = _cached_sha(dest, book.entry(key))
        if expected is None or actual == expected:
            source = (book.entry(key) or {}).get("source") or "manual"
            if book.entry(key) is None or book.entry(key).get("mtime_ns") != dest.stat().st_mtime_ns:
                book.record(key, dest, actual, source, variant)
            return WeightFile(dest, actual, source, from_cache=True)
        # Keep the user's bytes for inspection, but out of the way: they are not this weight.
        bad = dest.with_name(dest.name + ".rejected")
        os.replace(dest, bad)
        rejected = (bad, actual)

    off = is_offline(offline)
    tried: list[tuple[str, str]] = []
    # Hub mirrors first (fast CDN, resumable, shared HF cache), release URLs after, whatever order
    # a plugin listed them in.
    for src in sorted(variant.sources, key=lambda s: s.hf_repo is None):
        try:
            if src.hf_repo:
                source = _from_hub(src, dest, expected, offline=off, progress=progress)
            elif src.url:
                if off:
                    tried.append((src.describe(), "skipped: offline mode"))
                    continue
                source = _from_url(src.url, dest, expected, progress=progress)
            else:
                continue
        except _SourceFailed as e:
            tried.append((src.describe(), str(e)))
            continue
        actual = expected or sha256_file(dest)
        book.record(key, dest, actual, source, variant)
        return WeightFile(dest, actual, source)

    raise WeightsUnavailable(_explain(variant, dest, expected, why, tried, off, rejected))


def _use_override(variant: Variant, path: Path) -> WeightFile:
    if not path.is_file():
        raise WeightsUnavailable(
            f"The weight file given for {variant.id!r} does not exist: {path}\n"
            f"Pass an existing file with --weights {variant.id}=PATH."
        )
    actual = sha256_file(path)
    if variant.sha256 and actual != variant.sha256.lower():
        raise WeightsUnavailable(
            f"The weight file given for {variant.id!r} is not the released checkpoint:\n"
            f"  file:     {path}\n"
            f"  sha256:   {actual}\n"
            f"  expected: {variant.sha256.lower()} ({variant.weight_file})\n"
            "Results with it would not be comparable to the paper's. Use the released file."
        )
    return WeightFile(path.resolve(), actual, "override")


def _explain(
    variant: Variant,
    dest: Path,
    expected: str | None,
    why: str,
    tried: list[tuple[str, str]],
    offline: bool,
    rejected: tuple[Path, str] | None,
) -> str:
    """The message a user reads when no source delivered: what happened, and three ways out."""
    lines = [f"Weights for {variant.id!r} ({variant.weight_file}) are not available."]
    if rejected:
        lines.append(
            f"The cached file had the wrong sha256 ({rejected[1]}); it was moved to {rejected[0]}."
        )
    if tried:
        lines.append("Tried:")
        lines += [f"  - {where}: {reason}" for where, reason in tried]
    else:
        lines.append("No download source is registered for this variant.")
    if offline:
        lines.append(
            "Offline mode is on (HF_HUB_OFFLINE=1 or --offline), so nothing was downloaded; "
            "turn it off to let restbench download the file."
        )
    lines.append("To fix it, do one of:")
    if not offline and tried:
        lines.append(
            f"  - check the network/proxy (or point HF_ENDPOINT at a reachable hub mirror) and run "
            f"`restbench download {variant.id}` again;"
        )
    urls = [s.url for s in variant.sources if s.url] + [
        f"{_hf_endpoint() or 'https://huggingface.co'}/{s.hf_repo}/resolve/{s.hf_revision or 'main'}/{s.hf_filename}"
        for s in variant.sources
        if s.hf_repo
    ]
    fetch = f" (e.g. from {urls[0]})" if urls else ""
    lines.append(f"  - get {variant.weight_file} yourself{fetch} and put it exactly here:")
    lines.append(f"        {dest}")
    lines.append(f"  - or pass it directly: --weights {variant.id}=/path/to/{variant.weight_file}")
    if expected:
        origin = "registered" if why == "registry" else f"recorded in {dest.parent.parent / SHA_BOOK} when first seen"
        lines.append(f"The file must have sha256 {expected} ({origin}).")
    return "\n".join(lines)


def weights_status(variant: Variant) -> str:
    """Where ``variant``'s weight stands, without any network request (for ``restbench models``).

    ``cached`` (in the cache and verified), ``mismatch`` (a file is there but has the wrong
    sha256), ``hf-cache`` (not in our cache but in the Hugging Face cache: resolvable offline),
    ``partial`` (an interrupted download will resume), ``missing``, or ``not-needed``.
    """
    if not variant.needs_weights:
        return "not-needed"
    dest = weight_path(variant)
    if dest.is_file():
        entry = _Book().entry(_key(variant))
        expected, _ = _expected(variant, entry)
        if expected is None or _cached_sha(dest, entry) == expected:
            return "cached"
        return "mismatch"
    if _in_hf_cache(variant):
        return "hf-cache"
    if dest.with_name(dest.name + ".part").is_file():
        return "partial"
    return "missing"


def _in_hf_cache(variant: Variant) -> bool:
    hub = [s for s in variant.sources if s.hf_repo]
    if not hub:
        return False
    from huggingface_hub import try_to_load_from_cache

    for s in hub:
        hit = try_to_load_from_cache(
            s.hf_repo, s.hf_filename or variant.weight_file, cache_dir=_hf_cache_dir(), revision=s.hf_revision
        )
        if isinstance(hit, str):
            return True
    return False


def prefetch(
    variants: Iterable[Variant], offline: bool | None = None, progress: bool = True
) -> dict[str, WeightFile | WeightsUnavailable]:
    """Resolve every variant that needs weights (``restbench download``); failures are returned, not raised."""
    out: dict[str, WeightFile | WeightsUnavailable] = {}
    for v in variants:
        if not v.needs_weights:
            continue
        try:
            out[v.id] = resolve_weights(v, offline=offline, progress=progress)
        except WeightsUnavailable as e:
            out[v.id] = e
    return out


__all__ = [
    "STATUSES",
    "WeightFile",
    "WeightsUnavailable",
    "is_offline",
    "parse_weight_overrides",
    "prefetch",
    "resolve_weights",
    "weight_path",
    "weights_status",
]
