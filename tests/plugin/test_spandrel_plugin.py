"""restbench-spandrel: bare checkpoints on the command line, and the registered successors.

Checkpoints here are random-init state dicts saved in a layout spandrel detects (its own small
SRVGGNetCompact, DRUNet, SwinIR); nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

spandrel = pytest.importorskip("spandrel", reason="restbench-spandrel needs spandrel (pip install spandrel)")
pytest.importorskip("restbench_spandrel", reason="plugins/spandrel is not installed (pip install -e plugins/spandrel)")

from restbench.cli import main  # noqa: E402
from restbench.plugin import manager as plugins  # noqa: E402
from restbench_spandrel.builders import OPTIONS, LocalMeanPool, one_split  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def compact_sr(scale: int = 2):
    """spandrel's SRVGGNetCompact, tiny (2,292 parameters at x2): a real SR architecture, fast on CPU."""
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    return Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=scale)


@pytest.fixture
def compact_pth(tmp_path) -> Path:
    path = tmp_path / "mynet.pth"
    torch.save(compact_sr().state_dict(), path)
    return path


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_checkpoint(capsys, shared_dir, tmp_path, ckpt: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = cli(capsys, "run", "--models", str(ckpt), "--dataset", "Set5", "--scale", "2",
                         "--data-root", str(shared_dir / "datasets"), "--limit", "2", "--results",
                         str(tmp_path / "results"), "--json", "--no-progress", *extra)
    return code, json.loads(out) if out.strip() else {}, err


def expected_set5_psnr(shared_dir: Path, model: torch.nn.Module, n: int = 2) -> float:
    """The score computed without restbench's runner: spandrel's own descriptor on the given LR files."""
    from PIL import Image

    from restbench.protocols.named import evaluate

    desc = spandrel.ModelLoader().load_from_state_dict(model.state_dict())
    root = shared_dir / "datasets" / "Set5"
    scores = []
    for hr_file in sorted((root / "HR").glob("*.png"))[:n]:
        lr_file = root / "LR_bicubic" / "X2" / f"{hr_file.stem}x2.png"
        to_t = lambda p: torch.from_numpy(np.asarray(Image.open(p).convert("RGB"), np.float32) / 255).permute(2, 0, 1)[None]
        lr, hr = to_t(lr_file), to_t(hr_file)
        with torch.no_grad():
            out = desc(lr)
        scores.append(evaluate(out, hr[..., : out.shape[-2], : out.shape[-1]], "swinir-sr", scale=2)["psnr"])
    return float(np.mean(scores))


# ------------------------------------------------------------------------------ bare checkpoints


def test_a_pth_checkpoint_runs_on_set5_and_records_its_sha256_and_architecture(shared_dir, tmp_path, capsys,
                                                                                compact_pth):
    code, doc, err = run_checkpoint(capsys, shared_dir, tmp_path, compact_pth)
    assert code == 0, err
    (row,) = doc["results"]
    digest = sha256(compact_pth)
    assert row["variant"] == f"mynet-{digest[:8]}"
    assert (row["model"], row["task"], row["protocol"], row["scale"], row["n_images"]) == (
        "spandrel-compact", "classical-sr", "swinir-sr", 2, 2)
    assert row["weights"] == dict(file="mynet.pth", sha256=digest, source=compact_pth.resolve().as_uri())
    ck = row["checkpoint"]
    assert (ck["sha256"], ck["architecture"], ck["purpose"], ck["scale"], ck["input_channels"]) == (
        digest, "Compact", "SR", 2, 3)
    assert ck["identified_by"].startswith(f"spandrel {spandrel.__version__}")
    assert row["params"] == 2292
    # the number is what spandrel's own model gives on those LR files, under the SR protocol
    assert row["psnr"] == pytest.approx(expected_set5_psnr(shared_dir, compact_sr()), abs=1e-6)


def test_the_same_weights_as_safetensors_give_the_same_row(shared_dir, tmp_path, capsys, compact_pth):
    from safetensors.torch import save_file

    st = tmp_path / "mynet.safetensors"
    save_file(compact_sr().state_dict(), str(st))
    code, doc, err = run_checkpoint(capsys, shared_dir, tmp_path, st)
    assert code == 0, err
    (row,) = doc["results"]
    assert row["variant"] == f"mynet-{sha256(st)[:8]}" and row["checkpoint"]["file"] == str(st.resolve())
    assert row["psnr"] == pytest.approx(expected_set5_psnr(shared_dir, compact_sr()), abs=1e-6)


def test_an_unidentifiable_file_is_one_clear_error(shared_dir, tmp_path, capsys):
    path = tmp_path / "mystery.pth"
    torch.save({"encoder.stem.weight": torch.zeros(8, 3, 3, 3), "head.bias": torch.zeros(3)}, path)
    code, doc, err = run_checkpoint(capsys, shared_dir, tmp_path, path)
    assert code == 2 and doc == {}
    assert "does not recognise this checkpoint (2 tensors: encoder.stem.weight, head.bias" in err
    assert f"spandrel {spandrel.__version__}" in err and "Traceback" not in err


def test_an_sr_checkpoint_on_a_denoising_set_says_what_was_found_and_what_the_set_needs(shared_dir, tmp_path,
                                                                                        capsys, compact_pth):
    code, _, err = cli(capsys, "run", "--models", str(compact_pth), "--dataset", "Set12", "--sigma", "25",
                       "--data-root", str(shared_dir / "datasets"), "--no-progress")
    assert code == 2
    assert "identified Compact (SR, x2, 3→3 channels" in err
    assert "a classical-sr/lightweight-sr/real-sr model; test set Set12 needs gaussian-denoising" in err


def test_a_scale_mismatch_is_an_error_not_a_skip(shared_dir, tmp_path, capsys):
    path = tmp_path / "x4net.pth"
    torch.save(compact_sr(4).state_dict(), path)
    code, _, err = run_checkpoint(capsys, shared_dir, tmp_path, path)
    assert code == 2 and "identified Compact (SR, x4" in err and "trained for scale 4, not 2" in err


def test_a_pickle_with_code_is_refused_and_its_code_never_runs(shared_dir, tmp_path, capsys):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pth"
    torch.save({"body.0.weight": torch.zeros(1), "x": Payload()}, path)
    code, _, err = run_checkpoint(capsys, shared_dir, tmp_path, path)
    assert code == 2 and not marker.exists()
    assert "pickles objects other than tensors" in err and "weights_only=True" in err and "posix.system" in err


def test_a_noise_level_network_needs_sigma_and_a_denoiser_with_several_tasks_needs_task(shared_dir, tmp_path, capsys):
    from spandrel.architectures.DRUNet import DRUNet
    from spandrel.architectures.NAFNet import NAFNet

    drunet = tmp_path / "drunet_tiny.pth"
    torch.save(DRUNet(in_nc=2, out_nc=1, nc=[8, 8, 8, 8], nb=2).state_dict(), drunet)
    code, _, err = cli(capsys, "run", "--models", str(drunet), "--dataset", "Set12", "--no-progress",
                       "--data-root", str(shared_dir / "datasets"))
    assert code == 2 and "identified DRUNet" in err and "noise level as an input channel" in err and "--sigma" in err

    naf = tmp_path / "naf.pth"
    torch.save(NAFNet(img_channel=3, width=8, middle_blk_num=1, enc_blk_nums=[1], dec_blk_nums=[1]).state_dict(), naf)
    code, _, err = cli(capsys, "run", "--models", str(naf), "--dataset", "demo", "--no-progress", "--dry-run")
    assert code == 2 and "it may be motion-deblurring or real-denoising on demo: say which with --task" in err
    code, out, err = cli(capsys, "run", "--models", str(naf), "--dataset", "demo", "--task", "real-denoising",
                         "--dry-run", "--json")
    assert code == 0, err
    (job,) = json.loads(out)["plan"]
    assert (job["model"], job["task"], job["protocol"]) == ("nafnet", "real-denoising", "restormer-sidd")


def test_a_grey_drunet_checkpoint_runs_with_the_noise_map_at_the_runs_sigma(shared_dir, tmp_path, capsys):
    from spandrel.architectures.DRUNet import DRUNet

    torch.manual_seed(0)
    net = DRUNet(in_nc=2, out_nc=1, nc=[8, 8, 8, 8], nb=2)
    path = tmp_path / "drunet_tiny.pth"
    torch.save(net.state_dict(), path)
    code, out, err = cli(capsys, "run", "--models", str(path), "--dataset", "Set12", "--sigma", "25", "--limit", "1",
                         "--data-root", str(shared_dir / "datasets"), "--results", str(tmp_path / "r"),
                         "--json", "--no-progress")
    assert code == 0, err
    (row,) = json.loads(out)["results"]
    assert (row["model"], row["protocol"], row["sigma"], row["channels"]) == ("drunet", "kair-denoise", 25, "grey")
    assert row["checkpoint"]["size_requirements"] == dict(minimum=0, multiple_of=8, square=False)


def test_profile_takes_a_checkpoint_path(tmp_path, capsys, compact_pth):
    code, out, err = cli(capsys, "profile", "--models", str(compact_pth), "--size", "32x32", "--no-timing", "--json")
    assert code == 0, err
    (row,) = json.loads(out)["profile"]
    assert (row["variant"], row["model"], row["params"], row["size"]) == (
        f"mynet-{sha256(compact_pth)[:8]}", "spandrel-compact", 2292, "32x32")
    # SRVGGNetCompact at x2 on 32x32: three 3x3 convs (3→8, 8→8, 8→8, 8→12), per LR pixel
    assert row["macs"] == pytest.approx(32 * 32 * 9 * (3 * 8 + 8 * 8 + 8 * 8 + 8 * 12), rel=0.02)


def test_a_board_shows_a_checkpoints_licence_from_its_summary():
    from restbench.report.boards import licence_of

    ck = dict(licence_code="ACADEMIC PUBLIC LICENSE (swz30/MPRNet; non-commercial use only)")
    assert licence_of(None, "mynet-1234abcd", ck) == (
        "code: ACADEMIC PUBLIC LICENSE (swz30/MPRNet; non-commercial use only); weights: unknown (a local file)")
    assert licence_of(None, "mynet-1234abcd") == "?"


def test_extra_arches_carry_their_non_commercial_licence():
    from restbench_spandrel.detect import architecture
    from restbench_spandrel.licences import MAIN_LICENCE, licence_of

    assert licence_of("MPRNet").startswith("ACADEMIC PUBLIC LICENSE") and "non-commercial" in licence_of("MPRNet")
    assert licence_of("Restormer").startswith("ACADEMIC PUBLIC LICENSE")
    assert licence_of("ESRGAN") == MAIN_LICENCE
    assert architecture("MIRNet2").licence.startswith("ACADEMIC PUBLIC LICENSE")


def test_models_lists_what_a_bare_checkpoint_can_be_with_each_licence(capsys):
    code, out, err = cli(capsys, "models", "--json")
    assert code == 0, err
    archs = {a["name"]: a for a in json.loads(out)["checkpoint_architectures"]}
    assert archs["ESRGAN"]["restrictive"] is False and archs["ESRGAN"]["provider"].startswith("spandrel ")
    assert archs["NAFNet"]["licence"] == "MIT (megvii-research/NAFNet LICENSE)"
    extra = {n for n, a in archs.items() if a["restrictive"]}
    assert {"Restormer", "MPRNet", "MIRNet2", "SRFormer", "CodeFormer"} <= extra  # installed: requirements.txt
    assert archs["Restormer"]["provider"].startswith("spandrel-extra-arches ")
    assert archs["Restormer"]["licence"] == "ACADEMIC PUBLIC LICENSE (swz30/Restormer; non-commercial use only)"

    code, out, err = cli(capsys, "models")
    assert code == 0, err
    assert "architectures under restrictive licences, which bind their results:" in out
    assert re.search(r"^    MPRNet +ACADEMIC PUBLIC LICENSE \(swz30/MPRNet; non-commercial use only\)$", out, re.M), out


def test_models_on_a_checkpoint_file_says_what_it_is_and_its_licence(tmp_path, capsys):
    from spandrel_extra_arches.architectures.MPRNet import MPRNet

    torch.manual_seed(0)
    path = tmp_path / "deblur.pth"
    torch.save(MPRNet(n_feat=8, scale_unetfeats=4, scale_orsnetfeats=4, num_cab=1).state_dict(), path)
    vid = f"deblur-{sha256(path)[:8]}"
    code, out, err = cli(capsys, "models", str(path), "--json")
    assert code == 0, err
    (row,) = json.loads(out)["variants"]
    assert (row["id"], row["family"], row["task"], row["params"]) == (vid, "spandrel-mprnet", "motion-deblurring", 99_301)
    assert row["licence_code"] == "ACADEMIC PUBLIC LICENSE (swz30/MPRNet; non-commercial use only)"
    assert row["weight_sources"] == [path.resolve().as_uri()] and row["weights"] == "local file deblur.pth"
    assert "identified MPRNet" in row["identified"] and "spandrel-extra-arches" in row["identified"]

    code, out, err = cli(capsys, "models", str(path))
    assert code == 0, err
    assert re.search(rf"^{vid} +motion-deblurring .* ACADEMIC PUBLIC LICENSE +local$", out, re.M), out
    assert "checkpoint files (--models PATH.pth)" not in out  # the catalogue only when listing everything


# ------------------------------------------------------------------------------ registered successors


SUCCESSORS = {
    "nafnet": {"nafnet-gopro-width32", "nafnet-gopro-width64", "nafnet-sidd-width32", "nafnet-sidd-width64"},
    "drunet": {f"drunet-{c}-s{s}" for c in ("grey", "color") for s in (15, 25, 50)},
    "scunet": {f"scunet-{c}-s{s}" for c in ("grey", "color") for s in (15, 25, 50)} | {
        "scunet-color-real-psnr", "scunet-color-real-gan"},
    "hat": {"hat-srx2", "hat-srx3", "hat-srx4"},
}


def test_models_lists_the_successors_with_their_licences(capsys):
    code, out, err = cli(capsys, "models", "nafnet", "drunet", "--json")
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)["variants"]}
    assert set(rows) == SUCCESSORS["nafnet"] | SUCCESSORS["drunet"]
    assert {r["plugin"] for r in rows.values()} == {"spandrel"}
    assert rows["nafnet-sidd-width64"]["licence_code"] == "MIT (megvii-research/NAFNet LICENSE)"
    assert rows["drunet-color-s25"]["licence_code"] == "MIT (cszn/DPIR LICENSE)"
    assert rows["drunet-color-s25"]["weight_sources"] == ["https://github.com/cszn/KAIR/releases/download/v1.0/drunet_color.pth"]
    # parameter counts of the configurations the authors release
    assert rows["drunet-grey-s25"]["params"] == 32_638_656 and rows["drunet-color-s25"]["params"] == 32_640_960
    assert rows["nafnet-gopro-width64"]["params"] == 67_888_835


