"""Leaderboards from the results store: one markdown board + CSV per test set, and an index.

Each board row is one variant at one level (σ / ×scale / JPEG quality) and colour mode, with the
measured means, the paper's claim, Δ and verdict (:mod:`restbench.results.verdict`), and — when a
``restbench profile --json`` file is given — MACs, peak memory and latency at one stated input
size. Every row carries a footnote with what decides its numbers: protocol, weight sha256, dataset
manifest hash, versions, date and device.

When the store holds several runs of the same job (same variant, set, level, colour mode and
protocol, e.g. reruns under newer versions), the board shows one: a full-set run before a
``--limit`` subset, a run with weights before an efficiency-only one, then the most recent.
Efficiency-only rows (random weights) never show quality numbers, nor the paper's.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from restbench.registry import Registry
from restbench.results.store import JobStore, sealed_files
from restbench.results.verdict import (DECIMALS, DEFAULT_TOL_PSNR, DEFAULT_TOL_SSIM, DEVIATES, NOT_CLAIMED, NOT_MEASURED,
                                       REPRODUCED, Verdict, judge_in, split_summaries)
from restbench.report.text import (
    as_json as _json,
    board_stem,
    dataset_label,
    find_protocols_doc,
    has_value as _has,
    heading_slug,
    notes_text,
    protocol_changed,
    protocol_ref,
    protocols_doc_link,
)

DEFAULT_PROFILE_SIZE = "256x256"
JOB_IDENTITY = ("variant", "dataset", "subset", "sigma", "scale", "quality", "channels", "protocol")


@dataclass
class JobResult:
    """One sealed job: its summary row and its per-image rows."""

    summary: dict
    images: list[dict] = field(default_factory=list)
    superseded: int = 0  # older runs of the same job hidden behind this one


def load_store(root: Path, damaged: list[Path] | None = None) -> list[JobResult]:
    """Every sealed job under ``root`` (partial files of running or killed jobs are ignored).

    A file that fails validation is never a result: the store warns on stderr with file and line,
    and its path is appended to ``damaged`` when given, so a command can say so in its own output.
    A whole-set run of a set with published splits (DPDD indoor/outdoor) also gives one result per
    split, with that split's image rows: boards, paper tables and verify judge them like any run.
    """
    jobs = []
    for path in sealed_files(root):
        images, summary = JobStore(path.parent, path.name[: -len(".jsonl")]).load_final()
        if summary is not None:
            jobs.append(JobResult(summary, images))
            for part in split_summaries(summary):
                members = set(summary["subsets"][part["subset"]].get("images") or ())
                jobs.append(JobResult(part, [r for r in images if r.get("image") in members]))
        elif damaged is not None:
            damaged.append(path)
    return jobs


def _preference(job: JobResult) -> tuple:
    s = job.summary
    full = not (s.get("settings") or {}).get("limit")
    return (full, not s.get("efficiency_only"), str(s.get("finished") or ""))


def _ident(s: Mapping) -> tuple:
    return tuple(s.get(k) for k in JOB_IDENTITY)


def latest_per_job(jobs: Iterable[JobResult]) -> list[JobResult]:
    """One run per job identity (see the module docstring for which one)."""
    groups: dict[tuple, list[JobResult]] = {}
    for j in jobs:
        groups.setdefault(_ident(j.summary), []).append(j)
    out = []
    for runs in groups.values():
        best = max(runs, key=_preference)
        best.superseded = len(runs) - 1
        out.append(best)
    return out


def level_label(s: Mapping) -> str:
    """'σ25', '×2', 'q10' (joined when several apply), '' when the task has no level."""
    parts = []
    if s.get("scale"):
        parts.append(f"×{s['scale']}")
    if s.get("sigma") is not None:
        parts.append(f"σ{s['sigma']}")
    if s.get("quality") is not None:
        parts.append(f"q{s['quality']}")
    return " ".join(parts)


def _level_key(s: Mapping) -> tuple:
    return tuple(-1 if s.get(k) is None else s[k] for k in ("scale", "sigma", "quality"))


# ---------------------------------------------------------------- profile data


@dataclass
class Profile:
    """``restbench profile --json`` rows, indexed by (variant id, size) including same-architecture ids."""

    rows: list[dict]
    size: str | None
    by_variant: dict[tuple[str, str], dict] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None, size: str | None = None) -> "Profile":
        if path is None:
            return cls([], None)
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = doc["profile"] if isinstance(doc, dict) else doc
        return cls.from_rows(rows, size)

    @classmethod
    def from_rows(cls, rows: Sequence[dict], size: str | None = None) -> "Profile":
        rows = [r for r in rows if "error" not in r]
        sizes = [r["size"] for r in rows]
        if size is None and sizes:
            size = DEFAULT_PROFILE_SIZE if DEFAULT_PROFILE_SIZE in sizes else max(set(sizes), key=sizes.count)
        prof = cls(list(rows), size)
        for r in rows:
            for vid in [r["variant"], *(r.get("same_architecture") or [])]:
                prof.by_variant[(vid, r["size"])] = r
        return prof

    def get(self, variant: str) -> dict | None:
        return self.by_variant.get((variant, self.size)) if self.size else None


# ---------------------------------------------------------------- one board


def licence_of(registry: Registry | None, variant_id: str, checkpoint: dict | None = None) -> str:
    """The variant's licences; a bare checkpoint's (not in the registry) come from its summary."""
    v = registry.variants.get(variant_id) if registry is not None else None
    if v is None:
        code = (checkpoint or {}).get("licence_code")
        return f"code: {code}; weights: unknown (a local file)" if code else "?"
    code, weights = v.licence_code, v.licence_weights
    if not weights or weights == code:
        return code or "?"
    if not code:
        return f"weights: {weights}"
    return f"code: {code}; weights: {weights}"


def _f(x) -> float | None:
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def board_rows(
    jobs: Sequence[JobResult],
    registry: Registry | None,
    profile: Profile | None = None,
    tol_psnr: float = DEFAULT_TOL_PSNR,
    tol_ssim: float = DEFAULT_TOL_SSIM,
) -> pd.DataFrame:
    """The numeric table behind one board (also what the CSV holds), sorted for display."""
    profile = profile or Profile([], None)
    recs = []
    for job in jobs:
        s = job.summary
        eff = bool(s.get("efficiency_only"))
        v: Verdict = judge_in(s, registry, tol_psnr, tol_ssim)
        prof = profile.get(s["variant"])
        w = s.get("weights") or {}
        vers = s.get("versions") or {}
        n = s.get("n_images") or 0
        settings = s.get("settings") or {}
        recs.append(
            dict(
                dataset=dataset_label(s),
                variant=s["variant"],
                model=s.get("model"),
                task=s.get("task"),
                level=level_label(s),
                sigma=s.get("sigma"),
                scale=s.get("scale"),
                quality=s.get("quality"),
                channels=s.get("channels"),
                protocol=s.get("protocol"),
                n_images=n,
                partial=v.partial,
                efficiency_only=eff,
                psnr=None if eff else _f(s.get("psnr")),
                ssim=None if eff else _f(s.get("ssim")),
                psnrb=None if eff else _f(s.get("psnrb")),
                claimed_psnr=None if eff else v.claimed_psnr,
                claimed_ssim=None if eff else v.claimed_ssim,
                d_psnr=None if v.d_psnr is None else float(v.d_psnr),
                d_ssim=None if v.d_ssim is None else float(v.d_ssim),
                verdict=v.status,
                claim_source=None if eff or v.claim is None else v.claim.citation,
                claim_note=None if eff or v.claim is None else v.claim.protocol,
                params=s.get("params") if s.get("params") is not None else (prof or {}).get("params"),
                profile_size=profile.size if prof else None,
                macs=(prof or {}).get("macs"),
                peak_memory_bytes=(prof or {}).get("peak_memory_bytes"),
                latency_ms=(prof or {}).get("latency_ms"),
                latency_device=(prof or {}).get("device") if (prof or {}).get("latency_ms") is not None else None,
                run_ms_per_image=(1000 * s["forward_s"] / n) if s.get("forward_s") is not None and n else None,
                device=s.get("device"),
                licence=licence_of(registry, s["variant"], s.get("checkpoint")),
                weights_file=w.get("file"),
                weights_sha256=w.get("sha256"),
                weights_source=w.get("source"),
                manifest_hash=s.get("manifest_hash"),
                restbench_version=vers.get("restbench"),
                plugin=vers.get("plugin"),
                plugin_version=vers.get("plugin_version"),
                torch_version=vers.get("torch"),
                git_commit=s.get("git_commit"),
                finished=s.get("finished"),
                self_ensemble=bool(settings.get("self_ensemble")),
                precision=settings.get("precision"),
                tiled_images=s.get("tiled_images") or 0,
                superseded_runs=job.superseded,
                job_key=s.get("job_key"),
                _protocol_settings=s.get("protocol_settings"),
                _ident=_ident(s),
                _versions=vers,
            )
        )
    df = pd.DataFrame(recs)
    if df.empty:
        return df
    df["_lk"] = [_level_key(r) for r in recs]
    df["_psnr_sort"] = df["psnr"].fillna(-math.inf)
    df = df.sort_values(["_lk", "channels", "efficiency_only", "_psnr_sort", "variant"],
                        ascending=[True, True, True, False, True], kind="mergesort")
    return df.drop(columns=["_lk", "_psnr_sort"]).reset_index(drop=True)


def _num(x, nd: int, sign: bool = False) -> str:
    x = _f(x)
    if x is None:
        return ""
    return f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}"


def _claim(x) -> str:
    return "" if _f(x) is None else repr(float(x))


def _params(n) -> str:
    n = _f(n)
    if n is None:
        return ""
    return f"{n / 1e6:.2f}M" if n >= 1e4 else f"{int(n)}"


def _short(h, n: int = 12) -> str:
    return str(h)[:n] if _has(h) else "—"


def _footnote(i: int, r: Mapping, protocols_doc: str | None = None) -> str:
    vers = r["_versions"] or {}
    vtxt = ", ".join(f"{k} {v}" for k, v in vers.items() if v and k not in ("plugin", "plugin_version"))
    if vers.get("plugin"):
        vtxt = f"plugin {vers['plugin']} {vers.get('plugin_version') or ''}".strip() + (f", {vtxt}" if vtxt else "")
    weights = "random init (efficiency only)" if r["efficiency_only"] else (
        "none (weight-free model)" if not _has(r["weights_sha256"]) else
        f"`{r['weights_file']}` sha256 `{_short(r['weights_sha256'])}` from {r['weights_source']}"
    )
    proto = f"protocol {protocol_ref(r['protocol'], protocols_doc)}"
    if protocol_changed(r["protocol"], r["_protocol_settings"]):
        proto += " (run under different settings than today's definition: see `protocol_settings` in the CSV)"
    parts = [
        proto,
        f"{r['n_images']} images",
        f"weights {weights}",
        f"dataset manifest `{_short(r['manifest_hash'])}`",
    ]
    if _has(r["claim_source"]):
        parts.append(f"claim: {r['claim_source']}")
    if vtxt:
        parts.append(vtxt)
    if _has(r["git_commit"]):
        parts.append(f"git `{_short(r['git_commit'], 12)}`")
    date = str(r["finished"] or "")[:10]
    parts.append(f"run {date or '?'} on {r['device'] or '?'}")
    if r["superseded_runs"]:
        parts.append(f"{r['superseded_runs']} other run(s) of this job not shown")
    return f"[^{i}]: {r['variant']} {r['level']}".rstrip() + " — " + "; ".join(parts) + "."


def _cell(x) -> str:
    return str(x).replace("|", "\\|")


def render_board(
    dataset: str,
    df: pd.DataFrame,
    *,
    tol_psnr: float = DEFAULT_TOL_PSNR,
    tol_ssim: float = DEFAULT_TOL_SSIM,
    profile_size: str | None = None,
    figures: Sequence[tuple[str, str]] = (),
    generated: str | None = None,
    protocols_doc: str | None = None,
) -> str:
    """Markdown for one test set's board (``df`` from :func:`board_rows`); ``protocols_doc`` is
    where footnotes link each protocol's section (None: no links)."""
    have_prof = profile_size is not None and df["macs"].notna().any()
    have_psnrb = has_psnrb(df)
    lat_devices = sorted({str(d) for d in df["latency_device"].dropna()})
    rows = []
    for i, r in enumerate(df.to_dict("records"), start=1):
        eff = r["efficiency_only"]
        row = {
            "Variant": f"`{r['variant']}`[^{i}]",
            "Level": r["level"] or "—",
            "Ch.": r["channels"] or "",
            "PSNR (dB)": "—" if eff else _num(r["psnr"], 4),
            "SSIM": "—" if eff else _num(r["ssim"], 4),
            **({"PSNR-B (dB)": "—" if eff else _num(r["psnrb"], 4)} if have_psnrb else {}),
            "Paper PSNR": "—" if eff else _claim(r["claimed_psnr"]),
            "Paper SSIM": "—" if eff else _claim(r["claimed_ssim"]),
            "ΔPSNR": "—" if eff else _num(r["d_psnr"], DECIMALS["psnr"], sign=True),
            "ΔSSIM": "—" if eff else _num(r["d_ssim"], DECIMALS["ssim"], sign=True),
            "Verdict": "—" if eff else (f"**{r['verdict']}**" if r["verdict"] == DEVIATES else r["verdict"]),
            "Params": _params(r["params"]),
        }
        if have_prof:
            row[f"MACs @{profile_size} (G)"] = _num(None if _f(r["macs"]) is None else r["macs"] / 1e9, 2)
            row["Peak mem (MiB)"] = _num(None if _f(r["peak_memory_bytes"]) is None else r["peak_memory_bytes"] / 2**20, 0)
            row[f"Latency @{profile_size} (ms)"] = (
                "" if _f(r["latency_ms"]) is None else f"{r['latency_ms']:.1f} ({r['latency_device']})"
            )
        row["Run ms/img"] = "" if _f(r["run_ms_per_image"]) is None else f"{r['run_ms_per_image']:.1f}"
        row["Licence"] = r["licence"]
        row["Notes"] = notes_text(r)
        rows.append({k: _cell(v) for k, v in row.items()})
    table = pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)
    counts = df["verdict"].value_counts()
    n_eff = int(df["efficiency_only"].sum())
    summary = ", ".join(
        f"{int(counts.get(k, 0))} {k.lower()}" for k in (REPRODUCED, DEVIATES, NOT_CLAIMED, NOT_MEASURED) if counts.get(k, 0)
    )
    if n_eff:
        summary += (", " if summary else "") + f"{n_eff} efficiency-only"
    lines = [
        f"# {dataset}",
        "",
        f"{len(df)} row(s): {summary}." if summary else f"{len(df)} row(s).",
        "",
        table,
        "",
        "**How to read this board.** PSNR/SSIM are means over the test set under the protocol named in each row's "
        "footnote. *Paper* columns are the numbers the variant's paper reports for this set and level (as published). "
        f"Δ = measured − paper, from the mean rounded half-up to {DECIMALS['psnr']} (PSNR) / {DECIMALS['ssim']} (SSIM) "
        f"decimals; REPRODUCED when |ΔPSNR| ≤ {tol_psnr} dB and |ΔSSIM| ≤ {tol_ssim} (edges inclusive, each checked "
        "only when both claimed and measured), DEVIATES otherwise, NOT CLAIMED when the paper gives no number. "
        "Efficiency-only rows ran with random weights: their quality is meaningless and not shown. "
        "A *subset* row ran on the first N images only (`--limit`) and cannot confirm or refute a full-set claim. "
        "*Run ms/img* is the mean forward time per test image in that run, on the row's device (footnote).",
    ]
    if have_psnrb:
        lines += [
            "",
            (
                "PSNR-B (JPEG artefact removal) is SwinIR's `calculate_psnrb`: PSNR with the output's blocking-effect "
                "factor added to the MSE, so it is below PSNR when the output shows 8x8 blocks. It has no paper "
                "column and does not enter the verdict."
            ),
        ]
    if have_prof:
        lines += [
            "",
            f"Costs are from `restbench profile` at input size {profile_size} (the LR size for super-resolution "
            "models), random weights: MACs are fvcore multiply-accumulates including attention matmuls; peak memory "
            "and latency (median) were measured on the device named in the cell"
            + (f" ({', '.join(lat_devices)})" if lat_devices else "")
            + ". Params are counted from the model as run.",
        ]
    if figures:
        lines += ["", "## Figures", ""]
        for caption, fname in figures:
            lines += [f"![{caption}]({fname})", ""]
    lines += ["", *[_footnote(i, r, protocols_doc) for i, r in enumerate(df.to_dict("records"), start=1)]]
    if generated:
        lines += ["", f"_Generated by restbench on {generated}._"]
    return "\n".join(lines).rstrip() + "\n"


