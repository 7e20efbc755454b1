"""A static HTML version of the leaderboards: ``<out>/site/index.html``, one page per test set and
one per paper table.

Everything a page needs is in the folder: CSS and the sorting script are inline (a few lines of
vanilla JS, no framework, no CDN), figures are the reports' SVG files copied into ``site/figures``
and linked relatively, so the pages open from disk (``file://``), on GitHub Pages or in a static
Hugging Face Space alike, with no server and no network. Tables sort by clicking (or pressing
Enter on) a column header; a second click reverses the order; empty cells stay last.

Board pages are rendered from the boards' CSV files, so a ``report --dataset X --html`` still
gives a site with every board an earlier report left. Provenance — the full protocol settings,
weight and dataset hashes, versions, commit, date and device — sits in a collapsible
``<details>`` footnote under each table, complete (the markdown footnotes only name the protocol).
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from restbench.results.verdict import DECIMALS, DEVIATES, NOT_CLAIMED, NOT_MEASURED, REPRODUCED
from restbench.report.text import board_stem

SITE_DIR = "site"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1400px;
padding:0 1rem;color:#1b1f24;background:#fff;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.2rem;margin-top:2rem}
nav{font-size:.9rem;margin-bottom:1rem}nav a{margin-right:1rem}
.wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f6f8fa;position:sticky;top:0}
table.sortable thead th{cursor:pointer;user-select:none}
table.sortable thead th::after{content:" \\2195";color:#8c959f}
table.sortable thead th[aria-sort=ascending]::after{content:" \\25B2";color:#1b1f24}
table.sortable thead th[aria-sort=descending]::after{content:" \\25BC";color:#1b1f24}
.v-reproduced{background:#dafbe1}.v-deviates{background:#ffebe9;font-weight:600}
.v-not-claimed,.v-none{color:#57606a}.v-subset-only{background:#fff8c5}.v-not-run{background:#f6f8fa;color:#57606a}
.v-not-measured{background:#fff8c5}
code{font-size:.85em;background:#f6f8fa;padding:0 .2em;border-radius:3px}
details{margin:1rem 0;font-size:.85rem}details li{margin:.3rem 0}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #d0d7de}
figcaption{font-size:.85rem;color:#57606a}
.legend{font-size:.85rem;color:#3d444d;max-width:70rem}
footer{margin-top:2rem;font-size:.8rem;color:#57606a}
"""

