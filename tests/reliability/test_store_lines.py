"""Corrupt, foreign, truncated, edited and non-UTF-8 lines in the results store: never published,
always named (file and line), set aside by `restbench store check --repair` without losing a
byte, and recomputed by the next `run` to exactly the numbers an undamaged store holds."""

from __future__ import annotations

import json
import shutil

import pytest

from faultkit import shared_data_and_fresh_plugins  # noqa: F401  (autouse fixture)
from faultkit import SHARED, identity_args, leftovers, lines, only_result, scores, sealed
from restbench.cli import main
from restbench.plugin import manager as plugins
from restbench.results.integrity import row_check




@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("pristine")
    assert main(identity_args(root, 3)) == 0
    rows, summary = only_result(root)
    return root, rows, summary


def _store(tmp_path, pristine):
    root = tmp_path / "results"
    shutil.copytree(pristine[0], root)
    (path,) = sealed(root)
    return root, path


def _restamp(row: dict) -> dict:
    return {**row, "check": row_check(row)}


def damage(kind: str, raw: list[bytes]) -> tuple[list[bytes], int | None, str]:
    """(new lines, the line a warning must name or None for the whole file, the reason's words)."""
    lines_ = list(raw)
    if kind == "not-json":
        lines_[1] = b'{"kind": "image", "image": "02", "ps'
        return lines_, 2, "not valid JSON"
    if kind == "non-utf8":
        lines_[1] = lines_[1][:20] + b"\xff\xfe" + lines_[1][20:]
        return lines_, 2, "not UTF-8 text"
    if kind == "nan":
        row = json.loads(lines_[1])
        lines_[1] = json.dumps({**row, "psnr": float("nan")}).encode()
        return lines_, 2, "non-finite number NaN"
    if kind == "edited":  # valid JSON, plausible number: only the row's check can tell
        row = json.loads(lines_[1])
        lines_[1] = json.dumps({**row, "psnr": row["psnr"] + 1.0}).encode()
        return lines_, 2, "changed after restbench wrote it"
    if kind == "truncated":
        lines_[-1] = lines_[-1][: len(lines_[-1]) // 2]
        return lines_, 4, "incomplete last line"
    if kind == "schema":
        row = json.loads(lines_[-1])
        lines_[-1] = json.dumps(_restamp({**row, "schema": 99})).encode()
        return lines_, 4, "written by store schema 99"
    if kind == "foreign":  # a row of another job pasted after the summary
        row = json.loads(lines_[0])
        lines_.append(json.dumps(_restamp({**row, "job_key": "dncnn-s25__Set12__0123456789abcdef"})).encode())
        return lines_, 5, "belongs to job dncnn-s25__Set12__0123456789abcdef"
    if kind == "duplicate":
        lines_.insert(2, lines_[1])
        return lines_, None, "image rows appear twice: 02"
    raise AssertionError(kind)


KINDS = ["not-json", "non-utf8", "nan", "edited", "truncated", "schema", "foreign", "duplicate"]
# how many image rows of the damaged sealed file the next run keeps (the rest are measured again);
# None: the valid lines are the whole result, so it stays sealed
KEPT = {"not-json": 2, "non-utf8": 2, "nan": 2, "edited": 2, "truncated": 3, "schema": 3, "foreign": None, "duplicate": 3}


def _write(path, new_lines, kind):
    data = b"\n".join(new_lines) + (b"" if kind == "truncated" else b"\n")
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_sealed_file_is_never_published_silently(tmp_path, capsys, pristine, kind):
    root, path = _store(tmp_path, pristine)
    new, line, words = damage(kind, path.read_bytes().rstrip(b"\n").split(b"\n"))
    _write(path, new, kind)
    where = f"{path}{'' if line is None else f' line {line}'}: {words}"
    capsys.readouterr()

    # report: the only job is not on the boards, and the warning says where and why
    assert main(["report", "--results", str(root), "--out", str(tmp_path / "boards"), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert f"restbench: warning: {where}" in err
    assert "restbench store check --repair" in err and "no sealed results" in err

    # verify: exit 1, the damaged file is listed in the JSON document too
    assert main(["verify", "--results", str(root), "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["damaged_files"] == [str(path)]
    assert "1 damaged result file(s) could not be judged" in err

    # run: sets the file aside, keeps what it can vouch for, measures the rest, same numbers as before
    assert main([*identity_args(root, 3), "--json"]) == 0
    out, err = capsys.readouterr()
    (summary,) = json.loads(out)["results"]
    assert f"restbench: warning: {where}" in err
    rows, stored = only_result(root)
    assert scores(rows) == scores(pristine[1])
    assert stored["psnr"] == pristine[2]["psnr"] and stored["n_images"] == 3
    if KEPT[kind] is None:
        assert summary["cached"] is True
    else:
        assert summary["resumed_images"] == KEPT[kind]
    assert leftovers(root) == []
    (quarantined,) = [p for p in (root / "quarantine").iterdir() if not p.name.endswith(".why")]
    assert quarantined.read_bytes() == _write(tmp_path / "again", new, kind), "the damaged file is kept byte for byte"


@pytest.mark.parametrize("kind", KINDS)
def test_store_check_reports_and_repairs(tmp_path, capsys, pristine, kind):
    root, path = _store(tmp_path, pristine)
    new, line, words = damage(kind, path.read_bytes().rstrip(b"\n").split(b"\n"))
    original = _write(path, new, kind)
    capsys.readouterr()

    assert main(["store", "check", "--results", str(root), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["damaged"] == 1 and doc["jobs_checked"] == 1
    problems = doc["jobs"][0]["problems"]
    assert {"file": str(path), "line": line, "reason": next(p["reason"] for p in problems if words in p["reason"])} in problems
    assert path.read_bytes() == original, "check alone changes nothing"

    assert main(["store", "check", "--repair", "--results", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"damaged {path}" in out and "fixed" in out
    assert main(["store", "check", "--results", str(root)]) == 0, "clean after repair"
    capsys.readouterr()
    saved = [p for p in (root / "quarantine").iterdir() if not p.name.endswith(".why")]
    assert [p.read_bytes() for p in saved] == [original]
    why = next((root / "quarantine").glob("*.why")).read_text()
    assert words in why

    # after the repair the result is whole again, or the next run measures exactly what was lost
    assert main([*identity_args(root, 3), "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)["results"]
    rows, _ = only_result(root)
    assert scores(rows) == scores(pristine[1])
    assert summary.get("cached", False) == (KEPT[kind] is None)
    if KEPT[kind] is not None:
        assert summary["resumed_images"] == KEPT[kind]


def test_damaged_and_foreign_lines_in_a_partial_file_are_not_resumed(tmp_path, capsys, pristine):
    root, path = _store(tmp_path, pristine)
    rows = [json.loads(line) for line in path.read_text().splitlines()[:-1]]
    path.unlink()
    partial = root / path.name.replace(".jsonl", ".partial.jsonl")
    foreign_image = _restamp({**rows[0], "image": "99"})  # right job key, but no such image in this job
    partial.write_bytes(json.dumps(rows[0]).encode() + b"\n" + b"\xff\xfe garbage\n"
                        + json.dumps(foreign_image).encode() + b"\n" + json.dumps(rows[0]).encode() + b"\n")
    capsys.readouterr()
    assert main([*identity_args(root, 3), "--json"]) == 0
    out, err = capsys.readouterr()
    assert f"{partial} line 2: not UTF-8 text" in err
    assert f"{partial} line 4: a second row for image 01 (the first is kept)" in err
    assert "row for image '99', which is not one of this job's images" in err
    (summary,) = json.loads(out)["results"]
    assert summary["resumed_images"] == 2  # 01 and the foreign row were read; only 01 is kept
    stored, _ = only_result(root)
    assert scores(stored) == scores(pristine[1]) and [r["image"] for r in stored] == ["01", "02", "03"]


def test_leftovers_of_a_killed_seal_are_reported_and_cleared(tmp_path, capsys, pristine):
    root, path = _store(tmp_path, pristine)
    partial = root / path.name.replace(".jsonl", ".partial.jsonl")
    partial.write_text("".join(line + "\n" for line in path.read_text().splitlines()[:-1]))
    tmp = root / f"{path.name}.4242-deadbeef.tmp"
    tmp.write_text("")
    capsys.readouterr()
    assert main(["store", "check", "--results", str(root)]) == 1
    out = capsys.readouterr().out
    assert "partial file left beside its sealed file" in out and "temporary file of an interrupted write" in out
    assert main(["store", "check", "--repair", "--results", str(root)]) == 0
    assert leftovers(root) == [] and [p.name for p in sealed(root)] == [path.name]
    assert scores(lines(path)[:-1]) == scores(pristine[1])
