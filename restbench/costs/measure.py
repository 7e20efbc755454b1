"""What a model costs: parameters, MACs by operator (fvcore), peak memory, latency.

MAC conventions differ between papers: Restormer's "140.99 G" counts convolutions only, while
fvcore's default handles also count the attention matmuls (≈154.9 G at 256×256). So the total is
reported *with* a breakdown by operator, and the operators fvcore skipped are listed, so a paper's
convention can be read off instead of guessed. ``scaled_dot_product_attention`` gets a handle here
(fvcore has none): 2·B·heads·L·S·d MACs for the two matmuls, softmax not counted (as fvcore
treats softmax elsewhere).
"""

from __future__ import annotations

import statistics
import time
import warnings
import weakref
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


def _live_tensor_mode():
    """A dispatch mode counting bytes of tensors created inside it while they are alive.

    PyTorch's CPU allocator has no peak counter, and process RSS hides reuse of memory freed
    earlier (a tiled run after an untiled one showed 0 MiB), so on CPU the peak is counted at the
    operator level: exact for tensors, blind to library scratch buffers (e.g. oneDNN workspaces).
    """
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class LiveTensors(TorchDispatchMode):
        """Bytes of storages created by the ops run inside it, while any tensor still views them."""

        def __init__(self) -> None:
            super().__init__()
            self.refs: dict[int, list[int]] = {}  # storage data_ptr -> [live tensors, bytes]
            self.current = self.peak = 0

        def _drop(self, key: int) -> None:
            entry = self.refs.get(key)
            if entry is None:
                return
            entry[0] -= 1
            if entry[0] == 0:
                self.current -= entry[1]
                del self.refs[key]

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            inputs = {t.untyped_storage().data_ptr() for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)}
            out = func(*args, **(kwargs or {}))
            for t in tree_leaves(out):
                if not isinstance(t, torch.Tensor):
                    continue
                key = t.untyped_storage().data_ptr()
                if key in self.refs:
                    self.refs[key][0] += 1
                elif key in inputs:  # a view of (or in-place op on) memory that predates the measurement
                    continue
                else:
                    n = t.untyped_storage().nbytes()
                    self.refs[key] = [1, n]
                    self.current += n
                    self.peak = max(self.peak, self.current)
                weakref.finalize(t, self._drop, key)
            return out

    return LiveTensors()


def peak_memory(fn: Callable[[], Any], device: torch.device) -> tuple[int, str]:
    """Peak bytes allocated while ``fn`` runs, and how it was measured."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - base, "cuda max_memory_allocated"
    mode = _live_tensor_mode()
    with mode:
        fn()
    return mode.peak, "cpu live-tensor peak (dispatch-level)"


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
