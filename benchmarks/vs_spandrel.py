"""restbench's architectures against spandrel's on the same weights and input (issue 14): a ratio, not a test.

``python benchmarks/vs_spandrel.py [family …] [--threads 2] [--repeat 5]``

For each family (``dncnn``, ``swinir``, ``restormer``, ``uformer``) one official configuration is
built by restbench, given a deterministic random state dict, and the same state dict is handed to
spandrel's ``ModelLoader`` (Restormer needs ``spandrel-extra-arches``). Both forward passes run on
the same input under ``torch.inference_mode()``, in NCHW, interleaved (restbench, spandrel,
restbench, …) after one untimed warm-up each; the script prints the median of ``--repeat`` timings
of each and their ratio (restbench / spandrel; below 1 means restbench is faster), the ratio of the
minimums and the median of the per-round ratios (steadier on a loaded machine), plus the
largest output difference, so a speed-up that changes the numbers shows at once.

Uformer: spandrel cannot read ``img_size`` from a state dict and always builds with 256, which
changes the bottleneck (see ``tests/test_spandrel_conformance.py``). So that both compute the same
function, restbench's model here is built with spandrel's ``img_size`` too; ``--uformer-img-size``
changes that.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class Case:
    family: str
    label: str
    kwargs: dict
    input_shape: tuple[int, int, int, int]


def cases(uformer_img_size: int) -> dict[str, Case]:
    from restbench_uformer.presets import get_arch

    swinir_m_x2 = {"upscale": 2, "in_chans": 3, "img_size": 64, "window_size": 8, "img_range": 1.0,
                   "depths": [6] * 6, "embed_dim": 180, "num_heads": [6] * 6, "mlp_ratio": 2,
                   "upsampler": "pixelshuffle", "resi_connection": "1conv"}
    return {
        "dncnn": Case("dncnn", "DnCNN-S (17 layers, grey)", {"in_nc": 1, "out_nc": 1, "nc": 64, "nb": 17, "act_mode": "R"},
                      (1, 1, 192, 192)),
        "swinir": Case("swinir", "SwinIR-M classical x2 (DF2K)", swinir_m_x2, (1, 3, 32, 32)),
        "restormer": Case("restormer", "Restormer (motion deblurring config)", {}, (1, 3, 64, 64)),
        "uformer": Case("uformer", f"Uformer-B (img_size={uformer_img_size})", {**get_arch("Uformer_B"), "img_size": uformer_img_size},
                        (1, 3, 128, 128)),
    }


def random_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter filled from its own name (as the official-arch fixtures are); buffers kept."""
    sd = model.state_dict()
    params = dict(model.named_parameters())
    for name, p in params.items():
        g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        r = torch.randn(p.shape, generator=g, dtype=torch.float64)
        if p.ndim >= 2:
            v = r / math.sqrt(p[0].numel())
        elif name.endswith(("weight", "temperature")):
            v = 1 + 0.1 * r
        else:
            v = 0.1 * r
        sd[name] = v.to(p.dtype).reshape(p.shape)
    return sd


def spandrel_loader():
    import spandrel

    registry = spandrel.ArchRegistry()
    registry.add(*spandrel.MAIN_REGISTRY)
    try:
        import spandrel_extra_arches

        registry.add(*spandrel_extra_arches.EXTRA_REGISTRY, ignore_duplicates=True)
    except ImportError:
        pass
    return spandrel.ModelLoader(registry=registry)


def time_pair(fns: dict[str, Callable[[], torch.Tensor]], repeat: int) -> dict[str, list[float]]:
    for fn in fns.values():  # warm-up: allocator, oneDNN primitive caches
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    order = list(fns)
    for i in range(repeat):
        for k in order if i % 2 == 0 else order[::-1]:  # A B, B A, …: drift hits both alike
            t0 = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def run_case(case: Case, repeat: int) -> dict:
    import restbench

    rb = restbench.build_model(case.family, **case.kwargs).eval()
    sd = random_state_dict(rb)
    rb.load_state_dict(sd, strict=True)
    try:
        desc = spandrel_loader().load_from_state_dict(sd)
    except Exception as e:  # noqa: BLE001 - report and go on with the other families
        return {"family": case.family, "label": case.label, "error": f"spandrel: {type(e).__name__}: {e}"}
    sp = desc.model.eval()
    x = torch.rand(case.input_shape, generator=torch.Generator().manual_seed(0))

    with torch.inference_mode():
        y_rb, y_sp = rb(x), sp(x)
        diff = (y_rb - y_sp).abs().max().item()
        times = time_pair({"restbench": lambda: rb(x), "spandrel": lambda: sp(x)}, repeat)
    med = {k: statistics.median(v) for k, v in times.items()}
    paired = statistics.median(a / b for a, b in zip(times["restbench"], times["spandrel"]))
    return {"family": case.family, "label": case.label, "spandrel_arch": desc.architecture.id,
            "input": "x".join(map(str, case.input_shape)), "max_abs_diff": diff, "bit_identical": torch.equal(y_rb, y_sp),
            "restbench_s": med["restbench"], "spandrel_s": med["spandrel"], "ratio": med["restbench"] / med["spandrel"],
            "ratio_of_mins": min(times["restbench"]) / min(times["spandrel"]), "paired_ratio": paired,
            "times": times}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="*", help="dncnn swinir restormer uformer (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--uformer-img-size", type=int, default=256, help="restbench's Uformer img_size (spandrel uses 256)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    all_cases = cases(args.uformer_img_size)
    families = args.families or list(all_cases)
    unknown = set(families) - set(all_cases)
    if unknown:
        ap.error(f"unknown families: {', '.join(sorted(unknown))}")

    import spandrel

    print(f"torch {torch.__version__}, spandrel {spandrel.__version__}, {args.threads} threads, median of {args.repeat}, "
          f"python {platform.python_version()}, {platform.machine()}")
    for fam in families:
        r = run_case(all_cases[fam], args.repeat)
        if "error" in r:
            print(f"{r['label']:40s} skipped: {r['error']}")
            continue
        runs = " ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(r["times"]["restbench"], r["times"]["spandrel"]))
        print(f"{r['label']:40s} in {r['input']:13s} restbench {r['restbench_s']:.3f} s  spandrel {r['spandrel_s']:.3f} s  "
              f"ratio {r['ratio']:.3f}x (min/min {r['ratio_of_mins']:.3f}, paired {r['paired_ratio']:.3f})  max|d| {r['max_abs_diff']:.2g}{' (bit-identical)' if r['bit_identical'] else ''}"
              f"\n{'':40s} runs rb/sp: {runs}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
