"""Figures: the Pareto front, and that each plot is written as a readable PNG (+ SVG)."""

from __future__ import annotations

import math

import matplotlib.image as mpimg
import numpy as np

from restbench.report import plots
from restbench.report.plots import pareto_front


def test_pareto_front_basic():
    # (cost, psnr): B dominates C (cheaper and better); A is cheapest; D is best
    costs = [1.0, 10.0, 12.0, 100.0]
    psnr = [28.0, 30.0, 29.5, 31.0]
    assert pareto_front(costs, psnr) == [0, 1, 3]


def test_pareto_front_ties_missing_and_order():
    costs = [5.0, 5.0, 5.0, 2.0, float("nan"), None, 50.0]
    psnr = [30.0, 30.0, 29.0, 25.0, 40.0, 41.0, 30.0]
    # the two identical (5, 30) points do not dominate each other; (5, 29) and (50, 30) are dominated;
    # NaN/None points take no part even though their PSNR is the highest
    assert pareto_front(costs, psnr) == [3, 0, 1]
    assert pareto_front([], []) == []
    assert pareto_front([3.0], [1.0]) == [0]
    # equal cost, different score: only the better one survives
    assert pareto_front([1.0, 1.0], [2.0, 3.0]) == [1]


def _check_png(path, min_w=300, min_h=200):
    assert path.suffix == ".png" and path.with_suffix(".svg").exists()
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert w >= min_w and h >= min_h and img.shape[2] in (3, 4)
    assert float(np.std(img[..., :3])) > 0.01  # not a blank canvas
    assert path.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
    return img


def test_scatter_pareto_writes_png_and_svg(tmp_path):
    groups = {
        "σ25 grey": [("dncnn-s25", 36.4, 30.44), ("restormer", 140.9, 31.08), ("bigger-worse", 200.0, 30.9),
                     ("identity", 0.001, 20.17)],
        "σ50 grey": [("dncnn-s50", 36.4, 27.18), ("restormer", 140.9, 28.0)],
    }
    paths = plots.scatter_pareto(groups, tmp_path / "Set12_psnr_vs_macs", xlabel="MACs (G)", title="Set12")
    assert [p.name for p in paths] == ["Set12_psnr_vs_macs.png", "Set12_psnr_vs_macs.svg"]
    img = _check_png(paths[0])
    assert img.shape[1] > img.shape[0]  # two panels side by side
    svg = paths[1].read_text()
    assert "MACs (G)" in svg and "PSNR (dB)" in svg and "Pareto front" in svg
    assert plots.scatter_pareto({"x": []}, tmp_path / "empty", xlabel="a", title="b") == []


def profile_rows(timing=True):
    rows = []
    for fam, variant, base, mem in (("dncnn", "dncnn-s25", 0.556, 1.0), ("restormer", "restormer-x", 2.15, 15.0)):
        for side in (64, 128, 256):
            k = side * side
            r = dict(variant=variant, model=fam, same_architecture=[], size=f"{side}x{side}", params=1,
                     macs=int(base * k * 1000), gmacs=base * k / 1e6)
            if timing:
                r.update(peak_memory_bytes=int(mem * k * 4), latency_ms=base * k / 2e4, device="cpu")
            rows.append(r)
    rows.append(dict(variant="broken", size="64x64", error="RuntimeError: boom"))
    return rows


def test_cost_vs_resolution(tmp_path):
    paths = plots.cost_vs_resolution(profile_rows(), tmp_path / "cost", title="cost")
    wide = _check_png(paths[0])
    svg = paths[1].read_text()
    assert "MACs (G)" in svg and "peak memory (MiB)" in svg and "latency (ms)" in svg and "latency on cpu" in svg
    assert "dncnn-s25" in svg and "restormer-x" in svg and "broken" not in svg
    # without timing only the MACs panel is drawn: a narrower figure
    narrow = _check_png(plots.cost_vs_resolution(profile_rows(False), tmp_path / "cost1", title="c")[0])
    assert narrow.shape[1] < wide.shape[1] / 2
    assert "latency" not in (tmp_path / "cost1.svg").read_text()


def test_per_image_boxplot(tmp_path):
    rng = np.random.default_rng(0)
    data = {"dncnn-s25 σ25": list(30.4 + rng.normal(0, 1, 12)), "identity σ25": list(20 + rng.normal(0, 1, 12)),
            "efficiency-only": []}
    paths = plots.per_image_boxplot(data, tmp_path / "box", title="Set12: PSNR per image")
    _check_png(paths[0])
    svg = paths[1].read_text()
    assert "PSNR per image (dB)" in svg and "dncnn-s25" in svg and "efficiency-only" not in svg


