"""Fault injection and concurrency: real builds in subprocesses, sharing a cache that a
session fixture warms once (the static and python stacks, Go's build cache)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_APPS

DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


def build_argv(app: Path, out: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "pack_it", "build", str(app), "-o", f"tar:{out}", "--cache-dir", str(cache), "-q"]


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def pack_it_build(app: Path, out: Path, cache: Path, timeout: float = 300, env: dict[str, str] | None = None) -> str:
    """Builds and returns the image digest (asserting success)."""
    proc = subprocess.run(build_argv(app, out, cache), capture_output=True, text=True, env=env or child_env(),
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return DIGEST.search(proc.stdout).group(1)


def leftovers(cache: Path, *beside: Path) -> list[str]:
    """What an interrupted build must not leave: anything in the cache's tmp/, and partial files
    or directories anywhere in the cache or beside the outputs."""
    found = [f"tmp/{n}" for n in os.listdir(cache / "tmp")] if (cache / "tmp").is_dir() else []
    for dirpath, dirnames, filenames in os.walk(cache):
        if Path(dirpath) == cache / "tmp":
            continue
        for name in dirnames + filenames:
            if name.startswith(".partial-"):
                found.append(os.path.relpath(os.path.join(dirpath, name), cache))
    for directory in beside:
        found += [str(directory / n) for n in os.listdir(directory) if n.startswith(".partial-")]
    return sorted(found)


@pytest.fixture(scope="session")
def python_app(tmp_path_factory) -> Path:
    """A Python app that needs no network: a bare main.py (Python 3.13 on python-debian13, so the
    build extracts the run image's interpreter into the cache: a directory renamed into place)."""
    app = tmp_path_factory.mktemp("apps") / "py-main"
    app.mkdir()
    (app / "main.py").write_text('print("hello from main.py")\n')
    (app / ".python-version").write_text("3.13\n")
    return app


@pytest.fixture(scope="session")
def warm(tmp_path_factory, go_tool, python_app, shared_buildroots) -> tuple[Path, dict[str, str]]:
    """A cache holding the run images and Go's build cache but no layer of the test apps, and
    the digest a solo build of each app gives. The build roots stay outside it (the tests copy
    this cache, and with them each copy was 1.2 GB more)."""
    cache = tmp_path_factory.mktemp("warm-cache")
    out = tmp_path_factory.mktemp("warm-out")
    go_app = tmp_path_factory.mktemp("apps") / "go-hello"  # outside the git checkout: no source labels
    shutil.copytree(SAMPLE_APPS / "go-hello", go_app)
    # A session fixture runs before any test's hermetic environment: it names the build roots itself.
    env = {**child_env(), "PACK_IT_BUILDROOTS": str(shared_buildroots)}
    digests = {"go": pack_it_build(go_app, out / "go.tar", cache, timeout=900, env=env),
               "python": pack_it_build(python_app, out / "py.tar", cache, timeout=900, env=env)}
    for record in (cache / "layers").iterdir():  # the apps' layers are built again by each test
        if "has_bin" in json.loads(record.read_text()):  # (the stacks' records stay)
            record.unlink()
    shutil.rmtree(cache / "packs" / "python" / "interpreters", ignore_errors=True)
    return cache, digests


@pytest.fixture
def cache_copy(warm, tmp_path) -> Path:
    cache = tmp_path / "cache"
    shutil.copytree(warm[0], cache, symlinks=True)
    return cache
