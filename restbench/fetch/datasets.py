"""Downloading a set from its registered sources into ``<root>/<Name>/``, atomically and verified.

A set's sources are alternatives tried in order: first every source on the mirror
(``RESTBENCH_MIRROR``) and from the local caches, then, unless offline, every source at its origin
(see :mod:`restbench.fetch.mirror`). A source is accepted only when what it delivered passes
:func:`~restbench.datasets.manifest.verify_folder` (layout, per-file checksums when the set has a
manifest, image count); otherwise the next source is tried.

Atomicity: everything is unpacked into a hidden staging folder ``<root>/.<Name>-XXXX/`` and only a
verified copy is renamed onto ``<root>/<Name>``, so a failure or a kill never leaves a half set
where the loader looks (stale staging folders are removed by the next run). Archives are
downloaded into ``<root>/.downloads/<mirror path>`` (the mirror layout, so that folder can itself
serve as ``RESTBENCH_MIRROR``); a broken transfer leaves a ``.part`` there that the next run
resumes. A truncated or corrupt archive is deleted with a clear error. An archive is deleted once
unpacked, unless another registered set that is still missing under the same root is cut from the
same archive (Restormer's deraining ``test.zip`` holds five sets).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import Iterable, Iterator

from restbench.fetch.download import DownloadError, sha256_file
from restbench.fetch.archives import ExtractError
from restbench.fetch.mirror import FetchFailed, MirrorReport, Remote, fetch_file, is_offline, write_to_mirror
from restbench.datasets.locate import default_data_root, how_to_get, packaged_root, spec_of
from restbench.datasets.manifest import known_checksums, verify_folder
from restbench.datasets.spec import DataSource, DatasetError, DatasetSpec

DOWNLOADS = ".downloads"


def _git_blob_sha1(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _github_api(spec: DatasetSpec, src: DataSource) -> str:
    m = re.match(r"https://github\.com/([^/]+)/([^/]+)/tree/([^/]+)/(.+)", src.url)
    if not m:
        raise DatasetError(f"{spec.name}: github-dir source must look like https://github.com/O/R/tree/REF/PATH, got {src.url}")
    owner, repo, ref, path = m.groups()
    return f"https://api.github.com/repos/{owner}/{repo}/contents/{path}?ref={ref}"


def _files_remotes(spec: DatasetSpec, src: DataSource) -> list[tuple[str, Remote]]:
    checks = known_checksums(spec)
    if not checks:
        raise DatasetError(f"{spec.name}: a 'files' source needs a checksum manifest listing the files")
    base = src.url.rstrip("/")
    return [(rel, Remote("url", url=f"{base}/{urllib.parse.quote(rel)}", sha256=digest)) for rel, digest in checks.items()]


def _fetch_github_dir(spec: DatasetSpec, src: DataSource, dest: Path, work: Path, fetch: dict) -> None:
    """Every image of a repository folder, listed by the GitHub contents API; each file must hash
    to the git blob id the API reports (the only checksum GitHub publishes for raw files)."""
    api = _github_api(spec, src)
    got = fetch_file([Remote("url", url=api)], work / "listing.json", what=f"{spec.name} listing", **fetch)
    try:
        listing = json.loads(got.path.read_text())
    except ValueError as exc:
        raise DatasetError(f"{spec.name}: the listing from {got.source} is not JSON ({exc})") from None
    wanted = {s.lower() for s in spec.suffixes}
    entries = [e for e in listing if e.get("type") == "file" and Path(e["name"]).suffix.lower() in wanted]
    for e in entries:
        name = e["name"]
        if "/" in name or "\\" in name or name.startswith("."):
            raise DatasetError(f"{spec.name}: refusing odd file name {name!r} from {api}")
        out = fetch_file([Remote("url", url=e["download_url"])], dest / name, what=name, **fetch).path
        if e.get("sha") and _git_blob_sha1(out) != e["sha"]:
            out.unlink()
            raise DatasetError(f"{spec.name}: {name} does not match its git blob hash {e['sha']} from {api}")


def _member_dir(spec: DatasetSpec, src: DataSource, unpacked: Path) -> Path:
    """The folder of the archive that holds this set: ``member``, else a folder named like the set."""
    visible = [p for p in unpacked.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
    if src.member:
        top = unpacked / src.member
        if top.is_dir():
            return top
        names = {n.lower() for n in spec.folder_names}
        for depth in range(1, 4):  # the authors' archive may nest one level differently
            for p in sorted(unpacked.glob("/".join(["*"] * depth))):
                if p.is_dir() and p.name.lower() in names and "__MACOSX" not in p.parts:
                    return p
        raise DatasetError(
            f"{spec.name}: {src.describe()} has no folder {src.member!r} (its top level: "
            f"{', '.join(sorted(p.name for p in visible)[:8]) or 'nothing'})"
        )
    if len(visible) == 1 and visible[0].is_dir():
        return visible[0]
    return unpacked


def _place_archive_content(spec: DatasetSpec, src: DataSource, top: Path, dest: Path) -> None:
    from restbench.fetch.archives import move_tree

    if not src.flatten:
        move_tree(top, dest)
        return
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {s.lower() for s in spec.suffixes}
    seen: dict[str, Path] = {}
    for p in sorted(top.rglob("*")):
        if p.is_file() and p.suffix.lower() in wanted and "__MACOSX" not in p.parts:
            if p.name in seen:
                raise DatasetError(f"{spec.name}: {src.describe()} holds two files named {p.name} "
                                   f"({seen[p.name].relative_to(top)}, {p.relative_to(top)}); cannot flatten")
            seen[p.name] = p
    for name, p in seen.items():
        shutil.move(str(p), str(dest / name))


def archive_path(base: Path, src: DataSource) -> Path:
    """Where the archive of ``src`` is downloaded to under the data root ``base`` (mirror layout;
    a ``file://`` or other non-mirrorable URL goes under ``other/<hash>/``)."""
    remote = src.remote()
    try:
        return base / DOWNLOADS / remote.mirror_path
    except ValueError:
        key = hashlib.sha1(remote.canonical_url.encode()).hexdigest()[:16]
        name = Path(urllib.parse.urlsplit(remote.canonical_url).path).name or "archive"
        return base / DOWNLOADS / "other" / key / name


def _have_archive(path: Path, src: DataSource) -> bool:
    """A file at ``path`` is complete (downloads are renamed into place only when complete) and,
    when the source is pinned, must also have the pinned sha256."""
    return path.is_file() and (not src.sha256 or sha256_file(path) == src.sha256)


def _discard_archive(path: Path, stop: Path) -> None:
    from restbench.fetch.gdrive import remove_partials

    for p in (path, path.with_name(path.name + ".part"), path.with_name(path.name + ".part.json")):
        p.unlink(missing_ok=True)
    remove_partials(path)
    parent = path.parent
    while parent != stop and stop in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def _fetch_archive(spec: DatasetSpec, src: DataSource, base: Path, dest: Path, work: Path, fetch: dict) -> Path:
    from restbench.fetch.archives import safe_extract

    archive = archive_path(base, src)
    if not _have_archive(archive, src):
        fetch_file([src.remote()], archive, what=f"{spec.name} archive", **fetch)
    unpacked = work / "unpacked"
    try:
        safe_extract(archive, unpacked)
    except ExtractError as exc:
        # A truncated or corrupt archive is useless; keeping it would only make the next run fail again.
        _discard_archive(archive, base / DOWNLOADS)
        raise DatasetError(f"{exc}; the archive was deleted, so the next attempt downloads it again") from None
    try:
        _place_archive_content(spec, src, _member_dir(spec, src, unpacked), dest)
    except DatasetError:
        if not src.sha256:  # unpinned bytes that are not this set: nothing worth keeping
            _discard_archive(archive, base / DOWNLOADS)
        raise
    return archive


def _materialise(spec: DatasetSpec, src: DataSource, base: Path, stage: Path, work: Path, fetch: dict) -> Path | None:
    """Fill ``stage`` from ``src``; returns the archive used (if any) so it can be cleaned up."""
    dest = stage / src.dest if src.dest else stage
    if src.kind == "files":
        for rel, remote in _files_remotes(spec, src):
            fetch_file([remote], dest / rel, what=rel, **fetch)
        return None
    if src.kind == "github-dir":
        _fetch_github_dir(spec, src, dest, work, fetch)
        return None
    return _fetch_archive(spec, src, base, dest, work, fetch)


def _still_needed_elsewhere(spec: DatasetSpec, src: DataSource, base: Path, others: Iterable[DatasetSpec]) -> bool:
    """Whether another registered set, still missing under ``base``, is cut from this archive."""
    key = src.remote().canonical_url
    for other in others:
        if other.name == spec.name:
            continue
        for s in other.sources:
            if s.is_archive and s.remote().canonical_url == key and verify_folder(other, base / other.name):
                return True
    return False


def _clear_stale_staging(base: Path, name: str) -> None:
    """Staging folders of a killed earlier run (we hold the set's lock, so none is in use)."""
    for p in base.glob(f".{name}-*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def _drop_locks(stage: Path) -> None:
    """The per-file download locks (``.<name>.lock``) left in the private staging folder."""
    for p in stage.rglob(".*.lock"):
        if p.is_file():
            p.unlink()


def _install(stage: Path, target: Path, work: Path) -> None:
    """Swap the verified ``stage`` onto ``target``: an old copy is moved aside first, then dropped."""
    _drop_locks(stage)
    if target.exists() or target.is_symlink():
        os.replace(target, work / "previous")
    os.replace(stage, target)


class _SetLock:
    """One process at a time fetches a given set into a given root (two runs sharing a cache)."""

    def __init__(self, base: Path, name: str) -> None:
        self.path = base / DOWNLOADS / ".locks" / f"{name}.lock"

    def __enter__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            from filelock import FileLock
        except ImportError:  # pragma: no cover - filelock is a dependency
            self.lock = None
            return
        self.lock = FileLock(str(self.path))
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.release()


def _passes(offline: bool) -> Iterator[tuple[str, dict]]:
    yield "mirror/cache", dict(use_origin=False)
    if not offline:
        yield "origin", dict(use_mirror=False, offline=False)


def download_dataset(
    spec: DatasetSpec | str,
    data_root: str | os.PathLike[str] | None = None,
    *,
    progress: bool = True,
    force: bool = False,
    offline: bool | None = None,
    registered: Iterable[DatasetSpec] = (),
) -> Path:
    """Fetch a set into ``<data_root or cache>/<Name>/`` from its sources and verify it; return the folder.

    ``registered`` are the other registered sets (``registry.datasets.values()``): an archive that
    also holds one of them still missing is kept until that set is cut from it too.

    Sources are alternatives: all of them on the mirror and from the caches first, then (unless
    ``offline``, default ``RESTBENCH_OFFLINE``/``HF_HUB_OFFLINE``) all of them at their origins.
    A set already in place and verified is returned without any request (``force`` fetches it
    again, replacing the old copy only once the new one verifies). Sets distributed only through
    licence forms raise :class:`DatasetError` with the manual instructions; so does a set no
    source could deliver, with every attempt and every way to get it.
    """
    spec = spec_of(spec, {d.name: d for d in registered} or None)
    if spec.packaged:
        return packaged_root(spec)
    base = Path(data_root).expanduser() if data_root is not None else default_data_root()
    target = base / spec.name
    if not force and not verify_folder(spec, target):
        return target
    auto = [s for s in spec.sources if s.automatic]
    if not auto:
        raise DatasetError(
            f"{spec.name} cannot be downloaded automatically (its licence requires each user to apply or "
            f"download it by hand). Get it by hand:\n{how_to_get(spec)}\nthen pass --data-root <data-root>."
        )
    off = is_offline(offline)
    base.mkdir(parents=True, exist_ok=True)
    tried: list[tuple[str, str]] = []
    with _SetLock(base, spec.name):
        _clear_stale_staging(base, spec.name)
        if not force and not verify_folder(spec, target):  # another process finished it meanwhile
            return target
        for label, fetch in _passes(off):
            fetch = dict(fetch, progress=progress)
            for i, src in enumerate(auto):
                if src.is_archive:
                    fetch["then"] = auto[i + 1].describe() if i + 1 < len(auto) else None
                with tempfile.TemporaryDirectory(prefix=f".{spec.name}-", dir=base) as tmp:
                    work = Path(tmp)
                    stage = work / spec.name
                    stage.mkdir()
                    try:
                        archive = _materialise(spec, src, base, stage, work, fetch)
                    except FetchFailed as exc:
                        # Pass 1 only reports what the mirror said (or everything, offline): "not in
                        # the HF cache" is no news when the origins are tried next.
                        tried += [t for t in exc.tried if not t[1].startswith("skipped: origins not tried")
                                  and (off or label == "origin" or t[0].startswith("mirror"))]
                        continue
                    except (DatasetError, DownloadError, ExtractError, OSError) as exc:
                        tried.append((src.describe(), " ".join(str(exc).split())))
                        continue
                    problems = verify_folder(spec, stage)
                    if problems:
                        if archive is not None and not src.sha256:
                            _discard_archive(archive, base / DOWNLOADS)
                        tried.append((src.describe(), "delivered a copy that does not verify: " + "; ".join(problems[:3])))
                        continue
                    _install(stage, target, work)
                if archive is not None and not _still_needed_elsewhere(spec, src, base, registered):
                    _discard_archive(archive, base / DOWNLOADS)
                return target
    raise DatasetError(_explain(spec, base, tried, off))


def _explain(spec: DatasetSpec, base: Path, tried: list[tuple[str, str]], offline: bool) -> str:
    lines = [f"{spec.name} could not be fetched into {base / spec.name}."]
    if tried:
        lines.append("Tried:")
        lines += [f"  - {where}: {why}" for where, why in dict.fromkeys(tried)]
    if offline:
        lines.append("Offline mode is on (RESTBENCH_OFFLINE=1, HF_HUB_OFFLINE=1 or --offline): no origin was contacted; "
                     "only the mirror and the local caches were used.")
    lines.append("Ways to get it:")
    lines.append(how_to_get(spec))
    return "\n".join(lines)


def dataset_remotes(spec: DatasetSpec | str, source: DataSource | None = None) -> list[Remote]:
    """Every remote file of a set's sources (or of one ``source``), for mirroring.

    Archive sources give their archive; ``files`` sources every manifest file; ``github-dir``
    sources only their listing (its files are known once the listing has been read).
    """
    spec = spec_of(spec)
    out: list[Remote] = []
    for src in [source] if source is not None else [s for s in spec.sources if s.automatic]:
        if src.is_archive:
            out.append(src.remote())
        elif src.kind == "files":
            out += [r for _, r in _files_remotes(spec, src)]
        elif src.kind == "github-dir":
            out.append(Remote("url", url=_github_api(spec, src)))
    return out


def mirror_dataset(spec: DatasetSpec | str, directory: str | os.PathLike[str], *, progress: bool = True) -> MirrorReport:
    """Store a set's files in a mirror directory, in the mirror layout.

    Sources are alternatives: the first source whose files can all be stored is used. For a
    ``github-dir`` source the listing is stored and then every image it lists.
    """
    spec = spec_of(spec)
    directory = Path(directory)
    report = MirrorReport()
    for src in [s for s in spec.sources if s.automatic]:
        part = MirrorReport()
        for remote in dataset_remotes(spec, src):
            got = write_to_mirror([remote], directory, progress=progress)
            part.written += got.written
            part.present += got.present
            part.failed += got.failed
            if src.kind == "github-dir" and not got.failed:
                listing = json.loads((directory / remote.mirror_path).read_text())
                wanted = {s.lower() for s in spec.suffixes}
                files = [Remote("url", url=e["download_url"]) for e in listing
                         if e.get("type") == "file" and Path(e["name"]).suffix.lower() in wanted]
                for f in files:
                    sub = write_to_mirror([f], directory, progress=progress)
                    part.written += sub.written
                    part.present += sub.present
                    part.failed += sub.failed
        report.written += part.written
        report.present += part.present
        if not part.failed:
            return report
        report.failed += part.failed
    return report


__all__ = ["archive_path", "dataset_remotes", "download_dataset", "mirror_dataset"]
