"""The options of a run, as a typed record: the command line builds one, the engine reads it.

Nothing here knows about argparse (that conversion lives in :mod:`restbench.cli.run`), so a
library user or a test builds ``RunOptions(...)`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from restbench.engine.inference import ForwardSettings

RANDOM = "random"  # ``--weights ID=random``: efficiency-only rows with random initialisation


@dataclass
class RunOptions:
    device: str = "auto"
    forward: ForwardSettings = field(default_factory=ForwardSettings)
    compile: bool = False
    limit: int | None = None
    data_root: Path | None = None
    results_dir: Path | None = None
    save_images: Path | None = None
    force: bool = False
    progress: bool = True
    weights: dict[str, str] = field(default_factory=dict)
    missing_weights: str = "fail"  # 'fail' or 'random' (efficiency-only rows)
    metrics: tuple[str, ...] = ()
    prefetch: int = 2
    offline: bool | None = None  # None: RESTBENCH_OFFLINE / HF_HUB_OFFLINE decide (read when fetching)
    batch_size: int = 1  # images of equal size per forward pass (rows identical to batch 1)
    channels_last_auto: bool = True  # use NHWC where the architecture says it is faster
    family_weight_files: dict[str, set[str]] = field(default_factory=dict)
    lock_timeout: float | None = None  # seconds to wait for another process running the same job; None: as long as it takes


__all__ = ["RANDOM", "RunOptions"]
