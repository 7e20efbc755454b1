"""Decoding test images the way the authors' OpenCV-based scripts do, with Pillow.

Kept separate from the loader because the details (16-bit PNGs, which grey conversion a script
gets from ``cv2.imread``) decide the last decimals of a PSNR and deserve their own tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from restbench.datasets.spec import DatasetError


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode an image as uint8 HxWxC, RGB order (C=3) or grey (C=1), as ``cv2.imread`` would.

    * 16-bit PNGs (DPDD) become 8-bit by dropping the low byte, which is what
      ``cv2.imread(path)`` (IMREAD_COLOR, Restormer's single-image defocus script) returns and
      what Pillow returns for 16-bit RGB — checked to agree bit for bit.
    * Alpha is dropped without compositing (cv2 IMREAD_COLOR does the same); palette images are
      expanded to RGB; JPEG EXIF orientation is applied (cv2 applies it by default).
    * Grey files stay 1-channel here; :func:`load_samples` replicates them for ``channels='rgb'``.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        return _decode(path)
    except DatasetError:
        raise
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        # Pillow says "image file is truncated", "broken PNG file", "cannot identify image file"
        raise DatasetError(f"{path}: cannot decode this image ({exc}); the file is truncated or damaged — "
                           "replace it or fetch the set again (restbench download-data NAME)") from None
    except Exception as exc:  # a decoder bug on garbage input is still about this file
        raise DatasetError(f"{path}: cannot decode this image ({type(exc).__name__}: {exc})") from None


def _decode(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.load()  # decode now, inside the error handling, rather than lazily later
        if im.format == "JPEG":
            im = ImageOps.exif_transpose(im)
        mode = im.mode
        if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
            arr = np.asarray(im).astype(np.int64)
            if arr.max(initial=0) > 65535 or arr.min(initial=0) < 0:
                raise DatasetError(f"{path}: 32-bit integer image, not a test image this loader understands")
            return (arr >> 8).astype(np.uint8)[..., None]
        if mode in ("L", "1", "LA", "La"):
            return np.array(im.convert("L"), dtype=np.uint8)[..., None]
        if mode == "P":
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        if mode == "F":
            raise DatasetError(f"{path}: floating-point image, not a test image this loader understands")
        return np.array(im.convert("RGB"), dtype=np.uint8)


def read_image16(path: str | os.PathLike[str]) -> np.ndarray:
    """A 16-bit RGB PNG as float32 HxWx3 in [0, 1] (value / 65535), as Restormer's dual-pixel
    script reads DPDD (``utils.load_img16``: ``cv2.imread(path, -1)``, BGR→RGB, ``/ 65535.``).

    Pillow keeps only the high byte of 16-bit RGB, so this one read goes through OpenCV. An 8-bit
    file is refused: divided by 65535 it would score as a nearly black image.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise DatasetError(f"{path}: cannot decode this image; the file is truncated or damaged — "
                           "replace it or fetch the set again (restbench download-data NAME)")
    if arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[2] != 3:
        raise DatasetError(f"{path}: expected a 16-bit RGB PNG (dual-pixel views are read at 16 bits), "
                           f"found {arr.dtype} with shape {arr.shape}")
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB).astype(np.float32) / np.float32(65535.0)


def to_rgb(img: np.ndarray) -> np.ndarray:
    """Grey HxWx1 → HxWx3 by replication (what cv2.IMREAD_COLOR does with a grey file)."""
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def to_grey(img: np.ndarray, rule: str = "imread", suffix: str = ".png") -> np.ndarray:
    """RGB HxWx3 uint8 → grey HxWx1 uint8 by one of the two rules the authors' scripts use.

    ``rule="imread"``: ``cv2.imread(path, cv2.IMREAD_GRAYSCALE)``, used for grey Gaussian
    denoising by KAIR (``imread_uint(path, 1)``), SwinIR (``gray_dn``) and Restormer
    (``load_gray_img``). Its result depends on the file format, found by testing OpenCV 5.0 on
    Set5/CBSD68/Kodak24/McMaster (all pixels equal):

    * PNG: libpng converts while decoding (``png_set_rgb_to_gray`` with 0.299/0.587), i.e.
      ``(9797 R + 19234 G + 3737 B) >> 15`` — truncating, not rounding;
    * BMP/TIFF (and others): decode colour, then ``cvtColor(BGR2GRAY)``,
      ``(4899 R + 9617 G + 1868 B + 8192) >> 14`` — rounding. (JPEG in OpenCV is converted by
      libjpeg itself and differs from this in ~1% of pixels by 1; no standard grey test uses JPEG.)

    ``rule="y"``: the BT.601 studio-swing luma SwinIR feeds its grey JPEG model (``jpeg_car``:
    ``bgr2ycbcr(img, y_only=True)`` on uint8: float32 image / 255, float64 weights, rounded):
    ``round(16 + (65.481 R + 128.553 G + 24.966 B) / 255)``.
    """
    if img.shape[2] == 1:
        return img
    rgb = img.astype(np.int64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    if rule == "y":
        # as SwinIR: float32 image in [0, 1], dotted with float64 weights
        f = img.astype(np.float32) / np.float32(255.0)
        y = f @ np.array([65.481, 128.553, 24.966]) + 16.0
        return np.clip(np.round(y), 0, 255).astype(np.uint8)[..., None]
    if rule != "imread":
        raise ValueError(f"unknown grey rule {rule!r}; 'imread' or 'y'")
    if suffix.lower() == ".png":
        y = (9797 * r + 19234 * g + 3737 * b) >> 15
    else:
        y = (4899 * r + 9617 * g + 1868 * b + 8192) >> 14
    return y.astype(np.uint8)[..., None]


def convert_channels(img: np.ndarray, channels: str, task: str, suffix: str) -> np.ndarray:
    """To the asked colour mode; grey uses SwinIR's Y rule for jpeg-car, else cv2's IMREAD_GRAYSCALE."""
    if channels == "rgb":
        return to_rgb(img)
    return to_grey(img, "y" if task == "jpeg-car" else "imread", suffix)
