"""Leaderboards from a small hand-built results store: markdown rows, Δ, verdicts, footnotes, CSV,
the README index, de-duplication of reruns, and the report/verify/publish commands."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from restbench.cli.report import register as add_report_parsers
from restbench.plugin.manager import load_plugins
from restbench.protocols import PROTOCOLS
from restbench.report.boards import Profile, heading_slug, load_store, protocols_doc_link, write_reports
from restbench.results.store import JobStore, job_key

SHA = "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"
REPO = Path(__file__).resolve().parents[2]


def settings_of(name: str) -> dict:
    """What runner.run_job stores: dataclasses.asdict of the protocol (JSON-shaped, as read back)."""
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(PROTOCOLS[name])))
MANIFEST = "9c1e5f7a2b3d4e6f8a0b"


def make_summary(variant, model, dataset, psnr, ssim=None, *, sigma=None, scale=None, channels="grey", task=None,
                 eff=False, n=3, limit=None, finished="2025-03-04T05:06:07+00:00", forward_s=0.6):
    """A summary row shaped like runner.run_job's."""
    return dict(
        kind="summary", model=model, variant=variant, task=task or ("classical-sr" if scale else "gaussian-denoising"),
        dataset=dataset, manifest_hash=MANIFEST, protocol="kair-denoise",
        protocol_settings=settings_of("kair-denoise"),
        sigma=sigma, scale=scale, quality=None, channels=channels, n_images=n, efficiency_only=eff, params=556032,
        weights=dict(file=None if eff else f"{variant}.pth", sha256=None if eff else SHA,
                     source="random init" if eff else "https://github.com/cszn/KAIR/releases/download/v1.0/x.pth"),
        device="cpu (x86_64)",
        settings=dict(tile=None, self_ensemble=False, precision="fp32", limit=limit, efficiency_only=eff),
        tiled_images=0,
        versions=dict(restbench="0.1.0", plugin="dncnn", plugin_version="0.1.0", torch="2.4.1", numpy="2.0.2", python="3.11.2"),
        git_commit="b9aa096deadbeef", seed=0, started=finished, finished=finished, wall_s=1.0, forward_s=forward_s,
        psnr=psnr, ssim=ssim,
    )


def seal(root: Path, s: dict, image_psnrs=None) -> None:
    key = job_key(dict(variant=s["variant"], dataset=s["dataset"], sigma=s["sigma"], scale=s["scale"],
                       eff=s["efficiency_only"], finished=s["finished"], limit=s["settings"]["limit"]))
    s["job_key"] = key
    psnrs = image_psnrs or [s["psnr"]] * s["n_images"]
    rows = [dict(kind="image", image=f"{i:02d}.png", variant=s["variant"], dataset=s["dataset"],
                 **({} if s["efficiency_only"] else {"psnr": p})) for i, p in enumerate(psnrs)]
    JobStore(root, key).seal(rows, s)


@pytest.fixture(scope="module")
def registry():
    return load_plugins(autoload=True).registry


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "results"
    seal(root, make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25))
    seal(root, make_summary("dncnn-b-grey", "dncnn", "Set12", 30.4501, sigma=25))
    seal(root, make_summary("dncnn-s15", "dncnn", "Set12", 32.8650, sigma=15))
    seal(root, make_summary("identity", "identity", "Set12", 20.1700, sigma=25))
    # random weights: even a psnr sneaking into the summary must never be shown
    seal(root, make_summary("dncnn-s50", "dncnn", "Set12", 12.3456, sigma=50, eff=True))
    seal(root, make_summary("dncnn-s25", "dncnn", "BSD68", 29.2300, sigma=25, n=4))
    seal(root, make_summary("bicubic-x2", "bicubic", "Set5", 33.6642, 0.92994, scale=2, channels="rgb"))
    return root


def md_tables(md: str) -> list[pd.DataFrame]:
    """Every pipe table of a markdown text, parsed back into cells (escaped pipes kept as ``|``)."""
    blocks, cur = [], []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    split = lambda l: [c.strip().replace("\x00", "|") for c in l.replace("\\|", "\x00").strip("|").split("|")]
    return [pd.DataFrame([split(l) for l in b[2:]], columns=split(b[0])) for b in blocks]


