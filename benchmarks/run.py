"""Issue 4's performance targets, measured (not asserted): ``python benchmarks/run.py [target …]``.

Targets (each prints its ratio and the numbers behind it; ``--json FILE`` keeps them):

``harness``  ``restbench run`` (DnCNN σ25, Set12) vs a bare decode → noise → ``model(x)`` loop over
             the same images. Target: ≤ 1.05.
``metrics``  restbench PSNR + SSIM vs a BasicSR-style numpy/cv2 reference on the same images
             (Set5 Y x2/x3/x4, BSD68 grey). Target: ≥ 10x, values equal to 1e-6.
``kair``     a full DnCNN Set12 σ25 run vs an emulation of KAIR's ``main_test_dncnn.py`` (cv2 read,
             numpy noise, forward, ``tensor2uint``, numpy PSNR/SSIM, ``cv2.imwrite``). Target: ≤ 0.8.
``tiling``   DnCNN at 1280x720: peak memory with 256-px tiles vs untiled (target ≤ 1/4) and the
             PSNR difference between the two outputs (target ≤ 0.01 dB).

Timings are wall-clock, interleaved (A, B, A, B, …) and summarised by the minimum and the median
over ``--repeat`` rounds, because the machine this was written on is a shared 2-core VM whose load
changes by the second. The reference implementations below are written from the published code's
semantics (BasicSR ``metrics/psnr_ssim.py`` + ``metric_util.py``, KAIR ``utils/utils_image.py``),
not copied from it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RESTBENCH_SHARED", REPO.parent / "shared"))
DATA = SHARED / "datasets"
WEIGHTS = SHARED / "weights" / "dncnn_25.pth"
SIGMA = 25
os.environ.setdefault("HF_HUB_OFFLINE", "1")


# --- timing -------------------------------------------------------------------------------------


def interleaved(fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 1) -> dict[str, list[float]]:
    """Wall seconds of each function, run in turn ``repeat`` times (after ``warmup`` untimed rounds)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return times


def summary(ts: list[float]) -> dict:
    return dict(min=min(ts), median=statistics.median(ts), runs=len(ts))


def ratio(num: list[float], den: list[float]) -> dict:
    """num/den by minimum (least disturbed run of each) and by the median of paired rounds."""
    paired = [a / b for a, b in zip(num, den)]
    return dict(by_min=min(num) / min(den), median_paired=statistics.median(paired))


def fmt_ratio(r: dict) -> str:
    return f"{r['by_min']:.3f} (min/min), {r['median_paired']:.3f} (median of paired rounds)"


# --- BasicSR / KAIR-style references (numpy + cv2, float64) --------------------------------------


def _cv2():
    import cv2

    return cv2


def ref_to_y(img_bgr: np.ndarray) -> np.ndarray:
    """BasicSR ``to_y_channel``: float32 /255, ``bgr2ycbcr(y_only)`` (float64 dot, /255, float32), ``*255``."""
    x = img_bgr.astype(np.float32) / 255.0
    y = np.dot(x, [24.966, 128.553, 65.481]) + 16.0
    y = (y / 255.0).astype(np.float32)
    return (y * 255.0)[..., None]


def ref_ssim_channel(img: np.ndarray, img2: np.ndarray) -> float:
    """BasicSR/KAIR ``_ssim``: 11x11 Gaussian (sigma 1.5) outer product, ``cv2.filter2D``, float64,
    valid region ``[5:-5, 5:-5]``, C1 = (0.01*255)^2, C2 = (0.03*255)^2."""
    cv2 = _cv2()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    img, img2 = img.astype(np.float64), img2.astype(np.float64)
    k = cv2.getGaussianKernel(11, 1.5)
    window = np.outer(k, k.transpose())
    mu1 = cv2.filter2D(img, -1, window)[5:-5, 5:-5]
    mu2 = cv2.filter2D(img2, -1, window)[5:-5, 5:-5]
    mu1_sq, mu2_sq, mu1_mu2 = mu1**2, mu2**2, mu1 * mu2
    s1 = cv2.filter2D(img**2, -1, window)[5:-5, 5:-5] - mu1_sq
    s2 = cv2.filter2D(img2**2, -1, window)[5:-5, 5:-5] - mu2_sq
    s12 = cv2.filter2D(img * img2, -1, window)[5:-5, 5:-5] - mu1_mu2
    m = ((2 * mu1_mu2 + c1) * (2 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))
    return float(m.mean())