# Sorting: numbers (data-sort) numerically, other text with numeric-aware collation; empties last.
JS = """
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }
  function sortBy(table, col, th) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }
      var nx = Number(x), ny = Number(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, undefined, {numeric: true});
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.title = "sort by this column";
      th.addEventListener("click", function () { sortBy(table, col, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, col, th); }
      });
    });
  });
})();
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _f(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _has(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and x != ""


def verdict_class(status) -> str:
    """CSS class of a verdict / paper-table status (``REPRODUCED`` → ``v-reproduced``)."""
    if not _has(status):
        return "v-none"
    return "v-" + str(status).lower().replace(" ", "-")


def _page(title: str, body: str, generated: str, nav: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<nav><a href=\"index.html\">restbench leaderboards</a>{nav}</nav>\n{body}\n"
        f"<footer>Generated by restbench on {_e(generated)} from the results store; no network needed to view.</footer>\n"
        f"<script>{JS}</script>\n</body>\n</html>\n"
    )


def _td(text, sort=None, cls: str = "", raw: bool = False) -> str:
    attrs = ""
    if sort is not None:
        attrs += f' data-sort="{_e(sort)}"'
    if cls:
        attrs += f' class="{cls}"'
    return f"<td{attrs}>{text if raw else _e(text)}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], table_id: str) -> str:
    head = "".join(f"<th scope=\"col\">{_e(h)}</th>" for h in headers)
    body = "\n".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return (f'<div class="wrap"><table class="sortable" id="{_e(table_id)}">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table></div>")


def _numcell(x, nd: int, sign: bool = False, scale: float = 1.0) -> str:
    v = _f(x)
    if v is None:
        return _td("", "", "num")
    v = v / scale
    return _td(f"{v:+.{nd}f}" if sign else f"{v:.{nd}f}", repr(v), "num")


def _json_cell(x) -> dict:
    if not _has(x):
        return {}
    if isinstance(x, Mapping):
        return dict(x)
    try:
        return json.loads(x)
    except (TypeError, ValueError):
        return {"value": str(x)}


def _protocol_link(name, doc: str | None) -> str:
    from restbench.protocols import PROTOCOLS
    from restbench.report.text import heading_slug

    if not _has(name):
        return "?"
    if doc and name in PROTOCOLS:
        return f'<a href="{_e(doc)}#{_e(heading_slug(str(name)))}"><code>{_e(name)}</code></a>'
    return f"<code>{_e(name)}</code>"


def _provenance(i: int, r: Mapping, doc: str | None) -> str:
    """One complete provenance entry (what the CSV holds, readable)."""
    settings = _json_cell(r.get("protocol_settings"))
    versions = _json_cell(r.get("versions"))
    if not versions:
        versions = {k: r.get(c) for k, c in (("restbench", "restbench_version"), ("plugin", "plugin"),
                                              ("plugin_version", "plugin_version"), ("torch", "torch_version")) if _has(r.get(c))}
    eff = bool(r.get("efficiency_only"))
    if eff:
        weights = "random init (efficiency only)"
    elif _has(r.get("weights_sha256")):
        weights = (f"<code>{_e(r.get('weights_file'))}</code> sha256 <code>{_e(r.get('weights_sha256'))}</code> "
                   f"from {_e(r.get('weights_source'))}")
    else:
        weights = "none (weight-free model)"
    parts = [
        f"protocol {_protocol_link(r.get('protocol'), doc)}"
        + (f" with settings <code>{_e(json.dumps(settings, sort_keys=True, default=str))}</code>" if settings else ""),
        f"{_e(int(_f(r.get('n_images')) or 0))} images",
        f"weights {weights}",
        f"dataset manifest <code>{_e(r.get('manifest_hash') if _has(r.get('manifest_hash')) else '—')}</code>",
    ]
    if _has(r.get("claim_source")):
        parts.append(f"claim: {_e(r.get('claim_source'))}")
    if versions:
        parts.append("versions " + _e(", ".join(f"{k} {v}" for k, v in versions.items() if _has(v))))
    if _has(r.get("git_commit")):
        parts.append(f"git <code>{_e(r.get('git_commit'))}</code>")
    parts.append(f"finished {_e(r.get('finished') if _has(r.get('finished')) else '?')} on {_e(r.get('device') if _has(r.get('device')) else '?')}")
    if _has(r.get("job_key")):
        parts.append(f"job <code>{_e(r.get('job_key'))}</code>")
    if _f(r.get("superseded_runs")):
        parts.append(f"{int(_f(r.get('superseded_runs')))} other run(s) of this job not shown")
    label = " ".join(str(x) for x in (r.get("variant"), r.get("level")) if _has(x))
    return f'<li id="prov-{i}"><strong>{_e(label)}</strong> — ' + "; ".join(parts) + ".</li>"


def _figures_html(figs: Sequence[tuple[str, str]]) -> str:
    if not figs:
        return ""
    out = ["<h2>Figures</h2>"]
    for caption, src in figs:
        out.append(f'<figure><img src="{_e(src)}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>')
    return "\n".join(out)


def board_page(dataset: str, df: pd.DataFrame, figs: Sequence[tuple[str, str]], generated: str,
               protocols_doc: str | None = None, tol_psnr: float = 0.01, tol_ssim: float = 0.001) -> str:
    """The HTML page of one board, from its CSV rows (:func:`restbench.report.csv_frame`)."""
    from restbench.report.text import notes_text

    recs = df.to_dict("records")
    have_psnrb = "psnrb" in df and df["psnrb"].notna().any()
    have_prof = "macs" in df and df["macs"].notna().any()
    size = next((str(x) for x in df.get("profile_size", pd.Series(dtype=object)).dropna()), "")
    headers = ["Variant", "Level", "Ch.", "PSNR (dB)", "SSIM", *(["PSNR-B (dB)"] if have_psnrb else []),
               "Paper PSNR", "Paper SSIM", "ΔPSNR", "ΔSSIM", "Verdict", "Params (M)",
               *([f"MACs @{size} (G)", "Peak mem (MiB)", f"Latency @{size} (ms)"] if have_prof else []),
               "Run ms/img", "Licence", "Notes", "Run"]
    rows = []
    for i, r in enumerate(recs, start=1):
        eff = bool(r.get("efficiency_only"))
        q = (lambda cell: _td("—", "", "num") if eff else cell)
        verdict = r.get("verdict")
        row = [
            _td(f"<code>{_e(r.get('variant'))}</code>", str(r.get("variant")), raw=True),
            _td(r.get("level") if _has(r.get("level")) else "—", _level_sort(r)),
            _td(r.get("channels") if _has(r.get("channels")) else ""),
            q(_numcell(r.get("psnr"), 4)),
            q(_numcell(r.get("ssim"), 4)),
            *([q(_numcell(r.get("psnrb"), 4))] if have_psnrb else []),
            q(_td(repr(_f(r.get("claimed_psnr"))) if _f(r.get("claimed_psnr")) is not None else "", _f(r.get("claimed_psnr")) or "", "num")),
            q(_td(repr(_f(r.get("claimed_ssim"))) if _f(r.get("claimed_ssim")) is not None else "", _f(r.get("claimed_ssim")) or "", "num")),
            q(_numcell(r.get("d_psnr"), DECIMALS["psnr"], sign=True)),
            q(_numcell(r.get("d_ssim"), DECIMALS["ssim"], sign=True)),
            _td("—" if eff else (verdict if _has(verdict) else ""), "" if eff or not _has(verdict) else verdict,
                verdict_class(None if eff else verdict)),
            _numcell(r.get("params"), 3, scale=1e6),
        ]
        if have_prof:
            row += [_numcell(r.get("macs"), 2, scale=1e9), _numcell(r.get("peak_memory_bytes"), 0, scale=2**20)]
            lat = _f(r.get("latency_ms"))
            row.append(_td("" if lat is None else f"{lat:.1f} ({r.get('latency_device')})", "" if lat is None else repr(lat), "num"))
        row += [_numcell(r.get("run_ms_per_image"), 1), _td(r.get("licence") if _has(r.get("licence")) else ""),
                _td(notes_text({k: (None if not _has(v) else v) for k, v in r.items()} | {
                    "efficiency_only": eff, "partial": bool(r.get("partial")), "self_ensemble": bool(r.get("self_ensemble")),
                    "tiled_images": int(_f(r.get("tiled_images")) or 0), "n_images": int(_f(r.get("n_images")) or 0)})),
                _td(f'<a href="#prov-{i}">[{i}]</a>', i, raw=True)]
        rows.append(row)
    counts = df["verdict"].value_counts() if "verdict" in df else {}
    summary = ", ".join(f"{int(counts.get(k, 0))} {k.lower()}" for k in (REPRODUCED, DEVIATES, NOT_CLAIMED, NOT_MEASURED)
                        if counts.get(k, 0))
    n_eff = int(df["efficiency_only"].astype(bool).sum()) if "efficiency_only" in df else 0
    if n_eff:
        summary += (", " if summary else "") + f"{n_eff} efficiency-only"
    body = [
        f"<h1>{_e(dataset)}</h1>",
        f"<p>{len(df)} row(s){': ' + _e(summary) if summary else ''}. Click a column header to sort.</p>",
        _table(headers, rows, "board"),
        f'<p class="legend">PSNR/SSIM are means over the test set under the protocol in each row\'s provenance entry. '
        f"<em>Paper</em> columns are the paper's numbers as published; Δ = measured − paper; REPRODUCED when "
        f"|ΔPSNR| ≤ {tol_psnr} dB and |ΔSSIM| ≤ {tol_ssim}. Efficiency-only rows ran with random weights: their "
        "quality is not shown. A subset row ran on the first N images only and cannot confirm or refute a claim.</p>",
        f"<details><summary>Provenance of the {len(recs)} row(s)</summary><ol>"
        + "".join(_provenance(i, r, protocols_doc) for i, r in enumerate(recs, start=1)) + "</ol></details>",
        _figures_html(figs),
    ]
    return _page(f"{dataset} — restbench", "\n".join(body), generated, f'<a href="{_e(_page_name(dataset))}">{_e(dataset)}</a>')


def _level_sort(r: Mapping) -> str:
    vals = [_f(r.get(k)) for k in ("scale", "sigma", "quality")]
    return " ".join(f"{v:08.2f}" if v is not None else "" for v in vals).strip()


def _page_name(dataset: str) -> str:
    return f"{board_stem(dataset)}.html"


def paper_page(pt, generated: str, tol_psnr: float, tol_ssim: float, protocols_doc: str | None = None) -> str:
    """The HTML page of one paper table (:class:`restbench.report.paper_tables.PaperTable`)."""
    from restbench.report.paper_tables import LEVEL_SYMBOL, NOT_RUN, STATUSES, cell_text

    tol = {"psnr": tol_psnr, "ssim": tol_ssim}
    col, rowl = pt.column_level(), pt.row_level()
    columns = pt.columns()
    headers = ["Method / checkpoint", *(["Scale"] if rowl else [])]
    for ds, val, metrics in columns:
        for m in metrics:
            headers.append(" ".join(x for x in (ds, f"{LEVEL_SYMBOL[col]}{val}" if col and val is not None else "", m.upper()) if x))
    rows = []
    for label, rval, cells in pt.rows():
        row = [_td(f"<code>{_e(label)}</code>", label, raw=True)]
        if rowl:
            row.append(_td(f"{LEVEL_SYMBOL[rowl]}{rval}" if rval is not None else "—", rval if rval is not None else ""))
        for ds, val, metrics in columns:
            cell = cells.get((ds, val))
            for k, m in enumerate(metrics):
                text = cell_text(cell, m, k == 0, tol)
                if cell is None or getattr(cell.claim, m) is None:
                    row.append(_td("—", ""))
                    continue
                measured = _f(cell.summary.get(m)) if cell.summary is not None else None
                ok = cell.metric_ok(m, tol[m]) if cell.status not in (NOT_RUN,) else None
                cls = verdict_class(cell.status) if ok is None or cell.status not in (REPRODUCED, DEVIATES) else (
                    "v-reproduced" if ok else "v-deviates")
                row.append(_td(_md_code(text), "" if measured is None else repr(measured), cls, raw=True))
        rows.append(row)
    counts = pt.counts()
    summary = ", ".join(f"{counts[k]} {k}" for k in STATUSES if counts.get(k))
    body = [
        f"<h1>{_e(pt.title)}</h1>",
        f"<p>{_e(pt.citation)}.</p>",
        f"<p>{len(pt.cells)} claim(s): {_e(summary)}. Click a column header to sort.</p>",
        _table(headers, rows, "paper-table"),
        f'<p class="legend">Each cell is <em>claimed → measured (Δ)</em>: ✓ (green) when |Δ| ≤ {tol_psnr} dB (PSNR) / '
        f"{tol_ssim} (SSIM), ✗ (red) otherwise. A claim is REPRODUCED only when all its metrics are ✓. <em>not run</em> "
        "cells give the <code>restbench run</code> command that measures them.</p>",
    ]
    measured = [c for c in pt.cells if c.summary is not None]
    if measured:
        items = []
        for i, c in enumerate(measured, start=1):
            s = dict(c.summary)
            s["level"] = " ".join(str(x) for x in (s.get("dataset"), _level_text(c.level)) if x)
            s["claim_source"] = c.claim.source
            s["protocol_settings"] = s.get("protocol_settings")
            w = s.get("weights") or {}
            s.update(weights_file=w.get("file"), weights_sha256=w.get("sha256"), weights_source=w.get("source"))
            items.append(_provenance(i, s, protocols_doc))
        body.append(f"<details><summary>Provenance of the {len(measured)} measured claim(s)</summary><ol>"
                    + "".join(items) + "</ol></details>")
    return _page(f"{pt.title} — restbench", "\n".join(body), generated)


def _level_text(level: Mapping) -> str:
    from restbench.report.paper_tables import level_text

    return level_text(level)


# The markdown tables use ✅/❌; many systems (and headless browsers) lack a colour-emoji font, so
# the pages use the plain check marks every text font has, on the verdict colour.
SITE_MARKS = {"✅": "✓", "❌": "✗"}


def _md_code(text: str) -> str:
    """Escape a paper-table cell and turn its `command` spans into <code>."""
    for emoji, mark in SITE_MARKS.items():
        text = str(text).replace(emoji, mark)
    parts = str(text).split("`")
    return "".join(f"<code>{_e(p)}</code>" if k % 2 else _e(p) for k, p in enumerate(parts))


def _paper_page_name(pt) -> str:
    return f"paper-{pt.stem}.html"


def index_page(boards: Sequence, papers: Sequence, cost_figs: Sequence[tuple[str, str]], generated: str,
               tol_psnr: float, tol_ssim: float) -> str:
    from restbench.report.paper_tables import NOT_RUN, SUBSET

    rows = []
    for b in boards:
        rows.append([
            _td(f'<a href="{_e(_page_name(b.dataset))}">{_e(b.dataset)}</a>', b.dataset, raw=True),
            _td(b.rows, b.rows, "num"),
            _td(b.counts.get(REPRODUCED, 0), b.counts.get(REPRODUCED, 0), "num v-reproduced" if b.counts.get(REPRODUCED) else "num"),
            _td(b.counts.get(DEVIATES, 0), b.counts.get(DEVIATES, 0), "num v-deviates" if b.counts.get(DEVIATES) else "num"),
            _td(b.counts.get(NOT_CLAIMED, 0), b.counts.get(NOT_CLAIMED, 0), "num"),
            _td(b.counts.get("efficiency-only", 0), b.counts.get("efficiency-only", 0), "num"),
        ])
    body = [
        "<h1>restbench leaderboards</h1>",
        "<p>Measured PSNR/SSIM under each paper's own evaluation protocol, next to the paper's numbers, with a verdict "
        f"(REPRODUCED when |ΔPSNR| ≤ {tol_psnr} dB and |ΔSSIM| ≤ {tol_ssim}). Click a column header to sort.</p>",
        "<h2>Test sets</h2>",
        _table(["Test set", "Rows", REPRODUCED, DEVIATES, NOT_CLAIMED, "Efficiency only"], rows, "boards"),
    ]
    if papers:
        prow = []
        for p in papers:
            c = p.counts
            prow.append([
                _td(_e(p.paper), p.paper, raw=True),
                _td(f'<a href="{_e(_paper_page_name(p.source))}">{_e(p.table)}</a>', p.table, raw=True),
                _td(c.get(REPRODUCED, 0), c.get(REPRODUCED, 0), "num v-reproduced" if c.get(REPRODUCED) else "num"),
                _td(c.get(DEVIATES, 0), c.get(DEVIATES, 0), "num v-deviates" if c.get(DEVIATES) else "num"),
                _td(c.get(SUBSET, 0), c.get(SUBSET, 0), "num"),
                _td(c.get(NOT_RUN, 0), c.get(NOT_RUN, 0), "num"),
            ])
        body += ["<h2>The papers' tables</h2>",
                 "<p>Each paper table rebuilt from the registered claims, every cell <em>claimed → measured</em>.</p>",
                 _table(["Paper", "Table", REPRODUCED, DEVIATES, "Subset only", "Not run"], prow, "papers")]
    if cost_figs:
        body += ["<h2>Cost vs input size</h2>"] + [
            f'<figure><img src="{_e(src)}" alt="{_e(cap)}"><figcaption>{_e(cap)}</figcaption></figure>' for cap, src in cost_figs]
    return _page("restbench leaderboards", "\n".join(body), generated)


def board_figure_links(markdown: Path) -> list[tuple[str, str]]:
    """The figures a markdown board shows, [(caption, file name)]: the page shows exactly those (not
    whatever older figure files lie beside it, e.g. after a ``--no-plots`` report)."""
    text = Path(markdown).read_text(encoding="utf-8") if Path(markdown).is_file() else ""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^!\[([^\]]*)\]\(([^)/]+\.png)\)$", text, re.M)]


def _copy_figure(png_or_svg: Path, figdir: Path) -> str | None:
    """Copy a figure's SVG (else its PNG) into ``site/figures``; the relative src, or None if absent."""
    for cand in (png_or_svg.with_suffix(".svg"), png_or_svg.with_suffix(".png")):
        if cand.is_file():
            figdir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cand, figdir / cand.name)
            return f"figures/{cand.name}"
    return None


