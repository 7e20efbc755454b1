"""Scaling of a distributed run on this machine: 2 ranks x 1 thread vs 1 rank x 1 thread, same job.

Reports (never asserts) the wall time of the whole command and of the job (the sealed summary's
``wall_s``, from model loaded to summary sealed, as seen by rank 0), their ratio, and images/s
per rank. Each configuration starts from an empty results directory, so nothing is cached.

    python benchmarks/distributed.py                         # DnCNN sigma 25 on Set12, 2 rounds
    python benchmarks/distributed.py --dataset BSD68 --rounds 3 --json out.json

Needs the reference data in ../shared (or $RESTBENCH_SHARED) and the DnCNN plugin.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RESTBENCH_SHARED", REPO.parent / "shared"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(ranks: int, dataset: str, limit: int | None, home: Path) -> dict:
    results = Path(tempfile.mkdtemp(prefix=f"rb-bench-{ranks}r-"))
    args = ["run", "--models", "dncnn", "--dataset", dataset, "--sigma", "25",
            "--data-root", str(SHARED / "datasets"), "--weights", f"dncnn={SHARED / 'weights' / 'dncnn_25.pth'}",
            "--results", str(results), "--json", "--no-progress", *(["--limit", str(limit)] if limit else [])]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1", HF_HUB_OFFLINE="1",
               RESTBENCH_HOME=str(home))
    if ranks == 1:
        cmd = [sys.executable, "-m", "restbench", *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(ranks), "--master-addr",
               "127.0.0.1", "--master-port", str(free_port()), "-m", "restbench", *args]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{ranks} rank(s) failed:\n{out.stderr[-3000:]}")
    (summary,) = json.loads(out.stdout)["results"]
    return dict(ranks=ranks, command_s=round(wall, 3), job_wall_s=summary["wall_s"], forward_s=summary["forward_s"],
                n_images=summary["n_images"], psnr=summary["psnr"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="Set12")
    p.add_argument("--limit", type=int)
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds (1 rank, 2 ranks, 1 rank, ...)")
    p.add_argument("--json", type=Path, help="also write the raw measurements here")
    a = p.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rb-bench-home-"))
    one_run(1, a.dataset, 1, home)  # warm the MAC-count cache and numba's on-disk cache once
    runs = []
    for _ in range(a.rounds):
        for ranks in (1, 2):
            runs.append(one_run(ranks, a.dataset, a.limit, home))
            print(json.dumps(runs[-1]), file=sys.stderr)
    single = [r for r in runs if r["ranks"] == 1]
    double = [r for r in runs if r["ranks"] == 2]
    assert all(r["psnr"] == single[0]["psnr"] for r in runs), "every run must give the same PSNR"
    n = single[0]["n_images"]
    best = lambda rs, k: min(r[k] for r in rs)  # noqa: E731 - the least-disturbed run of each
    report = dict(
        dataset=a.dataset, images=n, rounds=a.rounds, cpus=os.cpu_count(), load_avg=os.getloadavg(),
        job_wall_s={"1x1": best(single, "job_wall_s"), "2x1": best(double, "job_wall_s")},
        command_s={"1x1": best(single, "command_s"), "2x1": best(double, "command_s")},
        ratio_job_wall_2_over_1=round(best(double, "job_wall_s") / best(single, "job_wall_s"), 3),
        ratio_command_2_over_1=round(best(double, "command_s") / best(single, "command_s"), 3),
        images_per_s_per_rank={"1x1": round(n / best(single, "job_wall_s"), 3),
                               "2x1": round(n / best(double, "job_wall_s") / 2, 3)},
        psnr=single[0]["psnr"], runs=runs,
    )
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, indent=1))
    if a.json:
        a.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
