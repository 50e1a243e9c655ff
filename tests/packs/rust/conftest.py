from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import need


@pytest.fixture
def rustc() -> str:
    """The host's rustc, working from the tests' fresh HOME (rustup's proxies need RUSTUP_HOME,
    which tests/conftest.py keeps)."""
    path = need("rustc", ["--version"])
    assert shutil.which("cargo") is not None or subprocess.run([path, "--print", "sysroot"]).returncode == 0
    return path