def test_every_successor_is_registered_with_cited_claims():
    reg = plugins.load_plugins(autoload=True).registry
    for arch, ids in SUCCESSORS.items():
        assert {v.id for v in reg.variants_of(arch)} == ids, arch
    v = reg.variants["nafnet-gopro-width64"]
    (c,) = v.claims
    assert (c.dataset, c.psnr, c.ssim, c.source_kind) == ("GoPro", 33.7103, 0.9668, "authors' README")
    assert {(c.dataset, c.psnr) for c in reg.variants["drunet-grey-s25"].claims} == {
        ("Set12", 30.94), ("BSD68", 29.48), ("Urban100", 31.11)}
    assert {(c.dataset, c.psnr) for c in reg.variants["scunet-color-s50"].claims} == {
        ("CBSD68", 28.61), ("Kodak24", 29.87), ("McMaster", 30.29), ("Urban100", 30.14)}
    hat4 = {c.dataset: c for c in reg.variants["hat-srx4"].claims}
    assert (hat4["Set5"].psnr, hat4["Set5"].ssim, hat4["Set5"].source_kind) == (33.04, 0.9056, "third-party quote")
    assert "XPixelGroup/HAT/blob/1638a9a/README.md" in hat4["Set5"].source_ref  # the x4 PSNRs: also the README's
    hat2 = {c.dataset: c for c in reg.variants["hat-srx2"].claims}
    assert (hat2["Manga109"].psnr, hat2["Manga109"].ssim) == (40.26, 0.9809)
    assert hat2["Manga109"].source_ref.startswith("https://github.com/LabShuHangGU/Adaptive-Token-Dictionary/blob/d25fd84/")


