"""A damaged blob in the cache (the app's layer, the run image's layer, the config) is never
reused: the next build detects it by its digest, rebuilds it and gives the clean image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from tests.conftest import REPO, SAMPLE_APPS
from tests.faults.conftest import DIGEST, child_env, pack_it_build

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network


@pytest.mark.parametrize("which,damage", [("app", "truncate"), ("app", "empty"), ("app", "alter"),
                                          ("run", "empty"), ("run", "alter"), ("config", "alter")])
def test_a_damaged_cache_blob_is_rebuilt(tmp_path, cache_copy, warm, which, damage):
    app = tmp_path / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", app)
    out = tmp_path / "a.tar"
    assert pack_it_build(app, out, cache_copy) == warm[1]["go"]
    with tarfile.open(out) as tar:
        entry = json.load(tar.extractfile("manifest.json"))[0]
    name = {"app": entry["Layers"][-1], "run": entry["Layers"][0], "config": entry["Config"]}[which]
    blob = cache_copy / name
    data, st = blob.read_bytes(), blob.stat()
    blob.write_bytes({"truncate": data[:len(data) // 2], "empty": b"",
                      "alter": data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]}[damage])
    os.utime(blob, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with its old mtime
    out.unlink()
    assert pack_it_build(app, out, cache_copy) == warm[1]["go"]
    proc = subprocess.run([sys.executable, "-m", "pack_it", "inspect", f"tar:{out}"], capture_output=True,
                          text=True, env=child_env())  # checks every blob of the output
    assert proc.returncode == 0, proc.stderr
    assert blob.read_bytes() == data


def test_a_damaged_blob_of_an_imported_run_image_is_imported_again(tmp_path, cache_copy, warm):
    app = tmp_path / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", app)
    base = tmp_path / "base.tar"
    pack_it_build(app, base, cache_copy)
    with tarfile.open(base) as tar:
        top = json.load(tar.extractfile("manifest.json"))[0]["Layers"][-1]
    out = tmp_path / "on-base.tar"
    other = tmp_path / "go-cmd"  # another app: its own layer is not the blob damaged below
    shutil.copytree(SAMPLE_APPS / "go-cmd", other)

    def build_on_base():
        proc = subprocess.run([sys.executable, "-m", "pack_it", "build", str(other), "-o", f"tar:{out}",
                               "--run-image", f"tar:{base}", "--cache-dir", str(cache_copy), "-q"],
                              capture_output=True, text=True, env=child_env())
        assert proc.returncode == 0, proc.stderr
        return DIGEST.search(proc.stdout).group(1)

    first = build_on_base()
    blob = cache_copy / top
    good = blob.read_bytes()
    blob.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    out.unlink()
    assert build_on_base() == first
    assert blob.read_bytes() == good
    proc = subprocess.run([sys.executable, "-m", "pack_it", "inspect", f"tar:{out}"], capture_output=True,
                          text=True, env=child_env())
    assert proc.returncode == 0, proc.stderr
