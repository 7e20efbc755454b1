"""Launch detection (torchrun, Slurm), the pixel-balanced split and the jobs/images decision: no processes."""

from __future__ import annotations

import pytest

from restbench.engine.distributed import Distribution, detect_launch, distribute, lpt, slurm_first_host, slurm_port
from restbench.engine.plan import Job, Level, Plan
from restbench.errors import UserError
from restbench.registry import Variant

SET12_PIXELS = [256 * 256] * 7 + [512 * 512] * 5  # 01..07 are 256x256, 08..12 512x512


@pytest.mark.parametrize("nodelist,first", [
    ("gpu07", "gpu07"),
    ("gpu[03-05,9],cpu1", "gpu03"),
    ("node[001-128]", "node001"),
    ("rack[1-2]-node[7,8]", "rack1-node7"),
    ("a1,b[2-3]", "a1"),
    ("127.0.0.1", "127.0.0.1"),
])
def test_slurm_first_host(nodelist, first):
    assert slurm_first_host(nodelist) == first


def test_torchrun_variables_win_and_need_a_master():
    env = dict(RANK="3", WORLD_SIZE="8", LOCAL_RANK="1", LOCAL_WORLD_SIZE="4", MASTER_ADDR="10.0.0.5",
               MASTER_PORT="29400", SLURM_PROCID="0", SLURM_NTASKS="2")
    got = detect_launch(env)
    assert (got.rank, got.world_size, got.local_rank, got.local_world_size) == (3, 8, 1, 4)
    assert (got.launcher, got.init_method) == ("torchrun", "env://")
    with pytest.raises(UserError, match="MASTER_PORT not"):
        detect_launch(dict(RANK="0", WORLD_SIZE="2", MASTER_ADDR="h"))


def test_slurm_variables_master_address_and_port():
    env = dict(SLURM_PROCID="5", SLURM_NTASKS="8", SLURM_LOCALID="1", SLURM_JOB_ID="123456",
               SLURM_JOB_NODELIST="gpu[12-13]", SLURM_LAUNCH_NODE_IPADDR="10.1.1.1", SLURM_NTASKS_PER_NODE="4(x2)")
    got = detect_launch(env)
    assert (got.rank, got.world_size, got.local_rank, got.local_world_size) == (5, 8, 1, 4)
    assert got.init_method == f"tcp://gpu12:{20000 + 123456 % 10000}" == f"tcp://gpu12:{slurm_port(123456)}"
    # an explicit MASTER_ADDR/PORT wins; without a node list the launch node's address serves
    assert detect_launch({**env, "MASTER_ADDR": "m", "MASTER_PORT": "1234"}).init_method == "tcp://m:1234"
    no_list = {k: v for k, v in env.items() if k != "SLURM_JOB_NODELIST"}
    assert detect_launch(no_list).master_addr == "10.1.1.1"
    # the step's own task count wins over the allocation's
    assert detect_launch({**env, "SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "1"}).world_size == 2


def test_no_launcher_one_task_or_opt_out_is_a_plain_process():
    assert detect_launch({}) is None
    assert detect_launch(dict(SLURM_PROCID="0", SLURM_NTASKS="1")) is None
    assert detect_launch(dict(RANK="0", WORLD_SIZE="2", MASTER_ADDR="h", MASTER_PORT="1",
                              RESTBENCH_DISTRIBUTED="0")) is None


def test_lpt_balances_set12_by_pixels_and_covers_every_image_once():
    parts = lpt(SET12_PIXELS, 2)
    assert sorted(i for p in parts for i in p) == list(range(12))
    loads = [sum(SET12_PIXELS[i] for i in p) for p in parts]
    # 7 x 64Ki + 5 x 256Ki = 1728 Ki pixels: the best split is 896 Ki / 832 Ki, and LPT finds it
    assert sorted(loads) == [832 * 1024, 896 * 1024]
    assert parts == lpt(SET12_PIXELS, 2), "deterministic"
    # an image count the world size does not divide: 5 over 3 ranks, all equal in size
    assert [len(p) for p in lpt([1] * 5, 3)] == [2, 2, 1]
    assert lpt([], 4) == [[], [], [], []]


def _plan(n_jobs: int) -> Plan:
    return Plan([Job(Variant(id=f"v{i}", arch="identity", task="gaussian-denoising"), "Set5", "gaussian-denoising",
                     Level(sigma=25), "rgb", "kair-denoise") for i in range(n_jobs)])


def test_many_small_jobs_go_whole_to_ranks_and_big_jobs_are_split():
    set5 = [(f"im{i}", 100 * (i + 1)) for i in range(5)]
    small = distribute(_plan(8), 8, [set5] * 8)
    assert small.mode == "jobs" and sorted(small.owners) == list(range(8)) and "whole jobs" in small.reason
    one = distribute(_plan(1), 2, [set5])
    assert one.mode == "images" and one.fresh_shards(0) == [["im0", "im1", "im4"], ["im2", "im3"]]  # 800 vs 700 px
    bsd68 = [(f"im{i}", 154401) for i in range(68)]
    assert distribute(_plan(4), 2, [bsd68] * 4).mode == "images", "68 images a job is worth splitting"
    forced = distribute(_plan(8), 8, [set5] * 8, mode="images")
    assert forced.mode == "images" and forced.reason == "--shard images"
    assert isinstance(forced, Distribution)
    with pytest.raises(UserError):
        distribute(_plan(1), 2, [set5], mode="nodes")


def test_dry_run_shows_the_split_and_only_rank_0_prints_it(shared_dir, capsys, monkeypatch):
    import json

    from restbench.cli import main
    from restbench.plugin import manager as plugins

    plugins.reset()
    args = ["run", "--models", "dncnn", "--dataset", "Set12", "--sigma", "25", "--data-root",
            str(shared_dir / "datasets"), "--dry-run", "--json"]
    assert main([*args, "--world-size", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["distributed"]["world_size"] == 2 and doc["distributed"]["mode"] == "images"
    (row,) = doc["plan"]
    assert row["images"] == 12 and sorted(row["ranks"]["0"] + row["ranks"]["1"]) == [f"{i:02d}" for i in range(1, 13)]
    # --models all on Set5 x4: 4 jobs of 5 images for 4 ranks: whole jobs, one each (text form)
    assert main(["run", "--models", "all", "--dataset", "Set5", "--scale", "4", "--data-root",
                 str(shared_dir / "datasets"), "--dry-run", "--world-size", "4"]) == 0
    out = capsys.readouterr().out
    assert "distributed: 4 ranks, mode jobs" in out
    assert all(f"  rank {r}   " in out for r in range(4))
    assert main(["run", "--models", "identity", "--dataset", "demo", "--world-size", "2"]) == 2
    assert "--world-size only previews" in capsys.readouterr().err
    # under a launcher (no process group for a dry run): rank 1 is silent, rank 0 uses the world size
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "1")
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "1")
    assert main(args) == 0 and capsys.readouterr().out == ""
    monkeypatch.setenv("RANK", "0")
    assert main(args) == 0 and json.loads(capsys.readouterr().out)["distributed"]["world_size"] == 3
    plugins.reset()
