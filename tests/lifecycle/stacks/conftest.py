"""Fixtures for the stack tests: one cache for downloaded .debs and built stack layers, shared
by the session's tests; PACK_IT_TEST_CACHE names a directory that keeps it across runs (a
developer's speed-up: no test depends on it being warm)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def stack_cache_dir(tmp_path_factory) -> Path:
    kept = os.environ.get("PACK_IT_TEST_CACHE")
    path = Path(kept) if kept else tmp_path_factory.mktemp("stack-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path

