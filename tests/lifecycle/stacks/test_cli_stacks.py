"""`pack-it stacks list|show|lock` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pack_it.lifecycle.stacks import lockfile
from pack_it.lifecycle.stacks.definitions import STACKS, releases

REFERENCES = [f"{name}-{release}" for name in STACKS for release in releases()]


def pack_it(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PACK_IT_LOCK_DIR"}  # the shipped locks
    return subprocess.run([sys.executable, "-m", "pack_it", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_list_shows_all_twelve_stacks_with_their_package_counts():
    out = pack_it("stacks", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(REFERENCES) == 12  # static, cc, python, node, nginx, builder; debian12 and debian13
    assert [line.split()[0] for line in lines] == REFERENCES
    for line in lines:
        reference, count = line.split()[:2]
        name, release = reference.split("-")
        assert int(count) == len(lockfile.read(name, release)), line
    assert "(on cc)" in next(line for line in lines if line.startswith("python-debian12 "))
    assert "(on" not in next(line for line in lines if line.startswith("static-debian13 "))


def test_show_python_lists_each_level_with_locked_versions():
    out = pack_it("stacks", "show", "python")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    headers = [line.split(":")[0] for line in lines if not line.startswith(" ") and ":" in line]
    assert headers == ["static-debian12", "cc-debian12", "python-debian12"]
    stdlib = next(p for p in lockfile.read("python", "debian12") if p.name == "libpython3.11-stdlib")
    row = next(line for line in lines if line.split()[:1] == ["libpython3.11-stdlib"])
    assert row.split()[1] == stdlib.version
    assert f"{stdlib.size / 1e3:.1f} kB" in row
    every = [p for level in ("static", "cc", "python") for p in lockfile.read(level, "debian12")]
    assert len([line for line in lines if line.startswith("  ")]) == len(every)
    assert lines[-1] == f"{sum(p.size for p in every) / 1e6:.1f} MB of .deb files"


def test_show_debian13_stack():
    out = pack_it("stacks", "show", "cc-debian13")
    assert out.returncode == 0, out.stderr
    assert "libssl3t64" in out.stdout and "python" not in out.stdout


@pytest.mark.parametrize("reference", ["nope", "python-debian14"])
def test_show_unknown_stack_is_a_usage_error(reference):
    out = pack_it("stacks", "show", reference)
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith(f"error: {reference!r} is not a stack.")
    assert "hint: Stacks: static, cc, nginx, node, python" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.network
def test_lock_writes_the_release_locks_then_reports_them_unchanged(tmp_path):
    """Against the real archive: ~15 s a run."""
    first = pack_it("stacks", "lock", "debian12", "--lock-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    locked = (*STACKS, "buildroot")  # the release's build root is locked with its stacks
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s}-debian12-amd64.json" for s in locked)
    summary = [line for line in first.stdout.splitlines() if not line.startswith(" ")]
    assert [line.split(":")[0] for line in summary] == [f"{s}-debian12" for s in locked]
    for stack in STACKS:
        written = json.loads((tmp_path / f"{stack}-debian12-amd64.json").read_text())
        assert (written["stack"], written["release"], written["arch"]) == (stack, "debian12", "amd64")
        packages = lockfile.read(stack, "debian12", tmp_path)
        assert [p.name for p in packages] == sorted(p.name for p in packages)
        # The same packages as the shipped lock (versions move with the archive).
        assert [p.name for p in packages] == [p.name for p in lockfile.read(stack, "debian12", lockfile.SHIPPED)]
        if packages:
            assert f"{stack}-debian12: {len(packages)} changes" in summary
            for p in packages:
                assert f"  + {p.name} {p.version}" in first.stdout.splitlines()
    assert "libpython3.11-stdlib" in {p.name for p in lockfile.read("python", "debian12", tmp_path)}

    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    second = pack_it("stacks", "lock", "debian12", "--lock-dir", str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [f"{s}-debian12: unchanged" for s in locked]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert "[lock debian12]" in second.stderr
