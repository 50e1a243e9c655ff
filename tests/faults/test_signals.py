"""SIGTERM and SIGKILL at several moments of a real build of go-hello: after each, the next
build succeeds with the clean build's digest and leaves nothing behind; SIGTERM itself leaves
nothing (finally blocks run, as for SIGINT)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_APPS
from tests.faults.conftest import build_argv, child_env, leftovers, pack_it_build

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network

# Where to stop the build: a glob (relative to the cache, or to the output's directory for
# "publish") that exists only during that moment of the build.
MOMENTS = {
    "detect": None,  # right after the start
    "go-build": "cache:tmp/build-*/go-src",
    "compress": "cache:tmp/staging-*/.partial-*",
    "publish": "out:.partial-*",
}


def _variant(tmp_path: Path, n: int) -> Path:
    """go-hello with a trailing comment: a new source digest (so go build runs and the layer is
    compressed again), the same binary, so the same image digest."""
    app = tmp_path / f"app{n}" / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", app)
    with open(app / "main.go", "a") as f:
        f.write(f"\n// variant {n}\n")
    return app


def _interrupt(app: Path, out: Path, cache: Path, moment: str, sig: int) -> bool:
    """Starts a build, sends `sig` at `moment`; False if the build finished first."""
    proc = subprocess.Popen(build_argv(app, out, cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=child_env())
    pattern = MOMENTS[moment]
    if pattern is None:
        time.sleep(0.3)
    else:
        where, _, rel = pattern.partition(":")
        full = str((cache if where == "cache" else out.parent) / rel)
        while proc.poll() is None and not glob.glob(full):
            time.sleep(0.0005)
    if proc.poll() is not None:
        proc.communicate()
        return False
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:
        return False  # it finished in between
    assert "Traceback" not in stderr, stderr
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, stderr
        assert stderr.strip().endswith("the output was not written."), stderr
    return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_killed_build_leaves_a_consistent_cache(tmp_path, cache_copy, warm, moment, sig):
    clean = warm[1]["go"]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "go-hello.tar"
    for n in range(8):  # a few tries: the build may pass the moment before the signal lands
        app = _variant(tmp_path, n)
        out.unlink(missing_ok=True)  # a try that finished first wrote it; only the killed one counts
        if _interrupt(app, out, cache_copy, moment, sig):
            break
    else:
        pytest.fail(f"the build never was at {moment} when signalled")
    assert not out.exists()
    if sig == signal.SIGTERM:  # cleaned up by the build itself
        assert leftovers(cache_copy, out_dir) == []
    assert pack_it_build(app, out, cache_copy) == clean
    assert leftovers(cache_copy, out_dir) == []
    # And the layer recorded under this source is the right one: a no-op rebuild gives it again.
    out.unlink()
    assert pack_it_build(app, out, cache_copy) == clean