def board_table(md: str) -> pd.DataFrame:
    """Parse the first pipe table of a board back into cells."""
    return md_tables(md)[0]


def row_of(df: pd.DataFrame, variant: str) -> pd.Series:
    hits = df[df["Variant"].str.contains(f"`{variant}`", regex=False)]
    assert len(hits) == 1, hits
    return hits.iloc[0]


def test_markdown_board_rows_verdicts_and_footnotes(store, registry, tmp_path):
    out = tmp_path / "lb"
    boards = write_reports(load_store(store), out, registry, plots=False, protocols_doc="../docs/protocols.md")
    assert [b.dataset for b in boards] == ["BSD68", "Set12", "Set5"]
    md = (out / "Set12.md").read_text()
    df = board_table(md)
    assert len(df) == 5

    s25 = row_of(df, "dncnn-s25")
    assert (s25["PSNR (dB)"], s25["Paper PSNR"], s25["ΔPSNR"], s25["Verdict"]) == ("30.4449", "30.44", "+0.0049", "REPRODUCED")
    assert s25["Level"] == "σ25" and s25["Licence"] == "MIT"
    blind = row_of(df, "dncnn-b-grey")  # blind variant: the σ25 claim (30.36) applies
    assert (blind["Paper PSNR"], blind["ΔPSNR"], blind["Verdict"]) == ("30.36", "+0.0901", "**DEVIATES**")
    s15 = row_of(df, "dncnn-s15")
    assert (s15["Paper PSNR"], s15["ΔPSNR"], s15["Verdict"]) == ("32.86", "+0.0050", "REPRODUCED")
    ident = row_of(df, "identity")
    assert ident["Verdict"] == "NOT CLAIMED" and ident["Paper PSNR"] == "" and ident["Licence"] == "Apache-2.0"

    eff = row_of(df, "dncnn-s50")
    for col in ("PSNR (dB)", "SSIM", "Paper PSNR", "ΔPSNR", "Verdict"):
        assert eff[col] == "—"
    assert "efficiency only" in eff["Notes"]
    assert "12.3456" not in md and "27.18" not in md  # neither its stray PSNR nor the paper's

    # rows are ordered by level, then PSNR; σ25 ones by PSNR descending
    order = [re.search(r"`(.+?)`", v).group(1) for v in df["Variant"]]
    assert order == ["dncnn-s15", "dncnn-b-grey", "dncnn-s25", "identity", "dncnn-s50"]

    # one footnote per row with the provenance
    notes = {m.group(1): m.group(2) for m in re.finditer(r"^\[\^(\d+)\]: (.*)$", md, re.M)}
    assert len(notes) == 5
    n25 = notes[re.search(r"\[\^(\d+)\]", s25["Variant"]).group(1)]
    for piece in ("protocol [`kair-denoise`](../docs/protocols.md#kair-denoise);", f"sha256 `{SHA[:12]}`",
                  f"manifest `{MANIFEST[:12]}`", "torch 2.4.1", "plugin dncnn 0.1.0", "run 2025-03-04 on cpu (x86_64)",
                  "DnCNN (TIP 2017, arXiv 1608.03981), Table III (Set12 average) (third-party quote: "):
        assert piece in n25, piece
    # the footnote names the protocol and links its section instead of dumping its settings; the claim's
    # citation (paper, table, how the number reached us) is the one long part
    assert "degradation" not in n25 and "ssim_data_range" not in n25 and len(n25) < 650, n25
    n_eff = notes[re.search(r"\[\^(\d+)\]", eff["Variant"]).group(1)]
    assert "random init" in n_eff and SHA[:12] not in n_eff
    assert md.splitlines()[2] == "5 row(s): 2 reproduced, 1 deviates, 1 not claimed, 1 efficiency-only."


