"""What the model sees and what it is scored against, per image, exactly as the harness makes them.

A set's own degraded file when it has one (``LR_bicubic``, blurred frames), else the protocol's
degradation applied to the clean target (noise seeded per image, JPEG, MATLAB bicubic).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from restbench.datasets import DatasetError, load_samples
from restbench.engine.options import RunOptions
from restbench.engine.plan import Job
from restbench.errors import UserError
from restbench.protocols import degrade, get_protocol


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """HxWxC array (uint8 or float in [0,1]) → 1xCxHxW float32 in [0,1]."""
    arr = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))[None]


def make_input(sample, protocol, job: Job) -> tuple[torch.Tensor, torch.Tensor]:
    """(model input, ground truth) as 1xCxHxW float32: the set's own degraded file when it has
    one (LR_bicubic, blurred frames), else the protocol's degradation applied to the target."""
    target = to_tensor(sample.target)
    if sample.input is not None:
        return to_tensor(sample.input), target
    lq, target = degrade(protocol, target, sigma=job.level.sigma, quality=job.level.quality, scale=job.level.scale)
    return lq.float(), target.float()


def iter_inputs(state, job: Job, opts: RunOptions) -> Iterator[tuple[str, torch.Tensor, torch.Tensor]]:
    """(name, model input, ground truth) per image, as the harness makes them for ``job``."""
    spec = state.registry.datasets[job.dataset]
    protocol = get_protocol(job.protocol)
    try:
        for s in load_samples(spec, opts.data_root, task=job.task, sigma=job.level.sigma, scale=job.level.scale,
                              quality=job.level.quality, channels=job.channels, limit=opts.limit,
                              dual_pixel=job.dual_pixel):
            x, y = make_input(s, protocol, job)
            yield s.name, x, y
    except DatasetError as exc:
        raise UserError(str(exc)) from None


__all__ = ["iter_inputs", "make_input", "to_tensor"]