@pytest.mark.parametrize("vid", ["nafnet-gopro-width32", "nafnet-sidd-width32", "drunet-grey-s15",
                                 "drunet-color-s50", "scunet-grey-s25", "scunet-color-real-psnr", "hat-srx3"])
def test_successor_builds_are_what_spandrel_detects_in_their_own_state_dict(vid):
    """Random weights in our configuration, saved and identified again: spandrel must read back the
    authors' kwargs, scale and channels, i.e. the released files will load into exactly this model."""
    reg = plugins.load_plugins(autoload=True).registry
    v = reg.variants[vid]
    model = reg.architectures[v.arch].builder(**v.arch_kwargs)
    desc = spandrel.ModelLoader().load_from_state_dict(model.state_dict())
    ours = {k: x for k, x in v.arch_kwargs.items() if k not in OPTIONS}
    assert {k: desc.model.hyperparameters[k] for k in ours} == ours
    assert (desc.architecture.id, desc.scale, desc.input_channels) == (
        {"nafnet": "NAFNet", "drunet": "DRUNet", "scunet": "SCUNet", "hat": "HAT"}[v.arch], v.scale or 1,
        v.input.channels)
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(model) == count(desc.model)


def test_hat_x4_has_the_published_parameter_count():
    reg = plugins.load_plugins(autoload=True).registry
    v = reg.variants["hat-srx4"]
    model = reg.architectures["hat"].builder(**v.arch_kwargs)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == 20.8  # README table: HAT 20.8 M


