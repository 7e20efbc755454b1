"""RealBlur protocol: ECC alignment before masked PSNR/SSIM (Restormer's evaluate_realblur.py).

RealBlur itself is not on this machine, so every pair here is synthetic: a band-limited random
texture and the same texture shifted by an exact (Fourier) sub-pixel translation.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from restbench import metrics
from restbench.plugin import manager as plugins
from restbench.metrics import alignment as realblur
from restbench import protocols as P
from restbench.cli import main
from restbench.analysis.explain import scorings_for

H, W = 96, 128


def _texture_pair(shift: tuple[float, float], seed: int = 0, margin: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(target, target translated by ``shift`` = (dx, dy) px) as float64 (H, W, 3) in [0.1, 0.9].

    A band-limited periodic field shifted by a phase ramp is an exact translation, so the only
    alignment error left is the estimator's. The margin keeps the crop away from the wrap-around.
    """
    hh, ww = H + 2 * margin, W + 2 * margin
    rng = np.random.default_rng(seed)
    fy, fx = np.fft.fftfreq(hh)[:, None], np.fft.rfftfreq(ww)[None, :]
    envelope = np.exp(-(fx**2 + fy**2) / (2 * 0.06**2))
    ramp = np.exp(-2j * np.pi * (fx * shift[0] + fy * shift[1]))
    spec = (rng.normal(size=(3, *envelope.shape)) + 1j * rng.normal(size=(3, *envelope.shape))) * envelope
    a = np.fft.irfft2(spec, s=(hh, ww)).transpose(1, 2, 0)
    b = np.fft.irfft2(spec * ramp, s=(hh, ww)).transpose(1, 2, 0)
    lo, hi = a.min(), a.max()

    def scale(x: np.ndarray) -> np.ndarray:
        return np.clip((x - lo) / (hi - lo) * 0.8 + 0.1, 0, 1)[margin:-margin, margin:-margin]

    return scale(a), scale(b)


def _u8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)


