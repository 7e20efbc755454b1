"""DPDD as Restormer's two defocus scripts read and score it: the single-image model gets the centre
view at 8 bits, the dual-pixel model the left+right views and the target at 16 bits (/ 65535); MAE
is reported; a whole-set run also averages the indoor/outdoor splits (1-based indices into the
natural file order), and claims on a split are judged against that split only.

The set is synthetic (76 random 16-bit 16x16 scenes) and the 'models' are weight-free (dpdd_plugin):
every expected number below is computed here from the files with numpy/skimage, as the authors'
``utils.PSNR``/``utils.SSIM``/``utils.MAE`` do.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

import dpdd_plugin
from restbench import get_registry
from restbench.cli import main
from restbench.datasets import DatasetError, load_samples, split_members
from restbench.plugin import manager as plugins

N = 76
INDOOR = [3, 1, 10, 76, 40, 11, 2]  # 1-based, deliberately unsorted; natural order puts 10 after 9, not after 1
OUTDOOR = [i for i in range(1, N + 1) if i not in INDOOR]


def _spec():
    return get_registry().datasets["DPDD"]


def _u16(rng, shape=(16, 16, 3)) -> np.ndarray:
    return rng.integers(0, 65536, size=shape, dtype=np.uint16)


@pytest.fixture()
def dpdd(tmp_path) -> Path:
    """A DPDD folder in Restormer's layout; scene i is ``<i>.png`` so natural and ASCII order differ."""
    rng = np.random.default_rng(7)
    root = tmp_path / "data"
    for i in range(1, N + 1):
        target = _u16(rng)
        # views near the target, so scores are in a realistic range rather than ~5 dB noise
        for d, img in (("target", target), ("inputC", target), ("inputL", target), ("inputR", target)):
            if d != "target":
                noise = rng.normal(0, 3000, size=target.shape)
                img = np.clip(target.astype(np.float64) + noise, 0, 65535).astype(np.uint16)
            (root / "DPDD" / d).mkdir(parents=True, exist_ok=True)
            assert cv2.imwrite(str(root / "DPDD" / d / f"{i}.png"), img)
    np.save(root / "DPDD" / "indoor_labels.npy", np.array(INDOOR))
    np.save(root / "DPDD" / "outdoor_labels.npy", np.array(OUTDOOR))
    return root


def _read16(path: Path) -> np.ndarray:  # utils.load_img16 + np.float32(...) / 65535.
    return np.float32(cv2.cvtColor(cv2.imread(str(path), -1), cv2.COLOR_BGR2RGB)) / 65535.0


def _read8(path: Path) -> np.ndarray:  # utils.load_img + np.float32(...) / 255.
    return np.float32(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)) / 255.0


def _scores(target: np.ndarray, restored: np.ndarray) -> tuple[float, float, float]:
    """The authors' utils.PSNR, utils.SSIM (skimage, data_range 1) and utils.MAE."""
    psnr = 10 * math.log10(1 / np.mean((target - restored) ** 2))
    ssim = structural_similarity(target, restored, data_range=1, channel_axis=2)
    mae = float(np.mean([np.mean(np.abs(target[..., c] - restored[..., c])) for c in range(3)]))
    return psnr, ssim, mae


def _expected(root: Path, model: str) -> dict[int, tuple[float, float, float]]:
    out = {}
    for i in range(1, N + 1):
        d = root / "DPDD"
        if model == "dpdd-dual":
            target = _read16(d / "target" / f"{i}.png")
            restored = np.clip((_read16(d / "inputL" / f"{i}.png") + _read16(d / "inputR" / f"{i}.png")) / 2, 0, 1)
        else:
            target, restored = _read8(d / "target" / f"{i}.png"), _read8(d / "inputC" / f"{i}.png")
        out[i] = _scores(target, restored)
    return out


def _mean(per: dict[int, tuple], idx, k: int) -> float:
    return float(np.mean([per[i][k] for i in idx]))


@pytest.fixture()
def fresh_plugins():
    plugins.reset()
    dpdd_plugin.CLAIMS.clear()
    yield
    dpdd_plugin.CLAIMS.clear()
    plugins.reset()