CSV_DROP = ("_protocol_settings", "_versions", "_ident")


def has_psnrb(df: pd.DataFrame) -> bool:
    """Whether any row of a board measured PSNR-B: only then do the table and CSV get the column."""
    return "psnrb" in df and bool(df["psnrb"].notna().any())


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The board's CSV columns: internal ones dropped, and PSNR-B only where some row has it.

    The footnotes only name the protocol; the full settings the run used and every version it
    recorded stay here, as JSON text (``protocol_settings``, ``versions``).
    """
    drop = [*CSV_DROP, *(() if has_psnrb(df) else ("psnrb",))]
    out = df.drop(columns=[c for c in drop if c in df])
    if "_protocol_settings" in df:
        out["protocol_settings"] = [None if not x else _json(x) for x in df["_protocol_settings"]]
    if "_versions" in df:
        out["versions"] = [None if not x else _json(x) for x in df["_versions"]]
    return out


# ---------------------------------------------------------------- everything


@dataclass
class BoardInfo:
    dataset: str
    markdown: Path
    csv: Path
    counts: dict[str, int]
    rows: int
    figures: list[Path] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)


def _level_groups(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows per level and colour mode, in board order: each gets its own panel (a σ15 PSNR is not
    comparable with a σ50 one, nor a grey one with a colour one)."""
    out: dict[str, pd.DataFrame] = {}
    for (lvl, ch), g in df.groupby([df["level"], df["channels"].fillna("")], sort=False):
        name = " ".join(x for x in (lvl, ch) if x) or "all"
        out[name] = g
    return out


