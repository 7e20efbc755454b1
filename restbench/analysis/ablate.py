"""Ablations of inference settings and architecture components: one table and one plot per axis.

Axes (:data:`AXES`):

* ``tile`` — tile size × overlap against the untiled forward: ΔPSNR, peak memory, time.
* ``precision`` — fp32/fp16/bf16 autocast: ΔPSNR vs fp32, non-finite outputs, time.
* ``ensemble`` — x1 against the x8 flip/rotation self-ensemble.
* ``resolution`` — params, MACs, peak memory and latency against input size (cost curves).
* ``padding`` — the padding mode used to reach the model's size multiple, against the variant's own.
* ``arch`` — component swaps at one input size (:data:`ARCH_SWAPS`): Restormer MDTA vs window
  attention and GDFN vs plain FFN, Uformer LeFF vs MLP and shifted windows on/off, SwinIR window
  size. Swapped components have no trained weights, so this axis is about cost only.

Honesty rules: quality columns (PSNR, Δ vs the reference setting, largest output change) appear
only when the weights are trained *and* a test set gives ground truth; with random weights a
table holds cost columns only and its notes say so.

Peak memory: :func:`restbench.costs.measure.peak_memory` — CUDA ``max_memory_allocated``, or on CPU the
bytes of tensors alive during the forward, counted op by op (sampled RSS could not compare
settings run one after another in one process: memory freed by an earlier, larger run stays with
the C allocator). The weights and the input are not counted, nor library workspaces (oneDNN).
"""

from __future__ import annotations

import inspect
import itertools
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch

from restbench.engine.inference import PRECISIONS, ForwardSettings, padded_size, restore
from restbench.registry import InputSpec, Variant

AXES = ("tile", "precision", "ensemble", "resolution", "padding", "arch")
PAD_MODES = ("reflect", "symmetric", "replicate", "zero", "center-zero")


def _swinir_multiple(kw: Mapping) -> int:
    return int(kw.get("window_size", 7))


def _uformer_multiple(kw: Mapping) -> int:
    return 16 * int(kw.get("win_size", 8))  # four 2x downsamplings, then windows at the bottleneck


# family → (switch → values tried, input multiple of a configuration)
ARCH_SWAPS: dict[str, tuple[dict[str, list], Callable[[Mapping], int] | None]] = {
    "restormer": ({"attention": ["mdta", "window"], "ffn": ["gdfn", "ffn"]}, None),
    "uformer": ({"token_mlp": ["leff", "mlp"], "shift_flag": [True, False]}, _uformer_multiple),
    "swinir": ({"window_size": [4, 8, 16]}, _swinir_multiple),
}

# column → (markdown title, format)
COLUMNS = {
    "setting": ("setting", None),
    "tile": ("tile", "d"),
    "overlap": ("overlap", "d"),
    "tiles_per_image": ("tiles/image", "d"),
    "precision": ("precision", None),
    "ensemble": ("ensemble", None),
    "pad_mode": ("padding", None),
    "padded_images": ("images padded", "d"),
    "size": ("size", None),
    "model_input": ("model input", None),
    "psnr": ("PSNR (dB)", ".4f"),
    "d_psnr": ("ΔPSNR (dB)", "+.4f"),
    "max_abs_diff": ("max |Δ output|", ".2e"),
    "nonfinite_images": ("NaN/Inf images", "d"),
    "params": ("params", ",d"),
    "d_params_pct": ("Δparams %", "+.1f"),
    "gmacs": ("GMACs", ".5g"),
    "gmacs_conv": ("conv GMACs", ".5g"),
    "gmacs_attention": ("attention GMACs", ".5g"),
    "gmacs_matmul": ("matmul GMACs", ".5g"),
    "gmacs_linear": ("linear GMACs", ".5g"),
    "d_macs_pct": ("ΔMACs %", "+.1f"),
    "peak_mib": ("peak MiB", "small"),
    "ms_per_image": ("ms/image", "small"),
    "latency_ms": ("latency ms", "small"),
    "speedup": ("speed-up", ".2f"),
    "error": ("error", None),
}