def _tensor(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(u8.transpose(2, 0, 1).copy())[None].float() / 255


def _shifted_pair(shift, noise=0.005, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (output, target): the output is the shifted target plus mild Gaussian noise."""
    target, moved = _texture_pair(shift, seed)
    moved = moved + np.random.default_rng(seed + 100).normal(0, noise, moved.shape)
    return _u8(moved), _u8(target)


def _displacement_error(warp: np.ndarray, shift) -> np.ndarray:
    """|W(p) − (p + shift)| in px at every target pixel p (W maps target → output coordinates)."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    q = warp.astype(np.float64) @ pts
    q = q[:2] / q[2]
    return np.hypot(*(q - pts[:2] - np.asarray(shift, dtype=np.float64)[:, None])).reshape(H, W)


# --- (a) a known shift is recovered and alignment lifts PSNR ---------------------------------


@pytest.mark.parametrize("shift", [(2.3, -1.6), (3.0, 2.0), (-0.4, 0.7)])
def test_known_shift_is_recovered_and_aligned_psnr_is_much_higher(shift):
    out_u8, tgt_u8 = _shifted_pair(shift)
    out, tgt = _tensor(out_u8), _tensor(tgt_u8)
    al = realblur.align(*(realblur.to_float32_hwc(t)[0] for t in (out, tgt)))
    err = _displacement_error(al.warp, shift)
    # A homography has 8 parameters for a pure shift: the corners move most, the field is tight.
    assert err[H // 2, W // 2] < 0.05, err[H // 2, W // 2]
    assert err.mean() < 0.05, err.mean()
    # the nearest-neighbour mask keeps target pixels whose source p + shift rounds into the output
    kept = [np.sum((np.arange(n) + d >= -0.5) & (np.arange(n) + d < n - 0.5)) for n, d in ((W, shift[0]), (H, shift[1]))]
    lost, want = H * W - al.mask[..., 0].sum(), H * W - kept[0] * kept[1]
    assert want > 0 and abs(lost - want) <= 0.1 * want + 8, (lost, want)  # the fitted corners move a few
    aligned_psnr, aligned_ssim = realblur.masked_psnr_ssim(out, tgt)
    plain_psnr = metrics.psnr(out, tgt, uint8=True)
    plain_ssim = metrics.ssim(out, tgt, uint8=True)
    assert aligned_psnr.dtype == aligned_ssim.dtype == torch.float64
    assert aligned_psnr.item() > plain_psnr.item() + 10, (aligned_psnr, plain_psnr)
    assert aligned_psnr.item() > 35
    assert aligned_ssim.item() > 0.97 > plain_ssim.item()


def test_gain_is_matched_before_alignment():
    """An exposure change alone is undone by the least-squares gain (step 2 of the script)."""
    _, tgt_u8 = _shifted_pair((0.0, 0.0))
    tgt = _tensor(tgt_u8)
    darker = tgt * 0.8
    ps, ss = realblur.masked_psnr_ssim(darker, tgt)
    assert metrics.psnr(darker, tgt, uint8=True).item() < 25
    assert ps.item() > 45 and ss.item() > 0.998


# --- (b) identical images ----------------------------------------------------------------


def test_identical_images_give_inf_psnr_and_ssim_one_like_the_script():
    """The script: gain 1, ECC stays at the identity, err = 0 → numpy 10 log10(1/0) = inf; the
    SSIM map is exactly 1 everywhere, so the masked mean is 1."""
    _, tgt_u8 = _shifted_pair((0.0, 0.0))
    tgt = _tensor(tgt_u8)
    al = realblur.align(*(realblur.to_float32_hwc(tgt)[0],) * 2)
    np.testing.assert_array_equal(al.warp, np.eye(3, dtype=np.float32))
    assert al.mask.min() == 1.0
    ps, ss = realblur.masked_psnr_ssim(tgt, tgt.clone())
    assert ps.item() == float("inf")
    assert ss.item() == 1.0
    ref = _script_scores(tgt_u8, tgt_u8)
    assert ref == (float("inf"), 1.0)


# --- (c) an independent transcription of the script's steps ------------------------------


def _script_scores(out_u8: np.ndarray, gt_u8: np.ndarray) -> tuple[float, float]:
    """evaluate_realblur.py's proc() re-typed from its semantics with numpy/cv2/skimage calls.

    skimage 0.17.2 (the version RealBlur pins) cast SSIM inputs to float64 and took
    ``multichannel=True``; current skimage needs ``channel_axis`` and float64 inputs for that.
    """
    z = out_u8.astype(np.float32) / 255.0
    x = gt_u8.astype(np.float32) / 255.0
    zs = (np.sum(x * z) / np.sum(z * z)) * z
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 0)
    _, warp = cv2.findTransformECC(
        cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.cvtColor(zs, cv2.COLOR_RGB2GRAY), np.eye(3, 3, dtype=np.float32),
        cv2.MOTION_HOMOGRAPHY, crit, inputMask=None, gaussFiltSize=5,
    )
    size = (x.shape[1], x.shape[0])
    zr = cv2.warpPerspective(zs, warp, size, flags=cv2.INTER_CUBIC + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
    cr = cv2.warpPerspective(np.ones_like(zs, dtype="float32"), warp, size,
                             flags=cv2.INTER_NEAREST + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    zr, xr = zr * cr, x * cr
    with np.errstate(divide="ignore"):
        psnr = 10 * np.log10(1.0 / (np.sum((xr - zr) ** 2, dtype=np.float64) / np.sum(cr)))
    _, smap = structural_similarity(xr.astype(np.float64), zr.astype(np.float64), channel_axis=2, gaussian_weights=True,
                                    use_sample_covariance=False, data_range=1.0, full=True)
    smap = smap * cr
    pad = 5
    s = smap[pad:-pad, pad:-pad, :].sum(axis=0).sum(axis=0) / cr[pad:-pad, pad:-pad, :].sum(axis=0).sum(axis=0)
    return float(psnr), float(np.mean(s))


def _blurred(u8: np.ndarray, sigma: float) -> np.ndarray:
    return _u8(cv2.GaussianBlur(u8.astype(np.float32) / 255, (0, 0), sigma))


@pytest.mark.parametrize("case", ["shift+noise", "shift+blur", "gain+subpixel"])
def test_matches_an_independent_transcription_of_the_script(case):
    if case == "shift+noise":
        out_u8, tgt_u8 = _shifted_pair((1.7, -0.6), noise=0.01, seed=3)
    elif case == "shift+blur":  # a "deblurred" output that is still soft
        out_u8, tgt_u8 = _shifted_pair((-2.2, 1.3), noise=0.0, seed=4)
        out_u8 = _blurred(out_u8, 1.2)
    else:
        out_u8, tgt_u8 = _shifted_pair((0.35, 0.2), noise=0.003, seed=5)
        out_u8 = _u8(out_u8 / 255 * 0.9 + 0.03)
    want_psnr, want_ssim = _script_scores(out_u8, tgt_u8)
    got_psnr, got_ssim = realblur.masked_psnr_ssim(_tensor(out_u8), _tensor(tgt_u8))
    assert got_psnr.item() == pytest.approx(want_psnr, abs=1e-10)
    assert got_ssim.item() == pytest.approx(want_ssim, abs=1e-10)
    assert 20 < want_psnr < 60 and 0.5 < want_ssim < 1


def test_batch_and_evaluate_dispatch_give_the_per_image_numbers():
    pairs = [_shifted_pair((1.0, 0.5), seed=6), _shifted_pair((-0.5, 1.5), seed=7)]
    out = torch.cat([_tensor(o) for o, _ in pairs])
    tgt = torch.cat([_tensor(t) for _, t in pairs])
    m = P.evaluate(out, tgt, "restormer-realblur")
    for i, (o, t) in enumerate(pairs):
        ps, ss = _script_scores(o, t)
        assert m["psnr_per_image"][i] == pytest.approx(ps, abs=1e-10)
        assert m["ssim_per_image"][i] == pytest.approx(ss, abs=1e-10)
    assert m["psnr"] == pytest.approx(np.mean(m["psnr_per_image"]))
    # float outputs are rounded to the PNG levels first, as test.py's img_as_ubyte does
    jitter = (out + 0.3 / 255).clamp(0, 1)
    assert P.evaluate(jitter, tgt, "restormer-realblur")["psnr_per_image"] == m["psnr_per_image"]


def test_rejects_grey_and_reports_failed_alignment():
    with pytest.raises(ValueError, match="RGB"):
        realblur.masked_psnr_ssim(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32))
    with pytest.raises(RuntimeError, match="ECC alignment of image 0"):
        realblur.masked_psnr_ssim(torch.zeros(1, 3, 32, 40), torch.rand(1, 3, 32, 40))


# --- (d) protocol selection, listing and the CLI plan -------------------------------------


@pytest.mark.parametrize(
    "arch, dataset, expected",
    [
        ("restormer", "RealBlur-J", "restormer-realblur"),
        ("restormer", "RealBlur_R", "restormer-realblur"),
        ("uformer", "RealBlur-J", "uformer-realblur"),
        ("identity", "RealBlur-R", "restormer-realblur"),
        ("restormer", "GoPro", "restormer-gopro"),
    ],
)
def test_protocol_for_realblur(arch, dataset, expected):
    p = P.protocol_for(arch, "motion-deblurring", dataset)
    assert p.name == expected
    assert (p.align == "realblur-ecc") == ("realblur" in expected)


def test_realblur_protocol_fields_and_validation():
    p = P.get_protocol("restormer-realblur")
    assert p.family == "restormer" and p.tasks == ("motion-deblurring",) and p.uint8
    assert "evaluate_realblur.py" in p.script and p.degradation.kind == "given"
    assert p.describe().startswith("restormer-realblur: RGB aligned")
    with pytest.raises(ValueError, match="align"):
        P.Protocol("bad", "x", ("motion-deblurring",), align="sift")
    with pytest.raises(KeyError, match="motion-deblurring"):
        P.protocol_for("restormer", "deraining", "RealBlur-J")


def test_explain_offers_the_unaligned_scoring_as_the_alternative():
    rows = scorings_for(P.get_protocol("restormer-realblur"), 1, task="motion-deblurring", pyiqa=False)
    assert rows[0].align == "realblur-ecc" and rows[1].align is None and rows[1].group == "align"
    assert {r.label for r in rows[2:]} == {"scoring of restormer-gopro", "scoring of uformer-gopro"}
    gopro_rows = scorings_for(P.get_protocol("restormer-gopro"), 1, task="motion-deblurring", pyiqa=False)
    assert not any(r.align for r in gopro_rows)  # GoPro's alternatives are unchanged by RealBlur's protocols
    out_u8, tgt_u8 = _shifted_pair((2.0, 1.0))
    (p_al,), _ = rows[0].score(_tensor(out_u8), _tensor(tgt_u8))
    (p_plain,), _ = rows[1].score(_tensor(out_u8), _tensor(tgt_u8))
    assert p_al == pytest.approx(_script_scores(out_u8, tgt_u8)[0], abs=1e-10)
    assert p_plain == pytest.approx(metrics.psnr(_tensor(out_u8), _tensor(tgt_u8), uint8=True).item())


def test_protocols_command_lists_it(capsys):
    assert main(["protocols"]) == 0
    out = capsys.readouterr().out
    assert "restormer-realblur: RGB aligned to target (ECC homography)" in out
    assert "uformer-realblur:" in out


def test_run_dry_run_plans_restormer_on_realblur(capsys):
    plugins.reset()
    try:
        code = main(["run", "--models", "restormer-motion-deblurring", "--dataset", "RealBlur-J", "--dry-run", "--json"])
        doc = json.loads(capsys.readouterr().out)
    finally:
        plugins.reset()
    assert code == 0
    assert [(r["variant"], r["protocol"]) for r in doc["plan"]] == [("restormer-motion-deblurring", "restormer-realblur")]
    assert doc["skipped"] == []