def ref_calculate_psnr(img: np.ndarray, img2: np.ndarray, crop_border: int, test_y_channel: bool) -> float:
    """BasicSR ``calculate_psnr`` on HWC uint8 BGR arrays (as the SwinIR/BasicSR test scripts call it)."""
    if crop_border:
        img, img2 = img[crop_border:-crop_border, crop_border:-crop_border], img2[crop_border:-crop_border, crop_border:-crop_border]
    img, img2 = img.astype(np.float64), img2.astype(np.float64)
    if test_y_channel and img.shape[2] == 3:
        img, img2 = ref_to_y(img), ref_to_y(img2)
    mse = np.mean((img.astype(np.float64) - img2.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0 * 255.0 / mse)


def ref_calculate_ssim(img: np.ndarray, img2: np.ndarray, crop_border: int, test_y_channel: bool) -> float:
    """BasicSR ``calculate_ssim``: same preparation as PSNR, then ``_ssim`` per channel, mean."""
    if crop_border:
        img, img2 = img[crop_border:-crop_border, crop_border:-crop_border], img2[crop_border:-crop_border, crop_border:-crop_border]
    img, img2 = img.astype(np.float64), img2.astype(np.float64)
    if test_y_channel and img.shape[2] == 3:
        img, img2 = ref_to_y(img), ref_to_y(img2)
    return float(np.mean([ref_ssim_channel(img[..., i], img2[..., i]) for i in range(img.shape[2])]))


def kair_tensor2uint(t: torch.Tensor) -> np.ndarray:
    """KAIR ``tensor2uint``: squeeze, clamp to [0, 1], HWC, ``uint8((x * 255).round())``."""
    img = t.data.squeeze().float().clamp_(0, 1).cpu().numpy()
    if img.ndim == 3:
        img = np.transpose(img, (1, 2, 0))
    return np.uint8((img * 255.0).round())


# --- shared inputs --------------------------------------------------------------------------------


def _u8_hwc_bgr(t: torch.Tensor) -> np.ndarray:
    a = (t[0].clamp(0, 1) * 255).round().to(torch.uint8).numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(a[..., ::-1] if a.shape[2] == 3 else a)


def metric_workloads() -> dict[str, list[tuple]]:
    """name → [(output tensor, target tensor, protocol, scale, output u8 BGR, target u8 BGR, crop, y)]."""
    from restbench.datasets import read_image
    from restbench.protocols.degradations import add_gaussian_noise, bicubic_upsample
    from restbench.protocols.imresize import modcrop

    def load(p: Path) -> torch.Tensor:
        a = read_image(p)
        return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None].float() / 255.0

    set5 = []
    for s in (2, 3, 4):
        for hr_path in sorted((DATA / "Set5" / "HR").glob("*.png")):
            hr = modcrop(load(hr_path), s)
            out = bicubic_upsample(load(DATA / "Set5" / "LR_bicubic" / f"X{s}" / f"{hr_path.stem}x{s}.png"), s)
            set5.append((out, hr, "bicubic-sr", s, _u8_hwc_bgr(out), _u8_hwc_bgr(hr), s, True))
    bsd = []
    for p in sorted((DATA / "BSD68").glob("*.png")):
        gt = load(p)
        noisy = add_gaussian_noise(gt, SIGMA).float().clamp(0, 1)
        bsd.append((noisy, gt, "kair-denoise", None, _u8_hwc_bgr(noisy), _u8_hwc_bgr(gt), 0, False))
    return {"Set5 x2/x3/x4, Y (bicubic-sr protocol)": set5, "BSD68 grey σ25 noisy vs clean (kair-denoise)": bsd}


def _set_threads(n: int | None) -> None:
    if n:
        torch.set_num_threads(n)
        _cv2().setNumThreads(n)


# --- target: metrics ------------------------------------------------------------------------------


