"""--metrics through pyiqa: real scores when a metric can be built, one clear line when it cannot."""

from __future__ import annotations

import pytest
import torch

from restbench.metrics.perceptual import MetricUnavailable, _metric, perceptual_metrics

pyiqa = pytest.importorskip("pyiqa")


def test_unknown_metric_is_a_clear_error():
    _metric.cache_clear()
    with pytest.raises(MetricUnavailable, match="pyiqa has no metric 'nosuchmetric'"):
        perceptual_metrics(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), ("nosuchmetric",))


def test_metric_that_needs_a_download_offline_says_what_to_do(monkeypatch):
    _metric.cache_clear()

    def offline(*a, **k):
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(pyiqa, "create_metric", offline)
    with pytest.raises(MetricUnavailable, match="needs to download its network weights"):
        perceptual_metrics(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), ("lpips",))
    _metric.cache_clear()


def test_weight_free_pyiqa_metric_gives_a_real_score():
    """pyiqa's own PSNR needs no download: it must agree with the textbook formula."""
    _metric.cache_clear()
    a = torch.full((1, 3, 16, 16), 0.5)
    b = a + 0.1
    got = perceptual_metrics(a, b, ("psnr",))["psnr"]
    assert got == pytest.approx(10 * torch.log10(torch.tensor(1 / 0.01)).item(), abs=1e-3)