def test_report_writes_and_embeds_figures(tmp_path):
    from restbench.report.boards import Profile, load_store, write_reports
    from restbench.results.store import JobStore

    def summary(variant, psnr, sigma, eff=False):
        return dict(kind="summary", model=variant.split("-")[0], variant=variant, task="gaussian-denoising",
                    dataset="Set12", protocol="p", sigma=sigma, scale=None, quality=None, channels="grey",
                    n_images=4, efficiency_only=eff, params=10, forward_s=0.4, device="cpu (x86_64)",
                    settings={}, psnr=None if eff else psnr, ssim=None, finished="2025-01-01T00:00:00+00:00")

    root = tmp_path / "results"
    for i, (variant, psnr, eff) in enumerate((("dncnn-s25", 30.44, False), ("restormer-x", 31.1, False),
                                             ("dncnn-b-grey", None, True))):
        imgs = [dict(kind="image", image=f"{k}.png", **({} if eff else {"psnr": psnr + math.sin(k)})) for k in range(4)]
        JobStore(root, f"job{i}").seal(imgs, summary(variant, psnr, 25, eff))
    out = tmp_path / "lb"
    boards = write_reports(load_store(root), out, None, profile=Profile.from_rows(profile_rows()))
    names = sorted(p.name for p in boards[0].figures)
    assert names == ["Set12_per_image_psnr.png", "Set12_psnr_vs_latency.png", "Set12_psnr_vs_macs.png",
                     "Set12_psnr_vs_params.png"]
    for p in boards[0].figures:
        _check_png(p)
    md = (out / "Set12.md").read_text()
    assert "![PSNR vs MACs with the Pareto front, per level](Set12_psnr_vs_macs.png)" in md
    # the efficiency-only row has no box (no quality) and no point in the scatters
    assert "dncnn-b-grey" not in (out / "Set12_per_image_psnr.svg").read_text()
    assert "dncnn-b-grey" not in (out / "Set12_psnr_vs_macs.svg").read_text()
    readme = (out / "README.md").read_text()
    assert "cost_vs_resolution.png" in readme and "cost_vs_resolution_dncnn.png" in readme
    _check_png(out / "cost_vs_resolution_restormer.png")


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_scatter_one_panel_per_level_labelled_with_log_axis_where_the_range_calls_for_it():
    groups = {
        # 0.001 .. 140.9 G: a >20x range, all positive -> log axis
        "σ15 grey": [("identity", 0.001, 24.6), ("dncnn-s15", 36.4, 32.86), ("restormer", 140.9, 33.42)],
        # 36.4 .. 40: linear
        "σ25 grey": [("dncnn-s25", 36.4, 30.44), ("swinir", 40.0, 31.01)],
        # one point with a cost (the other has none): no panel
        "σ50 grey": [("dncnn-s50", 36.4, 27.18), ("unprofiled", None, 28.0)],
        # a zero cost among a wide range -> symlog keeps the zero on the axis
        "×2 rgb": [("bicubic-x2", 0.0, 33.66), ("swinir-x2", 2.0, 38.35), ("big-x2", 400.0, 38.4)],
    }
    fig = plots.scatter_pareto_figure(groups, xlabel="MACs (G)", title="Set12: PSNR vs MACs")
    axes = _visible(fig)
    assert [ax.get_title() for ax in axes] == ["σ15 grey", "σ25 grey", "×2 rgb"]
    assert [ax.get_xscale() for ax in axes] == ["log", "linear", "symlog"]
    assert [ax.get_xlabel() for ax in axes] == ["MACs (G), log scale", "MACs (G)", "MACs (G), log scale"]
    assert [sorted(t.get_text() for t in ax.texts) for ax in axes] == [
        ["dncnn-s15", "identity", "restormer"], ["dncnn-s25", "swinir"], ["bicubic-x2", "big-x2", "swinir-x2"]]
    assert fig.get_suptitle() == "Set12: PSNR vs MACs"
    # the Pareto front of σ15: every point is on it (each costlier one is better); it is drawn as a line
    front_lines = [ln for ln in axes[0].get_lines() if ln.get_label() == "Pareto front"]
    assert len(front_lines) == 1 and list(front_lines[0].get_xdata()) == [0.001, 36.4, 140.9]
    assert plots.axis_scale([1, 20]) == "linear" and plots.axis_scale([1, 21]) == "log"
    assert plots.axis_scale([0, 1, 21]) == "symlog" and plots.axis_scale([0, 5]) == "linear"


