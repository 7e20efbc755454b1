"""Run ``restbench`` with a fault at an exact point of a job, at the operating-system boundary.

    python tests/reliability/faultkit.py SPEC restbench-args…

SPEC is ``STAGE:N:SIGNAL`` or ``STAGE:SIGNAL`` with SIGNAL ``KILL``, ``INT`` or ``PAUSE`` (wait until the file ``$FAULTKIT_RELEASE`` exists, then go on):

* ``append:N`` — right after the N-th per-image row is fsynced to the partial file (the next image
  is then in flight: a kill "mid-image"). ``append:<number of images>`` is "after the last image,
  before the seal".
* ``torn:N`` — the N-th row is cut in half on disk, then the process dies (a write torn by a kill).
* ``seal-write`` — the sealed file's temporary copy is written and fsynced, not yet renamed.
* ``seal-rename`` — the sealed file is renamed into place, its partial file not yet removed.

Nothing in restbench is patched: the hooks wrap ``os.fsync`` and ``os.replace``, the two system
calls every durable store write goes through, and decide from the file's name where the job is.
SIGINT is delivered to the process itself, so Python raises KeyboardInterrupt exactly there, as
Ctrl-C would; SIGKILL ends it on the spot, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import os
import signal
import sys
import time

SIGNALS = {"KILL": signal.SIGKILL, "INT": signal.SIGINT, "PAUSE": None}


def _die(sig: int | None) -> None:
    if sig is None:  # PAUSE: hold the job (and its lock) until $FAULTKIT_RELEASE exists, then carry on
        release = os.environ.get("FAULTKIT_RELEASE")
        deadline = time.time() + float(os.environ.get("FAULTKIT_PAUSE_S", "120"))
        while time.time() < deadline and not (release and os.path.exists(release)):
            time.sleep(0.05)
        return
    os.kill(os.getpid(), sig)
    time.sleep(5)  # SIGINT: the KeyboardInterrupt is raised here, in the main thread
    raise SystemExit("faultkit: the signal was not delivered")


def install(spec: str) -> None:
    parts = spec.split(":")
    stage, sig = parts[0], SIGNALS[parts[-1]] if parts[-1] in SIGNALS else signal.SIGKILL
    nth = int(parts[1]) if len(parts) > 2 or (len(parts) == 2 and parts[1].isdigit()) else 1
    real_fsync, real_replace = os.fsync, os.replace
    count = {"partial": 0}

    def name_of(fd: int) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""

    def fsync(fd: int) -> None:
        real_fsync(fd)
        name = name_of(fd)
        if name.endswith(".partial.jsonl"):
            count["partial"] += 1
            if count["partial"] == nth and stage == "append":
                _die(sig)
            if count["partial"] == nth and stage == "torn":
                size = os.fstat(fd).st_size
                with open(name, "rb") as f:
                    last = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
                os.truncate(name, size - len(last) // 2 - 1)
                _die(signal.SIGKILL)
        elif stage == "seal-write" and name.endswith(".tmp") and ".partial.jsonl." not in name:
            _die(sig)

    def replace(src, dst, *a, **k) -> None:
        real_replace(src, dst, *a, **k)
        d = os.fspath(dst)
        if stage == "seal-rename" and d.endswith(".jsonl") and not d.endswith(".partial.jsonl"):
            _die(sig)

    os.fsync = fsync
    os.replace = replace


if __name__ == "__main__":
    install(sys.argv[1])
    from restbench.cli import main

    sys.exit(main(sys.argv[2:]))


# ----------------------------------------------------------------------------- helpers for the tests
# (importable from tests/reliability/test_*.py; nothing above runs on import)

import json  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("RESTBENCH_SHARED", REPO.parent / "shared"))
DNCNN_WEIGHT = SHARED / "weights" / "dncnn_25.pth"
# Set12 starts with 256x256 images: DnCNN's 17 3x3 convolutions at every pixel
DNCNN_MACS_256 = (64 * 9 + 15 * 64 * 64 * 9 + 64 * 9) * 256 * 256


def identity_args(results: Path | None, limit: int = 3, data_root: Path | None = None, *extra: str) -> list[str]:
    """identity on Set12 σ25; ``results=None`` uses the default store under $RESTBENCH_HOME."""
    return ["run", "--models", "identity", "--dataset", "Set12", "--sigma", "25",
            "--data-root", str(data_root or SHARED / "datasets"), "--limit", str(limit),
            *(["--results", str(results)] if results is not None else []), "--no-progress", *extra]


def dncnn_args(results: Path, limit: int, *extra: str) -> list[str]:
    return ["run", "--models", "dncnn", "--dataset", "Set12", "--sigma", "25",
            "--data-root", str(SHARED / "datasets"), "--weights", f"dncnn={DNCNN_WEIGHT}",
            "--limit", str(limit), "--results", str(results), "--no-progress", *extra]


def env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO / "tests" / "reliability")}


def run_sub(argv: list[str], fault: str | None = None, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """``python -m restbench ARGV`` (or through this fault kit) in a fresh process."""
    cmd = [sys.executable, *([__file__, fault] if fault else ["-m", "restbench"]), *argv]
    return subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=timeout, **kw)


def start_sub(argv: list[str], fault: str | None = None, extra_env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, *([__file__, fault] if fault else ["-m", "restbench"]), *argv]
    return subprocess.Popen(cmd, env={**env(), **(extra_env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def sealed(results: Path) -> list[Path]:
    return sorted(p for p in Path(results).glob("*.jsonl") if not p.name.endswith(".partial.jsonl"))


def leftovers(results: Path) -> list[str]:
    """Partial and temporary files: after a finished run there must be none."""
    return sorted(p.name for p in Path(results).iterdir() if p.name.endswith((".partial.jsonl", ".tmp")))


def only_result(results: Path) -> tuple[list[dict], dict]:
    """The one sealed file's (image rows, summary), read straight from disk, strictly."""
    files = sealed(results)
    assert len(files) == 1, files
    rows = lines(files[0])
    assert rows[-1]["kind"] == "summary" and all(r["kind"] == "image" for r in rows[:-1])
    return rows[:-1], rows[-1]


def scores(rows: list[dict]) -> list[tuple]:
    return [(r["image"], r["psnr"], r["ssim"]) for r in rows]


@pytest.fixture(autouse=True)
def shared_data_and_fresh_plugins():
    """Autouse in every module that imports it: skip without ../shared, reload plugins around each test."""
    from restbench.plugin import manager as plugins

    if not (SHARED / "datasets" / "Set12").is_dir():
        pytest.skip(f"reference data not found at {SHARED}")
    plugins.reset()
    yield
    plugins.reset()
