"""The wheel users install holds every module of the source tree (pack_it/{detectors,packs,
lifecycle} are symlinks to the top-level folders) and the data files pack-it reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from pack_it.packs import REGISTRY
from tests.conftest import REPO

DATA = ("pack_it/lifecycle/versions.json", "pack_it/lifecycle/stacks/definitions/static.toml",
        "pack_it/lifecycle/stacks/keys/debian-archive-bookworm-stable.gpg",
        "pack_it/lifecycle/stacks/locks/static-debian12-amd64.json",
        "pack_it/packs/static/nginx.conf.j2", "pack_it/packs/static/start.sh",
        "pack_it/packs/java/locks/openjdk-17-debian12-amd64.json", "pack_it/packs/rust/locks/rust-debian13-amd64.json")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    # From a clean copy: a checkout's stale *.egg-info (an editable install's) lists files
    # setuptools would add whatever the package configuration says.
    checkout = tmp_path_factory.mktemp("checkout") / "pack-it"
    shutil.copytree(REPO, checkout, symlinks=True, ignore=shutil.ignore_patterns(
        "*.egg-info", "build", "dist", ".git", "__pycache__", ".venv", "node_modules", "sample_apps", "tests"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(checkout)], capture_output=True, text=True)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr
    [wheel] = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_the_wheel_holds_every_module_of_the_tree(wheel_names):
    sources = {os.path.relpath(os.path.join(d, f), REPO).replace(os.sep, "/")
               for d, _, files in os.walk(REPO / "pack_it", followlinks=True) for f in files
               if f.endswith(".py") and "__pycache__" not in d}
    assert len(sources) > 50
    assert sources - wheel_names == set()


def test_the_wheel_holds_every_registered_pack(wheel_names):
    for group in REGISTRY.groups:
        for member in group.members:
            module = member.module.replace(".", "/")
            assert f"{module}.py" in wheel_names or f"{module}/__init__.py" in wheel_names, member.module


def test_the_wheel_holds_the_data_pack_it_reads(wheel_names):
    assert set(DATA) - wheel_names == set()
