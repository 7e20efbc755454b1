"""Read-only and full result folders: one clear line, the right exit status, nothing half-written.

Each scenario runs real `python -m restbench` processes inside a private mount namespace
(``unshare -m``) on a small tmpfs, so the test can make a folder read-only or full without
touching the machine. Where the sandbox forbids mount namespaces the tests skip and say why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from faultkit import SHARED, env, identity_args

PY = sys.executable


def _namespace_ok() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt && umount /mnt"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"this sandbox forbids private mount namespaces ({probe.stderr.strip()[:120]})"
    return None


WHY_NOT = _namespace_ok()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")


@pytest.fixture(autouse=True)
def _needs_shared():
    if not (SHARED / "datasets" / "Set12").is_dir():
        pytest.skip(f"reference data not found at {SHARED}")


def in_namespace(script: str, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "scenario.sh"
    path.write_text("set -u\n" + script)
    return subprocess.run(["unshare", "-m", "sh", str(path)], capture_output=True, text=True, env=env(), timeout=600)


def _cmd(argv: list[str], tag: str, out) -> str:
    """One restbench call whose exit status, stdout and stderr land in files beside the test."""
    quoted = " ".join(f"'{a}'" for a in argv)
    return f"{PY} -m restbench {quoted} >{out}/{tag}.out 2>{out}/{tag}.err; echo $? >{out}/{tag}.rc\n"


def _result(out, tag: str) -> tuple[int, str, str]:
    return int((out / f"{tag}.rc").read_text()), (out / f"{tag}.out").read_text(), (out / f"{tag}.err").read_text()


def test_read_only_results_folder_and_home(tmp_path):
    mnt, out = tmp_path / "ro", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    script = (
        f"mount -t tmpfs -o ro,size=64k tmpfs {mnt}\n"
        + _cmd(identity_args(mnt / "results", 2), "results", out)
        + f"RESTBENCH_HOME={mnt}/home " + _cmd(identity_args(None, 2), "home", out)
        + f"ls -A {mnt} > {out}/listing\n"
    )
    proc = in_namespace(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    code, _, err = _result(out, "results")
    assert code == 2
    assert f"cannot write the results store at {mnt / 'results'}: read-only file system; pass --results DIR" in err
    assert "Traceback" not in err and "internal error" not in err and err.count("\n") == 1
    code, _, err = _result(out, "home")
    assert code == 2
    assert f"cannot write the results store at {mnt / 'home' / 'results'}: read-only file system" in err
    assert "set RESTBENCH_HOME or pass --results DIR" in err and "Traceback" not in err
    assert (out / "listing").read_text() == ""


def test_full_results_folder_fails_cleanly_and_resumes_once_there_is_room(tmp_path):
    """Full before the first row (exit 1, no empty file left); room for the rows but not the seal
    (exit 1, no temp file, rows kept); space freed (the job resumes and seals every image once)."""
    mnt, out = tmp_path / "full", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    args = identity_args(mnt / "r", 3)
    script = (
        f"mount -t tmpfs -o size=64k tmpfs {mnt}\nmkdir {mnt}/r\n"
        f"dd if=/dev/zero of={mnt}/fill bs=4k count=100 2>/dev/null\n"
        + _cmd(args, "full", out)
        + f"ls -A {mnt}/r > {out}/full.ls\n"
        + f"truncate -s 60k {mnt}/fill\n"  # one 4 KiB page: the partial file fits, the sealed copy does not
        + _cmd(args, "seal", out)
        + f"ls -A {mnt}/r > {out}/seal.ls\ncp {mnt}/r/*.partial.jsonl {out}/partial.jsonl\n"
        + f"rm {mnt}/fill\n"
        + _cmd([*args, "--json"], "room", out)
        + f"ls -A {mnt}/r > {out}/room.ls\ncp {mnt}/r/*.jsonl {out}/sealed.jsonl\n"
    )
    proc = in_namespace(script, tmp_path)
    assert proc.returncode == 0, proc.stderr

    code, _, err = _result(out, "full")
    assert code == 1
    assert "partial.jsonl: no space left on device; free space or pass --results DIR on another disk" in err
    assert "Traceback" not in err and "internal error" not in err
    assert (out / "full.ls").read_text().split() == [".locks"], "no 0-byte or temporary file is left"

    code, _, err = _result(out, "seal")
    assert code == 1
    assert ".jsonl: no space left on device" in err and "images already measured are kept" in err
    listing = (out / "seal.ls").read_text().split()
    assert not [n for n in listing if n.endswith(".tmp")], listing
    kept = [json.loads(line) for line in (out / "partial.jsonl").read_text().splitlines()]
    assert [r["image"] for r in kept] == ["01", "02", "03"]

    code, stdout, err = _result(out, "room")
    assert code == 0, err
    (summary,) = json.loads(stdout)["results"]
    assert summary["resumed_images"] == 3 and summary["n_images"] == 3
    rows = [json.loads(line) for line in (out / "sealed.jsonl").read_text().splitlines()]
    assert [r["image"] for r in rows[:-1]] == ["01", "02", "03"]
    assert [r["psnr"] for r in rows[:-1]] == [r["psnr"] for r in kept]
    assert sorted((out / "room.ls").read_text().split()) == [".locks", f"{summary['job_key']}.jsonl"]