def float32_centred_ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Experiment (not restbench's code): Wang SSIM with the statistics filtered in float32 after
    subtracting 128, the map finished in float64. Measures how far float32 is from the reference."""
    cv2 = _cv2()
    from restbench.metrics import gaussian_kernel1d

    k = gaussian_kernel1d().numpy().astype(np.float32).reshape(-1, 1)
    out = []
    for i in range(a.shape[0]):
        vals = []
        for c in range(a.shape[1]):
            x = (a[i, c] - 128.0).float().numpy()
            y = (b[i, c] - 128.0).float().numpy()
            f = [cv2.sepFilter2D(p, cv2.CV_32F, k, k)[5:-5, 5:-5].astype(np.float64) for p in (x, y, x * x + y * y, x * y)]
            mu1c, mu2c, esq, e12 = f
            mu1, mu2 = mu1c + 128.0, mu2c + 128.0
            s_sq = esq - mu1c**2 - mu2c**2
            s12 = e12 - mu1c * mu2c
            c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
            m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s_sq + c2))
            vals.append(m.mean())
        out.append(np.mean(vals))
    return torch.tensor(out, dtype=torch.float64)


def bench_metrics(repeat: int = 7, threads: int | None = None) -> dict:
    from restbench import metrics as M
    from restbench.metrics import fidelity
    from restbench.protocols import evaluate, get_protocol

    _set_threads(threads)
    results = {}
    for name, items in metric_workloads().items():

        def reference(items=items):
            return [(ref_calculate_psnr(o8, t8, crop, y), ref_calculate_ssim(o8, t8, crop, y)) for *_, o8, t8, crop, y in items]

        def rb_evaluate(items=items):
            scores = [evaluate(o, t, p, scale=s) for o, t, p, s, *_ in items]
            return [(m["psnr"], m["ssim"]) for m in scores]

        def rb_combined(items=items):
            res = []
            for o, t, p, s, *_ in items:
                pr = get_protocol(p)
                ps, ss = M.psnr_ssim(o, t, pr.ssim, pr.crop_pixels(s), pr.y_mode if pr.colour == "y" else None, pr.uint8)
                res.append((ps.item(), ss.item()))
            return res

        ref, ev, comb = reference(), rb_evaluate(), rb_combined()
        dev = dict(
            psnr_evaluate=max(abs(a[0] - b[0]) for a, b in zip(ref, ev)),
            ssim_evaluate=max(abs(a[1] - b[1]) for a, b in zip(ref, ev)),
            psnr_psnr_ssim=max(abs(a[0] - b[0]) for a, b in zip(ref, comb)),
            ssim_psnr_ssim=max(abs(a[1] - b[1]) for a, b in zip(ref, comb)),
        )
        # float32 experiment on the prepared levels
        f32_dev = 0.0
        for (o, t, p, s, *_), (_, ssim_ref) in zip(items, ref):
            pr = get_protocol(p)
            a, b = M.prepare(o, t, pr.crop_pixels(s), pr.y_mode if pr.colour == "y" else None, pr.uint8)
            f32_dev = max(f32_dev, abs(float32_centred_ssim(a, b).item() - ssim_ref))
        dev["ssim_float32_centred_experiment"] = f32_dev
        t = interleaved({"reference": reference, "evaluate": rb_evaluate, "psnr_ssim": rb_combined}, repeat)
        results[name] = dict(
            images=len(items),
            pixels=int(sum(o.shape[-1] * o.shape[-2] for o, *_ in items)),
            seconds={k: summary(v) for k, v in t.items()},
            speedup_evaluate=ratio(t["reference"], t["evaluate"]),
            speedup_psnr_ssim=ratio(t["reference"], t["psnr_ssim"]),
            max_abs_deviation=dev,
        )
    return dict(
        threads=torch.get_num_threads(), cv2_threads=_cv2().getNumThreads(),
        numba_kernels=fidelity._numba() is not None, workloads=results,
    )


def print_metrics(res: dict) -> None:
    path = "numba kernels" if res.get("numba_kernels") else "OpenCV/torch fallback (no numba or RESTBENCH_NO_NUMBA)"
    print(f"[metrics] torch threads {res['threads']}, cv2 threads {res['cv2_threads']}, {path} (target: >= 10x, equal to 1e-6)")
    for name, r in res["workloads"].items():
        s = r["seconds"]
        print(f"  {name}: {r['images']} images, {r['pixels'] / 1e6:.2f} Mpx")
        print(f"    reference {s['reference']['min'] * 1e3:.1f} ms, restbench evaluate {s['evaluate']['min'] * 1e3:.1f} ms, "
              f"psnr_ssim {s['psnr_ssim']['min'] * 1e3:.1f} ms (min of {s['reference']['runs']})")
        print(f"    speed-up evaluate:  {fmt_ratio(r['speedup_evaluate'])}")
        print(f"    speed-up psnr_ssim: {fmt_ratio(r['speedup_psnr_ssim'])}")
        d = r["max_abs_deviation"]
        print(f"    max |restbench - reference|: PSNR {d['psnr_evaluate']:.2e} dB, SSIM {d['ssim_evaluate']:.2e}; "
              f"float32-centred SSIM experiment {d['ssim_float32_centred_experiment']:.2e}")


# --- DnCNN σ25 on Set12: restbench run, a bare loop, KAIR's script ---------------------------------


def set12_paths() -> list[Path]:
    return sorted((DATA / "Set12").glob("*.png"))


def dncnn_model(channels_last: bool = False) -> torch.nn.Module:
    """The released DnCNN-S σ25 (BN folded: ``act_mode='R'``), weights loaded as a plain state dict."""
    from restbench_dncnn.arch import DnCNN

    model = DnCNN(1, 1, 64, 17, act_mode="R")
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True), strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def bare_loop(model: torch.nn.Module, paths: list[Path], channels_last: bool = False) -> dict:
    """Decode → float32 [0,1] + N(0, σ/255) (numpy seed 0 per image, as the protocol) → ``model(x)``.

    Nothing else: no metrics, no storage. Returns the loop's wall time and its forward part."""
    from restbench.datasets import read_image

    t0 = time.perf_counter()
    fwd = 0.0
    for p in paths:
        img = read_image(p).astype(np.float32) / np.float32(255.0)  # HxWx1
        rs = np.random.RandomState(0)
        noisy = img + rs.normal(0, SIGMA / 255.0, img.shape)
        x = torch.from_numpy(np.ascontiguousarray(noisy.transpose(2, 0, 1)[None])).float()
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t1 = time.perf_counter()
        with torch.inference_mode():
            model(x)
        fwd += time.perf_counter() - t1
    return dict(wall_s=time.perf_counter() - t0, forward_s=fwd)


def kair_script(model: torch.nn.Module, paths: list[Path], out_dir: Path) -> dict:
    """What KAIR's ``main_test_dncnn.py`` does per image (set12, dncnn_25, x8 off), from its source:
    ``imread_uint(path, 1)`` (cv2 grey), ``uint2single``, ``np.random.seed(0)`` + ``normal`` added in
    place, ``single2tensor4``, ``model(img_L)`` (no ``no_grad``; parameters have requires_grad off),
    ``tensor2uint``, the ground truth read again, ``calculate_psnr``/``calculate_ssim`` (border 0,
    float64 numpy + cv2), a log line, ``imsave`` (``cv2.imwrite``)."""
    import logging

    cv2 = _cv2()
    log = logging.getLogger("kair-emulation")
    log.handlers[:] = [logging.FileHandler(out_dir / "log.txt", mode="w")]
    log.setLevel(logging.INFO)
    log.propagate = False
    t0 = time.perf_counter()
    fwd = 0.0
    psnrs, ssims = [], []
    for p in paths:
        img_l = np.expand_dims(cv2.imread(str(p), 0), axis=2)
        img_l = np.float32(img_l / 255.0)
        np.random.seed(seed=0)
        img_l += np.random.normal(0, SIGMA / 255.0, img_l.shape)
        x = torch.from_numpy(np.ascontiguousarray(img_l)).permute(2, 0, 1).float().unsqueeze(0)
        t1 = time.perf_counter()
        img_e = model(x)
        fwd += time.perf_counter() - t1
        img_e = kair_tensor2uint(img_e)
        img_h = np.expand_dims(cv2.imread(str(p), 0), axis=2).squeeze()
        psnr = ref_calculate_psnr(img_e[..., None], img_h[..., None], 0, False)
        ssim = ref_ssim_channel(img_e, img_h)
        psnrs.append(psnr)
        ssims.append(ssim)
        log.info("%s - PSNR: %.2f dB; SSIM: %.4f.", p.name, psnr, ssim)
        cv2.imwrite(str(out_dir / p.name), img_e)
    log.info("Average PSNR/SSIM - PSNR: %.2f dB; SSIM: %.4f", np.mean(psnrs), np.mean(ssims))
    return dict(wall_s=time.perf_counter() - t0, forward_s=fwd, psnr=float(np.mean(psnrs)), ssim=float(np.mean(ssims)))


def _run_argv(results: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """``restbench run`` arguments for the DnCNN σ25 Set12 job (what the issue's target names)."""
    return ["run", "--models", "dncnn-s25", "--dataset", "Set12", "--sigma", str(SIGMA),
            "--weights", f"dncnn={WEIGHTS}", "--data-root", str(DATA), "--force", "--results", str(results),
            "--json", "--no-progress", *extra]


def restbench_inprocess(results: Path, extra: tuple[str, ...] = ()) -> dict:
    """``restbench run`` through its CLI entry point in this process; the job summary + call time."""
    import contextlib
    import io

    from restbench.cli import main as cli_main

    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        rc = cli_main(_run_argv(results, extra))
    call = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"restbench run failed ({rc}): {buf.getvalue()[-2000:]}")
    (summary,) = json.loads(buf.getvalue())["results"]
    return dict(wall_s=summary["wall_s"], forward_s=summary["forward_s"], call_s=call,
                psnr=summary["psnr"], ssim=summary["ssim"])


def _process_wall(cmd: list[str], env: dict) -> tuple[float, float]:
    """(process wall seconds, forward seconds the process reported in its JSON on stdout)."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    wall = time.perf_counter() - t0
    doc = json.loads(out[out.index("{"):])
    return wall, (doc["results"][0] if "results" in doc else doc)["forward_s"]


def _env(home: Path) -> dict:
    return {**os.environ, "RESTBENCH_HOME": str(home), "HF_HUB_OFFLINE": "1"}


def bench_harness(repeat: int = 2, process_rounds: int = 1) -> dict:
    """In-process: the job's ``wall_s`` (model loaded → summary sealed) vs the bare loop, interleaved.
    Whole command: ``restbench run`` as a process vs the bare loop as a process (both pay Python,
    torch and model start-up), and vs the in-process bare loop (the strictest reading).

    A ``--limit 1`` run first fills restbench's MAC-count cache (a traced forward, ~1 s, paid once
    per variant and input size), so the rounds measure the steady state."""
    paths = set12_paths()
    model = dncnn_model()
    rows: dict[str, list] = {"bare": [], "restbench": []}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RESTBENCH_HOME"] = str(Path(tmp) / "home")
        bare_loop(model, paths[:1])  # warm-up: first oneDNN call, page cache
        restbench_inprocess(Path(tmp) / "res", ("--limit", "1"))
        for _ in range(repeat):
            rows["bare"].append(bare_loop(model, paths))
            rows["restbench"].append(restbench_inprocess(Path(tmp) / "res"))
        res = dict(
            images=len(paths),
            bare=[{k: round(v, 3) for k, v in r.items()} for r in rows["bare"]],
            restbench=[{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in rows["restbench"]],
            job_wall_over_bare=ratio([r["wall_s"] for r in rows["restbench"]], [r["wall_s"] for r in rows["bare"]]),
            call_over_bare=ratio([r["call_s"] for r in rows["restbench"]], [r["wall_s"] for r in rows["bare"]]),
            non_forward_s=dict(
                restbench_job=min(r["wall_s"] - r["forward_s"] for r in rows["restbench"]),
                restbench_call=min(r["call_s"] - r["forward_s"] for r in rows["restbench"]),
                bare=min(r["wall_s"] - r["forward_s"] for r in rows["bare"]),
            ),
        )
        # The forward passes are the same calls in both; their run-to-run noise on a shared machine
        # (±5 %) swamps the harness's own cost, so also report the ratio with equal forward time.
        nf = res["non_forward_s"]
        bare_min = min(r["wall_s"] for r in rows["bare"])
        res["forward_neutral_ratio"] = dict(
            job=1 + (nf["restbench_job"] - nf["bare"]) / bare_min,
            call=1 + (nf["restbench_call"] - nf["bare"]) / bare_min,
        )
        if process_rounds:
            env = _env(Path(tmp) / "home")
            cmd_rb = [str(Path(sys.executable).with_name("restbench")), *_run_argv(Path(tmp) / "res2")]
            cmd_bare = [sys.executable, __file__, "--bare-loop"]
            t = {"restbench": [], "bare": []}
            fwd = {"restbench": [], "bare": []}
            for _ in range(process_rounds):
                for k, cmd in (("restbench", cmd_rb), ("bare", cmd_bare)):
                    wall, f = _process_wall(cmd, env)
                    t[k].append(wall)
                    fwd[k].append(f)
            bare_inproc = [r["wall_s"] for r in rows["bare"]]
            res["whole_command"] = dict(
                seconds={k: summary(v) for k, v in t.items()},
                forward_s={k: [round(x, 3) for x in v] for k, v in fwd.items()},
                non_forward_s={k: min(w - f for w, f in zip(t[k], fwd[k])) for k in t},
                command_over_bare_process=ratio(t["restbench"], t["bare"]),
                command_over_bare_loop_inprocess=dict(by_min=min(t["restbench"]) / min(bare_inproc)),
            )
            nf = res["whole_command"]["non_forward_s"]
            res["whole_command"]["forward_neutral_ratio"] = 1 + (nf["restbench"] - nf["bare"]) / min(t["bare"])
    return res


def print_harness(res: dict) -> None:
    print(f"[harness] DnCNN σ25 on Set12 ({res['images']} images); target: <= 1.05")
    for b, r in zip(res["bare"], res["restbench"]):
        print(f"    round: bare loop {b['wall_s']:.2f} s (forward {b['forward_s']:.2f}); restbench job wall_s "
              f"{r['wall_s']:.2f} (forward {r['forward_s']:.2f}), whole in-process call {r['call_s']:.2f} s")
    print(f"  job wall_s / bare loop:           {fmt_ratio(res['job_wall_over_bare'])}")
    print(f"  in-process CLI call / bare loop:  {fmt_ratio(res['call_over_bare'])}")
    nf = res["non_forward_s"]
    print(f"  time outside the forward: restbench job {nf['restbench_job']:.2f} s, whole CLI call {nf['restbench_call']:.2f} s, "
          f"bare loop {nf['bare']:.2f} s")
    fn = res["forward_neutral_ratio"]
    print(f"  with equal forward time: job {fn['job']:.3f}, CLI call {fn['call']:.3f}")
    if "whole_command" in res:
        w = res["whole_command"]
        print(f"  whole command (process wall, incl. Python/torch import): restbench {w['seconds']['restbench']['min']:.2f} s, "
              f"bare-loop process {w['seconds']['bare']['min']:.2f} s (forward {w['forward_s']})")
        print(f"    / bare-loop process: {fmt_ratio(w['command_over_bare_process'])}; with equal forward time "
              f"{w['forward_neutral_ratio']:.3f}; / in-process bare loop: {w['command_over_bare_loop_inprocess']['by_min']:.3f} (min/min)")
        print(f"    outside the forward: restbench process {w['non_forward_s']['restbench']:.2f} s, bare process {w['non_forward_s']['bare']:.2f} s")


def bench_kair(repeat: int = 2, process_rounds: int = 1) -> dict:
    """restbench run's job ``wall_s`` vs the KAIR emulation's loop (same model object, same images;
    both exclude model loading, as KAIR's script loads before its loop), and the same with
    ``--channels-last`` (oneDNN's NHWC convolutions; not restbench's default). Then both as
    processes (Python + torch start-up included)."""
    paths = set12_paths()
    model = dncnn_model()
    t: dict[str, list] = {"kair": [], "restbench": [], "restbench_channels_last": []}
    last = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RESTBENCH_HOME"] = str(Path(tmp) / "home")
        out = Path(tmp) / "kair"
        out.mkdir()
        kair_script(model, paths[:1], out)  # warm-up
        restbench_inprocess(Path(tmp) / "res", ("--limit", "1"))  # fills the MAC-count cache
        for _ in range(repeat):
            last["kair"] = kair_script(model, paths, out)
            t["kair"].append(last["kair"]["wall_s"])
            last["restbench"] = restbench_inprocess(Path(tmp) / "res")
            t["restbench"].append(last["restbench"]["wall_s"])
            last["restbench_channels_last"] = restbench_inprocess(Path(tmp) / "res", ("--channels-last",))
            t["restbench_channels_last"].append(last["restbench_channels_last"]["wall_s"])
        res = dict(
            images=len(paths),
            seconds={k: summary(v) for k, v in t.items()},
            forward_s={k: round(v["forward_s"], 3) for k, v in last.items()},
            non_forward_s={k: round(v["wall_s"] - v["forward_s"], 3) for k, v in last.items()},
            restbench_over_kair=ratio(t["restbench"], t["kair"]),
            restbench_channels_last_over_kair=ratio(t["restbench_channels_last"], t["kair"]),
            scores={k: dict(psnr=v["psnr"], ssim=v["ssim"]) for k, v in last.items()},
        )
        if process_rounds:
            env = _env(Path(tmp) / "home")
            cmd_rb = [str(Path(sys.executable).with_name("restbench")), *_run_argv(Path(tmp) / "res2")]
            cmd_kair = [sys.executable, __file__, "--kair-script", str(out)]
            p = {"restbench": [], "kair": []}
            fwd = {"restbench": [], "kair": []}
            for _ in range(process_rounds):
                for k, cmd in (("restbench", cmd_rb), ("kair", cmd_kair)):
                    wall, f = _process_wall(cmd, env)
                    p[k].append(wall)
                    fwd[k].append(f)
            res["whole_process"] = dict(seconds={k: summary(v) for k, v in p.items()},
                                        forward_s={k: [round(x, 3) for x in v] for k, v in fwd.items()},
                                        restbench_over_kair=ratio(p["restbench"], p["kair"]))
    return res


def print_kair(res: dict) -> None:
    s = res["seconds"]
    print(f"[kair] DnCNN σ25 on Set12 ({res['images']} images): restbench job wall_s vs KAIR main_test_dncnn.py emulation; target <= 0.8")
    print(f"    KAIR {s['kair']['min']:.2f} s, restbench {s['restbench']['min']:.2f} s, "
          f"restbench --channels-last {s['restbench_channels_last']['min']:.2f} s (min of {s['kair']['runs']}); "
          f"last round: forward {res['forward_s']}, outside the forward {res['non_forward_s']}")
    print(f"  restbench / KAIR:                 {fmt_ratio(res['restbench_over_kair'])}")
    print(f"  restbench --channels-last / KAIR: {fmt_ratio(res['restbench_channels_last_over_kair'])}")
    for k, v in res["scores"].items():
        print(f"    {k}: PSNR {v['psnr']:.4f} dB, SSIM {v['ssim']:.4f}")
    if "whole_process" in res:
        w = res["whole_process"]
        print(f"  as processes (incl. Python/torch start-up): restbench {w['seconds']['restbench']['min']:.2f} s, "
              f"KAIR {w['seconds']['kair']['min']:.2f} s -> {fmt_ratio(w['restbench_over_kair'])} (forward {w['forward_s']})")


# --- tiling ----------------------------------------------------------------------------------------


def frame_1280x720() -> torch.Tensor:
    """A real-content 1280x720 grey frame: Set12's 512x512 images side by side (01, 02, 03 on the top
    row, 04, 05, 06 below), cut to 720 rows and 1280 columns. Returns (1, 1, 720, 1280) in [0, 1]."""
    from restbench.datasets import read_image

    imgs = [read_image(p)[..., 0] for p in set12_paths() if read_image(p).shape[0] == 512]
    if len(imgs) < 2:
        raise RuntimeError("Set12 needs its 512x512 images for the 1280x720 frame")
    def row(ims: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([ims[i % len(ims)] for i in range(3)], axis=1)

    canvas = np.concatenate([row(imgs), row(imgs[1:] + imgs[:1])], axis=0)[:720, :1280]
    return torch.from_numpy(np.ascontiguousarray(canvas)).float()[None, None] / 255.0


def _peak_in_child(mode: str, tile: int, overlap: int, q) -> None:
    """Runs in a fresh process, so one measurement's freed memory cannot hide the next one's peak."""
    from restbench.costs.measure import peak_memory
    from restbench.protocols.degradations import add_gaussian_noise
    from restbench.engine.inference import forward_padded, forward_tiled
    from restbench.registry import InputSpec

    torch.set_num_threads(max(1, torch.get_num_threads()))
    model = dncnn_model()
    clean = frame_1280x720()
    x = add_gaussian_noise(clean, SIGMA).float()
    spec = InputSpec()
    with torch.inference_mode():
        forward_tiled(model, x[..., :300, :300], spec, 1, tile, overlap)  # warm-up: oneDNN primitives, allocator
        result = {}

        def go():
            if mode == "tiled":
                result["y"] = forward_tiled(model, x, spec, 1, tile, overlap)
            else:
                result["y"] = forward_padded(model, x, spec, 1)

        t0 = time.perf_counter()
        peak, how = peak_memory(go, torch.device("cpu"))
        secs = time.perf_counter() - t0
    from restbench.metrics import psnr

    y = result["y"].clamp(0, 1)
    q.put(dict(peak=peak, how=how, seconds=secs, psnr=psnr(y, clean, uint8=True).item(), out=y.numpy()))


def bench_tiling(repeat: int = 2, tile: int = 256, overlap: int = 32) -> dict:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    runs: dict[str, list] = {"untiled": [], "tiled": []}
    for _ in range(repeat):
        for mode in ("untiled", "tiled"):
            q = ctx.Queue()
            p = ctx.Process(target=_peak_in_child, args=(mode, tile, overlap, q))
            p.start()
            runs[mode].append(q.get())
            p.join()
    u, t = runs["untiled"][0], runs["tiled"][0]
    peak_u = statistics.median(r["peak"] for r in runs["untiled"])
    peak_t = statistics.median(r["peak"] for r in runs["tiled"])
    diff = np.abs(u["out"].astype(np.float64) - t["out"].astype(np.float64))
    return dict(
        size="1280x720 grey (Set12 mosaic), DnCNN σ25 (real weights)",
        tile=tile, overlap=overlap, measured_by=u["how"],
        peak_bytes=dict(untiled=[r["peak"] for r in runs["untiled"]], tiled=[r["peak"] for r in runs["tiled"]]),
        peak_ratio=peak_t / peak_u,
        seconds=dict(untiled=min(r["seconds"] for r in runs["untiled"]), tiled=min(r["seconds"] for r in runs["tiled"])),
        psnr=dict(untiled=u["psnr"], tiled=t["psnr"]),
        psnr_diff_db=abs(u["psnr"] - t["psnr"]),
        max_abs_output_diff=float(diff.max()),
        psnr_tiled_vs_untiled_output=float(10 * np.log10(1.0 / max(np.mean(diff**2), 1e-30))),
    )


def print_tiling(res: dict) -> None:
    print(f"[tiling] {res['size']}, tile {res['tile']} overlap {res['overlap']}; targets: peak <= 1/4, |dPSNR| <= 0.01 dB")
    pb = res["peak_bytes"]
    print(f"    peak ({res['measured_by']}): untiled {[round(b / 2**20) for b in pb['untiled']]} MiB, "
          f"tiled {[round(b / 2**20) for b in pb['tiled']]} MiB; time untiled {res['seconds']['untiled']:.1f} s, tiled {res['seconds']['tiled']:.1f} s")
    print(f"  peak ratio tiled/untiled: {res['peak_ratio']:.3f} (median of runs)")
    print(f"  PSNR untiled {res['psnr']['untiled']:.4f} dB, tiled {res['psnr']['tiled']:.4f} dB, |diff| {res['psnr_diff_db']:.2e} dB; "
          f"max |output diff| {res['max_abs_output_diff']:.2e}")


TARGETS = {
    "harness": (bench_harness, print_harness),
    "metrics": (bench_metrics, print_metrics),
    "kair": (bench_kair, print_kair),
    "tiling": (bench_tiling, print_tiling),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="*", metavar="TARGET", help=f"any of {', '.join(TARGETS)} (default: all)")
    ap.add_argument("--repeat", type=int, help="timed rounds per measurement (default per target)")
    ap.add_argument("--threads", type=int, help="torch/cv2 threads (default: library defaults)")
    ap.add_argument("--json", type=Path, help="write all results to this file")
    ap.add_argument("--process-rounds", type=int, help="rounds of the whole-process comparisons (default 1; 0 skips)")
    ap.add_argument("--bare-loop", action="store_true", help=argparse.SUPPRESS)  # child of `harness`
    ap.add_argument("--kair-script", type=Path, help=argparse.SUPPRESS)  # child of `kair`
    args = ap.parse_args(argv)
    if args.bare_loop:  # the whole-command comparison: a process that only loads and runs the model
        print(json.dumps(bare_loop(dncnn_model(), set12_paths())))
        return 0
    if args.kair_script:  # KAIR's script as a process: imports, model load, loop
        print(json.dumps(kair_script(dncnn_model(), set12_paths(), args.kair_script)))
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    if not (SHARED / "README.md").exists():
        print(f"reference data not found at {SHARED} (set RESTBENCH_SHARED)", file=sys.stderr)
        return 2
    out = dict(
        machine=dict(platform=platform.platform(), processor=platform.processor() or platform.machine(),
                     cpus=os.cpu_count(), torch=torch.__version__, numpy=np.__version__),
        date=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    )
    for name in args.targets or list(TARGETS):
        fn, show = TARGETS[name]
        kw = {}
        if args.repeat:
            kw["repeat"] = args.repeat
        if args.threads and name == "metrics":
            kw["threads"] = args.threads
        if args.process_rounds is not None and name in ("harness", "kair"):
            kw["process_rounds"] = args.process_rounds
        t0 = time.perf_counter()
        res = fn(**kw)
        res["bench_seconds"] = round(time.perf_counter() - t0, 1)
        show(res)
        print(f"  ({name} took {res['bench_seconds']} s)", flush=True)
        out[name] = res
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
