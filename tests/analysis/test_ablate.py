"""``restbench ablate``: component swaps, tiling, and the live-tensor memory count behind them."""

from __future__ import annotations

import json

import pytest
import torch

from restbench import cli
from restbench.analysis.ablate import peak_bytes
from restbench.costs.cache import count_parameters

TINY_RESTORMER = {"dim": 8, "num_blocks": [1, 1, 1, 1], "num_refinement_blocks": 1, "heads": [1, 1, 2, 2]}


def _json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    assert cli.main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_peak_bytes_counts_live_tensors_exactly():
    cpu = torch.device("cpu")

    def two_alive():
        a = torch.ones(1024, 256)  # 1 MiB
        b = a * 2  # 1 MiB more while a is alive
        del a
        c = b + 1  # a was freed: still 2 MiB at most
        return c.sum()

    assert peak_bytes(two_alive, cpu) == 2 * 2**20 + 4  # b and c, plus the float32 sum
    x = torch.ones(1024, 256)
    assert peak_bytes(lambda: x.view(-1).add_(1), cpu) == 0  # views and in-place ops on older memory cost nothing


def test_arch_swaps_for_a_tiny_restormer(capsys, tmp_path):
    from restbench_restormer.arch import Restormer

    doc = _json(capsys, ["ablate", "arch", "--variant", "restormer", "--arch-kwargs", json.dumps(TINY_RESTORMER),
                         "--size", "32x32", "--runs", "0", "--out", str(tmp_path)])
    (axis,) = doc["axes"]
    rows = {(r["attention"], r["ffn"]): r for r in axis["rows"]}
    assert set(rows) == {("mdta", "gdfn"), ("mdta", "ffn"), ("window", "gdfn"), ("window", "ffn")}
    assert all("error" not in r for r in rows.values())
    assert len({r["params"] for r in rows.values()}) == 4 and len({r["gmacs"] for r in rows.values()}) == 4
    for (att, ffn), r in rows.items():
        assert r["params"] == count_parameters(Restormer(**TINY_RESTORMER, attention=att, ffn=ffn))
    ref = rows[("mdta", "gdfn")]  # the released architecture is the reference
    assert ref["d_params_pct"] == 0 and ref["d_macs_pct"] == 0
    assert rows[("mdta", "ffn")]["params"] < ref["params"]  # GDFN's gate and depth-wise conv cost parameters
    # spatial window attention does (HW/w²)·(w²)²·C matmul work where MDTA does HW·C²/heads
    assert rows[("window", "gdfn")]["gmacs_matmul"] > ref["gmacs_matmul"]
    assert any("no trained weights" in n for n in axis["notes"])
    assert {"arch.md", "arch.csv", "arch.png", "arch.svg"} <= {p.name for p in tmp_path.iterdir()}
    md = (tmp_path / "arch.md").read_text()
    assert "attention=window, ffn=ffn" in md and "| params" in md


def test_tile_axis_quality_delta_and_memory(shared_dir, capsys):
    """MATLAB bicubic (x4) reads 2 LR pixels either side: a kept tile margin of ≥ 2 px (overlap ≥ 4)
    reproduces the untiled output exactly; overlap 2 (margin 1) does not."""
    doc = _json(capsys, ["ablate", "tile", "--variant", "bicubic-x4", "--dataset", "Set5", "--scale", "4", "--limit", "1",
                         "--data-root", str(shared_dir / "datasets"), "--tiles", "32,64", "--overlaps", "2,8", "--runs", "1"])
    rows = {(r["tile"], r["overlap"]): r for r in doc["axes"][0]["rows"]}
    base = rows[(None, None)]
    assert base["d_psnr"] == 0 and base["psnr"] > 25
    for t in (32, 64):
        assert rows[(t, 8)]["max_abs_diff"] == 0 and rows[(t, 8)]["d_psnr"] == 0
        assert rows[(t, 2)]["max_abs_diff"] > 1e-3 and rows[(t, 2)]["d_psnr"] < 0
        assert 0 < rows[(t, 8)]["peak_mib"] < base["peak_mib"]  # tiles bound the intermediate memory
    assert rows[(32, 8)]["peak_mib"] < rows[(64, 8)]["peak_mib"]
    assert rows[(32, 8)]["tiles_per_image"] == 25  # 128x128 LR (baby), stride 24: 5 x 5


def test_random_weights_give_cost_columns_only(capsys):
    doc = _json(capsys, ["ablate", "tile", "ensemble", "--variant", "dncnn-s25", "--arch-kwargs", '{"nc": 16, "nb": 3}',
                         "--size", "64x64", "--tiles", "32", "--overlaps", "8", "--runs", "1"])
    for axis in doc["axes"]:
        assert any("random" in n for n in axis["notes"])
        for r in axis["rows"]:
            assert not {"psnr", "d_psnr", "max_abs_diff"} & set(r)
            assert r["ms_per_image"] > 0 and r["peak_mib"] > 0
    tile = doc["axes"][0]["rows"]
    assert tile[1]["peak_mib"] < tile[0]["peak_mib"]


@pytest.mark.parametrize("family", ["uformer", "swinir"])
def test_other_families_have_swaps(family):
    from restbench.plugin import manager as plugins
    from restbench.analysis.ablate import ARCH_SWAPS, arch_axis

    state = plugins.get_state()
    v = state.registry.variants_of(family)[0]
    tiny = {"uformer": dict(img_size=32, embed_dim=8, depths=[1] * 9, num_heads=[1] * 9, win_size=2),
            "swinir": dict(img_size=16, embed_dim=12, depths=[1], num_heads=[2])}[family]
    # two configurations each keep the test fast (fvcore traces every one); uformer's default also swaps shift
    swaps = {"swinir": {"window_size": [4, 8]}, "uformer": {"token_mlp": ["leff", "mlp"], "shift_flag": [True]}}[family]
    assert ARCH_SWAPS["uformer"][0]["shift_flag"] == [True, False]
    res = arch_axis(v, state.registry.architectures[family].builder, {**v.arch_kwargs, **tiny}, swaps, (32, 32),
                    torch.device("cpu"), runs=0)
    keys = list(swaps)
    assert len(res.rows) == 2
    assert all("error" not in r for r in res.rows), [r.get("error") for r in res.rows]
    assert len({tuple(r[k] for k in keys) for r in res.rows}) == len(res.rows)
    assert len({r["params"] for r in res.rows}) == 2  # LeFF's depth-wise conv / the relative-position tables
    released = ("window_size", v.arch_kwargs["window_size"]) if family == "swinir" else ("token_mlp", "leff")
    ref = next(r for r in res.rows if r[released[0]] == released[1])  # Δ is against the released architecture
    assert ref["d_params_pct"] == 0 and all(r["d_params_pct"] != 0 for r in res.rows if r is not ref)
