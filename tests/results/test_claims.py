"""`restbench claims` lists every registered claim with its provenance; `verify` cites it and
counts, per paper, what is REPRODUCED / DEVIATES / not yet run / untraced."""

from __future__ import annotations

import json

import pytest

from restbench.cli import main
from restbench.plugin import manager as plugins
from restbench.registry import SOURCE_KINDS
from restbench.results.claims import claim_rows, paper_tally
from restbench.results.verdict import judge_in
from tests.report.test_report import make_summary, run_cli, seal


@pytest.fixture(scope="module")
def registry():
    return plugins.load_plugins(autoload=True).registry


def test_claim_rows_cover_every_registered_claim(registry):
    rows = claim_rows(registry)
    assert len(rows) == sum(len(v.claims) for v in registry.variants.values()) > 150
    assert {r["source_kind"] for r in rows} <= set(SOURCE_KINDS)
    set12 = [r for r in claim_rows(registry, [registry.variants["dncnn-s25"]], ["set12"])]
    assert [(r["dataset"], r["sigma"], r["psnr"], r["table"], r["source_kind"]) for r in set12] == [
        ("Set12", 25, 30.44, "Table III (Set12 average)", "third-party quote")]


def test_claims_command_json_and_filters(capsys):
    plugins.reset()
    assert main(["claims", "--models", "dncnn-b-color", "--dataset", "CBSD68", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["count"] == len(doc["claims"]) >= 4
    s35 = [r for r in doc["claims"] if r["sigma"] == 35]
    assert len(s35) == 1 and s35[0]["psnr"] == 29.58 and s35[0]["paper"].startswith("DnCNN")
    assert all(set(r) >= {"variant", "dataset", "paper", "table", "source_kind", "source_ref", "psnrb", "lpips", "mae"}
               for r in doc["claims"])


def test_claims_command_table_names_unknown_models_clearly(capsys):
    plugins.reset()
    assert main(["claims", "--models", "swinir", "--dataset", "Set5"]) == 0
    out, err = capsys.readouterr()
    assert "swinir-m-classical-div2k-x2" in out and "SOURCE" in out and "claim(s)" in err
    assert main(["claims", "--models", "nosuchnet"]) == 2
    assert "unknown model 'nosuchnet'" in capsys.readouterr().err


def test_verify_cites_sources_and_counts_per_paper(tmp_path, registry, capsys):
    store = tmp_path / "results"
    seal(store, make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25))    # REPRODUCED
    seal(store, make_summary("dncnn-s15", "dncnn", "Set12", 32.8650, sigma=15))    # REPRODUCED
    seal(store, make_summary("dncnn-b-grey", "dncnn", "Set12", 30.4501, sigma=25))  # DEVIATES (30.36)
    seal(store, make_summary("dncnn-s25", "dncnn", "BSD68", 29.0, sigma=25, limit=2))  # subset: not a run
    assert run_cli(["verify", "--results", str(store), "--models", "dncnn", "--json"], registry) == 1
    doc = json.loads(capsys.readouterr().out)
    s25 = next(r for r in doc["verdicts"] if r["variant"] == "dncnn-s25" and r["dataset"] == "Set12")
    assert s25["table"] == "Table III (Set12 average)" and s25["source_kind"] == "third-party quote" and s25["source_ref"]
    (dncnn,) = [p for p in doc["papers"] if p["paper"].startswith("DnCNN")]
    in_scope = [c for v in registry.variants.values() if v.arch == "dncnn" for c in v.claims]
    assert dncnn["claims"] == len(in_scope)
    assert (dncnn["reproduced"], dncnn["deviates"]) == (2, 1)
    assert dncnn["not_yet_run"] == len(in_scope) - 3
    assert dncnn["untraced"] == sum(not c.traced for c in in_scope) == 0  # every DnCNN cell is cited now
    restormer = [v for v in registry.variants.values() if v.arch == "restormer"]
    (t,) = paper_tally(registry, [], restormer)
    assert (t.claims, t.untraced, t.not_run) == (59, 21, 59)  # the blind rows of Tables 4-5

    run_cli(["verify", "--results", str(store), "--models", "dncnn"], registry)
    text = capsys.readouterr().out
    assert "NOT_YET_RUN" in text and "UNTRACED" in text  # the per-paper table's header


def test_paper_tally_ignores_subset_runs(registry):
    s = make_summary("dncnn-s25", "dncnn", "Set12", 30.44, sigma=25, limit=3)
    v = judge_in(s, registry)
    assert v.partial
    (t,) = [t for t in paper_tally(registry, [(s, v)], [registry.variants["dncnn-s25"]])]
    assert (t.claims, t.reproduced, t.not_run) == (2, 0, 2)


def test_verify_run_reaches_a_split_claim_through_its_set_and_refuses_an_unknown_split():
    """``verify --run`` measures a DPDD-indoor claim with the whole-set run (which records the split's
    means); a split the set does not define is unreachable with the reason, never a whole-set run."""
    from dataclasses import replace
    from types import SimpleNamespace

    from restbench.engine.claims import reachable
    from restbench.plugin.manager import load_plugins
    from restbench.registry import Claim

    reg = load_plugins(autoload=True).registry
    v = replace(reg.variants["restormer-defocus-single"], claims=(Claim("DPDD", 28.0, None, "test", subset="indoor"),
                                                                 Claim("DPDD", 27.0, None, "test", subset="night")))
    jobs, unreachable = reachable(SimpleNamespace(registry=reg), [v], None, {}, progress=False)
    assert jobs == [] and len(unreachable) == 2
    indoor, night = unreachable
    assert indoor == f"{v.id} on DPDD (indoor): test set not on disk (restbench download-data DPDD)"
    assert night == (f"{v.id} on DPDD (night): the claim is for the 'night' split of DPDD, which restbench's DPDD "
                     "does not define (its splits are indoor, outdoor; a DatasetSpec lists them in `splits`)")