def _run(capsys, argv) -> tuple[int, dict | None, str]:
    capsys.readouterr()
    code = main(["--plugin", "dpdd_plugin", *argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_dual_pixel_samples_are_both_views_at_16_bits(dpdd):
    (s,) = list(load_samples(_spec(), dpdd, task="defocus-deblurring", dual_pixel=True, limit=1))
    d = dpdd / "DPDD"
    assert s.name == "1" and s.input.shape == (16, 16, 6) and s.input.dtype == np.float32
    np.testing.assert_array_equal(s.input[..., :3], _read16(d / "inputL" / "1.png"))
    np.testing.assert_array_equal(s.input[..., 3:], _read16(d / "inputR" / "1.png"))
    np.testing.assert_array_equal(s.target, _read16(d / "target" / "1.png"))
    (c,) = list(load_samples(_spec(), dpdd, task="defocus-deblurring", limit=1))  # the single-image script: 8 bits
    assert c.input.dtype == np.uint8 and c.input.shape == (16, 16, 3)
    np.testing.assert_array_equal(c.input, cv2.cvtColor(cv2.imread(str(d / "inputC" / "1.png")), cv2.COLOR_BGR2RGB))


def test_splits_are_1_based_indices_into_the_natural_order(dpdd):
    names = [s.name for s in load_samples(_spec(), dpdd, task="defocus-deblurring")]
    assert names[:12] == [str(i) for i in range(1, 13)]  # natsorted, as the authors' glob + natsorted
    members = split_members(_spec(), dpdd, names)
    assert members["indoor"] == [str(i) for i in sorted(INDOOR)]
    assert len(members["outdoor"]) == N - len(INDOOR)
    np.save(dpdd / "DPDD" / "indoor_labels.npy", np.array([1, 77]))
    with pytest.raises(DatasetError, match=r"indoor_labels.npy: indices \[77\] are outside 1..76"):
        split_members(_spec(), dpdd, names)


def test_dpdd_runs_score_the_whole_set_and_each_split_as_the_authors_scripts(dpdd, tmp_path, capsys, fresh_plugins):
    results = tmp_path / "r"
    code, doc, err = _run(capsys, ["run", "--models", "dpdd-dual,dpdd-centre", "--dataset", "DPDD",
                                   "--data-root", str(dpdd), "--results", str(results), "--no-progress"])
    assert code == 0, err
    by = {r["variant"]: r for r in doc["results"]}
    for model in ("dpdd-dual", "dpdd-centre"):
        per = _expected(dpdd, model)
        s = by[model]
        assert s["n_images"] == N
        assert s["psnr"] == pytest.approx(_mean(per, range(1, N + 1), 0), abs=1e-6)
        assert s["ssim"] == pytest.approx(_mean(per, range(1, N + 1), 1), abs=1e-7)
        assert s["mae"] == pytest.approx(_mean(per, range(1, N + 1), 2), abs=1e-9)
        for split, idx in (("indoor", INDOOR), ("outdoor", OUTDOOR)):
            part = s["subsets"][split]
            assert part["n_images"] == len(idx)
            assert part["psnr"] == pytest.approx(_mean(per, idx, 0), abs=1e-6)
            assert part["ssim"] == pytest.approx(_mean(per, idx, 1), abs=1e-7)
            assert part["mae"] == pytest.approx(_mean(per, idx, 2), abs=1e-9)
    # 16 bits vs 8 bits is not a rounding detail: the two reads give different numbers for the same files
    assert abs(by["dpdd-dual"]["psnr"] - by["dpdd-centre"]["psnr"]) > 0.01


def test_a_split_claim_is_judged_by_the_split_and_only_by_it(dpdd, tmp_path, capsys, fresh_plugins):
    per = _expected(dpdd, "dpdd-dual")
    indoor = round(_mean(per, INDOOR, 0), 2), round(_mean(per, INDOOR, 1), 3)
    whole = round(_mean(per, range(1, N + 1), 0), 2), round(_mean(per, range(1, N + 1), 1), 3)
    outdoor_wrong = round(_mean(per, OUTDOOR, 0) + 0.5, 2), None  # a claim the run must refute
    dpdd_plugin.CLAIMS["dpdd-dual"] = [dict(psnr=whole[0], ssim=whole[1]),
                                       dict(psnr=indoor[0], ssim=indoor[1], subset="indoor"),
                                       dict(psnr=outdoor_wrong[0], ssim=None, subset="outdoor")]
    results = tmp_path / "r"
    code, _, err = _run(capsys, ["run", "--models", "dpdd-dual", "--dataset", "DPDD", "--data-root", str(dpdd),
                                 "--results", str(results), "--no-progress"])
    assert code == 0, err
    code, doc, err = _run(capsys, ["verify", "--models", "dpdd-dual", "--results", str(results)])
    assert code == 1, err  # the outdoor claim deviates
    rows = {r["dataset"]: r for r in doc["verdicts"]}
    assert set(rows) == {"DPDD", "DPDD (indoor)", "DPDD (outdoor)"}
    assert rows["DPDD"]["verdict"] == "REPRODUCED" and rows["DPDD"]["claimed_psnr"] == whole[0]
    assert rows["DPDD (indoor)"]["verdict"] == "REPRODUCED" and rows["DPDD (indoor)"]["n_images"] == len(INDOOR)
    assert rows["DPDD (indoor)"]["claimed_psnr"] == indoor[0]
    assert rows["DPDD (outdoor)"]["verdict"] == "DEVIATES"
    assert rows["DPDD (outdoor)"]["d_psnr"] == pytest.approx(_mean(per, OUTDOOR, 0) - outdoor_wrong[0], abs=1e-4)


def test_a_copy_without_split_files_still_gets_its_whole_set_summary(dpdd, tmp_path, capsys, fresh_plugins):
    (dpdd / "DPDD" / "outdoor_labels.npy").unlink()
    code, doc, err = _run(capsys, ["run", "--models", "dpdd-centre", "--dataset", "DPDD", "--data-root", str(dpdd),
                                   "--results", str(tmp_path / "r"), "--no-progress"])
    assert code == 0, err
    (s,) = doc["results"]
    assert s["n_images"] == N and not s["subsets"]
    assert "DPDD: no per-split means: " in err and "the 'outdoor' split file outdoor_labels.npy is missing" in err


def test_a_copy_without_one_view_fails_that_model_only_and_names_the_folder(dpdd, tmp_path, capsys, fresh_plugins):
    import shutil

    shutil.rmtree(dpdd / "DPDD" / "inputR")
    code, doc, err = _run(capsys, ["run", "--models", "dpdd-dual,dpdd-centre", "--dataset", "DPDD", "--data-root",
                                   str(dpdd), "--results", str(tmp_path / "r"), "--no-progress"])
    assert code == 1
    (failure,) = doc["failures"]
    assert failure["variant"] == "dpdd-dual"
    assert "inputs and targets do not pair (0 inputs, 76 targets); only in inputR/: -" in failure["error"]
    assert [r["variant"] for r in doc["results"]] == ["dpdd-centre"]  # the centre view is all it needs


def test_splits_get_their_own_lines_and_boards(dpdd, tmp_path, capsys, fresh_plugins):
    results, out = tmp_path / "r", tmp_path / "lb"
    capsys.readouterr()
    assert main(["--plugin", "dpdd_plugin", "run", "--models", "dpdd-centre", "--dataset", "DPDD", "--data-root",
                 str(dpdd), "--results", str(results), "--no-progress"]) == 0
    lines = [ln.split() for ln in capsys.readouterr().out.splitlines() if ln.startswith("dpdd-centre")]
    assert [ln[1:3] for ln in lines] == [["DPDD", "restormer-dpdd"], ["DPDD", "(indoor)"], ["DPDD", "(outdoor)"]]
    per = _expected(dpdd, "dpdd-centre")
    assert lines[1][4] == str(len(INDOOR))  # variant, "DPDD", "(indoor)", protocol, n, PSNR, …
    assert float(lines[1][5]) == pytest.approx(_mean(per, INDOOR, 0), abs=0.005)  # PSNR, printed to 2 decimals
    assert main(["--plugin", "dpdd_plugin", "report", "--results", str(results), "--out", str(out)]) == 0
    assert {p.name for p in out.glob("DPDD*.md")} == {"DPDD.md", "DPDD-indoor.md", "DPDD-outdoor.md"}
    board = (out / "DPDD-indoor.md").read_text()
    assert board.startswith("# DPDD (indoor)\n") and f"{_mean(per, INDOOR, 0):.4f}" in board
