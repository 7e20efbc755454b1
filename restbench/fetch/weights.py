"""Find, fetch, verify and cache a variant's checkpoint.

A variant's weight lives at ``<cache root>/weights/<arch>/<weight_file>`` (see
:func:`weight_path`); that path is also where a user may put a file by hand. Resolution order:

1. ``override`` (the CLI's ``--weights ID=PATH``), or a ``file://`` source (a checkpoint named
   on the command line with ``--models PATH``): used in place, never copied into the cache.
2. the cached file, if it passes verification: no network request at all.
3. the registered :class:`~restbench.registry.WeightSource` entries, through
   :func:`restbench.fetch.mirror.fetch_file`: each one on the mirror (``RESTBENCH_MIRROR``) in order,
   then Hugging Face sources from the local HF cache, then each source at its origin in the order
   the plugin listed them: a Hugging Face hub file through ``huggingface_hub`` (``HF_ENDPOINT``,
   ``HF_HOME``/``HF_HUB_CACHE`` read at call time), a Google Drive id through
   :mod:`restbench.fetch.gdrive`, a plain URL through :func:`restbench.fetch.download.download_url`.
   Offline (``RESTBENCH_OFFLINE=1``, ``HF_HUB_OFFLINE=1`` or ``offline=True``) no origin is
   contacted.

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
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from restbench.paths import weights_dir
from restbench.fetch.download import sha256_file
from restbench.fetch.mirror import MIRROR_ENV, FetchFailed, MirrorReport, Remote, fetch_file, hf_cache_dir, hf_endpoint, write_to_mirror
from restbench.fetch.mirror import is_offline as _is_offline
from restbench.registry import Variant

SHA_BOOK = "known_sha256.json"

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
    """An explicit ``offline`` wins; otherwise ``RESTBENCH_OFFLINE`` or ``HF_HUB_OFFLINE`` (read now)."""
    return _is_offline(offline)


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


def remotes_of(variant: Variant) -> list[Remote]:
    """The variant's sources as :class:`~restbench.fetch.mirror.Remote` entries, in the order they are tried."""
    return [s.remote(variant.weight_file, variant.sha256) for s in variant.sources]


def mirror_weights(variant: Variant, directory: str | os.PathLike[str], *, progress: bool = True) -> MirrorReport:
    """Store the variant's checkpoint in a mirror directory (first source that delivers it)."""
    return write_to_mirror(remotes_of(variant), directory, progress=progress)


# --------------------------------------------------------------------------- public API


def resolve_weights(
    variant: Variant,
    override: Path | str | None = None,
    offline: bool | None = None,
    progress: bool = True,
) -> WeightFile:
    """Return a verified local checkpoint for ``variant``, downloading it if needed.

    ``override`` uses that file as is (checked against the registry's sha256 if there is one).
    ``offline`` (default: ``RESTBENCH_OFFLINE`` / ``HF_HUB_OFFLINE``) forbids contacting any
    origin: only the restbench cache, the mirror and the Hugging Face cache are consulted.
    Raises :class:`WeightsUnavailable`.
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
    remotes = remotes_of(variant)
    if remotes:
        try:
            got = fetch_file(remotes, dest, sha256=expected, offline=off, progress=progress, what=variant.weight_file or "")
        except FetchFailed as e:
            tried = e.tried
        else:
            actual = expected or sha256_file(dest)
            source = got.source if got.via != "hf-cache" else got.remote.describe()
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
            "Offline mode is on (RESTBENCH_OFFLINE=1, HF_HUB_OFFLINE=1 or --offline), so nothing was downloaded; "
            "turn it off to let restbench download the file."
        )
    lines.append("To fix it, do one of:")
    if not offline and tried:
        lines.append(
            f"  - check the network/proxy (or point HF_ENDPOINT at a reachable hub mirror) and run "
            f"`restbench download {variant.id}` again;"
        )
    urls = [s.canonical_url if s.kind != "hf" else
            f"{hf_endpoint() or 'https://huggingface.co'}/{s.hf_repo}/resolve/{s.hf_revision or 'main'}/{s.hf_filename}"
            for s in variant.sources]
    fetch = f" (e.g. from {urls[0]})" if urls else ""
    lines.append(f"  - get {variant.weight_file} yourself{fetch} and put it exactly here:")
    lines.append(f"        {dest}")
    lines.append(f"  - or pass it directly: --weights {variant.id}=/path/to/{variant.weight_file}")
    remotes = remotes_of(variant)
    if remotes:
        lines.append(f"  - or serve it from a mirror: {MIRROR_ENV}=<dir or URL> holding it at <mirror>/{remotes[0].mirror_path}")
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
            s.hf_repo, s.hf_filename or variant.weight_file, cache_dir=hf_cache_dir(), revision=s.hf_revision
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
    "mirror_weights",
    "parse_weight_overrides",
    "prefetch",
    "remotes_of",
    "resolve_weights",
    "weight_path",
    "weights_status",
]