# ------------------------------------------------------------------------------ authors' test-time forward


def test_local_mean_pool_is_the_box_mean_of_every_window_padded_back_by_replication():
    torch.manual_seed(0)
    x = torch.rand(1, 2, 9, 13, dtype=torch.float64)
    got = LocalMeanPool((4, 6))(x)
    valid = torch.nn.functional.avg_pool2d(x, (4, 6), stride=1)  # 6 x 8 window means
    want = torch.nn.functional.pad(valid, (2, 3, 1, 2), mode="replicate")  # centred: (13-8)//2, (9-6)//2
    assert got.shape == x.shape and torch.allclose(got, want, atol=1e-12)
    assert torch.allclose(LocalMeanPool((9, 13))(x), x.mean((-2, -1), keepdim=True))  # window covers all


def test_nafnet_gopro_is_built_with_tlc_windows_of_one_and_a_half_training_patches():
    reg = plugins.load_plugins(autoload=True).registry
    v = reg.variants["nafnet-gopro-width32"]
    model = reg.architectures["nafnet"].builder(**v.arch_kwargs)
    kernels = [b.sca[0].kernel for stage in model.encoders for b in stage]
    assert kernels == [(384, 384), (192, 192), (96, 96)] + [(48, 48)] * 28
    assert {b.sca[0].kernel for b in model.middle_blks} == {(24, 24)}
    assert [b.sca[0].kernel for stage in model.decoders for b in stage] == [(48, 48), (96, 96), (192, 192), (384, 384)]
    sidd = reg.architectures["nafnet"].builder(**reg.variants["nafnet-sidd-width32"].arch_kwargs)
    assert isinstance(sidd.encoders[0][0].sca[0], torch.nn.AdaptiveAvgPool2d)  # SIDD config: plain NAFNet