def write_site(
    out: Path,
    boards: Sequence,
    papers: Sequence = (),
    cost_figs: Sequence[Path] = (),
    *,
    tol_psnr: float = 0.01,
    tol_ssim: float = 0.001,
    generated: str = "",
    protocols_doc: str | None = None,
) -> Path:
    """Write ``out/site``: index, a page per board (``boards``: :class:`restbench.report.BoardInfo`,
    read from their CSVs) and per paper table; returns the index path. The folder is rebuilt."""
    site = Path(out) / SITE_DIR
    if site.is_dir() and (site / "index.html").is_file():
        shutil.rmtree(site)  # ours: rebuilt whole so pages of boards that are gone do not linger
    site.mkdir(parents=True, exist_ok=True)
    figdir = site / "figures"
    for b in boards:
        df = pd.read_csv(b.csv)
        figs = []
        for caption, name in board_figure_links(b.markdown):
            src = _copy_figure(Path(out) / name, figdir)
            if src:
                figs.append((caption, src))
        (site / _page_name(b.dataset)).write_text(
            board_page(b.dataset, df, figs, generated, protocols_doc, tol_psnr, tol_ssim), encoding="utf-8")
    for p in papers:
        (site / _paper_page_name(p.source)).write_text(
            paper_page(p.source, generated, tol_psnr, tol_ssim, protocols_doc), encoding="utf-8")
    costs = [(p.stem.replace("_", " "), src) for p in cost_figs if (src := _copy_figure(Path(p), figdir))]
    index = site / "index.html"
    index.write_text(index_page(boards, papers, costs, generated, tol_psnr, tol_ssim), encoding="utf-8")
    return index