FIGURE_KINDS = ("psnr_vs_macs", "psnr_vs_latency", "psnr_vs_params", "per_image_psnr")


def _cost_points(groups: Mapping[str, pd.DataFrame], col: str, scale: float = 1.0) -> dict[str, list[tuple]]:
    return {k: [(r["variant"], r[col] / scale, r["psnr"]) for r in g.to_dict("records") if _f(r[col]) is not None]
            for k, g in groups.items()}


def board_figures(dataset: str, df: pd.DataFrame, jobs: Sequence[JobResult], out: Path, profile_size: str | None) -> list[tuple[str, Path]]:
    """The scatter and box-plot figures for one board; [(caption, png path)].

    PSNR against MACs, latency and parameters, one panel per level with the Pareto front (a
    figure only where some level has two variants with that cost), and the per-image PSNR
    distribution, one panel per level. Figures an earlier report drew for this set are removed
    first, so a figure that no longer has two points does not linger beside the board.
    """
    from restbench.report import plots

    stem = out / board_stem(dataset)
    for kind in FIGURE_KINDS:
        for fmt in plots.FORMATS:
            Path(f"{stem}_{kind}.{fmt}").unlink(missing_ok=True)
    figs: list[tuple[str, Path]] = []
    q = df[~df["efficiency_only"] & df["psnr"].notna()]
    groups = _level_groups(q) if not q.empty else {}
    if not groups:
        return figs

    def scatter(kind: str, caption: str, pts: dict, xlabel: str, what: str) -> None:
        paths = plots.scatter_pareto(pts, Path(f"{stem}_{kind}"), xlabel=xlabel, title=f"{dataset}: PSNR vs {what}")
        if paths:
            figs.append((caption, paths[0]))

    scatter("psnr_vs_macs", "PSNR vs MACs with the Pareto front, per level", _cost_points(groups, "macs", 1e9),
            f"MACs at {profile_size} input (G)", "MACs")
    # Latency: the profile's, at one input size, when it gives some level two points; else each run's
    # own mean forward time per test image.
    for col, dev_col in (("latency_ms", "latency_device"), ("run_ms_per_image", "device")):
        devs = sorted({str(d) for d in q.loc[q[col].notna(), dev_col].dropna()})
        xlabel = (f"latency at {profile_size} input (ms, {', '.join(devs)})" if col == "latency_ms"
                  else f"mean forward time per test image (ms, {', '.join(devs)})")
        before = len(figs)
        scatter("psnr_vs_latency", "PSNR vs latency with the Pareto front, per level", _cost_points(groups, col),
                xlabel, "latency")
        if len(figs) > before:
            break
    scatter("psnr_vs_params", "PSNR vs parameters with the Pareto front, per level", _cost_points(groups, "params", 1e6),
            "parameters (M)", "parameters")

    by_ident = {_ident(j.summary): j for j in jobs}
    panels: dict[str, dict[str, list[float]]] = {}
    for name, g in groups.items():
        for r in g.to_dict("records"):
            job = by_ident.get(r["_ident"])
            if job is None:
                continue
            psnrs = [im["psnr"] for im in job.images if im.get("psnr") is not None]
            if psnrs:
                panels.setdefault(name, {})[r["variant"]] = psnrs
    paths = plots.per_image_boxplots(panels, Path(f"{stem}_per_image_psnr"), title=f"{dataset}: PSNR per image")
    if paths:
        figs.append(("Per-image PSNR distribution, per level", paths[0]))
    return figs


