"""Fixtures for the stack tests: one persistent cache for downloaded .debs and built stack
layers, shared by every run (PACK_IT_TEST_CACHE, else ~/.cache/pack-it-test)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def stack_cache_dir() -> Path:
    path = Path(os.environ.get("PACK_IT_TEST_CACHE") or Path.home() / ".cache" / "pack-it-test")
    path.mkdir(parents=True, exist_ok=True)
    return path