def _fmt(value: Any, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if fmt is None:
        return str(value)
    if fmt == "small":  # three decimals below 10, one above
        return format(float(value), ".3f" if abs(float(value)) < 10 else ".1f")
    if fmt.endswith("d"):
        try:
            return format(int(value), fmt)
        except (TypeError, ValueError):
            return str(value)
    return format(float(value), fmt)


@dataclass
class AxisResult:
    """One axis: its table (raw numbers), notes that qualify it, and how to draw its plot."""

    axis: str
    title: str
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    draw: Callable[[Path], list[Path]] | None = None
    figures: list[Path] = field(default_factory=list)

    @property
    def table(self):
        import pandas as pd

        return pd.DataFrame(self.rows)

    def markdown(self) -> str:
        import pandas as pd

        seen = [c for c in dict.fromkeys(k for r in self.rows for k in r) if any(r.get(c) is not None for r in self.rows)]
        order = list(COLUMNS)  # setting, switches and settings, then quality, then cost columns
        cols = sorted(seen, key=lambda c: (order.index(c) if c in order else 0.5, seen.index(c)))
        shown = pd.DataFrame(
            [{COLUMNS.get(c, (c, None))[0]: _fmt(r.get(c), COLUMNS.get(c, (c, None))[1]) for c in cols} for r in self.rows]
        )
        lines = [f"## {self.axis}: {self.title}", ""]
        lines += [f"- {n}" for n in self.notes]
        if self.notes:
            lines.append("")
        lines.append(shown.to_markdown(index=False, disable_numparse=True) if self.rows else "_no rows_")
        lines += [f"\n![{self.axis}]({p.name})" for p in self.figures if p.suffix == ".png"]
        return "\n".join(lines)

    def write(self, out: Path) -> list[Path]:
        """``<axis>.md``, ``<axis>.csv`` and the plot (``<axis>.png``/``.svg``) under ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        if self.draw is not None and self.rows:
            self.figures = self.draw(out / self.axis)
        md, csv = out / f"{self.axis}.md", out / f"{self.axis}.csv"
        md.write_text(self.markdown() + "\n", encoding="utf-8")
        self.table.to_csv(csv, index=False, float_format="%.6g")
        return [md, csv, *self.figures]

    def to_dict(self) -> dict:
        return dict(axis=self.axis, title=self.title, notes=self.notes, rows=self.rows,
                    figures=[str(p) for p in self.figures])


# ---------------------------------------------------------------- measuring one setting


def peak_bytes(fn: Callable[[], Any], device: torch.device) -> int:
    """Peak memory of ``fn()`` beyond what existed before (see :func:`restbench.costs.measure.peak_memory`)."""
    from restbench.costs.measure import peak_memory

    return peak_memory(fn, device)[0]


@dataclass
class Subject:
    """What is ablated: a loaded model and the inputs it is measured on.

    ``images`` are (name, input, ground truth) from a test set, or empty: then one random input of
    ``size`` is used (seeded), which supports cost columns only. ``protocol`` names the scoring.
    """

    variant: Variant
    model: torch.nn.Module
    trained: bool
    weights_source: str
    device: torch.device
    images: list[tuple[str, torch.Tensor, torch.Tensor]] = field(default_factory=list)
    protocol: str | None = None
    scale: int = 1
    size: tuple[int, int] = (256, 256)
    runs: int = 3
    dataset: str | None = None
    _warm: bool = False

    @property
    def quality(self) -> bool:
        return self.trained and bool(self.images) and bool(self.protocol)

    def inputs(self) -> list[tuple[str, torch.Tensor, torch.Tensor | None]]:
        if self.images:
            return self.images
        g = torch.Generator().manual_seed(0)
        x = torch.rand(1, self.variant.input.channels, *self.size, generator=g)
        return [(f"random {self.size[0]}x{self.size[1]}", x, None)]

    def describe(self) -> str:
        where = (f"{self.dataset} ({len(self.images)} image(s))" if self.images
                 else f"one random {self.size[0]}x{self.size[1]} input")
        return f"{self.variant.id} on {where}, weights: {self.weights_source}"

    def psnr(self, out: torch.Tensor, target: torch.Tensor) -> float:
        from restbench.metrics import fidelity as metrics
        from restbench.protocols.named import get_protocol

        p = get_protocol(self.protocol)
        if p.align:  # RealBlur: only the aligned, masked PSNR means anything
            from restbench.protocols.named import evaluate

            return float(evaluate(out, target, p)["psnr"])
        return float(metrics.psnr(out, target, crop=p.crop_pixels(self.scale),
                                  y_mode=p.y_mode if p.colour == "y" else None, uint8=p.uint8).mean())

    def measure(self, settings: ForwardSettings, spec: InputSpec | None = None, ref: list | None = None,
                memory: bool = True) -> dict:
        """One setting over every input: mean PSNR, largest change vs ``ref`` outputs, time, memory.

        Returns the row's numbers plus ``outputs`` (the clamped outputs, for use as a reference).
        Time is one forward per image after a warm-up forward (per setting when ``runs > 1``, else
        once per subject) — or, for the random input, the median of ``runs`` forwards; memory is the
        peak over one forward of the largest input.
        """
        from restbench.costs.measure import latency

        spec = spec or self.variant.input
        items = self.inputs()

        def fwd(x):
            with torch.inference_mode():
                return restore(self.model, x.to(self.device), spec, self.scale, settings)

        if not self._warm or self.runs > 1:  # first-call costs (kernel selection, allocations) off the clock
            fwd(items[0][1])
            self._warm = True
        outs, psnrs, secs, nonfinite, diff = [], [], 0.0, 0, 0.0
        for i, (_, x, y) in enumerate(items):
            t0 = time.perf_counter()
            out = fwd(x)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            secs += time.perf_counter() - t0
            nonfinite += int(not bool(torch.isfinite(out).all()))
            out = out.nan_to_num(0.0).clamp_(0, 1)
            if ref is not None:
                diff = max(diff, float((out - ref[i]).abs().max()))
            if self.quality and y is not None:
                psnrs.append(self.psnr(out, y.to(self.device)))
            outs.append(out)
        row: dict[str, Any] = dict(ms_per_image=1000 * secs / len(items))
        if not self.images and self.runs > 1:
            row["ms_per_image"] = latency(lambda: fwd(items[0][1]), self.device, runs=self.runs, warmup=0).median_ms
        if memory and self.runs > 0:
            big = max(items, key=lambda it: it[1].numel())[1]
            row["peak_mib"] = peak_bytes(lambda: fwd(big), self.device) / 2**20
        row["nonfinite_images"] = nonfinite
        if self.quality:
            row["psnr"] = sum(psnrs) / len(psnrs)
            if ref is not None:
                row["max_abs_diff"] = diff
        row["outputs"] = outs
        return row


_MEMORY_NOTE = {
    False: "peak MiB: tensors alive during one forward of the largest input (CPU, counted per op; weights, "
           "input and library workspaces not included)",
    True: "peak MiB: CUDA max_memory_allocated during one forward of the largest input, beyond what was allocated before",
}


def _finish(rows: list[dict], ref_psnr: float | None) -> list[dict]:
    for r in rows:
        r.pop("outputs", None)
        if ref_psnr is not None and r.get("psnr") is not None:
            r["d_psnr"] = r["psnr"] - ref_psnr
    return rows


def _notes(s: Subject) -> list[str]:
    notes = [s.describe()]
    if not s.trained:
        notes.append("random weights: quality columns left out — only cost columns mean anything")
    elif not s.images:
        notes.append("no test set (--dataset): no ground truth, so cost columns only")
    else:
        notes.append(f"PSNR under protocol {s.protocol}; ΔPSNR against the reference setting (first row)")
    if s.runs > 0:
        notes.append(_MEMORY_NOTE[s.device.type == "cuda"])
    return notes


# ---------------------------------------------------------------- plots


def _bars(rows: Sequence[Mapping], label: str, panels: Sequence[tuple[str, str]], stem: Path, title: str) -> list[Path]:
    """Horizontal bars per row, one panel per measured column."""
    from restbench.report import plots

    panels = [(k, t) for k, t in panels if any(r.get(k) is not None for r in rows)]
    if not panels:
        return []
    labels = [str(r[label]) for r in rows]
    fig, axes = plots._new_figure(3.6 * len(panels) + 1.2, 1.0 + 0.38 * len(rows), len(panels), 1)
    for ax, (key, t) in zip(axes, panels):
        vals = [r.get(key) if r.get(key) is not None else float("nan") for r in rows]
        ax.barh(range(len(rows)), vals, color="tab:blue")
        ax.set_yticks(range(len(rows)), labels if ax is axes[0] else [""] * len(rows), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(t, fontsize=9)
        ax.grid(True, axis="x", alpha=0.3)
        if key.startswith("d_"):
            ax.axvline(0, color="black", lw=0.8)
    fig.suptitle(title, fontsize=10)
    return plots.save(fig, stem)


def _tile_plot(rows: Sequence[Mapping], stem: Path, title: str, quality: bool) -> list[Path]:
    from restbench.report import plots

    tiled = [r for r in rows if r.get("tile") is not None and not r.get("error")]
    base = next((r for r in rows if r.get("tile") is None), None)
    panels = [("peak_mib", "peak memory (MiB)"), ("ms_per_image", "time per image (ms)")]
    if quality:
        panels.insert(0, ("d_psnr", "ΔPSNR vs untiled (dB)"))
    panels = [p for p in panels if any(r.get(p[0]) is not None for r in tiled)]
    if not tiled or not panels:
        return []
    fig, axes = plots._new_figure(4.2 * len(panels), 3.6, len(panels), 1)
    for ax, (key, t) in zip(axes, panels):
        for ov in sorted({r["overlap"] for r in tiled}):
            pts = sorted((r["tile"], r[key]) for r in tiled if r["overlap"] == ov and r.get(key) is not None)
            if pts:
                ax.plot(*zip(*pts), marker="o", label=f"overlap {ov}")
        if base is not None and base.get(key) is not None:
            ax.axhline(base[key], color="black", ls="--", lw=1, label="untiled")
        ax.set_xlabel("tile size (px)")
        ax.set_title(t, fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return plots.save(fig, stem)


# ---------------------------------------------------------------- axes


def _tiles_per_image(h: int, w: int, tile: int, overlap: int) -> int:
    from restbench.engine.inference import tile_starts

    return len(tile_starts(h, tile, tile - overlap)) * len(tile_starts(w, tile, tile - overlap))


def tile_axis(s: Subject, tiles: Sequence[int], overlaps: Sequence[int]) -> AxisResult:
    """Tiled against untiled: the outputs differ where a tile's kept area saw its own padding."""
    ref = s.measure(ForwardSettings())
    rows = [dict(setting="untiled", tile=None, overlap=None, tiles_per_image=1, **ref)]
    h, w = s.inputs()[0][1].shape[-2:]
    notes = _notes(s)
    skipped = []
    for t in tiles:
        for o in overlaps:
            if o >= t:
                skipped.append(f"{t}/{o}")
                continue
            try:
                r = s.measure(ForwardSettings(tile=t, tile_overlap=o), ref=ref["outputs"])
            except Exception as exc:  # noqa: BLE001 - one failing setting is a row, not the end
                r = dict(error=f"{type(exc).__name__}: {exc}")
            rows.append(dict(setting=f"tile {t}, overlap {o}", tile=t, overlap=o,
                             tiles_per_image=_tiles_per_image(h, w, t, o), **r))
    if skipped:
        notes.append(f"skipped tile/overlap pairs with overlap ≥ tile: {', '.join(skipped)}")
    if any(t >= max(h, w) for t in tiles):
        notes.append(f"tiles ≥ the image ({h}x{w}) cover it with one tile: same as untiled")
    rows = _finish(rows, ref.get("psnr"))
    title = f"tile size × overlap ({s.variant.id})"
    return AxisResult("tile", title, rows, notes, lambda stem: _tile_plot(rows, stem, title, s.quality))


def precision_axis(s: Subject, precisions: Sequence[str]) -> AxisResult:
    """Autocast precisions against fp32: quality change, NaN/Inf outputs, speed."""
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad:
        raise ValueError(f"unknown precision(s) {bad}; choose from {', '.join(PRECISIONS)}")
    ref = s.measure(ForwardSettings())
    rows = [dict(setting="fp32", precision="fp32", **ref)]
    for p in precisions:
        if p == "fp32":
            continue
        try:
            r = s.measure(ForwardSettings(precision=p), ref=ref["outputs"])
        except Exception as exc:  # noqa: BLE001 - e.g. a dtype the device does not support
            r = dict(error=f"{type(exc).__name__}: {exc}")
        rows.append(dict(setting=p, precision=p, **r))
    for r in rows:
        if r.get("ms_per_image"):
            r["speedup"] = ref["ms_per_image"] / r["ms_per_image"]
    notes = _notes(s)
    if any(r.get("nonfinite_images") for r in rows):
        notes.append("NaN/Inf in some outputs: they were set to 0 before scoring")
    if s.device.type == "cpu":
        notes.append("on CPU, fp16/bf16 autocast is often slower than fp32; speed-ups are a GPU matter")
    rows = _finish(rows, ref.get("psnr"))
    title = f"autocast precision ({s.variant.id})"
    panels = [("d_psnr", "ΔPSNR vs fp32 (dB)"), ("ms_per_image", "time per image (ms)"), ("peak_mib", "peak memory (MiB)")]
    return AxisResult("precision", title, rows, notes, lambda stem: _bars(rows, "setting", panels, stem, title))


def ensemble_axis(s: Subject) -> AxisResult:
    """x1 against the x8 self-ensemble (flips and rotations, averaged)."""
    ref = s.measure(ForwardSettings())
    x8 = s.measure(ForwardSettings(self_ensemble=True), ref=ref["outputs"])
    rows = [dict(setting="x1", ensemble="x1", **ref), dict(setting="x8", ensemble="x8", **x8)]
    notes = _notes(s)
    if s.variant.input.pad_multiple > 1 and any(x.shape[-2] != x.shape[-1] for _, x, _ in s.inputs()):
        notes.append("rotated non-square inputs are padded differently per transform (as the authors' x8 does)")
    rows = _finish(rows, ref.get("psnr"))
    title = f"self-ensemble ({s.variant.id})"
    panels = [("d_psnr", "ΔPSNR vs x1 (dB)"), ("ms_per_image", "time per image (ms)")]
    return AxisResult("ensemble", title, rows, notes, lambda stem: _bars(rows, "setting", panels, stem, title))


def padding_axis(s: Subject, modes: Sequence[str]) -> AxisResult:
    """Padding modes for reaching the size multiple, against the variant's own mode."""
    bad = [m for m in modes if m not in PAD_MODES]
    if bad:
        raise ValueError(f"unknown padding mode(s) {bad}; choose from {', '.join(PAD_MODES)}")
    own = s.variant.input
    order = [own.pad_mode, *[m for m in modes if m != own.pad_mode]]
    padded = sum(padded_size(*x.shape[-2:], own) != tuple(x.shape[-2:]) for _, x, _ in s.inputs())
    ref = s.measure(ForwardSettings(), spec=own)
    rows = [dict(setting=f"{own.pad_mode} (own)", pad_mode=own.pad_mode, padded_images=padded, **ref)]
    for m in order[1:]:
        try:
            r = s.measure(ForwardSettings(), spec=replace(own, pad_mode=m), ref=ref["outputs"])
        except Exception as exc:  # noqa: BLE001
            r = dict(error=f"{type(exc).__name__}: {exc}")
        rows.append(dict(setting=m, pad_mode=m, padded_images=padded, **r))
    notes = _notes(s)
    if not padded:
        notes.append(f"no input needed padding (multiple {own.pad_mode and own.pad_multiple}"
                     f"{', always_pad' if own.always_pad else ''}): the mode cannot change anything here")
    rows = _finish(rows, ref.get("psnr"))
    title = f"padding mode ({s.variant.id}, multiple {own.pad_multiple})"
    panels = [("d_psnr", "ΔPSNR vs own mode (dB)"), ("max_abs_diff", "max |Δ output|")]
    return AxisResult("padding", title, rows, notes, lambda stem: _bars(rows, "setting", panels, stem, title))


def _profile(model: torch.nn.Module, channels: int, size: tuple[int, int], device: torch.device, runs: int) -> dict:
    """Params and MACs as ``restbench profile`` counts them; memory by :func:`peak_bytes`; median latency."""
    from restbench.costs.measure import latency
    from restbench.costs.profile import profile_model

    r = profile_model(model, channels, size, device, 1, timing=False)
    out = dict(params=r["params"], gmacs=r["macs"] / 1e9, macs=r["macs"], macs_by_group=r["macs_by_group"])
    if runs > 0:
        model = model.to(device)
        x = torch.rand(1, channels, *size, device=device)

        def fwd():
            with torch.inference_mode():
                model(x)

        out["peak_mib"] = peak_bytes(fwd, device) / 2**20
        out["latency_ms"] = latency(fwd, device, runs=runs).median_ms
    return out


def resolution_axis(s: Subject, sizes: Sequence[tuple[int, int]]) -> AxisResult:
    """Cost curves: params, MACs, memory and latency at each input size (padded as the variant pads)."""
    from restbench.report import plots

    rows = []
    for h, w in sizes:
        H, W = padded_size(h, w, s.variant.input)
        row = dict(setting=f"{h}x{w}", size=f"{h}x{w}", model_input=f"{H}x{W}")
        try:
            row.update(_profile(s.model, s.variant.input.channels, (H, W), s.device, s.runs))
        except Exception as exc:  # noqa: BLE001
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    notes = [f"{s.variant.id}: costs do not depend on trained values (weights: {s.weights_source})",
             "MACs are fvcore multiply-accumulates including attention matmuls (see restbench profile)"]
    if s.runs > 0:
        notes.append(_MEMORY_NOTE[s.device.type == "cuda"].replace(" of the largest input", ""))
    if s.variant.input.pad_multiple > 1:
        notes.append(f"inputs are padded to the variant's multiple of {s.variant.input.pad_multiple} first")
    title = f"cost vs input size ({s.variant.id})"

    def draw(stem: Path) -> list[Path]:
        prof = [dict(variant=s.variant.id, model=s.variant.arch, size=r["model_input"], macs=r.get("macs"),
                     peak_memory_bytes=None if r.get("peak_mib") is None else r["peak_mib"] * 2**20,
                     latency_ms=r.get("latency_ms"), device=str(s.device)) for r in rows if "error" not in r]
        return plots.cost_vs_resolution(prof, stem, title=title)

    for r in rows:
        r.pop("macs", None)
        r.pop("macs_by_group", None)
    return AxisResult("resolution", title, rows, notes, draw)


def _accepts(builder: Callable, key: str) -> bool:
    try:
        params = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return True
    return key in params


def _default(builder: Callable, key: str) -> Any:
    try:
        p = inspect.signature(builder).parameters.get(key)
    except (TypeError, ValueError):
        return None
    return None if p is None or p.default is inspect.Parameter.empty else p.default


def arch_axis(
    variant: Variant,
    builder: Callable[..., torch.nn.Module],
    base_kwargs: Mapping[str, Any],
    swaps: Mapping[str, Sequence] | None,
    size: tuple[int, int],
    device: torch.device,
    runs: int = 3,
) -> AxisResult:
    """Every combination of the family's component switches, built at random init and profiled at ``size``.

    ``swaps`` replaces the default value list of a switch (or adds a switch). The reference row is
    the combination equal to ``base_kwargs`` (the released architecture), else the first.
    """
    family = variant.arch
    default, multiple = ARCH_SWAPS.get(family, ({}, None))
    axes = {k: list(v) for k, v in default.items()}
    axes.update({k: list(v) for k, v in (swaps or {}).items()})
    if not axes:
        raise ValueError(f"no component swaps are defined for family {family!r}; pass --swap KEY=V1,V2 "
                         f"(families with defaults: {', '.join(ARCH_SWAPS)})")
    for k in axes:
        if not _accepts(builder, k):
            raise ValueError(f"{family} has no constructor argument {k!r}")
    rows = []
    for combo in itertools.product(*axes.values()):
        over = dict(zip(axes, combo))
        kw = {**base_kwargs, **over}
        spec = variant.input if multiple is None else replace(variant.input, pad_multiple=multiple(kw))
        H, W = padded_size(*size, spec)
        row = dict(setting=", ".join(f"{k}={v}" for k, v in over.items()), **over, model_input=f"{H}x{W}")
        try:
            model = builder(**kw).eval()
            row.update(_profile(model, spec.channels, (H, W), device, runs))
            for g in ("conv", "attention", "matmul", "linear"):
                if row["macs_by_group"].get(g):
                    row[f"gmacs_{g}"] = row["macs_by_group"][g] / 1e9
            del model
        except Exception as exc:  # noqa: BLE001 - an invalid combination is a row with its error
            row["error"] = f"{type(exc).__name__}: {exc}"
        row.pop("macs", None)
        row.pop("macs_by_group", None)
        rows.append(row)
    released = {k: base_kwargs.get(k, _default(builder, k)) for k in axes}
    ref = next((r for r in rows if all(released[k] == r[k] for k in axes) and "error" not in r),
               next((r for r in rows if "error" not in r), None))
    if ref is not None:
        for r in rows:
            if "error" not in r:
                r["d_params_pct"] = 100 * (r["params"] - ref["params"]) / ref["params"]
                r["d_macs_pct"] = 100 * (r["gmacs"] - ref["gmacs"]) / ref["gmacs"] if ref["gmacs"] else None
    notes = [
        f"{family} from {variant.id}'s constructor arguments"
        + (" with overrides" if any(base_kwargs.get(k) != variant.arch_kwargs.get(k) for k in base_kwargs) else ""),
        "swapped components have no trained weights: cost only (random init); quality needs retraining",
        f"input {size[0]}x{size[1]}" + (", padded to each configuration's size multiple" if multiple else ""),
        "reference for Δ: " + (ref["setting"] if ref else "none (every configuration failed)"),
    ]
    if runs > 0:
        notes.append(_MEMORY_NOTE[device.type == "cuda"])
    title = f"component swaps ({family}, {size[0]}x{size[1]})"
    panels = [("params", "parameters"), ("gmacs", "GMACs"), ("latency_ms", "latency (ms)"), ("peak_mib", "peak memory (MiB)")]
    return AxisResult("arch", title, rows, notes, lambda stem: _bars(rows, "setting", panels, stem, title))