def write_reports(
    jobs: Sequence[JobResult],
    out: Path,
    registry: Registry | None = None,
    *,
    profile: Profile | None = None,
    datasets: Sequence[str] | None = None,
    tol_psnr: float = DEFAULT_TOL_PSNR,
    tol_ssim: float = DEFAULT_TOL_SSIM,
    plots: bool = True,
    html: bool = False,
    papers: bool = True,
    protocols_doc: str | None = "auto",
    now: datetime | None = None,
) -> list[BoardInfo]:
    """Write ``<Dataset>.md`` + ``.csv`` (+ figures) per test set, ``papers/<Paper>-<Table>.md`` per
    paper table with claims (``papers``, needs ``registry``), ``README.md``, and with ``html`` the
    static site in ``site/``; returns the boards written.

    Boards come from measured results only: with no job (after the ``datasets`` filter) nothing
    is written and [] is returned. ``protocols_doc`` is where footnotes link each protocol's
    section (default: this checkout's docs/protocols.md when ``out`` is inside it; None: no link).
    """
    out = Path(out)
    profile = profile or Profile([], None)
    generated = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    jobs = latest_per_job(jobs)
    wanted = {d.lower() for d in datasets} if datasets else None
    by_ds: dict[str, list[JobResult]] = {}
    for j in jobs:
        if wanted is None or str(j.summary.get("dataset")).lower() in wanted:
            by_ds.setdefault(dataset_label(j.summary), []).append(j)
    if not by_ds:
        return []
    out.mkdir(parents=True, exist_ok=True)
    doc = protocols_doc_link(out) if protocols_doc == "auto" else protocols_doc
    boards = []
    for ds in sorted(by_ds, key=str.lower):
        df = board_rows(by_ds[ds], registry, profile, tol_psnr, tol_ssim)
        figs = board_figures(ds, df, by_ds[ds], out, profile.size) if plots else []
        md = out / f"{board_stem(ds)}.md"
        csv = out / f"{board_stem(ds)}.csv"
        md.write_text(
            render_board(ds, df, tol_psnr=tol_psnr, tol_ssim=tol_ssim, profile_size=profile.size,
                         figures=[(c, p.name) for c, p in figs], generated=generated, protocols_doc=doc),
            encoding="utf-8",
        )
        csv_frame(df).to_csv(csv, index=False, float_format="%.6g")
        counts = {k: int(v) for k, v in df["verdict"].value_counts().items()}
        counts["efficiency-only"] = int(df["efficiency_only"].sum())
        boards.append(BoardInfo(ds, md, csv, counts, len(df), [p for _, p in figs], [c for c, _ in figs]))
    cost_figs: list[Path] = []
    if plots and profile.rows:
        from restbench.report import plots as P

        cost_figs += P.cost_vs_resolution(profile.rows, out / "cost_vs_resolution", title="Cost vs input size (all families)")
        families = sorted({r.get("model", r["variant"]) for r in profile.rows})
        for fam in families if len(families) > 1 else ():  # one family: the combined figure is that family's
            rows = [r for r in profile.rows if r.get("model", r["variant"]) == fam]
            cost_figs += P.cost_vs_resolution(rows, out / f"cost_vs_resolution_{board_stem(fam)}", title=f"{fam}: cost vs input size")
    if not cost_figs:  # no profile this time: keep the curves an earlier report drew
        cost_figs = sorted(out.glob("cost_vs_resolution*.png"))
    paper_infos = []
    if papers and registry is not None:
        from restbench.report import paper_tables

        tables = paper_tables.build_tables(registry, [j.summary for j in jobs], tol_psnr, tol_ssim)
        paper_doc = (protocols_doc_link(out / "papers") if protocols_doc == "auto" else
                     None if protocols_doc is None else _one_level_down(protocols_doc))
        paper_infos = paper_tables.write_tables(tables, out / "papers", tol_psnr=tol_psnr, tol_ssim=tol_ssim,
                                                protocols_doc=paper_doc, generated=generated)
    index = sorted([*boards, *_boards_already_in(out, {b.csv.name for b in boards})], key=lambda b: b.dataset.lower())
    cost_pngs = [p for p in cost_figs if p.suffix == ".png"]
    if html:
        from restbench.report import site

        site.write_site(out, index, paper_infos, cost_pngs, tol_psnr=tol_psnr, tol_ssim=tol_ssim, generated=generated,
                        protocols_doc=None if doc is None else _one_level_down(doc))
    (out / "README.md").write_text(render_index(index, cost_pngs, tol_psnr, tol_ssim, generated, paper_infos,
                                                site=(out / "site" / "index.html").is_file()),
                                   encoding="utf-8")
    return boards


