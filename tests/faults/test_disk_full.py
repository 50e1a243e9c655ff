"""A full filesystem under the cache: one sentence (exit 61), no partial file, and the same
cache builds the right image once there is room again."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pack_it.errors import EXPORT_FAILED
from tests.conftest import SAMPLE_APPS
from tests.faults.conftest import DIGEST, build_argv, child_env, leftovers

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "fs"
    mnt.mkdir()
    # Room for go-hello's 4.7 MB binary in the scratch directory, not for its 2.1 MB compressed layer beside it.
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mnt
    subprocess.run(["umount", "-R", "-l", str(mnt)], check=False)  # with the binds the test made inside


def test_enospc_while_compressing_a_layer(tmp_path, small_fs, warm, cache_copy):
    app = tmp_path / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", app)
    clean = subprocess.run([*build_argv(app, tmp_path / "clean.tar", cache_copy), "--run-image", "base"],
                           capture_output=True, text=True, env=child_env())
    assert clean.returncode == 0, clean.stderr
    cache = small_fs / "cache"
    for kept in ("go-cache", "toolchains"):
        # Go's build cache and Go itself stay on disk, not in the 6 MB: bind-mounted, as the
        # build sandbox binds the cache's real paths (a symlink there leads out of its view)
        (cache / "packs" / "go" / kept).mkdir(parents=True)
        subprocess.run(["mount", "--bind", str(warm[0] / "packs" / "go" / kept), str(cache / "packs" / "go" / kept)],
                       check=True)
    out = tmp_path / "out.tar"
    proc = subprocess.run([*build_argv(app, out, cache), "--run-image", "base"], capture_output=True, text=True,
                          env=child_env())
    assert proc.returncode == EXPORT_FAILED, proc.stderr
    assert proc.stderr.startswith(f"error: Cannot write to the cache {cache}: No space left on device.")
    assert "Traceback" not in proc.stderr and not out.exists()
    assert leftovers(cache, tmp_path) == []
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    proc = subprocess.run([*build_argv(app, out, cache), "--run-image", "base"], capture_output=True, text=True,
                          env=child_env())
    assert proc.returncode == 0, proc.stderr
    assert DIGEST.search(proc.stdout).group(1) == DIGEST.search(clean.stdout).group(1)
    assert leftovers(cache, tmp_path) == []
