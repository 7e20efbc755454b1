"""Where restbench keeps what it downloads and produces: one cache root, three subfolders.

The root is ``$RESTBENCH_HOME`` when set, otherwise the platform's per-user cache folder, the
same place ``platformdirs.user_cache_dir("restbench")`` would pick (it is computed here rather
than imported so the core needs no extra dependency):

* Linux and other Unix: ``$XDG_CACHE_HOME/restbench``, default ``~/.cache/restbench``
* macOS: ``~/Library/Caches/restbench``
* Windows: ``%LOCALAPPDATA%\\restbench\\Cache``

Everything is read from the environment at call time, never at import, so tests and the CLI
can redirect the cache after restbench has been imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_HOME = "RESTBENCH_HOME"
SUBDIRS = ("weights", "datasets", "results")


def _platform_cache_dir() -> Path:
    """The per-user cache folder a platformdirs-aware tool would use on this OS."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "restbench" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "restbench"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "restbench"


def cache_root() -> Path:
    """The one folder under which weights, datasets and results live (not created here)."""
    home = os.environ.get(ENV_HOME, "").strip()
    if home:
        return Path(home).expanduser().resolve()
    return _platform_cache_dir()


def _sub(name: str, create: bool) -> Path:
    path = cache_root() / name
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def weights_dir(create: bool = False) -> Path:
    """``<root>/weights``: checkpoints, one subfolder per architecture, plus known_sha256.json."""
    return _sub("weights", create)


def datasets_dir(create: bool = False) -> Path:
    """``<root>/datasets``: downloaded and extracted test sets."""
    return _sub("datasets", create)


def results_dir(create: bool = False) -> Path:
    """``<root>/results``: benchmark outputs."""
    return _sub("results", create)


__all__ = ["ENV_HOME", "SUBDIRS", "cache_root", "datasets_dir", "results_dir", "weights_dir"]
