"""What a run read, as one hash; and checking a set on disk against its known checksums."""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

from restbench.datasets.load import check_task, plan_items
from restbench.datasets.locate import find_root, layout_problem, spec_of
from restbench.datasets.spec import SR_TASKS, DatasetError, DatasetSpec

_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, remembered per (path, size, mtime) for this process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def manifest_files(
    spec: DatasetSpec | str, data_root: str | os.PathLike[str] | None, *, task: str, scale: int | None = None,
    limit: int | None = None, dual_pixel: bool = False,
) -> tuple[Path, list[Path]]:
    """(set root, the files :func:`load_samples` reads for these arguments), with the split files
    of a whole-set run (its summary averages each published split too)."""
    spec = spec_of(spec)
    check_task(spec, task, scale)
    root = find_root(spec, data_root)
    if spec.layout == "mat":
        return root, [root / f for f in spec.mat_files]
    items = plan_items(spec, root, task, scale, dual_pixel)
    if limit is not None:
        items = items[:limit]
    files = [p for it in items for p in (it.target, it.input, *it.views) if p is not None]
    if limit is None:
        files += [root / f for f in spec.splits.values() if (root / f).is_file()]
    return root, sorted(set(files))


def manifest_hash(
    spec: DatasetSpec | str,
    data_root: str | os.PathLike[str] | None,
    *,
    task: str,
    scale: int | None = None,
    limit: int | None = None,
    dual_pixel: bool = False,
    **_protocol: object,
) -> str:
    """sha256 over the relative names and sha256s of exactly the files a run reads.

    Any change to an image, a renamed file, or a different ``limit`` gives another hash, so the
    results store never mixes numbers from different copies of a "same" set. Extra keyword
    arguments (``sigma``, ``quality``, ``channels``) are accepted and ignored: they belong to
    the protocol, which the results store hashes separately.
    """
    root, files = manifest_files(spec, data_root, task=task, scale=scale, limit=limit, dual_pixel=dual_pixel)
    h = hashlib.sha256()
    for p in files:
        rel = p.relative_to(root).as_posix()
        h.update(f"{rel}\0{file_sha256(p)}\n".encode())
    if limit is not None:
        h.update(f"limit={limit}\n".encode())
    return h.hexdigest()


def known_checksums(spec: DatasetSpec) -> dict[str, str]:
    """Relative path → sha256 from the packaged manifest (empty if none is known)."""
    if not spec.checksums:
        return {}
    ref = resources.files("restbench") / "data" / "datasets" / spec.checksums
    out = {}
    for line in ref.read_text().splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            out[rel.strip().lstrip("*")] = digest.lower()
    return out


def verify_dataset(spec: DatasetSpec | str, data_root: str | os.PathLike[str] | None = None) -> list[str]:
    """Problems with a set on disk (missing files, checksum mismatches, wrong count); [] if fine."""
    spec = spec_of(spec)
    try:
        root = find_root(spec, data_root)
    except DatasetError as exc:
        return [str(exc)]
    return verify_folder(spec, root)


def _mat_blocks(path: Path) -> int | None:
    """Images x blocks in a SIDD .mat, read from its header (no 230 MB load); None if unknown."""
    try:
        import scipy.io
    except ImportError:  # pragma: no cover - scipy is an optional dependency
        return None
    try:
        shapes = {name: shape for name, shape, _ in scipy.io.whosmat(str(path))}
    except (ValueError, NotImplementedError, OSError, TypeError):
        return None
    shape = shapes.get(path.stem)
    return shape[0] * shape[1] if shape and len(shape) == 5 else None


def verify_folder(spec: DatasetSpec | str, root: str | os.PathLike[str]) -> list[str]:
    """Problems with the set folder ``root`` itself (layout, checksums, image count); [] if fine.

    Unlike :func:`verify_dataset` nothing else is searched: this is what a freshly unpacked copy
    must pass before it may replace ``<data-root>/<Name>``.
    """
    spec = spec_of(spec)
    root = Path(root)
    problem = layout_problem(spec, root)
    if problem is not None:
        return [f"{root}: {problem} (expected {_expected_layout(spec)})"]
    problems = []
    for rel, digest in known_checksums(spec).items():
        p = root / rel
        if not p.is_file():
            problems.append(f"missing {rel}")
        elif file_sha256(p) != digest:
            problems.append(f"{rel}: sha256 {file_sha256(p)} differs from the known {digest}")
    if spec.count is None:
        return problems
    if spec.layout == "mat":
        counts = {f: _mat_blocks(root / f) for f in spec.mat_files}
        wrong = {f: n for f, n in counts.items() if n is not None and n != spec.count}
        problems += [f"{f}: expected {spec.count} blocks, found {n}" for f, n in wrong.items()]
        return problems
    task = next((t for t in spec.tasks if t not in SR_TASKS), spec.tasks[0])
    try:
        n = len(plan_items(spec, root, task, spec.scales[0] if task in SR_TASKS and spec.scales else None))
    except DatasetError as exc:
        return problems + [str(exc)]
    if n != spec.count:
        problems.append(f"expected {spec.count} images, found {n}")
    return problems


def _expected_layout(spec: DatasetSpec) -> str:
    from restbench.datasets.locate import layout_hint

    return f"{spec.name}/{layout_hint(spec)}"