def _one_level_down(link: str) -> str:
    """A relative link as seen from a subfolder (``../docs/x.md`` → ``../../docs/x.md``); URLs unchanged."""
    return link if re.match(r"^[a-z]+:|^/", link) else f"../{link}"


def _boards_already_in(out: Path, written: set[str]) -> list[BoardInfo]:
    """Boards an earlier report left in ``out`` (read back from their CSV), so that a report of
    one test set (``--dataset X``) updates the index instead of dropping the other boards."""
    found = []
    for csv in sorted(out.glob("*.csv")):
        md = csv.with_suffix(".md")
        if csv.name in written or not md.exists():
            continue
        try:
            df = pd.read_csv(csv)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
        if not {"dataset", "verdict", "efficiency_only"} <= set(df.columns) or df.empty:
            continue  # not one of ours
        counts = {k: int(v) for k, v in df["verdict"].value_counts().items()}
        counts["efficiency-only"] = int(df["efficiency_only"].astype(bool).sum())
        found.append(BoardInfo(str(df["dataset"].iloc[0]), md, csv, counts, len(df)))
    return found


def render_index(boards: Sequence[BoardInfo], cost_figs: Sequence[Path], tol_psnr: float, tol_ssim: float, generated: str,
                 papers: Sequence = (), site: bool = False) -> str:
    """README.md: the boards with their verdict counts, the papers' tables with theirs, the cost curves."""
    lines = [
        "# restbench leaderboards",
        "",
        "One board per test set: measured PSNR/SSIM under each paper's protocol next to the paper's numbers, "
        f"with a verdict (REPRODUCED when |ΔPSNR| ≤ {tol_psnr} dB and |ΔSSIM| ≤ {tol_ssim}).",
        "",
    ]
    if site:
        lines += ["A browsable version with sortable tables: [site/index.html](site/index.html) (open it from disk; "
                  "it needs no server or network).", ""]
    if boards:
        rows = [
            {
                "Test set": b.dataset,
                "Rows": b.rows,
                REPRODUCED: b.counts.get(REPRODUCED, 0),
                DEVIATES: b.counts.get(DEVIATES, 0),
                NOT_CLAIMED: b.counts.get(NOT_CLAIMED, 0),
                "Efficiency only": b.counts.get("efficiency-only", 0),
                "Board": f"[{b.markdown.name}]({b.markdown.name})",
                "CSV": f"[{b.csv.name}]({b.csv.name})",
            }
            for b in boards
        ]
        lines.append(pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True))
    else:
        lines.append("_No sealed results found._")
    if papers:
        from restbench.report.paper_tables import NOT_RUN, SUBSET, paper_counts

        per_paper = paper_counts(papers)
        lines += [
            "",
            "## The papers' tables",
            "",
            "Each registered paper table rebuilt with *claimed → measured* in every cell; a claim counts as REPRODUCED "
            "when all its metrics are within tolerance, *not run* when the results store has no full or subset run of it.",
            "",
        ]
        rows = []
        for paper, counts in per_paper.items():
            links = ", ".join(f"[{p.table}](papers/{p.markdown.name})" for p in papers if p.paper == paper)
            rows.append({"Paper": paper, REPRODUCED: counts.get(REPRODUCED, 0), DEVIATES: counts.get(DEVIATES, 0),
                         "Subset only": counts.get(SUBSET, 0), "Not run": counts.get(NOT_RUN, 0),
                         **({"Not measured": counts[NOT_MEASURED]} if any(c.get(NOT_MEASURED) for c in per_paper.values()) else {}),
                         "Tables": links})
        lines.append(pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True))
    if cost_figs:
        lines += ["", "## Cost vs input size", ""]
        lines += [f"![{p.stem}]({p.name})" for p in cost_figs]
    lines += ["", f"_Generated by restbench on {generated}._"]
    return "\n".join(lines) + "\n"
