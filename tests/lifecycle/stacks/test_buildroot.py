"""Build roots (issue 10, item 1): locked like the run stacks, with the packages the issue
names, assembled without writing outside their directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle.archive import Entry
from pack_it.lifecycle.stacks import buildroot, lockfile
from pack_it.lifecycle.stacks.definitions import releases

ASKED = {"libc6-dev", "gcc", "g++", "make", "pkg-config", "git", "ca-certificates"}


@pytest.mark.parametrize("release", sorted(releases()))
def test_each_release_has_a_locked_build_root_with_the_compilers_and_the_run_stacks_dev_packages(release):
    names = {p.name for p in lockfile.read(buildroot.NAME, release)}
    assert ASKED <= names
    assert "libssl-dev" in names and any(n.startswith("libstdc++-") and n.endswith("-dev") for n in names)
    python = releases()[release].vars["python"]
    assert {f"python{python}", f"libpython{python}-dev"} <= names
    # every library a run stack of the release carries is in its build root (what is compiled
    # there links nothing the image lacks, and finds everything it has)
    for stack in ("cc", "python", "node"):
        carried = {p.name for p in lockfile.read(stack, release) if p.name.startswith("lib")}
        assert carried - names == set(), stack


def test_the_definition_links_what_update_alternatives_would_make():
    links = buildroot.definition("debian12").links
    assert links["usr/bin/cc"] == "gcc" and links["usr/bin/python3"] == "python3.11"


def test_writing_through_a_link_that_leaves_the_root_is_refused(tmp_path):
    root = (tmp_path / "root").resolve()
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(str(outside), root / "escape")  # as a malicious package's absolute link would
    with pytest.raises(PackItError) as e:
        buildroot._write(root, Entry("escape/evil", "file", 0o644, data=b"x"))
    assert "outside the build root" in e.value.message
    assert not (outside / "evil").exists()


def test_files_keep_no_setuid_bit_and_links_inside_are_followed(tmp_path):
    root = (tmp_path / "root").resolve()
    (root / "usr" / "lib").mkdir(parents=True)
    os.symlink("usr/lib", root / "lib")  # merged /usr
    buildroot._write(root, Entry("lib/x.so", "file", 0o4755, data=b"elf"))
    assert (root / "usr" / "lib" / "x.so").read_bytes() == b"elf"
    assert (root / "usr" / "lib" / "x.so").stat().st_mode & 0o7777 == 0o755


def test_the_sandbox_mount_points_are_in_the_tree(tmp_path, monkeypatch):
    # entries() imports assemble, which binds read_deb at import: imported first, it keeps the
    # real one (imported under the patch, it kept the stand-in for every later test).
    import pack_it.lifecycle.stacks.assemble  # noqa: F401

    monkeypatch.setattr("pack_it.lifecycle.stacks.deb.read_deb", lambda path: (_ for _ in ()).throw(AssertionError))
    entries = {e.path: e for e in buildroot.entries("debian12", [], None)}  # type: ignore[arg-type]
    for path in ("etc/resolv.conf", "etc/hosts", "etc/passwd", "workspace", "tmp", "proc", "dev"):
        assert path in entries
    assert entries["tmp"].mode == 0o1777
