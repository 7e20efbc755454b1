"""The named Uformer configurations, as the authors' ``utils/model_utils.py::get_arch`` builds them.

``get_arch`` always passes ``img_size=opt.train_ps``; every release test script leaves
``--train_ps`` at its default of 128, so that is the default here. Training used 128 for SIDD
(``script/train_denoise.sh``) but 256 for GoPro (``script/train_motiondeblur.sh``); with 128 the
bottleneck (8x8) is a single unshifted window, with 256 its second block shifts. We follow the
test scripts, i.e. what produced the published numbers.

``Uformer16``/``Uformer32`` are the 2021 ``get_arch`` entries behind the first released
checkpoints (arXiv v1 code: no modulator, ``depths=[2]*9``); the ``token_embed`` argument they
passed was swallowed by ``**kwargs``, so ``token_projection`` stayed at its default 'linear'.
``Uformer_B_fastleff`` is omitted: it needs ``torch_dwconv`` and no checkpoint uses it.
"""

from __future__ import annotations

from typing import Any

_COMMON: dict[str, Any] = {"win_size": 8, "token_projection": "linear", "token_mlp": "leff"}

# name -> constructor kwargs except img_size (and embed_dim/dd_in where get_arch takes them from options)
PRESETS: dict[str, dict[str, Any]] = {
    "Uformer": {**_COMMON, "modulator": True},  # embed_dim from --embed_dim
    "Uformer_T": {**_COMMON, "embed_dim": 16, "modulator": True},
    "Uformer_S": {**_COMMON, "embed_dim": 32, "modulator": True},
    "Uformer_S_noshift": {**_COMMON, "embed_dim": 32, "modulator": True, "shift_flag": False},
    "Uformer_B": {**_COMMON, "embed_dim": 32, "depths": [1, 2, 8, 8, 2, 8, 8, 2, 1], "modulator": True},  # dd_in from --dd_in
    # 2021 code (arXiv v1): same layout without modulator
    "Uformer16": {**_COMMON, "embed_dim": 16},
    "Uformer32": {**_COMMON, "embed_dim": 32},
}

TEST_TRAIN_PS = 128  # default --train_ps of test/test_sidd.py, test_dnd.py, test_gopro_hide.py, test_realblur.py


def get_arch(name: str, train_ps: int = TEST_TRAIN_PS, embed_dim: int = 32, dd_in: int = 3) -> dict[str, Any]:
    """Constructor kwargs for ``Uformer`` under the authors' arch name (``--arch``)."""
    if name not in PRESETS:
        raise KeyError(f"unknown Uformer arch {name!r}; known: {', '.join(PRESETS)}")
    kwargs: dict[str, Any] = {"img_size": train_ps}
    if name == "Uformer":
        kwargs["embed_dim"] = embed_dim
    kwargs.update(PRESETS[name])
    if name == "Uformer_B":
        kwargs["dd_in"] = dd_in
    kwargs = {k: (list(v) if isinstance(v, list) else v) for k, v in kwargs.items()}  # callers may mutate
    return kwargs
