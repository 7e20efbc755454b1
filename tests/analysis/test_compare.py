"""``restbench compare``: the visual grid, with failing models drawn as failures."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest

from restbench import cli
from restbench.analysis.compare import CAPTION_PX, GAP_PX, HEADER_PX, TITLE_PX, default_box, parse_box


def test_compare_bicubic_and_identity_on_set5(shared_dir, tmp_path, capsys):
    out = tmp_path / "grid.png"
    rc = cli.main(["compare", "--dataset", "Set5", "--scale", "4", "--image", "butterfly", "--models", "bicubic,identity",
                   "--data-root", str(shared_dir / "datasets"), "--crop", "96,64,48,32", "--panel", "128", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1  # a model failed …
    assert "identity: identity cannot upscale" in err
    img = mpimg.imread(out)  # … and the others are still drawn
    # columns: input, bicubic-x4, identity (failed), ground truth; butterfly is 256x256, the box 48x32
    full, zoom = 128, round(128 * 32 / 48)
    assert img.shape[:2] == (TITLE_PX + HEADER_PX + full + GAP_PX + zoom + CAPTION_PX, 4 * 128)
    top = CAPTION_PX + zoom + GAP_PX + full  # pixels from the bottom to the top of the full-image row
    H = img.shape[0]

    def zoom_panel(col: int) -> np.ndarray:
        return img[H - CAPTION_PX - zoom + 4 : H - CAPTION_PX - 4, col * 128 + 8 : (col + 1) * 128 - 8, :3]

    def full_panel(col: int) -> np.ndarray:
        return img[H - top + 4 : H - top + full - 4, col * 128 + 8 : (col + 1) * 128 - 8, :3]

    for col in (0, 1, 3):  # images with structure
        assert zoom_panel(col).std() > 0.05 and full_panel(col).std() > 0.05
    assert zoom_panel(2).std() < 0.01  # the failed model's zoom panel is an empty grey box
    # the zoomed ground truth is the ground truth's box, enlarged: its mean colour matches
    from restbench.datasets import read_image

    gt = read_image(shared_dir / "datasets" / "Set5" / "HR" / "butterfly.png")[64:96, 96:144] / 255.0
    assert np.abs(zoom_panel(3).mean(axis=(0, 1)) - gt.mean(axis=(0, 1))).max() < 0.03


def test_compare_caption_psnr_is_the_protocol_score(shared_dir, tmp_path):
    """The number under a panel is that model's per-image PSNR under its protocol."""
    from restbench.plugin import manager as plugins
    from restbench.cli.analysis import plan_jobs, run_options
    from restbench.analysis.compare import compare_image
    from restbench.protocols.degradations import bicubic_upsample
    from restbench.protocols import evaluate

    class Args:
        dataset, sigma, scale, quality, channels, protocol = "Set5", None, 4, None, None, None
        data_root, weights, device, limit = shared_dir / "datasets", [], "cpu", None

    plugins.reset()
    state = plugins.get_state()
    jobs, _ = plan_jobs(state, "bicubic", Args)
    path, panels = compare_image(state, jobs, "bird", run_options(Args), tmp_path / "b.png", panel_px=64)
    assert path.exists() and [p.title for p in panels] == ["input (LR x4)", "bicubic-x4", "ground truth"]
    from restbench.datasets import read_image
    from restbench.engine.inputs import to_tensor

    root = shared_dir / "datasets" / "Set5"
    lr, hr = to_tensor(read_image(root / "LR_bicubic" / "X4" / "birdx4.png")), to_tensor(read_image(root / "HR" / "bird.png"))
    expected = evaluate(bicubic_upsample(lr, 4).clamp(0, 1), hr[..., : lr.shape[-2] * 4, : lr.shape[-1] * 4], "bicubic-sr",
                        scale=4)["psnr"]
    assert panels[1].caption == f"{expected:.2f} dB (bicubic-sr)"


def test_boxes():
    assert parse_box("1,2,30,40") == (1, 2, 30, 40)
    with pytest.raises(ValueError):
        parse_box("1,2,0,4")
    x, y, w, h = default_box(321, 481, 4)
    assert w == h == 80 and x % 4 == 0 and y % 4 == 0 and x + w <= 481 and y + h <= 321