def test_one_split_stitches_the_inner_quadrant_of_each_corner_crop():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 200, 150)
    run = lambda t: t * t.mean()  # crop-dependent, so a quadrant taken from the wrong crop shows
    out = one_split(run, x, 64)
    ch, cw = (200 // 2 // 64 + 1) * 64, (150 // 2 // 64 + 1) * 64  # 128, 128
    assert torch.equal(out[..., :100, :75], run(x[..., :ch, :cw])[..., :100, :75])
    assert torch.equal(out[..., :100, 75:], run(x[..., :ch, -cw:])[..., :100, -75:])
    assert torch.equal(out[..., 100:, :75], run(x[..., -ch:, :cw])[..., -100:, :75])
    assert torch.equal(out[..., 100:, 75:], run(x[..., -ch:, -cw:])[..., -100:, -75:])


def test_drunet_variant_feeds_sigma_over_255_as_the_extra_channel():
    from spandrel.architectures.DRUNet import DRUNet

    reg = plugins.load_plugins(autoload=True).registry
    v = reg.variants["drunet-grey-s25"]
    model = reg.architectures["drunet"].builder(**v.arch_kwargs).eval()
    plain = DRUNet(**{k: x for k, x in v.arch_kwargs.items() if k not in OPTIONS}).eval()
    plain.load_state_dict(model.state_dict())
    x = torch.rand(1, 1, 64, 64)  # one crop of side 64 covers it: one_split is the plain call here
    with torch.no_grad():
        assert torch.equal(model(x), plain(torch.cat([x, torch.full_like(x, 25 / 255)], 1)))
