"""One short check of restbench's GPU paths, for the few minutes a GPU machine is lent.

    python benchmarks/gpu_check.py --out gpu_check.json                  # on a GPU, < 5 min
    python benchmarks/gpu_check.py --smoke                               # the same code on CPU, tiny sizes
    python benchmarks/gpu_check.py --data-root ../shared/datasets --dncnn-weights ../shared/weights/dncnn_25.pth

For one variant each of Restormer, SwinIR, Uformer and DnCNN (random weights: costs only), it
measures with restbench's own code paths (``restore``, ``forward_image``, ``latency``,
``peak_memory``, ``profile_model``):

* fp32 / bf16 / fp16 forward at 256×256 and 1280×720, untiled and with 256-px tiles;
* latency by CUDA events after warm-up (median and p90), images/s at batch 1 and batch 4;
* peak memory from ``torch.cuda.max_memory_allocated`` beside what ``restbench profile`` reports;
* ``torch.compile`` on/off and channels-last on/off as ratios;
* bf16/fp16 against fp32: max |Δ| and the PSNR of the half-precision output against the fp32 one;
* DnCNN-S σ25 on Set12 through the whole harness on the GPU and on the CPU (must agree to 0.001 dB;
  needs ``--data-root`` and ``--dncnn-weights``, otherwise reported as skipped);
* a forced out-of-memory (a per-process memory cap) that ``forward_image`` retries tiled;
* the projected time of a full GoPro test run (1111 frames of 1280×720) for Restormer and
  Uformer-B per precision and batch size, beside the authors' setting (fp32, batch 1).

It prints one table per section and writes everything to ``--out`` as JSON. ``--smoke`` runs
the same code on the CPU at tiny sizes (the test suite does, so the script cannot rot); its
numbers mean nothing about a GPU.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

GOPRO_FRAMES = 1111
VARIANTS = {  # family -> (variant id, input channels)
    "restormer": "restormer-motion-deblurring",
    "swinir": "swinir-m-dn-rgb-s25",
    "uformer": "uformer-b-gopro",
    "dncnn": "dncnn-s25",
}
PRECISIONS = ("fp32", "bf16", "fp16")
# --smoke: the same code on tiny configurations of each architecture, so a CPU run takes seconds
SMOKE_KWARGS = {
    "restormer": dict(dim=8, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 2, 4, 8]),
    "swinir": dict(depths=[2], embed_dim=12, num_heads=[2], mlp_ratio=2),
    "uformer": dict(embed_dim=8, depths=[1] * 9),
    "dncnn": dict(nb=4),
}
TINY: dict[str, dict] = {}  # filled by main() under --smoke


def build(registry, variant_id: str, device: torch.device) -> tuple[torch.nn.Module, object]:
    v = registry.variants[variant_id]
    kwargs = {**v.arch_kwargs, **TINY.get(v.arch, {})}
    model = registry.architectures[v.arch].builder(**kwargs).eval().to(device)
    return model, v


def timed(fn, device, runs: int, warmup: int) -> dict:
    from restbench.costs.measure import latency

    lat = latency(fn, device, runs=runs, warmup=warmup)
    return dict(median_ms=round(lat.median_ms, 3), p90_ms=round(lat.p90_ms, 3), timer=lat.timer)


def psnr_between(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = torch.mean((a.double().clamp(0, 1) - b.double().clamp(0, 1)) ** 2).item()
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def forward_rows(registry, device, sizes, runs, warmup, tile, batches, precisions=PRECISIONS) -> list[dict]:
    """Latency, images/s, memory and half-precision fidelity for every family × size × precision × tiling."""
    from restbench.costs.measure import peak_memory
    from restbench.costs.profile import profile_model
    from restbench.engine.inference import ForwardSettings, restore

    rows = []
    for family, vid in VARIANTS.items():
        model, v = build(registry, vid, device)
        for h, w in sizes:
            gen = torch.Generator().manual_seed(0)
            x1 = torch.rand(1, v.input.channels, h, w, generator=gen).to(device)
            try:
                prof = profile_model(model, v.input.channels, (h, w), device, runs=1, timing=True)
                profile_mib = round(prof["peak_memory_bytes"] / 2**20, 1)
            except Exception as exc:  # noqa: BLE001 - a row says what failed, the sweep goes on
                profile_mib, prof = None, {"error": f"{type(exc).__name__}: {exc}"[:200]}
            reference = None
            for mode in ("untiled", "tiled"):
                for precision in precisions:
                    settings = ForwardSettings(tile=tile if mode == "tiled" else None, tile_overlap=min(32, tile // 4),
                                               precision=precision)
                    for batch in batches if mode == "untiled" else batches[:1]:  # throughput: untiled only
                        x = x1.expand(batch, -1, -1, -1).contiguous()
                        row = dict(family=family, variant=vid, size=f"{h}x{w}", mode=mode, precision=precision,
                                   batch=batch, profile_peak_mib=profile_mib if (mode, batch) == ("untiled", 1) else None)

                        def fwd(x=x, settings=settings):
                            with torch.inference_mode():
                                return restore(model, x, v.input, v.scale or 1, settings)

                        try:
                            out = fwd()
                            row.update(timed(fwd, device, runs, warmup))
                            row["images_per_s"] = round(1000 * batch / row["median_ms"], 3) if row["median_ms"] else None
                            mem, how = peak_memory(fwd, device)
                            row["peak_mib"] = round(mem / 2**20, 1)
                            row["memory_measure"] = how
                            if batch == 1:
                                if precision == "fp32" and mode == "untiled":
                                    reference = out
                                elif reference is not None:
                                    row["max_abs_diff_vs_fp32"] = float((out - reference).abs().max())
                                    row["psnr_vs_fp32_db"] = round(psnr_between(out, reference), 2)
                        except Exception as exc:  # noqa: BLE001
                            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
                            if device.type == "cuda":
                                torch.cuda.empty_cache()
                        rows.append(row)
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return rows


def ratio_rows(registry, device, size, runs, warmup, compile_families, compile_backend) -> list[dict]:
    """torch.compile on/off and channels-last on/off, as time ratios (on ÷ off) at one size, fp32."""
    from restbench.engine.inference import ForwardSettings, prepare_model, restore

    rows = []
    for family, vid in VARIANTS.items():
        model, v = build(registry, vid, device)
        x = torch.rand(1, v.input.channels, *size).to(device)
        base = ForwardSettings()

        def run(m, s):
            def fwd():
                with torch.inference_mode():
                    return restore(m, x, v.input, v.scale or 1, s)
            return fwd

        row = dict(family=family, variant=vid, size=f"{size[0]}x{size[1]}")
        try:
            off = timed(run(model, base), device, runs, warmup)["median_ms"]
            cl = replace(base, channels_last=True)
            on = timed(run(prepare_model(model, cl), cl), device, runs, warmup)["median_ms"]
            model = model.to(memory_format=torch.contiguous_format)
            row.update(eager_ms=off, channels_last_ms=on, channels_last_ratio=round(on / off, 3))
            if family in compile_families:
                t0 = time.perf_counter()
                compiled = torch.compile(model, backend=compile_backend)
                first = run(compiled, base)
                first()
                row["compile_s"] = round(time.perf_counter() - t0, 1)
                comp = timed(first, device, runs, warmup)["median_ms"]
                row.update(compiled_ms=comp, compile_ratio=round(comp / off, 3), compile_backend=compile_backend)
            else:
                row["compile_ratio"] = None
        except Exception as exc:  # noqa: BLE001
            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
        rows.append(row)
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return rows


def forced_oom(registry, device, size, tile) -> dict:
    """A memory cap makes the untiled forward fail; ``forward_image`` must retry it tiled and say so."""
    from restbench.engine.inference import ForwardSettings
    from restbench.engine.runner import forward_image

    model, v = build(registry, VARIANTS["swinir"], device)
    x = torch.rand(1, v.input.channels, *size).to(device)
    row = dict(variant=v.id, size=f"{size[0]}x{size[1]}")
    if device.type != "cuda":
        row["note"] = "no CUDA: the cap cannot be set; the retry path is exercised by tests/engine on CPU"
        return row
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(device).total_memory
    cap = 3 * 2**30  # enough for 256-px tiles of SwinIR-M, far too little for an untiled 1280x720 frame
    torch.cuda.set_per_process_memory_fraction(cap / total, device)
    try:
        out, secs, was_tiled = forward_image(model, x, v.input, 1, ForwardSettings(), device)
        row.update(cap_gib=3, retried_tiled=was_tiled, seconds=round(secs, 3), output_shape=list(out.shape))
    except Exception as exc:  # noqa: BLE001
        row["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0, device)
        torch.cuda.empty_cache()
    return row


def set12_gpu_vs_cpu(device, data_root: Path | None, weights: Path | None, limit: int | None) -> dict:
    """DnCNN-S σ25 on Set12 through the whole harness, on ``device`` and on the CPU."""
    if data_root is None or weights is None or not (data_root / "Set12").is_dir() or not weights.is_file():
        return dict(skipped="needs --data-root DIR (with Set12/) and --dncnn-weights dncnn_25.pth")
    import tempfile

    from restbench.engine.options import RunOptions
    from restbench.engine.plan import Level, make_plan
    from restbench.engine.runner import run_plan
    from restbench.plugin.manager import get_state

    state = get_state()
    v = state.registry.variants["dncnn-s25"]
    plan = make_plan(state.registry, [v], "Set12", Level(sigma=25), explicit=frozenset({v.id}))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dev in dict.fromkeys([str(device), "cpu"]):
            opts = RunOptions(device=dev, data_root=data_root, results_dir=Path(tmp) / dev, progress=False,
                              weights={v.id: str(weights)}, limit=limit)
            (summary,), failures = run_plan(state, plan, opts)
            out[dev] = dict(psnr=summary["psnr"], ssim=summary["ssim"], n_images=summary["n_images"],
                            device=summary["device"])
    if len(out) == 2:
        a, b = out.values()
        out["abs_diff_db"] = abs(a["psnr"] - b["psnr"])
        out["agrees_to_0.001_db"] = out["abs_diff_db"] <= 0.001
    return out


def gopro_projection(rows: list[dict], size: str) -> list[dict]:
    """Seconds for 1111 GoPro frames from the measured per-frame latency at 1280×720 (untiled)."""
    out = []
    for r in rows:
        if r["family"] in ("restormer", "uformer") and r["size"] == size and r["mode"] == "untiled" and "median_ms" in r:
            per_frame = r["median_ms"] / 1000 / r["batch"]
            out.append(dict(variant=r["variant"], precision=r["precision"], batch=r["batch"],
                            projected_s=round(GOPRO_FRAMES * per_frame, 1),
                            authors_setting=(r["precision"], r["batch"]) == ("fp32", 1),
                            psnr_vs_fp32_db=r.get("psnr_vs_fp32_db")))
    return out


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}")
    if not rows:
        print("(none)")
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    width = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, width)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, width)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="CPU, tiny sizes, eager compile backend: checks the code runs")
    p.add_argument("--device", default=None, help="default: cuda when available (cpu with --smoke)")
    p.add_argument("--runs", type=int, default=None, help="timed runs per cell (default 10; 2 with --smoke)")
    p.add_argument("--compile-families", default="dncnn,restormer",
                   help="families to torch.compile (compiling all four takes minutes; default dncnn,restormer)")
    p.add_argument("--data-root", type=Path, help="folder with Set12/ for the GPU-vs-CPU harness check")
    p.add_argument("--dncnn-weights", type=Path, help="the real dncnn_25.pth for the GPU-vs-CPU harness check")
    p.add_argument("--out", type=Path, default=Path("gpu_check.json"), help="JSON file to write")
    args = p.parse_args(argv)

    from restbench.plugin.manager import get_state

    device = torch.device(args.device or ("cpu" if args.smoke or not torch.cuda.is_available() else "cuda"))
    if args.smoke:
        TINY.update(SMOKE_KWARGS)
        sizes, tile, big, runs, warmup, backend = [(32, 48)], 32, "32x48", args.runs or 1, 0, "eager"
        batches, limit, precisions = (1, 2), 2, ("fp32", "bf16")
    else:
        sizes, tile, big, runs, warmup, backend = [(256, 256), (720, 1280)], 256, "720x1280", args.runs or 10, 3, "inductor"
        batches, limit, precisions = (1, 4), None, PRECISIONS
    registry = get_state().registry
    started = time.perf_counter()
    info = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), device=str(device),
                device_name=torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
                torch=torch.__version__, cuda=torch.version.cuda, smoke=args.smoke)
    print(f"gpu_check on {info['device_name']} ({device}), torch {torch.__version__}", file=sys.stderr)
    result = dict(info=info)
    result["forward"] = forward_rows(registry, device, sizes, runs, warmup, tile, batches, precisions)
    result["ratios"] = ratio_rows(registry, device, sizes[0], runs, warmup,
                                  {f.strip() for f in args.compile_families.split(",") if f.strip()}, backend)
    result["forced_oom"] = forced_oom(registry, device, sizes[-1], tile)
    result["set12_dncnn_gpu_vs_cpu"] = set12_gpu_vs_cpu(device, args.data_root, args.dncnn_weights, limit)
    result["gopro_projection"] = gopro_projection(result["forward"], big)
    info["wall_s"] = round(time.perf_counter() - started, 1)

    print_table("forward: latency, throughput, memory, half precision vs fp32", result["forward"])
    print_table("torch.compile and channels-last (ratio = on ÷ off; < 1 is faster)", result["ratios"])
    print_table("forced out-of-memory, retried tiled", [result["forced_oom"]])
    set12 = result["set12_dncnn_gpu_vs_cpu"]
    print_table("DnCNN-S σ25 on Set12: this device vs CPU",
                [dict(run=k, **v) if isinstance(v, dict) else dict(run=k, value=v) for k, v in set12.items()])
    print_table(f"projected GoPro test time ({GOPRO_FRAMES} frames, untiled)", result["gopro_projection"])
    print(f"\n{info['device_name']}, {info['date']}, {info['wall_s']} s", file=sys.stderr)
    args.out.write_text(json.dumps(result, indent=1, default=str, allow_nan=True))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
