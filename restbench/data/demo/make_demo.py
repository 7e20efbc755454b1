"""Regenerate the embedded ``demo`` test set (run: ``python -m restbench.data.demo.make_demo [OUT]``).

Everything is procedural and deterministic (numpy's legacy ``RandomState``, whose streams are
frozen across numpy versions), so the shipped PNGs can be rebuilt and checked bit for bit.
Four 120x120 RGB images (120 is divisible by 2, 3, 4 and 8) with content restoration models
react to: smooth gradients with a zone plate (aliasing, SR), anti-aliased shapes and thin lines
(edges, ringing), glyph rows (text-like strokes) and a multi-scale texture.

Degraded inputs written next to them (see README.md for the exact recipes):

* ``LR_bicubic/X{2,3,4}/{name}x{s}.png`` — MATLAB bicubic (``restbench.protocols.imresize``, uint8 rules);
* ``degraded/motion-deblurring`` — a fixed 9-px linear motion kernel at 30 degrees;
* ``degraded/defocus-deblurring`` — an anti-aliased disk of radius 3.5 px;
* ``degraded/deraining`` — synthetic streaks screen-blended over the image;
* ``degraded/real-denoising`` — signal-dependent Gaussian noise (shot + read).

None of this is the papers' data; it only lets every task run offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SIZE = 120
NAMES = ("gradient", "shapes", "glyphs", "texture")
SCALES = (2, 3, 4)


def _to_u8(x: np.ndarray) -> np.ndarray:
    """[0, 1] float → uint8, rounding half up (deterministic, no banker's rounding)."""
    return np.floor(np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _supersample(fn, n: int = SIZE, ss: int = 4) -> np.ndarray:
    """Evaluate ``fn(y, x)`` on an ss x ss grid per pixel and box-average (anti-aliasing)."""
    c = (np.arange(n * ss) + 0.5) / ss
    yy, xx = np.meshgrid(c, c, indexing="ij")
    v = fn(yy, xx)
    return v.reshape(n, ss, n, ss, *v.shape[2:]).mean(axis=(1, 3))


def gradient() -> np.ndarray:
    def fn(y, x):
        r2 = (x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2
        zone = 0.5 + 0.5 * np.cos(np.pi * r2 / (2.2 * SIZE))
        return np.stack([x / SIZE, y / SIZE, 0.15 + 0.7 * zone], axis=-1)

    return _to_u8(_supersample(fn))


def shapes() -> np.ndarray:
    def fn(y, x):
        img = np.stack([np.full_like(x, 0.82), np.full_like(x, 0.86), np.full_like(x, 0.92)], axis=-1)

        def paint(mask, rgb):
            img[mask] = rgb

        checker = ((np.floor(x / 6) + np.floor(y / 6)) % 2 == 0) & (x > 78) & (x < 114) & (y > 78) & (y < 114)
        paint(checker, (0.1, 0.1, 0.1))
        paint((x - 34) ** 2 + (y - 34) ** 2 < 22**2, (0.85, 0.2, 0.15))
        paint((x > 66) & (x < 110) & (y > 12) & (y < 50), (0.15, 0.45, 0.85))
        paint((y > 62) & (y < 112) & (np.abs(x - 36) < (y - 62) * 0.55), (0.2, 0.7, 0.3))
        for k, ang in enumerate((10, 35, 60)):
            t = np.deg2rad(ang)
            d = np.abs((x - 60) * np.sin(t) - (y - 60) * np.cos(t))
            paint((d < 0.6 + 0.3 * k) & (x > 50) & (x < 118), (0.95, 0.85, 0.1))
        return img

    return _to_u8(_supersample(fn))


def glyphs() -> np.ndarray:
    rs = np.random.RandomState(3)
    img = np.empty((SIZE, SIZE, 3))
    img[:] = (0.96, 0.94, 0.86)
    img[:14] = (0.25, 0.3, 0.55)
    ink = np.array((0.08, 0.08, 0.12))
    bank = rs.rand(24, 7, 5) < 0.45  # a 24-"letter" alphabet of 5x7 bitmaps
    bank[:, :, 0] |= rs.rand(24, 7) < 0.5  # give most letters a stem
    for row, y0 in enumerate(range(20, SIZE - 14, 17)):
        x0 = 4
        while x0 < SIZE - 12:
            if rs.rand() < 0.18:  # a space between "words"
                x0 += 6
                continue
            g = np.kron(bank[rs.randint(24)], np.ones((2, 2), dtype=bool))  # 14x10
            img[y0 : y0 + 14, x0 : x0 + 10][g] = ink if row % 3 else (0.6, 0.1, 0.1)
            x0 += 12
    for k in range(4):  # white "title" marks in the header bar
        img[4:10, 6 + 28 * k : 26 + 28 * k] = 0.95
    return _to_u8(img)


def _value_noise(rs: np.random.RandomState, cells: int) -> np.ndarray:
    grid = rs.rand(cells + 1, cells + 1)
    c = np.linspace(0, cells, SIZE, endpoint=False)
    i = np.floor(c).astype(int)
    f = c - i
    f = f * f * (3 - 2 * f)
    a = grid[np.ix_(i, i)]
    b = grid[np.ix_(i, i + 1)]
    cc = grid[np.ix_(i + 1, i)]
    d = grid[np.ix_(i + 1, i + 1)]
    fy, fx = f[:, None], f[None, :]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (cc * (1 - fx) + d * fx) * fy


def texture() -> np.ndarray:
    rs = np.random.RandomState(7)
    n = sum(_value_noise(rs, c) * w for c, w in ((4, 0.5), (10, 0.3), (30, 0.2)))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    stripes = 0.5 + 0.5 * np.sin((xx + yy) * 2 * np.pi / 7.0)
    n = np.where((yy > 70) & (xx > 60), 0.6 * n + 0.4 * stripes, n)
    rgb = np.stack([0.25 + 0.7 * n, 0.2 + 0.6 * n**1.5, 0.1 + 0.4 * (1 - n)], axis=-1)
    return _to_u8(rgb)


def clean_images() -> dict[str, np.ndarray]:
    return {"gradient": gradient(), "shapes": shapes(), "glyphs": glyphs(), "texture": texture()}


# ------------------------------------------------------------------ degradations


def _splat_line(size: int, length: float, angle_deg: float) -> np.ndarray:
    """Normalised kernel of a straight motion path through the centre (bilinear splatting)."""
    k = np.zeros((size, size))
    c = (size - 1) / 2
    t = np.linspace(-length / 2, length / 2, 2001)
    a = np.deg2rad(angle_deg)
    xs, ys = c + t * np.cos(a), c - t * np.sin(a)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (y0 + dy, x0 + dx), w)
    return k / k.sum()


def motion_kernel() -> np.ndarray:
    """11x11 kernel: a 9-pixel straight motion at 30 degrees (counter-clockwise from +x)."""
    return _splat_line(11, 9.0, 30.0)


def defocus_kernel(radius: float = 3.5) -> np.ndarray:
    """9x9 disk of ``radius`` px, edge pixels weighted by their covered area (16x16 sub-samples)."""
    n, ss = 9, 16
    c = (np.arange(n * ss) + 0.5) / ss - n / 2
    yy, xx = np.meshgrid(c, c, indexing="ij")
    k = (xx**2 + yy**2 <= radius**2).reshape(n, ss, n, ss).mean(axis=(1, 3))
    return k / k.sum()


def convolve(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per-channel 2-D convolution of a uint8 image, edges extended symmetrically (edge pixel
    repeated, MATLAB 'symmetric'); returns float in [0, 1]."""
    x = img.astype(np.float64) / 255.0
    r = k.shape[0] // 2
    p = np.pad(x, ((r, r), (r, r), (0, 0)), mode="symmetric")
    out = np.zeros_like(x)
    kf = k[::-1, ::-1]  # convolution, not correlation
    h, w = x.shape[:2]
    for i in range(k.shape[0]):
        for j in range(k.shape[1]):
            if kf[i, j]:
                out += kf[i, j] * p[i : i + h, j : j + w]
    return out


def add_rain(img: np.ndarray, seed: int) -> np.ndarray:
    """Screen-blend ~160 thin bright streaks (8-18 px, 70-80 degrees) over the image."""
    rs = np.random.RandomState(seed)
    layer = np.zeros((SIZE + 40, SIZE + 40))
    for _ in range(160):
        length = rs.uniform(8, 18)
        k = _splat_line(21, length, rs.uniform(70, 80)) * length
        y, x = rs.randint(0, SIZE + 20, size=2)
        layer[y : y + 21, x : x + 21] += k * rs.uniform(0.5, 0.9)
    layer = np.clip(layer[20 : 20 + SIZE, 20 : 20 + SIZE], 0, 1)[..., None]
    x = img.astype(np.float64) / 255.0
    return 1 - (1 - x) * (1 - 0.8 * layer)


def add_real_noise(img: np.ndarray, seed: int, shot: float = 0.004, read: float = 0.0004) -> np.ndarray:
    """Signal-dependent Gaussian noise, variance ``shot * x + read`` per pixel and channel
    (about 5/255 in the blacks, 17/255 in the whites)."""
    rs = np.random.RandomState(seed)
    x = img.astype(np.float64) / 255.0
    return x + rs.standard_normal(x.shape) * np.sqrt(shot * x + read)


def degraded(name: str, img: np.ndarray) -> dict[str, np.ndarray]:
    seed = NAMES.index(name)
    return {
        "motion-deblurring": _to_u8(convolve(img, motion_kernel())),
        "defocus-deblurring": _to_u8(convolve(img, defocus_kernel())),
        "deraining": _to_u8(add_rain(img, 100 + seed)),
        "real-denoising": _to_u8(add_real_noise(img, 200 + seed)),
    }


def bicubic_lr(img: np.ndarray, scale: int) -> np.ndarray:
    import torch

    from restbench.protocols.imresize import imresize

    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
    return imresize(t, scale=1 / scale).permute(1, 2, 0).numpy()


def _save(path: Path, img: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, optimize=False, compress_level=9)


def build(out: Path) -> None:
    for name, img in clean_images().items():
        _save(out / "HR" / f"{name}.png", img)
        for s in SCALES:
            _save(out / "LR_bicubic" / f"X{s}" / f"{name}x{s}.png", bicubic_lr(img, s))
        for task, d in degraded(name, img).items():
            _save(out / "degraded" / task / f"{name}.png", d)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