def test_no_figure_and_no_file_for_fewer_than_two_points_with_a_cost(tmp_path):
    groups = {"×2 rgb": [("bicubic-x2", 0.0, 33.66)], "×3 rgb": [("bicubic-x3", None, 30.39), ("x", float("nan"), 30.0)]}
    assert plots.scatter_pareto_figure(groups, xlabel="MACs", title="Set5") is None
    assert plots.scatter_pareto(groups, tmp_path / "Set5_psnr_vs_macs", xlabel="MACs", title="Set5") == []
    assert list(tmp_path.iterdir()) == []


def test_single_panel_title_names_its_level_and_the_svg_says_log(tmp_path):
    groups = {"σ25 grey": [("identity", 0.5, 20.17), ("restormer", 140.9, 31.08)]}
    paths = plots.scatter_pareto(groups, tmp_path / "f", xlabel="MACs (G)", title="Set12: PSNR vs MACs")
    svg = paths[1].read_text()
    assert "Set12: PSNR vs MACs (σ25 grey)" in svg and "MACs (G), log scale" in svg
    assert "identity" in svg and "restormer" in svg


def test_per_image_figure_one_panel_per_level():
    panels = {"σ15 grey": {"dncnn-s15": [32.1, 33.0, 33.5], "identity": [24.6, 24.5]},
              "σ50 grey": {"dncnn-s50": [27.0, 27.4]}, "q10 grey": {"eff-only": []}}
    fig = plots.per_image_figure(panels, title="Set12: PSNR per image")
    axes = _visible(fig)
    assert [ax.get_title() for ax in axes] == ["σ15 grey", "σ50 grey"]  # the panel with no values is left out
    assert [[t.get_text() for t in ax.get_yticklabels()] for ax in axes] == [["dncnn-s15", "identity"], ["dncnn-s50"]]
    assert plots.per_image_figure({"σ15": {"a": []}}, title="x") is None


def test_report_draws_per_level_figures_and_drops_a_figure_left_with_one_point(tmp_path):
    """Set5 today: a MACs figure with one point. After the report, no such file, and no link to it."""
    from restbench.report.boards import Profile, load_store, write_reports
    from restbench.results.store import JobStore

    def summary(variant, psnr, scale, params):
        return dict(kind="summary", model=variant.split("-")[0], variant=variant, task="classical-sr", dataset="Set5",
                    protocol="p", sigma=None, scale=scale, quality=None, channels="rgb", n_images=3,
                    efficiency_only=False, params=params, forward_s=0.3, device="cpu (x86_64)", settings={}, psnr=psnr,
                    ssim=None, finished="2025-01-01T00:00:00+00:00")

    root = tmp_path / "results"
    jobs = [("bicubic-x2", 33.66, 2, 0), ("swinir-x2", 38.35, 2, 11_900_000), ("tiny-x2", 37.0, 2, 400_000),
            ("bicubic-x3", 30.39, 3, 0)]
    for i, (variant, psnr, scale, params) in enumerate(jobs):
        imgs = [dict(kind="image", image=f"{k}.png", psnr=psnr + 0.3 * math.sin(k)) for k in range(3)]
        JobStore(root, f"job{i}").seal(imgs, summary(variant, psnr, scale, params))
    out = tmp_path / "lb"
    out.mkdir()
    for ext in ("png", "svg"):  # what an earlier report drew
        (out / f"Set5_psnr_vs_macs.{ext}").write_text("stale")
    profile = Profile.from_rows([dict(variant="bicubic-x2", model="bicubic", size="256x256", params=0, macs=0,
                                      latency_ms=40.0, device="cpu")])
    boards = write_reports(load_store(root), out, None, profile=profile)
    names = sorted(p.name for p in boards[0].figures)
    assert names == ["Set5_per_image_psnr.png", "Set5_psnr_vs_latency.png", "Set5_psnr_vs_params.png"]
    assert not (out / "Set5_psnr_vs_macs.png").exists() and not (out / "Set5_psnr_vs_macs.svg").exists()
    # one variant has a profiled latency: nothing to compare, so the runs' own forward times are plotted
    assert "mean forward time per test image (ms, cpu (x86_64))" in (out / "Set5_psnr_vs_latency.svg").read_text()
    md = (out / "Set5.md").read_text()
    assert "psnr_vs_macs" not in md and "(Set5_psnr_vs_params.png)" in md
    svg = (out / "Set5_psnr_vs_params.svg").read_text()
    # ×2 has three variants with a parameter count (0, 0.4 M, 11.9 M: a zero among a wide range -> symlog);
    # ×3 has one, so no panel: the figure is titled by its only level
    assert "Set5: PSNR vs parameters (×2 rgb)" in svg and "×3" not in svg and "parameters (M), log scale" in svg
    box = (out / "Set5_per_image_psnr.svg").read_text()
    assert "×2 rgb" in box and "×3 rgb" in box and "bicubic-x3" in box  # the distribution: one panel per level
