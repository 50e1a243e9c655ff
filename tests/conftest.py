"""Shared fixtures. Tests that need a container engine or an image tool skip with a reason
on a machine without one; with PACK_IT_REQUIRE_ENGINE=1 (CI sets it) they fail instead."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_APPS = REPO / "sample_apps"
REQUIRED = os.environ.get("PACK_IT_REQUIRE_ENGINE") == "1"


def need(tool: str, probe: list[str] | None = None) -> str:
    """The tool's path, or a skip (a failure where the engine tests are mandatory)."""
    path = shutil.which(tool)
    ok = path is not None
    if ok and probe:
        ok = subprocess.run([path, *probe], capture_output=True).returncode == 0
    if not ok:
        reason = f"{tool} is not installed or not working here (see .ci/run for the set-up)"
        if REQUIRED:
            pytest.fail(reason + "; PACK_IT_REQUIRE_ENGINE=1 makes it mandatory")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def podman() -> str:
    return need("podman", ["info"])


@pytest.fixture(scope="session")
def skopeo() -> str:
    return need("skopeo", ["--version"])


@pytest.fixture(scope="session")
def umoci() -> str:
    return need("umoci", ["--version"])


@pytest.fixture(scope="session")
def go_tool() -> str:
    return need("go", ["version"])


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache for the whole session, so the Go standard library compiles once."""
    return tmp_path_factory.mktemp("pack-it-cache")


@pytest.fixture
def app_copy(tmp_path):
    """Copies a sample app into a fresh directory (tests never touch sample_apps/)."""

    def copy(name: str, dest: Path | None = None) -> Path:
        target = dest or tmp_path / name
        shutil.copytree(SAMPLE_APPS / name, target)
        return target

    return copy
