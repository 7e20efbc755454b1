"""Visual comparison grid: input, each model's output and the ground truth on one test image.

Top row: the whole images, with the zoom box drawn; bottom row: the box enlarged (nearest
neighbour, so pixels stay pixels); under each output its PSNR on this image under that model's
protocol. All panels show the ground-truth frame: an SR input is enlarged with nearest neighbour
for display only (its PSNR is not shown — it is not an estimate of the HR image).

Every model sees the same input: the one the first model's protocol makes (a noise draw, the
given LR file, …). A model whose protocol would degrade differently (e.g. SwinIR draws Gaussian
noise for BGR order, KAIR for RGB — the same on grey images) gets its own input, and the figure
says so. A model that cannot run (no weights offline, wrong task) gets a panel with the reason
and the others are still drawn.

The PNG is exactly ``columns × panel`` pixels wide; the height follows the image's and the zoom
box's aspect ratios (see :func:`grid_size`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

DPI = 100
TITLE_PX, HEADER_PX, GAP_PX, CAPTION_PX = 30, 22, 8, 36
MAX_ASPECT = 2.0  # taller panels are letterboxed


@dataclass
class Panel:
    """One column: ``image`` is H×W×C in [0, 1] in the ground-truth frame, or None with ``error`` set."""

    title: str
    image: np.ndarray | None = None
    caption: str = ""
    error: str | None = None


def parse_box(text: str) -> tuple[int, int, int, int]:
    """'x,y,w,h' → ints; w and h must be positive."""
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--crop expects x,y,w,h in pixels, got {text!r}") from None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise ValueError(f"--crop {text!r}: x and y must be ≥ 0, w and h > 0")
    return x, y, w, h


def default_box(height: int, width: int, scale: int = 1) -> tuple[int, int, int, int]:
    """A centred square a quarter of the short side wide (at least 16 px), on the scale's grid."""
    side = max(16, min(height, width) // 4)
    side = min(side - side % scale or scale, height, width)
    x = ((width - side) // 2) // scale * scale
    y = ((height - side) // 2) // scale * scale
    return x, y, side, side


def _rows_px(img_hw: tuple[int, int], box: tuple[int, int, int, int], panel_px: int) -> tuple[int, int]:
    h, w = img_hw
    full = round(panel_px * min(h / w, MAX_ASPECT))
    zoom = round(panel_px * min(box[3] / box[2], MAX_ASPECT))
    return full, zoom


def grid_size(n_columns: int, img_hw: tuple[int, int], box: tuple[int, int, int, int], panel_px: int = 256) -> tuple[int, int]:
    """(width, height) in pixels of the PNG :func:`draw_grid` writes."""
    full, zoom = _rows_px(img_hw, box, panel_px)
    return n_columns * panel_px, TITLE_PX + HEADER_PX + full + GAP_PX + zoom + CAPTION_PX


def to_display(t: torch.Tensor) -> np.ndarray:
    """1×C×H×W tensor → H×W×C float array in [0, 1]."""
    return t[0].detach().float().cpu().clamp(0, 1).numpy().transpose(1, 2, 0)


def draw_grid(panels: Sequence[Panel], box: tuple[int, int, int, int], out: Path, title: str, panel_px: int = 256) -> Path:
    """Write the grid as a PNG at ``out`` (drawn on an Agg canvas; pyplot is never touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    ref = next((p.image for p in panels if p.image is not None), None)
    if ref is None:
        raise ValueError("nothing to draw: no panel has an image")
    hw = ref.shape[:2]
    x0, y0, bw, bh = box
    if x0 + bw > hw[1] or y0 + bh > hw[0]:
        raise ValueError(f"zoom box {box} (x,y,w,h) does not fit the {hw[1]}x{hw[0]} image")
    width, height = grid_size(len(panels), hw, box, panel_px)
    full, zoom = _rows_px(hw, box, panel_px)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    inset = 3 / width
    for i, p in enumerate(panels):
        left, w = i * panel_px / width + inset, panel_px / width - 2 * inset
        ax_full = fig.add_axes((left, (CAPTION_PX + zoom + GAP_PX) / height, w, full / height))
        ax_zoom = fig.add_axes((left, CAPTION_PX / height, w, zoom / height))
        fig.text(left + w / 2, (CAPTION_PX + zoom + GAP_PX + full + 3) / height, p.title, ha="center", va="bottom",
                 fontsize=8, weight="bold", clip_on=True)
        for ax in (ax_full, ax_zoom):
            ax.set_xticks([])
            ax.set_yticks([])
        if p.image is None:
            for ax in (ax_full, ax_zoom):
                ax.set_facecolor("#eeeeee")
            ax_full.text(0.5, 0.5, textwrap.fill(f"failed: {p.error.splitlines()[0]}", max(12, panel_px // 7)), ha="center",
                         va="center", fontsize=6.5, color="darkred", transform=ax_full.transAxes, wrap=True)
            continue
        img = p.image[..., 0] if p.image.shape[2] == 1 else p.image
        grey = dict(cmap="gray", vmin=0.0, vmax=1.0) if img.ndim == 2 else {}
        ax_full.imshow(img, interpolation="antialiased", **grey)
        ax_full.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), bw, bh, fill=False, edgecolor="red", lw=1.2))
        ax_zoom.imshow(img[y0 : y0 + bh, x0 : x0 + bw], interpolation="nearest", **grey)
        for side in ax_zoom.spines.values():
            side.set_edgecolor("red")
        if p.caption:
            fig.text(left + w / 2, (CAPTION_PX - 4) / height, p.caption, ha="center", va="top", fontsize=8)
    fig.text(0.5, 1 - 6 / height, title, ha="center", va="top", fontsize=9)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out


def _find_sample(state, job, data_root, name: str):
    """The test image called ``name`` (file stem or file name), decoded on its own."""
    from restbench.datasets import load_samples

    # Samples are decoded lazily one by one; stop at the match.
    for s in load_samples(state.registry.datasets[job.dataset], data_root, task=job.task, sigma=job.level.sigma,
                          scale=job.level.scale, quality=job.level.quality, channels=job.channels,
                          dual_pixel=job.dual_pixel):
        if s.name == name or s.name == Path(name).stem:
            return s
    raise ValueError(f"no image named {name!r} in {job.dataset} (names are file stems, e.g. the first few: "
                     f"{', '.join(_names(state, job, data_root))})")


def _names(state, job, data_root, n: int = 5) -> list[str]:
    from restbench.datasets import load_samples

    out = []
    for s in load_samples(state.registry.datasets[job.dataset], data_root, task=job.task, scale=job.level.scale,
                          channels=job.channels, limit=n):
        out.append(s.name)
    return out


def compare_image(
    state,
    jobs: Sequence,
    image: str,
    opts,
    out: Path,
    *,
    zoom: str | None = None,
    panel_px: int = 256,
    failed: Sequence[Panel] = (),
) -> tuple[Path, list[Panel]]:
    """Run each job's model on one image and draw the grid; returns the PNG path and the panels."""
    from restbench.engine.models import load_model
    from restbench.engine.inference import pick_device, prepare_model
    from restbench.protocols.named import evaluate, get_protocol
    from restbench.engine.inputs import make_input
    from restbench.engine.models import JobFailed
    from restbench.engine.runner import forward_image
    from restbench.engine.models import forward_settings

    device = pick_device(opts.device)
    for j in jobs:
        if j.variant.weight_file:
            opts.family_weight_files.setdefault(j.variant.arch, set()).add(j.variant.weight_file)
    inputs: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
    samples: dict[str, object] = {}
    panels: list[Panel] = []
    first_key = None
    target = None
    for job in jobs:
        protocol = get_protocol(job.protocol)
        key = (job.channels, protocol.degradation, job.level)
        if key not in inputs:
            if job.channels not in samples:
                samples[job.channels] = _find_sample(state, job, opts.data_root, image)
            inputs[key] = make_input(samples[job.channels], protocol, job)
        x, y = inputs[key]
        if first_key is None:
            first_key, target = key, (x, y, job)
        title = job.variant.id + (" *" if key != first_key else "")
        try:
            loaded = load_model(state, job, opts, device)
            if not loaded.trained:
                raise JobFailed("random weights: its output would show nothing (pass --weights ID=PATH)")
            fwd = forward_settings(state, job.variant, opts)
            with torch.inference_mode():
                y_hat, _, _ = forward_image(prepare_model(loaded.model, fwd), x.to(device), job.variant.input, job.scale, fwd,
                                       device)
            p = evaluate(y_hat, y.to(device), protocol, scale=job.scale)["psnr"]
            panels.append(Panel(title, to_display(y_hat), f"{p:.2f} dB ({protocol.name})"))
        except JobFailed as exc:
            panels.append(Panel(title, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - one model failing must not lose the others' panels
            panels.append(Panel(title, error=f"{type(exc).__name__}: {exc}"))
    if target is None:
        raise ValueError("no model could be planned on this test set: nothing to compare")
    x, y, job0 = target
    gt = to_display(y)
    h, w = gt.shape[:2]
    if x.shape[-2:] != y.shape[-2:]:
        big = torch.nn.functional.interpolate(x, size=(h, w), mode="nearest")
        inp = Panel(f"input (LR x{job0.scale})", to_display(big), "enlarged nearest-neighbour")
    else:
        p0 = evaluate(x.clamp(0, 1), y, get_protocol(job0.protocol), scale=job0.scale)["psnr"]
        inp = Panel("input", to_display(x), f"{p0:.2f} dB")
    box = parse_box(zoom) if zoom else default_box(h, w, job0.scale)
    all_panels = [inp, *panels, *failed, Panel("ground truth", gt)]
    lvl = " ".join(f"{k} {v}" for k, v in vars(job0.level).items() if v is not None)
    title = f"{job0.dataset} / {image} ({lvl or job0.task}); zoom box x={box[0]} y={box[1]} {box[2]}x{box[3]}"
    if len(inputs) > 1:
        title += "; * = own input (its protocol degrades differently)"
    return draw_grid(all_panels, box, out, title, panel_px), all_panels
