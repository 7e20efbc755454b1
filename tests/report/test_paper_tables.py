"""The papers' tables (restbench/paper_tables.py): which paper and table a claim belongs to, the
paper's layout (levels in columns or rows, per-level checkpoints sharing a row), claimed → measured
cells with their marks, the "not run" commands, and the README's per-paper counts."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

import pytest

from restbench.report.paper_tables import (
    NOT_RUN,
    SUBSET,
    build_tables,
    claim_paper,
    claim_table,
    short_name,
)
from restbench.plugin.manager import load_plugins
from restbench.registry import Claim
from restbench.report.boards import load_store, write_reports
from restbench.results.verdict import DEVIATES, REPRODUCED, judge

try:
    from test_report import make_summary, md_tables, seal
except ImportError:  # pragma: no cover - run as a package
    from tests.report.test_report import make_summary, md_tables, seal


@pytest.fixture(scope="module")
def registry():
    return load_plugins(autoload=True).registry


@pytest.fixture(scope="module")
def tables(registry):
    return {t.stem: t for t in build_tables(registry, [])}


def test_paper_and_table_from_the_claim_source(registry):
    """Claims carry paper and table (Claim.paper / Claim.table); their cells group by "Table N"."""
    v = registry.variants
    rcan = v["bicubic-x2"].claims[0]  # paper "RCAN (ECCV 2018, arXiv 1807.02758)", table "Table 2, Bicubic row"
    assert claim_paper(rcan, v["bicubic-x2"]) == ("RCAN", rcan.paper) and claim_table(rcan) == "Table 2"
    dn = v["dncnn-s25"].claims[0]  # table "Table III (Set12 average)"
    assert claim_paper(dn, v["dncnn-s25"])[0] == "DnCNN" and claim_table(dn) == "Table III"
    rs = v["restormer-grey-sigma25"].claims[0]
    assert claim_paper(rs, v["restormer-grey-sigma25"])[0] == "Restormer" and claim_table(rs) == "Table 4"
    readme = next(c for c in v["swinir-m-classical-div2k-x2"].claims if c.dataset == "DIV2K-val")
    assert claim_paper(readme, v["swinir-m-classical-div2k-x2"])[0] == "SwinIR"
    assert claim_table(readme) == readme.table and readme.table.startswith("README table")
    legacy = Claim("Set5", 33.66, None, "RCAN (Zhang et al., ECCV 2018), Table 2, Bicubic row")  # free-text source only
    assert claim_paper(legacy, v["bicubic-x2"]) == ("RCAN", "RCAN (Zhang et al., ECCV 2018)") and claim_table(legacy) == "Table 2"
    assert short_name("Wang, Cun, Bao, Zhou, Liu, Li: Uformer: A General U-Shaped Transformer, CVPR 2022 (arXiv:2106.03106)") == "Uformer"
    assert short_name("Zhang et al., Beyond a Gaussian Denoiser: Residual Learning") is None


def test_explicit_claim_paper_and_table_fields_win():
    """The registry is gaining Claim.paper / Claim.table; when present they decide the grouping."""

    @dataclass(frozen=True)
    class NewClaim(Claim):
        paper: str | None = None
        table: str | None = None

    from restbench.registry import Variant

    v = Variant(id="m-s25", arch="m", task="gaussian-denoising", sigma=25, paper="Someone et al., Other: A title")
    c = NewClaim("Set12", 30.0, source="a talk, Table 9", paper="MyNet", table="Table 3a")
    assert claim_paper(c, v) == ("MyNet", "MyNet") and claim_table(c) == "Table 3a"
    # without them: "Table N" from the free-text source, the name from the variant's citation
    bare = replace(c, paper=None, table=None)
    assert claim_paper(bare, v) == ("Other", "Someone et al., Other: A title") and claim_table(bare) == "Table 9"


def test_denoising_table_levels_in_columns_and_per_sigma_checkpoints_share_a_row(tables):
    t4 = tables["Restormer-Table4"]
    assert (t4.paper, t4.table, t4.column_level(), t4.row_level()) == ("Restormer", "Table 4", "sigma", None)
    assert [r[0] for r in t4.rows()] == ["restormer-grey-sigma{15,25,50}", "restormer-grey-blind"]
    assert [(ds, s, m) for ds, s, m in t4.columns()] == [
        (ds, s, ("psnr",)) for ds in ("Set12", "BSD68", "Urban100") for s in (15, 25, 50)]
    assert t4.counts()[NOT_RUN] == 18 and sum(t4.counts().values()) == 18


def test_sr_table_keeps_the_scale_in_the_rows(tables):
    rcan = tables["RCAN-Table2"]
    assert (rcan.column_level(), rcan.row_level()) == (None, "scale")
    assert [(label, s) for label, s, _ in rcan.rows()] == [("bicubic-x2", 2), ("bicubic-x3", 3), ("bicubic-x4", 4), ("bicubic-x8", 8)]
    assert [c[0] for c in rcan.columns()] == ["Set5", "Set14", "BSD100", "Urban100", "Manga109"]
    assert all(m == ("psnr", "ssim") for _, _, m in rcan.columns())


def run_parser():
    from restbench.cli import build_parser

    return build_parser()


def test_every_not_run_command_plans_exactly_the_claim(registry, tables):
    """The command in a "not run" cell, parsed by the real CLI and planned, measures that very claim."""
    from restbench.engine.plan import Level, make_plan

    parser = run_parser()
    n = blocked = 0
    for t in tables.values():
        for cell in t.cells:
            assert cell.status == NOT_RUN
            if cell.command is None:
                if cell.claim.dataset not in registry.datasets:
                    assert cell.why_not == f"test set {cell.claim.dataset} is not registered in restbench"
                else:  # e.g. DnCNN-3's grey SR model on the RGB SR sets: said, never offered as a command
                    assert cell.why_not.startswith("restbench cannot run it yet: ") and "grey model" in cell.why_not
                    blocked += 1
                continue
            argv = shlex.split(cell.command)
            assert argv[:2] == ["restbench", "run"]
            args = parser.parse_args(argv[1:])
            plan = make_plan(registry, [registry.variants[args.models]], args.dataset,
                             Level(sigma=args.sigma, scale=args.scale, quality=args.quality), args.protocol,
                             args.channels, frozenset({args.models}))
            (job,) = plan.jobs
            assert job.variant is cell.variant and job.protocol == cell.expected_protocol
            # a split claim (DPDD indoor) is measured by the whole-set run, as the split summary it records
            summary = dict(variant=job.variant.id, dataset=job.dataset, channels=job.channels, sigma=job.level.sigma,
                           scale=job.level.scale, quality=job.level.quality, psnr=cell.claim.psnr, ssim=cell.claim.ssim,
                           subset=cell.claim.subset)
            assert judge(summary, cell.variant).claim is cell.claim, cell.command
            n += 1
    # every registered claim on a registered set (DIV2K-val and DND are not registered)
    assert n + blocked == sum(c.dataset in registry.datasets for v in registry.variants.values() for c in v.claims)
    assert n > 150 and blocked == 9  # DnCNN-3 SR x2/x3/x4 on Set5, Set14, BSD100


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "results"
    seal(root, make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25))
    seal(root, make_summary("dncnn-b-grey", "dncnn", "Set12", 30.4501, sigma=25))
    seal(root, make_summary("dncnn-s15", "dncnn", "Set12", 32.8650, sigma=15, limit=2, n=2))
    seal(root, make_summary("dncnn-s50", "dncnn", "Set12", 27.18, sigma=50, eff=True))  # random weights: no cell
    # ×2: PSNR off by +0.0134, SSIM within tolerance (the real Set5 bicubic result)
    seal(root, make_summary("bicubic-x2", "bicubic", "Set5", 33.6734, 0.93027, scale=2, channels="rgb"))
    seal(root, make_summary("bicubic-x4", "bicubic", "Set5", 28.4290, 0.81114, scale=4, channels="rgb"))
    return root


def test_paper_table_cells_claimed_to_measured(store, registry, tmp_path):
    out = tmp_path / "lb"
    write_reports(load_store(store), out, registry, plots=False, protocols_doc="../docs/protocols.md")
    md = (out / "papers" / "DnCNN-TableIII.md").read_text()
    assert md.startswith("# DnCNN — Table III\n\nDnCNN (TIP 2017, arXiv 1608.03981)")
    assert "6 claim(s): 1 REPRODUCED, 1 DEVIATES, 1 subset only, 3 not run." in md
    (df,) = md_tables(md)
    assert list(df.columns) == ["Method / checkpoint", "Set12 σ15 PSNR", "Set12 σ25 PSNR", "Set12 σ50 PSNR"]
    rows = {r["Method / checkpoint"]: r for r in df.to_dict("records")}
    assert set(rows) == {"`dncnn-s{15,25,50}`", "`dncnn-b-grey`"}
    per_sigma, blind = rows["`dncnn-s{15,25,50}`"], rows["`dncnn-b-grey`"]
    assert per_sigma["Set12 σ25 PSNR"].startswith("30.44 → 30.4449 (+0.0049) ✅[^")
    assert per_sigma["Set12 σ15 PSNR"].startswith("32.86 → 32.8650 (+0.0050) ⚠ subset of 2 images")
    # efficiency-only runs never fill a cell
    assert per_sigma["Set12 σ50 PSNR"] == "27.18 → not run: `restbench run --models dncnn-s50 --dataset Set12 --sigma 50`"
    assert blind["Set12 σ25 PSNR"].startswith("30.36 → 30.4501 (+0.0901) ❌[^")
    assert blind["Set12 σ15 PSNR"] == "32.68 → not run: `restbench run --models dncnn-b-grey --dataset Set12 --sigma 15`"
    # measured cells have a footnote with the protocol's docs link and the board
    assert ("`dncnn-s25` on Set12 σ25 — REPRODUCED; protocol [`kair-denoise`](../../docs/protocols.md#kair-denoise); "
            "3 images") in md and "board [Set12.md](../Set12.md)" in md

    rcan = (out / "papers" / "RCAN-Table2.md").read_text()
    (df,) = md_tables(rcan)
    x2 = df[df["Method / checkpoint"] == "`bicubic-x2`"].iloc[0]
    # a mark per metric: PSNR out of tolerance, SSIM within; the claim as a whole DEVIATES
    assert x2["Scale"] == "×2" and x2["Set5 PSNR"].startswith("33.66 → 33.6734 (+0.0134) ❌")
    assert x2["Set5 SSIM"] == "0.9299 → 0.9303 (+0.0004) ✅"
    assert x2["Set14 PSNR"] == "30.24 → not run: `restbench run --models bicubic-x2 --dataset Set14 --scale 2`"
    assert x2["Set14 SSIM"] == "0.8688 → not run"
    assert "20 claim(s): 1 REPRODUCED, 1 DEVIATES, 18 not run." in rcan

    # README: one row per paper with its counts and links to its tables
    readme = (out / "README.md").read_text()
    papers = md_tables(readme)[1]
    dncnn = papers[papers["Paper"] == "DnCNN"].iloc[0]
    n_dncnn = sum(claim_paper(c, v)[0] == "DnCNN" for v in registry.variants.values() for c in v.claims)
    assert (dncnn[REPRODUCED], dncnn[DEVIATES], dncnn["Subset only"], dncnn["Not run"]) == ("1", "1", "1", str(n_dncnn - 3))
    assert "[Table III](papers/DnCNN-TableIII.md)" in dncnn["Tables"] and "[Table II](papers/DnCNN-TableII.md)" in dncnn["Tables"]
    n_restormer = sum(claim_paper(c, v)[0] == "Restormer" for v in registry.variants.values() for c in v.claims)
    assert papers[papers["Paper"] == "Restormer"].iloc[0]["Not run"] == str(n_restormer) == "59"


def test_a_run_under_another_protocol_is_shown_and_said_so(tmp_path, registry):
    root = tmp_path / "results"
    s = make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25)
    s["protocol"] = "swinir-denoise"
    seal(root, s)
    (t,) = [t for t in build_tables(registry, [s]) if t.stem == "DnCNN-TableIII"]
    (cell,) = [c for c in t.cells if c.summary is not None]
    assert cell.status == REPRODUCED and cell.expected_protocol == "kair-denoise"
    from restbench.report.paper_tables import render_table

    assert "protocol `swinir-denoise` (not the paper's own, `kair-denoise`)" in render_table(t)
    # with a run under the paper's own protocol too, that one is shown
    own = make_summary("dncnn-s25", "dncnn", "Set12", 30.10, sigma=25, finished="2020-01-01T00:00:00+00:00")
    (t,) = [t for t in build_tables(registry, [s, own]) if t.stem == "DnCNN-TableIII"]
    (cell,) = [c for c in t.cells if c.summary is not None]
    assert cell.summary["protocol"] == "kair-denoise" and cell.status == DEVIATES


def test_unregistered_sets_and_stale_tables(store, registry, tmp_path):
    out = tmp_path / "lb"
    (out / "papers").mkdir(parents=True)
    (out / "papers" / "Old-Table9.md").write_text("# Old\n\n_Generated by restbench on 2020-01-01._\n")
    (out / "papers" / "notes.md").write_text("my own notes\n")
    write_reports(load_store(store), out, registry, plots=False)
    names = {p.name for p in (out / "papers").iterdir()}
    assert "Old-Table9.md" not in names and "notes.md" in names  # only our own stale files go
    tables = {p.name: p.read_text() for p in (out / "papers").glob("*.md")}
    dnd = [name for name, md in tables.items() if "→ not run (test set DND is not registered in restbench)" in md]
    assert sorted(dnd) == ["Restormer-Table6.md", "Uformer-Table1.md"]  # DND: no public ground truth, online server only
    grey_sr = [name for name, md in tables.items() if "restbench cannot run it yet: grey model, rgb test set" in md]
    assert grey_sr and all(name.startswith("DnCNN") for name in grey_sr)
    assert SUBSET == "subset only"


def test_a_claim_on_a_published_split_is_filled_by_that_split_only(registry):
    """A DPDD indoor claim is judged by the indoor means a whole-set run records, never by the whole set; with
    no run it offers the whole-set command (which measures it); a split DPDD does not define cannot run."""
    from restbench.report.paper_tables import fill_cell
    from restbench.results.verdict import split_summaries

    v = registry.variants["restormer-defocus-single"]
    (indoor,) = [c for c in v.claims if c.subset == "indoor"]  # Table 3: 28.87 / 0.882
    whole_run = dict(kind="summary", variant=v.id, dataset="DPDD", psnr=25.0, ssim=0.8, sigma=None, scale=None,
                     quality=None, channels=v.channels, efficiency_only=False, settings={}, n_images=76,
                     subsets={"indoor": dict(n_images=37, psnr=28.874, ssim=0.8825, images=[]),
                              "outdoor": dict(n_images=39, psnr=24.1, ssim=0.75, images=[])})
    cell = fill_cell(v, indoor, [whole_run], registry, 0.01, 0.001)  # the whole-set summary alone: not judged
    assert cell.status == NOT_RUN and cell.command == "restbench run --models restormer-defocus-single --dataset DPDD --metrics lpips"
    cell = fill_cell(v, indoor, [whole_run, *split_summaries(whole_run)], registry, 0.01, 0.001)
    assert cell.status == "REPRODUCED" and cell.summary["n_images"] == 37 and cell.summary["psnr"] == 28.874
    night = fill_cell(v, Claim("DPDD", 28.0, None, "test", subset="night"), [whole_run], registry, 0.01, 0.001)
    assert night.status == NOT_RUN and night.command is None
    assert "'night' split of DPDD, which restbench's DPDD does not define (its splits are indoor, outdoor" in night.why_not

