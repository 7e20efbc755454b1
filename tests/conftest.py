"""Shared test fixtures: where ../shared lives, and an isolated restbench home per test session."""

from __future__ import annotations

import os
from pathlib import Path

# huggingface_hub reads this at import time; offline it would otherwise retry for ~23 s per file.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RESTBENCH_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The real reference data beside the checkout (CI has it). Missing data is an error in CI."""
    if not (SHARED / "README.md").exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference data not found at {SHARED}")
        pytest.skip(f"reference data not found at {SHARED}")
    return SHARED


@pytest.fixture(autouse=True)
def _restbench_home(tmp_path_factory, monkeypatch):
    """Keep every test's cache/results away from the user's real cache."""
    home = tmp_path_factory.getbasetemp() / "restbench-home"
    monkeypatch.setenv("RESTBENCH_HOME", str(home))
    yield
