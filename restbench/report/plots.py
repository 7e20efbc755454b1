"""Figures for the leaderboards: quality-vs-cost scatters with their Pareto front, cost-vs-resolution
curves from ``restbench profile`` rows, and per-image PSNR distributions from the results store.

Figures are drawn on an explicit Agg canvas (``matplotlib.figure.Figure`` + ``FigureCanvasAgg``),
never through pyplot, so reports work headless and leave the caller's backend and global figure
state alone. Every figure is written as PNG and SVG; SVG ids and metadata dates are pinned so that
re-running a report on the same data gives the same files.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

FORMATS = ("png", "svg")
_PLAIN = FuncFormatter(lambda v, _pos: f"{v:g}")  # 40 rather than 4×10¹ on log axes


def pareto_front(costs: Sequence[float], scores: Sequence[float]) -> list[int]:
    """Indices of the non-dominated points (lower cost, higher score is better), by increasing cost.

    A point is dominated when another is no costlier and no worse, and strictly better in one of
    the two; identical points do not dominate each other, so both stay on the front. Points with a
    missing (None/NaN) cost or score take no part.
    """
    pts = [
        (float(c), float(s), i)
        for i, (c, s) in enumerate(zip(costs, scores))
        if c is not None and s is not None and not math.isnan(float(c)) and not math.isnan(float(s))
    ]
    front = []
    for c, s, i in pts:
        dominated = any(c2 <= c and s2 >= s and (c2 < c or s2 > s) for c2, s2, _ in pts)
        if not dominated:
            front.append((c, -s, i))
    return [i for _, _, i in sorted(front)]


def _new_figure(width: float, height: float, ncols: int = 1, nrows: int = 1):
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg``; returns the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with matplotlib.rc_context({"svg.hashsalt": "restbench"}):
        for fmt in FORMATS:
            path = stem.with_suffix(f".{fmt}")
            meta = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(path, format=fmt, metadata=meta)
            out.append(path)
    return out


def _use_log(values: Iterable[float]) -> bool:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return bool(vals) and min(vals) > 0 and max(vals) / min(vals) > 20


LOG_RATIO = 20  # a cost axis spanning more than this factor is drawn on a log scale


def axis_scale(values: Iterable[float]) -> str:
    """'linear', 'log' or 'symlog' for a cost axis.

    Costs span orders of magnitude (identity ≈ 0 MACs, Restormer ≈ 140 G at 256×256): a linear
    axis piles the small ones on top of each other. Above ``LOG_RATIO`` between the largest and
    the smallest positive value the axis is logarithmic; when a zero cost (a weight-free baseline)
    is among them, 'symlog' keeps it on the axis instead of dropping it.
    """
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    pos = [v for v in vals if v > 0]
    if len(pos) < 2 or max(pos) / min(pos) <= LOG_RATIO:
        return "linear"
    return "log" if len(pos) == len(vals) else "symlog"


MIN_POINTS = 2  # a cost panel with fewer points compares nothing


def _valid_point(p: tuple[str, float | None, float | None]) -> bool:
    return all(x is not None and not (isinstance(x, float) and math.isnan(x)) for x in p[1:3])


def scatter_pareto_figure(
    groups: Mapping[str, Sequence[tuple[str, float, float]]],
    *,
    xlabel: str,
    ylabel: str = "PSNR (dB)",
    title: str,
) -> Figure | None:
    """The figure :func:`scatter_pareto` saves, or None when no panel has two points with a cost.

    One panel per group (a level: σ, scale or JPEG quality, and colour mode); a group with fewer
    than ``MIN_POINTS`` points with both a cost and a score gets no panel, since a single point on
    a cost axis shows nothing. Points are labelled by variant; the x axis goes logarithmic where
    the costs call for it (:func:`axis_scale`).
    """
    groups = {k: [p for p in v if _valid_point(p)] for k, v in groups.items()}
    groups = {k: v for k, v in groups.items() if len(v) >= MIN_POINTS}
    if not groups:
        return None
    n = len(groups)
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, axes = _new_figure(6.4 * ncols, 4.6 * nrows, ncols, nrows)
    for ax, (name, pts) in zip(axes, groups.items()):
        labels, xs, ys = zip(*pts)
        front = pareto_front(xs, ys)
        on_front = set(front)
        off = [i for i in range(len(xs)) if i not in on_front]
        if off:
            ax.scatter([xs[i] for i in off], [ys[i] for i in off], color="tab:blue", alpha=0.7,
                       label="dominated (another variant is cheaper and better)")
        ax.scatter([xs[i] for i in front], [ys[i] for i in front], color="tab:red", zorder=3,
                   label="on the Pareto front")
        if len(front) > 1:
            ax.plot([xs[i] for i in front], [ys[i] for i in front], color="tab:red", lw=1.2,
                    drawstyle="steps-post", zorder=2, label="Pareto front")
        # Alternate label offsets along x so neighbouring points' labels do not overprint.
        for k, (lab, x, y) in enumerate(sorted(pts, key=lambda p: (p[1], p[2]))):
            ax.annotate(lab, (x, y), textcoords="offset points", xytext=(4, 5 if k % 2 == 0 else -11), fontsize=7)
        scale = axis_scale(xs)
        if scale == "log":
            ax.set_xscale("log")
        elif scale == "symlog":
            ax.set_xscale("symlog", linthresh=min(x for x in xs if x > 0))
        if scale != "linear":
            ax.xaxis.set_major_formatter(_PLAIN)
        ax.set_xlabel(xlabel + (", log scale" if scale != "linear" else ""))
        ax.set_ylabel(ylabel)
        ax.set_title(name if n > 1 else f"{title} ({name})" if name else title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    for ax in axes[n:]:
        ax.set_visible(False)
    if n > 1:
        fig.suptitle(title)
    return fig


def scatter_pareto(
    groups: Mapping[str, Sequence[tuple[str, float, float]]],
    stem: Path,
    *,
    xlabel: str,
    ylabel: str = "PSNR (dB)",
    title: str,
) -> list[Path]:
    """Quality against cost with the Pareto front, one panel per group (e.g. per noise level).

    ``groups`` maps a panel title to ``(label, cost, score)`` points. Mixing levels in one panel
    would compare a σ15 PSNR with a σ50 one, so each level gets its own front. Nothing is written
    (and [] returned) when no group has two points with a cost.
    """
    fig = scatter_pareto_figure(groups, xlabel=xlabel, ylabel=ylabel, title=title)
    return [] if fig is None else save(fig, stem)


def _mp(size: str) -> float:
    h, w = size.lower().split("x")
    return int(h) * int(w) / 1e6


def cost_vs_resolution(rows: Sequence[Mapping], stem: Path, *, title: str) -> list[Path]:
    """GMACs, peak memory and latency against input size, one line per profiled configuration.

    ``rows`` are ``restbench profile --json`` rows (errors skipped). Lines are coloured by family
    (``model``) so several families can share a figure; panels for measurements that no row has
    (``--no-timing`` profiles have no memory or latency) are left out.
    """
    rows = [r for r in rows if "error" not in r and r.get("size")]
    if not rows:
        return []
    panels = [
        ("macs", "MACs (G)", lambda r: r["macs"] / 1e9),
        ("peak_memory_bytes", "peak memory (MiB)", lambda r: r["peak_memory_bytes"] / 2**20),
        ("latency_ms", "latency (ms)", lambda r: r["latency_ms"]),
    ]
    panels = [p for p in panels if any(r.get(p[0]) is not None for r in rows)]
    families = sorted({r.get("model", r["variant"]) for r in rows})
    colours = {f: matplotlib.colormaps["tab10"](i % 10) for i, f in enumerate(families)}
    markers = "osD^v<>ph*"
    configs: dict[str, list[Mapping]] = {}
    for r in rows:
        configs.setdefault(r["variant"], []).append(r)
    devices = sorted({str(r.get("device")) for r in rows if r.get("latency_ms") is not None})
    sizes = sorted({r["size"] for r in rows}, key=_mp)
    ticks, tick_labels = [_mp(s) for s in sizes], [s.replace("x", "×") for s in sizes]
    fig, axes = _new_figure(4.6 * len(panels) + 1.5, 4.2, len(panels), 1)
    for ax, (key, ylabel, get) in zip(axes, panels):
        per_family_count: dict[str, int] = {}
        for vid, rs in configs.items():
            rs = sorted((r for r in rs if r.get(key) is not None), key=lambda r: _mp(r["size"]))
            if not rs:
                continue
            fam = rs[0].get("model", vid)
            k = per_family_count.get(fam, 0)
            per_family_count[fam] = k + 1
            more = len(rs[0].get("same_architecture") or [])
            label = vid + (f" (+{more} same arch.)" if more else "")
            ax.plot([_mp(r["size"]) for r in rs], [get(r) for r in rs], marker=markers[k % len(markers)],
                    color=colours[fam], label=label)
        ax.set_xscale("log")
        ax.set_xticks(ticks, tick_labels, rotation=30)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ys = [get(r) for r in rows if r.get(key) is not None]
        log_y = _use_log(ys) or (ys and min(ys) > 0)
        if log_y:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(_PLAIN)
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("input size H×W (pixel count on a log scale)")
        ax.set_ylabel(ylabel + (", log scale" if log_y else ""))
        ax.grid(True, which="major", alpha=0.3)
        if key == "latency_ms" and devices:
            ax.set_title(f"latency on {', '.join(devices)}", fontsize=9)
        elif key == "peak_memory_bytes":
            ax.set_title("peak memory (forward pass)", fontsize=9)
        else:
            ax.set_title("MACs (fvcore, incl. attention matmuls)", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=7)
    fig.suptitle(title)
    return save(fig, stem)


def per_image_figure(
    panels: Mapping[str, Mapping[str, Sequence[float]]], *, title: str, xlabel: str = "PSNR per image (dB)"
) -> Figure | None:
    """One panel per level, one horizontal box per variant in it (points overlaid); None if empty.

    Per-image PSNRs at σ15 and σ50 differ by ~5 dB, so levels share a panel only in the sense of
    a common figure: each panel has its own x range.
    """
    panels = {name: {k: [float(x) for x in v if x is not None] for k, v in data.items()} for name, data in panels.items()}
    panels = {name: {k: v for k, v in data.items() if v} for name, data in panels.items()}
    panels = {name: data for name, data in panels.items() if data}
    if not panels:
        return None
    heights = [1.0 + 0.45 * len(d) for d in panels.values()]
    fig = Figure(figsize=(7.5, 0.6 + sum(heights)), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    from matplotlib.lines import Line2D

    for ax, (name, data) in zip(axes, panels.items()):
        labels = list(data)
        ax.boxplot([data[k] for k in labels], orientation="horizontal", tick_labels=labels, showmeans=True,
                   meanprops=dict(marker="^", markerfacecolor="white", markeredgecolor="black", markersize=5))
        for i, k in enumerate(labels, start=1):
            ax.scatter(data[k], [i] * len(data[k]), s=8, alpha=0.5, color="tab:blue", zorder=3)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_ylabel("variant")
        ax.set_title(name if len(panels) > 1 else (f"{title} ({name})" if name else title), fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
    # one legend for all panels, below them, so that it covers no box
    fig.legend(handles=[Line2D([], [], color="tab:orange", label="median"),
                        Line2D([], [], marker="^", ls="", markerfacecolor="white", markeredgecolor="black", label="mean"),
                        Line2D([], [], marker="o", ls="", color="tab:blue", alpha=0.5, markersize=3, label="one image")],
               fontsize=7, loc="outside lower center", ncols=3)
    if len(panels) > 1:
        fig.suptitle(title)
    return fig


def per_image_boxplots(
    panels: Mapping[str, Mapping[str, Sequence[float]]], stem: Path, *, title: str, xlabel: str = "PSNR per image (dB)"
) -> list[Path]:
    """:func:`per_image_figure` written as PNG + SVG ([] when there is nothing to show)."""
    fig = per_image_figure(panels, title=title, xlabel=xlabel)
    return [] if fig is None else save(fig, stem)


def per_image_boxplot(
    data: Mapping[str, Sequence[float]], stem: Path, *, title: str, xlabel: str = "PSNR per image (dB)"
) -> list[Path]:
    """One panel: one horizontal box per variant (labels are the keys), in the given order, points overlaid."""
    return per_image_boxplots({"": data}, stem, title=title, xlabel=xlabel)