def test_ssim_board_and_csv(store, registry, tmp_path):
    out = tmp_path / "lb"
    write_reports(load_store(store), out, registry, plots=False)
    set5 = row_of(board_table((out / "Set5.md").read_text()), "bicubic-x2")
    assert (set5["PSNR (dB)"], set5["SSIM"], set5["Paper SSIM"], set5["ΔPSNR"], set5["ΔSSIM"]) == (
        "33.6642", "0.9299", "0.9299", "+0.0042", "+0.000040")
    assert set5["Verdict"] == "REPRODUCED" and set5["Level"] == "×2"

    csv = pd.read_csv(out / "Set12.csv")
    assert len(csv) == 5
    s25 = csv[csv["variant"] == "dncnn-s25"].iloc[0]
    assert s25["psnr"] == pytest.approx(30.4449) and s25["claimed_psnr"] == 30.44
    assert s25["d_psnr"] == pytest.approx(0.0049) and s25["verdict"] == "REPRODUCED"
    assert s25["weights_sha256"] == SHA and s25["manifest_hash"] == MANIFEST and s25["sigma"] == 25
    assert s25["run_ms_per_image"] == pytest.approx(200.0)  # 0.6 s over 3 images
    eff = csv[csv["variant"] == "dncnn-s50"].iloc[0]
    assert pd.isna(eff["psnr"]) and pd.isna(eff["claimed_psnr"]) and pd.isna(eff["verdict"]) and bool(eff["efficiency_only"])


def test_csv_keeps_the_full_provenance_the_footnote_leaves_out(store, registry, tmp_path):
    out = tmp_path / "lb"
    write_reports(load_store(store), out, registry, plots=False)
    csv = pd.read_csv(out / "Set12.csv")
    s25 = csv[csv["variant"] == "dncnn-s25"].iloc[0]
    assert json.loads(s25["protocol_settings"]) == settings_of("kair-denoise")
    assert json.loads(s25["versions"]) == dict(restbench="0.1.0", plugin="dncnn", plugin_version="0.1.0", torch="2.4.1",
                                               numpy="2.0.2", python="3.11.2")


def test_footnote_says_when_a_run_used_other_protocol_settings(tmp_path, registry):
    root = tmp_path / "results"
    s = make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25)
    s["protocol_settings"] = {**settings_of("kair-denoise"), "crop": 4}  # e.g. run before a protocol fix
    seal(root, s)
    out = tmp_path / "lb"
    write_reports(load_store(root), out, registry, plots=False, protocols_doc="../docs/protocols.md")
    md = (out / "Set12.md").read_text()
    assert "run under different settings than today's definition: see `protocol_settings` in the CSV" in md
    assert json.loads(pd.read_csv(out / "Set12.csv")["protocol_settings"][0])["crop"] == 4


