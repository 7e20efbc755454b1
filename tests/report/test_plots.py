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
    assert names == ["Set12_per_image_psnr.png", "Set12_psnr_vs_latency.png", "Set12_psnr_vs_macs.png"]
    for p in boards[0].figures:
        _check_png(p)
    md = (out / "Set12.md").read_text()
    assert "![PSNR vs MACs with the Pareto front](Set12_psnr_vs_macs.png)" in md
    # the efficiency-only row has no box (no quality) and no point in the scatters
    assert "dncnn-b-grey" not in (out / "Set12_per_image_psnr.svg").read_text()
    assert "dncnn-b-grey" not in (out / "Set12_psnr_vs_macs.svg").read_text()
    readme = (out / "README.md").read_text()
    assert "cost_vs_resolution.png" in readme and "cost_vs_resolution_dncnn.png" in readme
    _check_png(out / "cost_vs_resolution_restormer.png")
