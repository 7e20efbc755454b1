"""Small synthetic archives in the authors' layouts (Restormer's test.zip files), built in memory.

``paired_zip({"test/GoPro": 1111})`` is a zip holding ``test/GoPro/input/NNNN.png`` and
``test/GoPro/target/NNNN.png`` for 1111 tiny (4x4 RGB) pairs, as Restormer's GoPro ``test.zip``
unpacks to ``test/GoPro/{input,target}``. Images are random but seeded, so an archive is the same
bytes every time (its sha256 can be pinned in a test).
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache

import numpy as np
from PIL import Image


def _png(seed: int, size: int = 4) -> bytes:
    arr = np.random.RandomState(seed).randint(0, 256, size=(size, size, 3)).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@lru_cache(maxsize=None)
def _pair_bytes(i: int, size: int = 4) -> tuple[bytes, bytes]:
    return _png(2 * i, size), _png(2 * i + 1, size)


def paired_members(folders: dict[str, int], extra: dict[str, bytes] | None = None, size: int = 4) -> dict[str, bytes]:
    """Member name -> bytes: ``<folder>/input/<i>.png`` and ``<folder>/target/<i>.png`` for each folder
    (``size`` x ``size`` random RGB, i.e. about 3*size^2 incompressible bytes per image)."""
    out: dict[str, bytes] = {}
    for folder, n in folders.items():
        for i in range(n):
            inp, tgt = _pair_bytes(i, size)
            out[f"{folder}/input/{i:04d}.png"] = inp
            out[f"{folder}/target/{i:04d}.png"] = tgt
    out.update(extra or {})
    return out


@lru_cache(maxsize=None)
def _zip_cached(items: tuple[tuple[str, int], ...], extra: tuple[tuple[str, bytes], ...], size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in paired_members(dict(items), dict(extra), size).items():
            zi = zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return buf.getvalue()


def paired_zip(folders: dict[str, int], extra: dict[str, bytes] | None = None, size: int = 4) -> bytes:
    """A zip of paired folders (deterministic bytes)."""
    return _zip_cached(tuple(sorted(folders.items())), tuple(sorted((extra or {}).items())), size)


def gopro_test_zip(n: int = 1111) -> bytes:
    """Restormer's GoPro ``test.zip`` layout: ``test/GoPro/{input,target}`` with ``n`` pairs."""
    return paired_zip({"test/GoPro": n})


def S(name: str):
    """The registered spec for a name (the data and fetch layers take specs, not names)."""
    from restbench import get_registry

    return get_registry().datasets[name]


def fetch_set(name: str, *args, **kwargs):
    """download_dataset for a registered set, knowing the other registered sets (shared archives)."""
    from restbench import get_registry
    from restbench.fetch.datasets import download_dataset

    return download_dataset(S(name), *args, registered=get_registry().datasets.values(), **kwargs)
