"""Downloading a set from its registered sources into ``<root>/<Name>/`` and verifying it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path

from restbench.datasets.locate import default_data_root, how_to_get, layout_problem, packaged_root, spec_of
from restbench.datasets.manifest import file_sha256, known_checksums, verify_dataset
from restbench.datasets.spec import DataSource, DatasetError, DatasetSpec


def _fetch(url: str, dest: Path, sha256: str | None, progress: bool) -> Path:
    from restbench.fetch.download import download_url

    return download_url(url, dest, sha256=sha256, progress=progress)


def _fetch_hf(src: DataSource) -> Path:
    """A dataset-repo file through huggingface_hub (honours HF_ENDPOINT mirrors, HF_HUB_OFFLINE,
    HF_TOKEN and its cache, like the weights layer), checked against ``src.sha256`` if known."""
    from huggingface_hub import hf_hub_download

    path = Path(hf_hub_download(src.hf_repo, src.hf_filename, repo_type="dataset", revision=src.hf_revision))
    if src.sha256 and file_sha256(path) != src.sha256.lower():
        raise DatasetError(f"{src.describe()}: sha256 {file_sha256(path)} differs from the known {src.sha256}")
    return path


def _git_blob_sha1(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _fetch_github_dir(spec: DatasetSpec, src: DataSource, dest: Path, work: Path, progress: bool) -> None:
    """Every image of a repository folder, listed by the GitHub contents API; each file must hash
    to the git blob id the API reports (the only checksum GitHub publishes for raw files)."""
    m = re.match(r"https://github\.com/([^/]+)/([^/]+)/tree/([^/]+)/(.+)", src.url)
    if not m:
        raise DatasetError(f"{spec.name}: github-dir source must look like https://github.com/O/R/tree/REF/PATH, got {src.url}")
    owner, repo, ref, path = m.groups()
    api = f"https://api.github.com/repos/{owner}/{repo}/contents/{path}?ref={ref}"
    listing = json.loads(_fetch(api, work / "listing.json", None, False).read_text())
    wanted = {s.lower() for s in spec.suffixes}
    entries = [e for e in listing if e.get("type") == "file" and Path(e["name"]).suffix.lower() in wanted]
    for e in entries:
        name = e["name"]
        if "/" in name or "\\" in name or name.startswith("."):
            raise DatasetError(f"{spec.name}: refusing odd file name {name!r} from {api}")
        out = _fetch(e["download_url"], dest / name, None, progress)
        if e.get("sha") and _git_blob_sha1(out) != e["sha"]:
            out.unlink()
            raise DatasetError(f"{spec.name}: {name} does not match its git blob hash {e['sha']} from {api}")


def _fetch_archive(spec: DatasetSpec, src: DataSource, dest: Path, work: Path, progress: bool) -> None:
    from restbench.fetch.archives import move_tree, safe_extract

    if src.hf_repo:
        archive = _fetch_hf(src)
    else:
        archive = _fetch(src.fetch_url, work / (Path(urllib.parse.urlparse(src.url).path).name or "archive"), src.sha256, progress)
    staging = work / "unpacked"
    safe_extract(archive, staging)
    top = staging / src.member if src.member else staging
    if not src.member:
        entries = [p for p in staging.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
        if len(entries) == 1 and entries[0].is_dir():
            top = entries[0]
    if not top.is_dir():
        raise DatasetError(f"{spec.name}: {src.describe()} has no folder {src.member!r}")
    if src.flatten:
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
            if (dest / name).exists():
                (dest / name).unlink()
            shutil.move(str(p), str(dest / name))
    else:
        move_tree(top, dest)


def download_dataset(
    spec: DatasetSpec | str, data_root: str | os.PathLike[str] | None = None, *, progress: bool = True, force: bool = False
) -> Path:
    """Fetch a set into ``<data_root or cache>/<Name>/`` from its automatic sources and verify it.

    Every automatic source of the spec is a part of the set (e.g. HR archive + LR archives) and is
    fetched; sets distributed only through Google Drive or licence forms raise
    :class:`DatasetError` with the manual instructions. Returns the set folder.
    """
    spec = spec_of(spec)
    base = Path(data_root).expanduser() if data_root is not None else default_data_root()
    target = base / spec.name
    if spec.packaged:
        return packaged_root(spec)
    if not force and layout_problem(spec, target) is None and not verify_dataset(spec, base):
        return target
    auto = [s for s in spec.sources if s.automatic]
    if not auto:
        raise DatasetError(
            f"{spec.name} cannot be downloaded automatically (its authors distribute it via Google Drive "
            f"or a licence form). Get it by hand:\n{how_to_get(spec)}\nthen pass --data-root <data-root>."
        )
    base.mkdir(parents=True, exist_ok=True)
    checks = known_checksums(spec)
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}-", dir=base) as tmp:
        work = Path(tmp)
        for i, src in enumerate(auto):
            part = work / f"part{i}"
            part.mkdir()
            dest = target / src.dest if src.dest else target
            try:
                if src.kind == "files":
                    if not checks:
                        raise DatasetError(f"{spec.name}: a 'files' source needs a checksum manifest listing the files")
                    for rel, digest in checks.items():
                        url = src.url.rstrip("/") + "/" + urllib.parse.quote(rel)
                        _fetch(url, dest / rel, digest, progress)
                elif src.kind == "github-dir":
                    _fetch_github_dir(spec, src, dest, part, progress)
                else:
                    _fetch_archive(spec, src, dest, part, progress)
            except DatasetError:
                raise
            except Exception as exc:
                raise DatasetError(
                    f"{spec.name}: fetching {src.describe()} failed: {type(exc).__name__}: {exc}\n"
                    f"Other ways to get it:\n{how_to_get(spec)}"
                ) from exc
    problems = verify_dataset(spec, base)
    if problems:
        raise DatasetError(f"{spec.name} downloaded to {target} but does not verify:\n  " + "\n  ".join(problems[:10]))
    return target
