"""Human-readable run summaries for the terminal (leaderboard markdown lives in the report layer)."""

from __future__ import annotations

import sys

from restbench.results.verdict import split_summaries
from restbench.report.text import dataset_label


def _fmt(v, nd):
    return "—" if v is None else f"{v:.{nd}f}"


def print_summary_table(summaries: list[dict], failures: list[dict], file=None) -> None:
    """One line per job, then one per published split it also averaged (``DPDD (indoor)``)."""
    file = file or sys.stdout  # looked up per call: a default bound at import outlives a redirected stdout
    summaries = [row for s in summaries for row in (s, *split_summaries(s))]
    with_b = any(s.get("psnrb") is not None for s in summaries)  # PSNR-B column only for JPEG CAR runs
    with_mae = any(s.get("mae") is not None for s in summaries)  # MAE: DPDD
    width = max([9, *(len(dataset_label(s)) for s in summaries)])
    if summaries:
        head = (f"{'variant':<40} {'dataset':<{width}} {'protocol':<18} {'n':>4} {'PSNR':>7} {'SSIM':>7} "
                + (f"{'PSNR-B':>7} " if with_b else "") + (f"{'MAE':>7} " if with_mae else "") + f"{'ms/img':>8}  note")
        print(head, file=file)
        print("-" * len(head), file=file)
    for s in summaries:
        note = []
        if s.get("efficiency_only"):
            note.append("efficiency only (random weights)")
        if s.get("cached"):
            note.append("from results store")
        if s.get("tiled_images"):
            note.append(f"{s['tiled_images']} image(s) tiled")
        ms = 1000 * s["forward_s"] / max(s["n_images"], 1) if s.get("forward_s") else None
        print(
            f"{s['variant']:<40} {dataset_label(s):<{width}} {s['protocol']:<18} {s['n_images']:>4} "
            f"{_fmt(s.get('psnr'), 2):>7} {_fmt(s.get('ssim'), 4):>7} "
            + (f"{_fmt(s.get('psnrb'), 2):>7} " if with_b else "") + (f"{_fmt(s.get('mae'), 4):>7} " if with_mae else "")
            + f"{_fmt(ms, 0):>8}  {'; '.join(note)}",
            file=file,
        )
    for f in failures:
        print(f"FAILED {f['variant']}: {f['error']}", file=file)
