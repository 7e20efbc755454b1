"""`restbench profile`: parameters, MACs by operator (paper conventions), memory and latency fields."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from restbench.cli import main
from restbench.costs.measure import count_macs


def test_sdpa_is_counted_and_elementwise_ops_are_listed_as_skipped():
    class Attn(nn.Module):
        def forward(self, x):  # (1, 4 heads, 64 tokens, 8 dims)
            return F.scaled_dot_product_attention(x, x, x).softmax(-1)

    macs = count_macs(Attn(), torch.rand(1, 4, 64, 8))
    assert macs.by_group == {"attention": 2 * 4 * 64 * 64 * 8}
    assert "aten::softmax" in macs.skipped


def test_profile_json_fields_with_timing(capsys):
    assert main(["profile", "--models", "dncnn-s25", "--size", "32x48,64x64", "--runs", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["profile"]
    assert [r["size"] for r in rows] == ["32x48", "64x64"]
    r = rows[0]
    for field in ("params", "macs", "macs_by_group", "macs_by_operator", "skipped_operators", "peak_memory_bytes",
                  "latency_ms", "latency_p90_ms", "timer", "device"):
        assert field in r, field
    assert r["params"] == 555_137
    # 17 convs: 1->64, 15 x 64->64, 64->1, each 3x3, at every pixel
    assert r["macs_by_group"]["conv"] == (64 * 9 + 15 * 64 * 64 * 9 + 64 * 9) * 32 * 48
    assert rows[1]["macs"] / r["macs"] == pytest.approx(64 * 64 / (32 * 48))
    assert r["latency_ms"] > 0 and r["timer"] == "perf_counter"


@pytest.mark.slow
def test_restormer_full_config_matches_the_papers_140_99_gmacs(capsys):
    assert main(["profile", "--models", "restormer-motion-deblurring", "--size", "256x256", "--no-timing", "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["profile"]
    assert r["params"] == 26_126_644
    # The paper's 140.99 G counts convolutions only; the attention matmuls add ~13.9 G.
    assert round(r["macs_by_group"]["conv"] / 1e9, 2) == 140.99
    assert round(r["macs"] / 1e9, 1) == 154.9
