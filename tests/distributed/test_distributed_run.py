"""Real multi-process runs on CPU: gloo over 127.0.0.1, started by torchrun or by hand (env://, Slurm variables).

Every child runs with one thread (OMP_NUM_THREADS=1) so the forward passes are bit-identical
between the single-process reference and the ranks, and the 2 cores are not oversubscribed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    from loopback import LoopbackServer
except ImportError:  # tests/ imported as a package
    from tests.loopback import LoopbackServer

from restbench.engine.distributed import lpt

pytestmark = pytest.mark.slow

# summary fields that may differ between a single process and N ranks: timing and where it ran
# (and the store's integrity stamps, which hash the rows' bytes, forward times and ranks included)
WHERE_AND_WHEN = {"started", "finished", "wall_s", "forward_s", "world_size", "devices", "ranks", "cached",
                  "check", "rows_sha256", "resumed_images"}
LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "GROUP_RANK")


def free_port(lo: int = 0, hi: int = 0) -> int:
    for port in range(lo, hi) if lo else [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARS and not k.startswith(("SLURM_", "TORCHELASTIC"))}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1", HF_HUB_OFFLINE="1",
               RESTBENCH_HOME=str(home), no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run_argv(results: Path, *args: str) -> list[str]:
    return ["run", *args, "--results", str(results), "--no-progress", "--json", "--dist-timeout", "60"]


def single(home: Path, results: Path, *args: str, timeout: float = 300) -> dict:
    out = subprocess.run([sys.executable, "-m", "restbench", *run_argv(results, *args)], env=child_env(home),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def torchrun(home: Path, n: int, results: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(n), "--master-addr", "127.0.0.1",
           "--master-port", str(free_port()), "-m", "restbench", *run_argv(results, *args)]
    out = subprocess.run(cmd, env=child_env(home), capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out, json.loads(out.stdout)


def spawn_ranks(home: Path, n: int, results: Path, args_of_rank, env_of_rank=None, port: int | None = None) -> list[subprocess.Popen]:
    """``n`` ranks started by hand with the env:// variables (what torchrun sets), or ``env_of_rank``."""
    port = port or free_port()
    procs = []
    for r in range(n):
        env = (env_of_rank(r, port) if env_of_rank else
               dict(RANK=str(r), WORLD_SIZE=str(n), LOCAL_RANK=str(r), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)))
        procs.append(subprocess.Popen([sys.executable, "-m", "restbench", *args_of_rank(r)], env=child_env(home, **env),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def finish(procs: list[subprocess.Popen], timeout: float = 240) -> list[tuple[int, str, str]]:
    out = []
    for p in procs:
        try:
            so, se = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            so, se = p.communicate()
            pytest.fail(f"rank did not exit within {timeout} s: {se[-2000:]}")
        out.append((p.returncode, so, se))
    return out


def sealed(results: Path, summary: dict) -> list[dict]:
    return [json.loads(line) for line in (results / f"{summary['job_key']}.jsonl").read_text().splitlines()]


def image_rows(rows: list[dict]) -> list[dict]:
    """Per-image rows without what legitimately differs: the forward time and which rank ran it."""
    return [{k: v for k, v in r.items() if k not in ("forward_s", "rank", "check")} for r in rows if r["kind"] == "image"]


def same_numbers(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in WHERE_AND_WHEN}


def wait_for_rows(results: Path, pattern: str, n: int, procs: list[subprocess.Popen], limit: float = 180) -> list[str]:
    deadline = time.time() + limit
    while time.time() < deadline:
        for path in results.glob(pattern):
            lines = [line for line in path.read_text().splitlines() if line.endswith("}")]
            if len(lines) >= n:
                return [json.loads(line)["image"] for line in lines]
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.02)
    for p in procs:
        p.kill()
    pytest.fail(f"no {n} rows in {pattern}: " + " | ".join(p.communicate()[1][-1500:] for p in procs))


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rb-home")


@pytest.fixture(scope="module")
def dncnn_args(shared_dir) -> list[str]:
    return ["--models", "dncnn", "--dataset", "Set12", "--sigma", "25", "--limit", "5",
            "--data-root", str(shared_dir / "datasets"), "--weights", f"dncnn={shared_dir / 'weights' / 'dncnn_25.pth'}"]


@pytest.fixture(scope="module")
def reference(home, dncnn_args, tmp_path_factory) -> tuple[dict, list[dict]]:
    """DnCNN σ25 on the first 5 Set12 images, one process: the numbers every split must give."""
    results = tmp_path_factory.mktemp("reference")
    (summary,) = single(home, results, *dncnn_args)["results"]
    return summary, sealed(results, summary)


def assert_same_as_reference(results: Path, summary: dict, reference) -> list[dict]:
    ref_summary, ref_rows = reference
    rows = sealed(results, summary)
    assert same_numbers(summary) == same_numbers(ref_summary)
    assert image_rows(rows) == image_rows(ref_rows), "same images, same order, same scores"
    assert rows[-1]["kind"] == "summary" and same_numbers(rows[-1]) == same_numbers(ref_summary)
    assert not list(results.glob("*.partial.jsonl")), "shard files are merged away when sealed"
    return rows


def test_two_ranks_give_the_rows_and_summary_of_one_process(home, dncnn_args, reference, tmp_path):
    _, doc = torchrun(home, 2, tmp_path, *dncnn_args)
    (summary,) = doc["results"]
    assert len(doc["results"]) == 1, "only rank 0 prints"
    rows = assert_same_as_reference(tmp_path, summary, reference)
    assert abs(summary["psnr"] - reference[0]["psnr"]) == 0 and summary["n_images"] == 5
    assert summary["world_size"] == 2 and summary["ranks"] == [0, 1]
    assert len(summary["devices"]) == 2 and all(d.startswith("cpu") for d in summary["devices"])
    # 5 equal images over 2 ranks (a world size that does not divide the count): 3 and 2
    by_rank = {r: [x["image"] for x in rows if x.get("rank") == r] for r in (0, 1)}
    expected = [[["01", "02", "03", "04", "05"][i] for i in part] for part in lpt([1] * 5, 2)]
    assert [by_rank[0], by_rank[1]] == expected == [["01", "03", "05"], ["02", "04"]]


def test_three_ranks_on_mixed_sizes_match_the_published_bicubic_row(home, shared_dir, tmp_path):
    args = ["--models", "bicubic", "--dataset", "Set5", "--scale", "2", "--data-root", str(shared_dir / "datasets")]
    (ref,) = single(home, tmp_path / "one", *args)["results"]
    _, doc = torchrun(home, 3, tmp_path / "three", *args)
    (got,) = doc["results"]
    assert same_numbers(got) == same_numbers(ref) and got["world_size"] == 3 and got["ranks"] == [0, 1, 2]
    assert abs(got["psnr"] - 33.66) <= 0.03  # the published bicubic x2 Set5 PSNR
    rows = sealed(tmp_path / "three", got)
    assert [r["image"] for r in image_rows(rows)] == ["baby", "bird", "butterfly", "head", "woman"]
    assert image_rows(rows) == image_rows(sealed(tmp_path / "one", ref))
    px = {r["image"]: r["height"] * r["width"] for r in image_rows(rows)}
    loads = sorted(sum(px[r["image"]] for r in rows if r.get("rank") == k) for k in range(3))
    assert loads == [148480, 156832, 262144], "baby (512x512) alone; bird+butterfly, woman+head"


def test_a_hung_rank_times_out_then_a_single_process_finishes_the_job(home, dncnn_args, reference, tmp_path):
    argv = run_argv(tmp_path, *dncnn_args)
    argv[argv.index("--dist-timeout") + 1] = "4"
    procs = spawn_ranks(home, 2, tmp_path, lambda r: argv)
    before = wait_for_rows(tmp_path, "*.rank1.partial.jsonl", 1, procs)
    os.kill(procs[1].pid, signal.SIGSTOP)  # rank 1 hangs mid-job
    t0 = time.time()
    code, _, err = finish(procs[:1], timeout=120)[0]
    assert code == 1 and "rank 1 made no progress for 4 s" in err and "rerun the same command" in err, err[-2000:]
    assert "Traceback" not in err
    os.kill(procs[1].pid, signal.SIGKILL)
    procs[1].wait()
    assert time.time() - t0 < 100
    kept = {json.loads(line)["image"]: json.loads(line) for p in tmp_path.glob("*.partial.jsonl")
            for line in p.read_text().splitlines() if line.endswith("}")}
    assert set(before) <= set(kept) and len(kept) < 5

    (summary,) = single(home, tmp_path, *dncnn_args)["results"]
    rows = assert_same_as_reference(tmp_path, summary, reference)
    images = [r["image"] for r in rows if r["kind"] == "image"]
    assert len(images) == len(set(images)) == 5, "no image lost, none measured twice"
    for r in rows[:-1]:
        if r["image"] in kept:
            assert r == kept[r["image"]], "rows measured before the hang are kept, not recomputed"


def test_rank_0_killed_then_two_ranks_finish_the_job(home, dncnn_args, reference, tmp_path):
    argv = run_argv(tmp_path, *dncnn_args)
    procs = spawn_ranks(home, 2, tmp_path, lambda r: argv)
    wait_for_rows(tmp_path, "*.rank0.partial.jsonl", 1, procs)
    os.kill(procs[0].pid, signal.SIGKILL)  # the rank hosting the rendezvous store dies
    procs[0].wait()
    code, _, err = finish(procs[1:], timeout=120)[0]
    assert code == 1 and "rank 1: lost the rendezvous store" in err, err[-2000:]
    kept = sum(1 for p in tmp_path.glob("*.partial.jsonl") for line in p.read_text().splitlines() if line.endswith("}"))
    assert 1 <= kept < 5

    _, doc = torchrun(home, 2, tmp_path, *dncnn_args)
    (summary,) = doc["results"]
    rows = assert_same_as_reference(tmp_path, summary, reference)
    assert len({r["image"] for r in rows if r["kind"] == "image"}) == 5


def test_ranks_with_different_arguments_fail_fast_with_the_difference(home, tmp_path):
    base = ["--models", "identity", "--dataset", "demo"]
    t0 = time.time()
    procs = spawn_ranks(home, 2, tmp_path, lambda r: run_argv(tmp_path, *base, "--limit", str(3 - r)))
    outs = finish(procs, timeout=120)
    for code, _, err in outs:
        assert code == 2, err[-2000:]
        assert "ranks were started with different arguments or plans (limit: 3 on rank 0, 2 on rank 1)" in err
    # a rank whose own arguments are wrong tells the others instead of leaving them waiting
    procs = spawn_ranks(home, 2, tmp_path, lambda r: run_argv(tmp_path, "--models", "identity" if r == 0 else "nosuchnet",
                                                             "--dataset", "demo"))
    (c0, _, e0), (c1, _, e1) = finish(procs, timeout=120)
    assert c1 == 2 and "unknown model 'nosuchnet'" in e1
    assert c0 == 2 and "rank 1 could not start this run: unknown model 'nosuchnet'" in e0, e0[-2000:]
    assert time.time() - t0 < 100, "no waiting for a timeout (60 s)"
    assert not list(tmp_path.glob("*.jsonl")), "nothing ran"


def test_slurm_variables_two_tasks_take_whole_jobs(home, tmp_path):
    args = ["--models", "identity,bicubic", "--dataset", "demo", "--limit", "2"]
    ref = {s["variant"]: s for s in single(home, tmp_path / "one", *args)["results"]}
    port = free_port(20000, 30000)

    def slurm(rank: int, _port: int) -> dict:  # what srun sets for 2 tasks on one node
        return dict(SLURM_PROCID=str(rank), SLURM_NTASKS="2", SLURM_LOCALID=str(rank), SLURM_JOB_ID=str(port - 20000),
                    SLURM_JOB_NODELIST="127.0.0.1", SLURM_NTASKS_PER_NODE="2")

    procs = spawn_ranks(home, 2, tmp_path, lambda r: run_argv(tmp_path / "two", *args), slurm)
    (c0, out0, e0), (c1, out1, e1) = finish(procs)
    assert c0 == 0 and c1 == 0, e0[-2000:] + e1[-2000:]
    assert out1 == "", "only rank 0 prints"
    got = {s["variant"]: s for s in json.loads(out0)["results"]}
    assert set(got) == set(ref) == {"identity", "bicubic-x4"}
    owners = set()
    for vid, s in got.items():
        assert same_numbers(s) == same_numbers(ref[vid]) and s["world_size"] == 2
        assert image_rows(sealed(tmp_path / "two", s)) == image_rows(sealed(tmp_path / "one", ref[vid]))
        (owner,) = s["ranks"]
        assert {r["rank"] for r in sealed(tmp_path / "two", s)[:-1]} == {owner}, "a whole job on one rank"
        owners.add(owner)
    assert owners == {0, 1}, "the two jobs went to different ranks"


FETCH_PLUGIN = '''
import os
from dataclasses import replace

from restbench import hookimpl
from restbench.registry import Architecture, WeightSource
from restbench_dncnn.arch import DnCNN
from restbench_dncnn.variants import VARIANTS


@hookimpl
def register_models(register):
    base = next(v for v in VARIANTS if v.id == "dncnn-s25")
    register(Architecture(name="fetchnet", builder=DnCNN, paper="-", code="-", licence="MIT", description="DnCNN"),
             variants=[replace(base, id="fetchnet-s25", arch="fetchnet", claims=(),
                               sources=(WeightSource(url=os.environ["FETCHNET_URL"]),))])
'''


def test_weights_are_downloaded_once_for_all_ranks(shared_dir, tmp_path):
    blob = (shared_dir / "weights" / "dncnn_25.pth").read_bytes()
    (tmp_path / "fetchplug.py").write_text(FETCH_PLUGIN)
    fresh_home = tmp_path / "home"  # an empty weight cache
    with LoopbackServer({"/w/dncnn_25.pth": blob}) as srv:
        extra = dict(FETCHNET_URL=srv.url + "/w/dncnn_25.pth", PYTHONPATH=str(tmp_path), HF_HUB_OFFLINE="0")
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
               "--master-port", str(free_port()), "-m", "restbench", "--plugin", "fetchplug",
               *run_argv(tmp_path / "res", "--models", "fetchnet-s25", "--dataset", "Set12", "--sigma", "25",
                         "--limit", "2", "--protocol", "kair-denoise", "--data-root", str(shared_dir / "datasets"))]
        out = subprocess.run(cmd, env={**child_env(fresh_home), **extra}, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        gets = [r for r in srv.requests if r.method == "GET" and r.path == "/w/dncnn_25.pth"]
    (summary,) = json.loads(out.stdout)["results"]
    assert len(gets) == 1, f"{len(gets)} downloads for 2 ranks"
    assert summary["weights"]["source"] != "random init" and summary["n_images"] == 2 and summary["world_size"] == 2
    assert summary["weights"]["sha256"] == "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"
