"""Turning a set folder into samples: pairing inputs with targets, SR crop rules, SIDD .mat blocks."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Collection, Iterator, Sequence

import numpy as np

from restbench.datasets.imageio import convert_channels, read_image, read_image16
from restbench.datasets.locate import find_root, hr_dir, list_images, spec_of
from restbench.datasets.spec import SR_TASKS, DatasetError, DatasetSpec, Sample


def _matlab_order(files: Sequence[Path]) -> list[Path]:
    """``[dir('*.jpg'); dir('*.png')]`` order: JPEGs first, each group in ASCII name order."""
    jpg = sorted((p for p in files if p.suffix.lower() in (".jpg", ".jpeg")), key=lambda p: p.name)
    rest = sorted((p for p in files if p.suffix.lower() not in (".jpg", ".jpeg")), key=lambda p: p.name)
    return jpg + rest


def _pair(spec: DatasetSpec, inputs: list[Path], targets: list[Path], where: Path) -> list[tuple[Path, Path]]:
    by_stem_in = {p.stem: p for p in inputs}
    by_stem_tg = {p.stem: p for p in targets}
    if set(by_stem_in) == set(by_stem_tg) and len(by_stem_in) == len(inputs) == len(targets):
        return [(by_stem_in[p.stem], p) for p in targets]
    if spec.pair_by == "order" and len(inputs) == len(targets):
        # the authors' MATLAB script saves results as <input stem>.png, then pairs both lists in order
        ins = sorted(inputs, key=lambda p: p.stem + ".png")
        return list(zip(ins, _matlab_order(targets)))
    only_in = sorted(set(by_stem_in) - set(by_stem_tg))[:5]
    only_tg = sorted(set(by_stem_tg) - set(by_stem_in))[:5]
    raise DatasetError(
        f"{spec.name} at {where}: inputs and targets do not pair ({len(inputs)} inputs, {len(targets)} targets); "
        f"only in {spec.input_dir}/: {only_in or '-'}; only in {spec.target_dir}/: {only_tg or '-'}"
    )


def _lr_path(lr_dir: Path, hr: Path, scale: int) -> Path | None:
    for cand in (lr_dir / f"{hr.stem}x{scale}{hr.suffix}", lr_dir / hr.name):
        if cand.is_file():
            return cand
    return None


@dataclass(frozen=True)
class _Item:
    name: str
    target: Path
    input: Path | None = None
    sr_scale: int | None = None  # target is modcropped to this scale (SR tasks)
    views: tuple[Path, ...] = ()  # dual-pixel left/right files, read at 16 bits instead of ``input``


def check_task(spec: DatasetSpec, task: str, scale: int | None) -> None:
    if task not in spec.tasks:
        raise DatasetError(f"{spec.name} is a test set for {', '.join(spec.tasks)}, not {task}")
    if task in SR_TASKS and not scale:
        raise DatasetError(f"{spec.name}: task {task} needs a scale (2, 3, 4, …)")


def plan_items(spec: DatasetSpec, root: Path, task: str, scale: int | None, dual_pixel: bool = False) -> list[_Item]:
    """Which files make each sample, with the pairing checks that only need file names.

    ``dual_pixel``: the sample's input is the set's left and right views (``dual_pixel_dirs``),
    each paired with the target by name, for a 6-channel model.
    """
    if dual_pixel:
        if not spec.dual_pixel_dirs:
            raise DatasetError(f"{spec.name} has no dual-pixel views: a 6-channel (dual-pixel) model cannot run on it")
        tgs = list_images(root / spec.target_dir, spec.suffixes)
        left, right = (list_images(root / d, spec.suffixes) for d in spec.dual_pixel_dirs)
        view_of = [{t: v for v, t in _pair(replace(spec, input_dir=d), files, tgs, root)}
                   for d, files in zip(spec.dual_pixel_dirs, (left, right))]
        return [_Item(t.stem, t, None, views=(view_of[0][t], view_of[1][t])) for t in tgs]
    if spec.layout == "paired":
        ins = list_images(root / spec.input_dir, spec.suffixes)
        tgs = list_images(root / spec.target_dir, spec.suffixes)
        return [_Item(t.stem, t, i) for i, t in _pair(spec, ins, tgs, root)]
    clean_dir = hr_dir(root) if spec.layout == "sr" else root
    hrs = list_images(clean_dir, spec.suffixes)
    if task in SR_TASKS:
        lr_dir = root / "LR_bicubic" / f"X{scale}"
        if not lr_dir.is_dir():
            return [_Item(h.stem, h, None, scale) for h in hrs]
        items = []
        for h in hrs:
            lr = _lr_path(lr_dir, h, scale)
            if lr is None:
                raise DatasetError(
                    f"{spec.name}: no LR image for {h.relative_to(root)} at x{scale}: expected "
                    f"{(lr_dir / f'{h.stem}x{scale}{h.suffix}').relative_to(root)}"
                )
            items.append(_Item(h.stem, h, lr, scale))
        return items
    sub = spec.task_inputs.get(task)
    if sub:
        ins = list_images(root / sub, spec.suffixes)
        return [_Item(t.stem, t, i) for i, t in _pair(spec, ins, hrs, root / sub)]
    return [_Item(h.stem, h, None) for h in hrs]


def _expect_count(spec: DatasetSpec, n: int, root: Path) -> None:
    if spec.count is not None and n != spec.count:
        raise DatasetError(
            f"{spec.name} at {root}: expected {spec.count} images, found {n} — incomplete or mixed-up "
            f"copy? (re-fetch with: restbench download-data {spec.name})"
        )


def _load_dual_pixel(spec: DatasetSpec, root: Path, item: _Item, channels: str) -> Sample:
    """Left and right views stacked along channels (HxWx6) and the target, float32 of 65535."""
    if channels != "rgb":
        raise DatasetError(f"{spec.name}: dual-pixel views are colour images; they cannot be evaluated in grey")
    target = read_image16(item.target)
    views = [read_image16(p) for p in item.views]
    for p, v in zip(item.views, views):
        if v.shape != target.shape:
            raise DatasetError(f"{spec.name}: {p.relative_to(root)} is {v.shape[1]}x{v.shape[0]} but its target "
                               f"{item.target.relative_to(root)} is {target.shape[1]}x{target.shape[0]}")
    return Sample(item.name, target, np.concatenate(views, axis=2), source=str(item.target))


def _load_item(spec: DatasetSpec, root: Path, item: _Item, task: str, channels: str) -> Sample:
    if item.views:
        return _load_dual_pixel(spec, root, item, channels)
    target = read_image(item.target)
    inp = read_image(item.input) if item.input is not None else None
    if min(target.shape[:2]) < (item.sr_scale or 1):
        raise DatasetError(f"{item.target}: the image is {target.shape[1]}x{target.shape[0]}, smaller than "
                           f"the x{item.sr_scale} scale factor; nothing is left to score")
    if item.sr_scale:
        s = item.sr_scale
        h, w = target.shape[:2]
        if inp is not None:
            lh, lw = inp.shape[:2]
            if (lh, lw) != (h // s, w // s):
                raise DatasetError(
                    f"{spec.name}: {item.input.relative_to(root)} is {lw}x{lh} but "
                    f"{item.target.relative_to(root)} ({w}x{h}) modcropped to a multiple of {s} "
                    f"gives {w // s * s}x{h // s * s}, i.e. {w // s}x{h // s} at x{s}"
                )
        # SwinIR crops the GT to LR size x scale; with consistent files that equals modcrop
        target = target[: h // s * s, : w // s * s]
    elif inp is not None and inp.shape[:2] != target.shape[:2]:
        raise DatasetError(
            f"{spec.name}: {item.input.relative_to(root)} is {inp.shape[1]}x{inp.shape[0]} but its target "
            f"{item.target.relative_to(root)} is {target.shape[1]}x{target.shape[0]}"
        )
    target = convert_channels(target, channels, task, item.target.suffix)
    if inp is not None:
        inp = convert_channels(inp, channels, task, item.input.suffix)
    return Sample(item.name, np.ascontiguousarray(target), None if inp is None else np.ascontiguousarray(inp),
                  source=str(item.target))


def _load_mat(path: Path) -> np.ndarray:
    try:
        import scipy.io
    except ImportError as exc:  # pragma: no cover - scipy is an optional dependency
        raise DatasetError(f"reading {path.name} needs scipy (pip install scipy)") from exc
    try:
        data = scipy.io.loadmat(str(path))
    except NotImplementedError as exc:
        raise DatasetError(f"{path}: MATLAB v7.3 file; restbench reads the v5 .mat files the SIDD site publishes") from exc
    key = path.stem
    if key not in data:
        keys = [k for k in data if not k.startswith("__")]
        raise DatasetError(f"{path}: no variable {key!r} (has {', '.join(keys)})")
    arr = np.asarray(data[key])
    if arr.ndim != 5 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise DatasetError(f"{path}: expected uint8 blocks (images, blocks, H, W, 3), got {arr.dtype} {arr.shape}")
    return arr


def _mat_samples(spec: DatasetSpec, root: Path, task: str, channels: str, limit: int | None) -> Iterator[Sample]:
    noisy = _load_mat(root / spec.mat_files[0])
    clean = _load_mat(root / spec.mat_files[1])
    if noisy.shape != clean.shape:
        raise DatasetError(f"{spec.name}: {spec.mat_files[0]} has shape {noisy.shape}, {spec.mat_files[1]} {clean.shape}")
    n_img, n_blk = noisy.shape[:2]
    _expect_count(spec, n_img * n_blk, root)
    produced = 0
    for i in range(n_img):
        for k in range(n_blk):
            if limit is not None and produced >= limit:
                return
            produced += 1
            # Restormer names the blocks %04d_%02d (1-based) when it saves them
            yield Sample(
                f"{i + 1:04d}_{k + 1:02d}",
                np.ascontiguousarray(convert_channels(clean[i, k], channels, task, ".mat")),
                np.ascontiguousarray(convert_channels(noisy[i, k], channels, task, ".mat")),
            )


def load_samples(
    spec: DatasetSpec | str,
    data_root: str | os.PathLike[str] | None,
    *,
    task: str,
    sigma: float | None = None,
    scale: int | None = None,
    quality: int | None = None,
    channels: str = "rgb",
    limit: int | None = None,
    only: Collection[str] | None = None,
    dual_pixel: bool = False,
) -> Iterator[Sample]:
    """Yield the set's samples for ``task`` in natural file-name order.

    ``input`` is the file's degraded image (real pairs, LR files, the demo's pre-made inputs) or
    None when the degradation is synthetic (Gaussian noise at ``sigma``, JPEG at ``quality``, SR
    without LR files) and is applied by the harness. For SR tasks the target is cropped to a
    multiple of ``scale`` and an LR file must be exactly ``HR // scale`` in size.
    ``channels='grey'`` converts RGB files by the rule the authors use for ``task`` (see
    :func:`to_grey`); ``'rgb'`` replicates grey files. ``sigma``/``quality`` do not change what
    is read; they are accepted so callers can pass the whole protocol.

    Pairing and count problems are raised as :class:`DatasetError` before any image is decoded.
    ``only`` (sample names) skips the others before they are decoded: one rank's shard of a set.
    ``dual_pixel``: inputs are the set's left/right views stacked (HxWx6) and inputs and target are
    float32 read at 16 bits (value / 65535), as Restormer's dual-pixel script reads DPDD.
    """
    del sigma, quality
    spec = spec_of(spec)
    if channels not in ("rgb", "grey"):
        raise ValueError(f"channels must be 'rgb' or 'grey', not {channels!r}")
    check_task(spec, task, scale)
    root = find_root(spec, data_root)
    if spec.layout == "mat":
        samples = _mat_samples(spec, root, task, channels, limit)
        return samples if only is None else (s for s in samples if s.name in only)
    items = plan_items(spec, root, task, scale, dual_pixel)
    _expect_count(spec, len(items), root)
    if limit is not None:
        items = items[:limit]
    if only is not None:
        items = [it for it in items if it.name in only]
    return (_load_item(spec, root, it, task, channels) for it in items)


def split_members(spec: DatasetSpec | str, data_root: str | os.PathLike[str] | None,
                  names: Sequence[str]) -> dict[str, list[str]]:
    """Each published split of the set (``spec.splits``) as the sample names it holds, in set order.

    ``names`` are the whole set's sample names in :func:`load_samples` order; a split file lists
    1-based indices into that order (DPDD: ``indoor_labels.npy``, 37 of the 76 scenes).
    """
    spec = spec_of(spec)
    if not spec.splits:
        return {}
    root = find_root(spec, data_root)
    out = {}
    for split, fname in spec.splits.items():
        path = root / fname
        try:
            idx = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise DatasetError(f"{spec.name} at {root}: the {split!r} split file {fname} is missing "
                               f"(it ships with the set; re-fetch with: restbench download-data {spec.name})") from None
        except (ValueError, OSError) as exc:
            raise DatasetError(f"{path}: not a numpy index file ({exc})") from None
        idx = np.asarray(idx).ravel()
        if idx.size == 0 or idx.dtype.kind not in "iu":
            raise DatasetError(f"{path}: expected 1-based image indices, found {idx.dtype} with {idx.size} entries")
        bad = [int(i) for i in idx if not 1 <= i <= len(names)][:5]
        if bad:
            raise DatasetError(f"{path}: indices {bad} are outside 1..{len(names)} (the set's images)")
        if len(set(idx.tolist())) != idx.size:
            raise DatasetError(f"{path}: an image is listed twice")
        out[split] = [names[i - 1] for i in sorted(int(i) for i in idx)]
    return out


def sample_sizes(
    spec: DatasetSpec | str,
    data_root: str | os.PathLike[str] | None,
    *,
    task: str,
    scale: int | None = None,
    limit: int | None = None,
) -> list[tuple[str, int]]:
    """(name, target pixels) of every sample :func:`load_samples` yields, in its order, read from
    file headers without decoding: what a distributed run balances its shards by."""
    spec = spec_of(spec)
    check_task(spec, task, scale)
    root = find_root(spec, data_root)
    if spec.layout == "mat":
        import scipy.io

        shapes = {name: shape for name, shape, _ in scipy.io.whosmat(str(root / spec.mat_files[1]))}
        n_img, n_blk, h, w = shapes[Path(spec.mat_files[1]).stem][:4]
        out = [(f"{i + 1:04d}_{k + 1:02d}", h * w) for i in range(n_img) for k in range(n_blk)]
        return out[:limit] if limit is not None else out
    from PIL import Image

    items = plan_items(spec, root, task, scale)
    if limit is not None:
        items = items[:limit]
    sizes = []
    for it in items:
        with Image.open(it.target) as im:
            w, h = im.size
        if it.sr_scale:
            h, w = h // it.sr_scale * it.sr_scale, w // it.sr_scale * it.sr_scale
        sizes.append((it.name, h * w))
    return sizes
