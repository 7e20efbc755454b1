"""Finding a set on disk: the folder names and places searched, and the message when it is absent."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Mapping, Sequence

from restbench.datasets.spec import DatasetError, DatasetSpec


def default_data_root() -> Path:
    """Where ``restbench download-data`` puts sets: ``<cache>/datasets``."""
    from restbench import paths

    return paths.datasets_dir()


def packaged_root(spec: DatasetSpec) -> Path:
    """Folder of a set shipped inside the package (``restbench/data/<packaged>``)."""
    return Path(str(resources.files("restbench") / "data" / (spec.packaged or spec.name)))


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_images(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """Image files directly in ``folder`` (hidden files skipped), in natural order (Restormer's natsorted)."""
    sfx = {s.lower() for s in suffixes}
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in sfx]
    return sorted(files, key=lambda p: _natural_key(p.name))


def hr_dir(root: Path) -> Path:
    """``root/HR`` (SwinIR layout) if present, else ``root`` itself (Restormer's flat Urban100/)."""
    return root / "HR" if (root / "HR").is_dir() else root


def layout_problem(spec: DatasetSpec, root: Path) -> str | None:
    """None if ``root`` has the set's layout, else a short description of what is missing."""
    if not root.is_dir():
        return "missing"
    if spec.layout == "mat":
        missing = [f for f in spec.mat_files if not (root / f).is_file()]
        return f"no {' / '.join(missing)}" if missing else None
    if spec.layout == "paired":
        missing = [d for d in (spec.input_dir, spec.target_dir) if not list_images(root / d, spec.suffixes)]
        return f"no images in {' / '.join(d + '/' for d in missing)}" if missing else None
    folder = hr_dir(root) if spec.layout == "sr" else root
    if not list_images(folder, spec.suffixes):
        return f"no {'/'.join(spec.suffixes)} images in {folder.name}/"
    return None


def _candidates(spec: DatasetSpec, base: Path) -> list[Path]:
    out: list[Path] = []
    for n in spec.folder_names:
        out += [base / n, base / n / "test", base / "test" / n]
    if base.name in spec.folder_names:
        out.insert(0, base)
    return list(dict.fromkeys(out))


def spec_of(name_or_spec: str | DatasetSpec, datasets: Mapping[str, DatasetSpec] | None = None) -> DatasetSpec:
    """The spec for a name, an author's folder name (``RealBlur_J``) or any case of either.

    Names are looked up in ``datasets`` (e.g. ``registry.datasets``): the data layer sits below
    the plugin layer and never reaches up into the loaded plugins' state itself.
    """
    if isinstance(name_or_spec, DatasetSpec):
        return name_or_spec
    if datasets is None:
        raise DatasetError(f"test set {name_or_spec!r} given by name; pass the registered specs to look it up")
    if name_or_spec in datasets:
        return datasets[name_or_spec]
    lower = {k.lower(): v for k, v in datasets.items()}
    for spec in datasets.values():
        if name_or_spec.lower() in (n.lower() for n in spec.folder_names):
            return spec
    if name_or_spec.lower() in lower:
        return lower[name_or_spec.lower()]
    raise DatasetError(f"unknown test set {name_or_spec!r}; registered: {', '.join(sorted(datasets))}")


def how_to_get(spec: DatasetSpec) -> str:
    """Lines telling the user every way to obtain a set: download, sources, mirror path, layout."""
    lines = []
    auto = [s for s in spec.sources if s.automatic]
    if auto:
        lines.append(f"  restbench download-data {spec.name}   (tries, in order: "
                     + "; ".join(s.describe() for s in auto) + ")")
    for s in spec.sources:
        if not s.automatic:
            lines.append(f"  by hand: {s.describe()}" + (f" — {s.note}" if s.note else ""))
    paths = []
    for s in auto:
        if s.is_archive:
            try:
                paths.append(f"<mirror>/{s.remote().mirror_path}")
            except ValueError:  # a file:// or other non-mirrorable URL
                pass
    if paths:
        lines.append("  from a mirror: RESTBENCH_MIRROR=<dir or URL> holding any of " + ", ".join(paths))
    elif auto:
        lines.append("  from a mirror: RESTBENCH_MIRROR=<dir or URL> filled with `restbench mirror` on a machine with internet")
    lines.append(f"  expected layout: <data-root>/{spec.name}/{layout_hint(spec)}")
    return "\n".join(lines)


def layout_hint(spec: DatasetSpec) -> str:
    if spec.layout == "sr":
        return "HR/*.png (+ LR_bicubic/X{s}/{name}x{s}.png)"
    if spec.layout == "paired":
        return f"{spec.input_dir}/ and {spec.target_dir}/"
    if spec.layout == "mat":
        return " + ".join(spec.mat_files)
    return "*" + "|*".join(spec.suffixes)


def find_root(name: str | DatasetSpec, data_root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding test set ``name``, looked for in ``data_root`` then the download cache.

    Raises :class:`DatasetError` listing every place looked at (and what was wrong there) and
    how to get the set.
    """
    spec = spec_of(name)
    if spec.packaged:
        root = packaged_root(spec)
        if layout_problem(spec, root) is None:
            return root
        raise DatasetError(f"the packaged {spec.name!r} set is missing from {root}; reinstall restbench")
    bases = ([Path(data_root).expanduser()] if data_root is not None else []) + [default_data_root()]
    looked = []
    for base in dict.fromkeys(bases):
        for cand in _candidates(spec, base):
            problem = layout_problem(spec, cand)
            if problem is None:
                return cand
            looked.append(f"  {cand} ({problem})")
    raise DatasetError(
        f"test set {spec.name!r} not found. Looked in:\n" + "\n".join(looked) + f"\nGet it with:\n{how_to_get(spec)}"
    )