def test_every_protocol_has_a_heading_in_docs_protocols_md():
    """Board footnotes link docs/protocols.md#<protocol>: each protocol needs a heading with that slug."""
    doc = (REPO / "docs" / "protocols.md").read_text(encoding="utf-8")
    slugs = {heading_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", doc, re.M)}
    assert set(PROTOCOLS) <= slugs, sorted(set(PROTOCOLS) - slugs)
    assert heading_slug("`kair-denoise`") == "kair-denoise" and heading_slug("PSNR-B (both CAR protocols)") == "psnr-b-both-car-protocols"
    # the committed boards live in leaderboards/: they link ../docs/protocols.md; a folder elsewhere gets no link
    assert protocols_doc_link(REPO / "leaderboards") == "../docs/protocols.md"
    assert protocols_doc_link(REPO / "leaderboards" / "papers") == "../../docs/protocols.md"
    assert protocols_doc_link(Path("/tmp/somewhere-else")) is None


def test_report_on_an_empty_store_says_so_and_writes_nothing(tmp_path, capsys):
    from restbench.cli import main

    (tmp_path / "empty").mkdir()
    out = tmp_path / "boards"
    code = main(["report", "--results", str(tmp_path / "empty"), "--out", str(out), "--html"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("restbench: warning:")]
    assert lines == [f"restbench: error: the results store {tmp_path / 'empty'} holds no sealed results, so no board "
                     "was written; run `restbench run …` first"]
    # a store with only an unfinished (partial) job is empty too; so is the library call
    JobStore(tmp_path / "empty", "k").append({"kind": "image", "image": "a.png", "psnr": 30.0})
    assert write_reports(load_store(tmp_path / "empty"), out, None) == [] and not out.exists()


def test_readme_index(store, registry, tmp_path):
    out = tmp_path / "lb"
    write_reports(load_store(store), out, registry, plots=False)
    readme = (out / "README.md").read_text()
    idx = board_table(readme)
    assert list(idx["Test set"]) == ["BSD68", "Set12", "Set5"]
    set12 = idx[idx["Test set"] == "Set12"].iloc[0]
    assert (set12["Rows"], set12["REPRODUCED"], set12["DEVIATES"], set12["NOT CLAIMED"], set12["Efficiency only"]) == (
        "5", "2", "1", "1", "1")
    assert set12["Board"] == "[Set12.md](Set12.md)" and set12["CSV"] == "[Set12.csv](Set12.csv)"
    assert "0.01 dB" in readme


def test_report_of_one_test_set_keeps_the_other_boards_in_the_index(store, registry, tmp_path):
    out = tmp_path / "lb"
    write_reports(load_store(store), out, registry, plots=False)
    before = board_table((out / "README.md").read_text())
    (out / "notes.csv").write_text("a,b\n1,2\n")  # a stray CSV that is not a board is ignored
    boards = write_reports(load_store(store), out, registry, plots=False, datasets=["Set5"])
    assert [b.dataset for b in boards] == ["Set5"]
    after = board_table((out / "README.md").read_text())
    assert list(after["Test set"]) == ["BSD68", "Set12", "Set5"]
    cols = ["Rows", "REPRODUCED", "DEVIATES", "NOT CLAIMED", "Efficiency only", "Board", "CSV"]
    assert after[cols].values.tolist() == before[cols].values.tolist()


def test_dataset_filter_and_reruns(store, registry, tmp_path):
    # an older full run and a newer --limit run of the same job: the newest *full* run is shown
    seal(store, make_summary("dncnn-s25", "dncnn", "Set12", 30.1000, sigma=25, finished="2024-01-01T00:00:00+00:00"))
    seal(store, make_summary("dncnn-s25", "dncnn", "Set12", 31.5000, sigma=25, limit=1, n=1,
                             finished="2026-01-01T00:00:00+00:00"))
    out = tmp_path / "lb"
    boards = write_reports(load_store(store), out, registry, datasets=["set12"], plots=False)
    assert [b.dataset for b in boards] == ["Set12"] and not (out / "Set5.md").exists()
    md = (out / "Set12.md").read_text()
    row = row_of(board_table(md), "dncnn-s25")
    assert row["PSNR (dB)"] == "30.4449"
    assert "2 other run(s) of this job not shown" in md


def test_profile_columns(store, registry, tmp_path):
    prof = [dict(variant="dncnn-s15", model="dncnn", same_architecture=["dncnn-s25", "dncnn-s50"], size=s,
                 params=556032, macs=int(36.44e9 * k), gmacs=36.44 * k, peak_memory_bytes=int(80 * 2**20 * k),
                 latency_ms=60.0 * k, device="cpu") for s, k in (("128x128", 0.25), ("256x256", 1.0))]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({"profile": prof}))
    out = tmp_path / "lb"
    write_reports(load_store(store), out, registry, profile=Profile.load(path), plots=False)
    df = board_table((out / "Set12.md").read_text())
    s25 = row_of(df, "dncnn-s25")
    assert s25["MACs @256x256 (G)"] == "36.44" and s25["Peak mem (MiB)"] == "80"
    assert s25["Latency @256x256 (ms)"] == "60.0 (cpu)"
    assert row_of(df, "identity")["MACs @256x256 (G)"] == ""  # not profiled
    assert row_of(df, "dncnn-s50")["MACs @256x256 (G)"] == "36.44"  # efficiency rows keep their costs
    write_reports(load_store(store), out, registry, profile=Profile.load(path, "128x128"), plots=False)
    assert row_of(board_table((out / "Set12.md").read_text()), "dncnn-s25")["MACs @128x128 (G)"] == "9.11"


# ---------------------------------------------------------------- commands


def run_cli(argv, registry):
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="restbench")
    add_report_parsers(parser.add_subparsers(dest="command"), common)
    args = parser.parse_args(argv)
    return args.handler(args, argparse.Namespace(registry=registry))


