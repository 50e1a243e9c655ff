"""mypy over the whole package, with pyproject.toml's [tool.mypy]: a type error (a pack that no
longer satisfies the Pack contract, an unchecked None) fails the suite, not only CI's own step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_mypy_finds_no_errors(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed (pip install '.[test]' installs it)")
    # The checkout's pack_it, whatever MYPYPATH says; a fresh cache, so nothing stale is trusted.
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    proc = subprocess.run([sys.executable, "-m", "mypy", "-p", "pack_it", "--cache-dir", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
