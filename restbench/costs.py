"""What a model costs: parameters, MACs by operator (fvcore), peak memory, latency.

MAC conventions differ between papers: Restormer's "140.99 G" counts convolutions only, while
fvcore's default handles also count the attention matmuls (≈154.9 G at 256×256). So the total is
reported *with* a breakdown by operator, and the operators fvcore skipped are listed, so a paper's
convention can be read off instead of guessed. ``scaled_dot_product_attention`` gets a handle here
(fvcore has none): 2·B·heads·L·S·d MACs for the two matmuls, softmax not counted (as fvcore
treats softmax elsewhere).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch

# fvcore op names are the short aten names; group them into what papers talk about.
OP_GROUPS = {
    "conv": "conv",
    "matmul": "matmul",
    "bmm": "matmul",
    "einsum": "matmul",
    "linear": "linear",
    "addmm": "linear",
    "scaled_dot_product_attention": "attention",
    "upsample_bicubic2d": "interpolate",
    "upsample_nearest2d": "interpolate",
    "upsample_bilinear2d": "interpolate",
    "batch_norm": "norm",
    "layer_norm": "norm",
    "group_norm": "norm",
    "instance_norm": "norm",
}


def _sdpa_handle(inputs: list[Any], outputs: list[Any]) -> int:
    from fvcore.nn.jit_handles import get_shape

    q, k = get_shape(inputs[0]), get_shape(inputs[1])
    *batch, L, d = q
    S = k[-2]
    b = 1
    for n in batch:
        b *= n
    return 2 * b * L * S * d


@dataclass
class MacCount:
    total: int
    by_operator: dict[str, int]
    by_group: dict[str, int]
    skipped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def count_macs(model: torch.nn.Module, x: torch.Tensor) -> MacCount:
    """fvcore MACs ("flops" in fvcore's naming = multiply-accumulates) for one forward of ``x``."""
    from fvcore.nn import FlopCountAnalysis

    model = model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fvcore traces with torch.jit, which now warns on every use
        fca = FlopCountAnalysis(model, x)
        fca.set_op_handle("aten::scaled_dot_product_attention", _sdpa_handle)
        fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        by_op = dict(fca.by_operator())
        skipped = dict(Counter(fca.unsupported_ops()))
        total = int(fca.total())
    groups: dict[str, int] = {}
    for op, n in by_op.items():
        g = OP_GROUPS.get(op, op)
        groups[g] = groups.get(g, 0) + int(n)
    return MacCount(total, {k: int(v) for k, v in by_op.items()}, groups, skipped)


class _RssSampler:
    """Samples this process's resident set size from /proc while work runs (CPU peak memory).

    PyTorch's CPU allocator has no peak counter; large tensors are mmap'd and returned to the OS
    when freed, so sampled RSS growth tracks live tensor memory well enough for ratios.
    """

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def rss(self) -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * self._page
        except OSError:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self) -> "_RssSampler":
        self.base = self.rss()
        self.peak = self.base
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.rss())

    @property
    def growth(self) -> int:
        return max(self.peak - self.base, 0)


def peak_memory(fn: Callable[[], Any], device: torch.device) -> tuple[int, str]:
    """Peak bytes allocated while ``fn`` runs, and how it was measured."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - base, "cuda max_memory_allocated"
    with _RssSampler() as s:
        fn()
    return s.growth, "cpu peak RSS growth (sampled)"


@dataclass
class Latency:
    median_ms: float
    p90_ms: float
    runs: int
    timer: str


def latency(fn: Callable[[], Any], device: torch.device, runs: int = 5, warmup: int = 1) -> Latency:
    """Median and p90 of ``runs`` calls after ``warmup``: CUDA events on GPU, perf_counter on CPU."""
    for _ in range(warmup):
        fn()
    times = []
    if device.type == "cuda":
        for _ in range(runs):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize(device)
            times.append(start.elapsed_time(end))
        timer = "cuda events"
    else:
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        timer = "perf_counter"
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return Latency(statistics.median(times), p90, runs, timer)