def test_verify_exit_status(store, registry, capsys):
    assert run_cli(["verify", "--results", str(store)], registry) == 1  # dncnn-b-grey deviates
    text = capsys.readouterr().out
    assert re.search(r"dncnn-b-grey\s+Set12\s+σ25\s+30\.4501\s+30\.36\s+\+0\.0901 .*DEVIATES", text)
    assert "identity" not in text and "dncnn-s50" not in text  # no claim / efficiency-only: not judged
    assert run_cli(["verify", "--results", str(store), "--models", "dncnn-s25,bicubic"], registry) == 0
    assert run_cli(["verify", "--results", str(store), "--models", "dncnn", "--tol-psnr", "0.1"], registry) == 0
    capsys.readouterr()
    run_cli(["verify", "--results", str(store), "--json", "--dataset", "Set5"], registry)
    doc = json.loads(capsys.readouterr().out)
    assert [(r["variant"], r["verdict"]) for r in doc["verdicts"]] == [("bicubic-x2", "REPRODUCED")]
    assert doc["verdicts"][0]["d_ssim"] == pytest.approx(0.00004) and doc["deviating"] == 0


def test_verify_with_nothing_to_verify(tmp_path, registry):
    from restbench.errors import UserError

    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no stored results"):
        run_cli(["verify", "--results", str(tmp_path / "empty")], registry)


def test_report_command(store, registry, tmp_path, capsys):
    out = tmp_path / "boards"
    assert run_cli(["report", "--results", str(store), "--out", str(out), "--dataset", "Set12,BSD68", "--no-plots"], registry) == 0
    assert sorted(p.name for p in out.iterdir()) == ["BSD68.csv", "BSD68.md", "README.md", "Set12.csv", "Set12.md", "papers"]
    assert "DnCNN-TableIII.md" in {p.name for p in (out / "papers").iterdir()}
    assert "site/index.html" not in (out / "README.md").read_text()
    assert run_cli(["report", "--results", str(store), "--out", str(out), "--no-plots", "--html"], registry) == 0
    site = out / "site"
    assert {"index.html", "Set12.html", "BSD68.html", "Set5.html", "paper-DnCNN-TableIII.html"} <= {p.name for p in site.iterdir()}
    assert "[site/index.html](site/index.html)" in (out / "README.md").read_text()


def test_publish_uploads_with_hfapi(store, registry, tmp_path, monkeypatch):
    import huggingface_hub

    calls = []

    class FakeApi:
        def __init__(self, endpoint=None, **kw):
            calls.append(("init", endpoint))

        def create_repo(self, repo_id, **kw):
            calls.append(("create_repo", repo_id, kw))

        def upload_folder(self, **kw):
            calls.append(("upload_folder", kw, sorted(p.name for p in Path(kw["folder_path"]).iterdir())))
            return argparse.Namespace(commit_url="http://127.0.0.1:9/datasets/me/boards/commit/1")

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    out = tmp_path / "pub"
    argv = ["leaderboard", "publish", "--results", str(store), "--out", str(out), "--no-plots",
            "--repo", "me/boards", "--endpoint", "http://127.0.0.1:9"]
    assert run_cli(argv, registry) == 0
    assert calls[0] == ("init", "http://127.0.0.1:9")
    assert calls[1][:2] == ("create_repo", "me/boards") and calls[1][2]["repo_type"] == "dataset"
    kind, kw, files = calls[2]
    assert kind == "upload_folder" and kw["repo_id"] == "me/boards" and kw["repo_type"] == "dataset"
    assert "README.md" in files and "Set12.md" in files

    calls.clear()
    assert run_cli(["leaderboard", "publish", "--results", str(store), "--out", str(out), "--no-plots"], registry) == 0
    assert calls == []  # without --repo nothing is uploaded


def test_verify_run_runs_reachable_claims_and_judges_them(shared_dir, tmp_path, capsys):
    """`verify --run` on the bicubic baseline: Set5 is on disk, the other SR sets are not."""
    import json as _json

    from restbench.plugin import manager as _plugins
    from restbench.cli import main as _main

    _plugins.reset()
    code = _main(["verify", "--run", "--models", "bicubic-x4", "--data-root", str(shared_dir / "datasets"),
                  "--results", str(tmp_path), "--no-progress", "--json"])
    out, err = capsys.readouterr()
    doc = _json.loads(out)
    (row,) = doc["verdicts"]
    assert (row["variant"], row["dataset"], row["verdict"]) == ("bicubic-x4", "Set5", "REPRODUCED")
    assert abs(row["psnr"] - 28.42) < 0.01
    assert "not reachable: bicubic-x4 on Set14: test set not on disk" in err
    assert code == 0
