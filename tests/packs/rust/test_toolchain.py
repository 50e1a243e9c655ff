"""Which Rust toolchain a build gets, without building: Debian's from its lock (its identity is
the lock's hashes), the version check against what the app asks for, and where Debian 13's
rustc can run."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pack_it.detectors.rust import RustFacts
from pack_it.errors import MISSING_TOOLCHAIN, PackItError
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.sandbox import Sandbox
from pack_it.lifecycle.stacks import lockfile
from pack_it.packs import rust as rust_pack
from pack_it.packs.rust import debian, toolchain

FACTS = RustFacts(package="app", manifest="Cargo.toml", binary="app", binary_reason="the only binary",
                  binaries=("app/app",), workspace=False, locked=True)


def _debian_toolchain(version: str = "1.85.1", package: str = "rustc") -> toolchain.Toolchain:
    return toolchain.Toolchain("/c/usr/bin/rustc", "/c/usr/bin/cargo", version, "debian", toolchain.TARGET,
                               sysroot="/c", identity="debian:x", library_path="/c/usr/lib/x86_64-linux-gnu",
                               origin="debian13", package=package)


def test_the_lock_is_debian_13s_rustc_cargo_and_standard_library():
    packages = debian.read_lock()
    names = {p.name for p in packages}
    assert {"rustc", "cargo", "libstd-rust-dev", "libstd-rust-1.85", "libllvm19", "libgit2-1.9",
            "libcurl4t64"} <= names
    assert debian.rustc_version(packages) == "1.85.1"
    # Only what the debian13 build root lacks: gcc, libc6, libssl3t64 are the build root's.
    assert not names & {p.name for p in lockfile.read("buildroot", "debian13")}
    assert all(len(p.sha256) == 64 for p in packages)


def test_rustc_web_is_locked_beside_it_for_apps_that_ask_for_newer():
    packages = debian.read_lock(debian.FLAVOURS[1])
    assert {"rustc-web", "cargo-web", "libstd-rust-web-dev"} <= {p.name for p in packages}
    assert debian.rustc_version(packages) == "1.96.0"


@pytest.mark.parametrize("asked, flavour", [(None, "rust-web"), ((1, 74, 0), "rust"), ((1, 85, 0), "rust"),
                                            ((1, 85, 1), "rust"), ((1, 85, 2), "rust-web"), ((1, 90, 0), "rust-web"),
                                            ((1, 96, 0), "rust-web"), ((1, 97, 0), "rust-web")])
def test_the_oldest_debian_rustc_that_satisfies_the_app_is_chosen(asked, flavour):
    chosen, packages = debian.choose(asked)
    assert chosen.lock == flavour and packages == debian.read_lock(chosen)


def test_the_toolchains_identity_changes_with_any_locked_hash(tmp_path, monkeypatch):
    packages = debian.read_lock()
    moved = [replace(p, sha256="0" * 64) if p.name == "libllvm19" else p for p in packages]
    assert debian.key(moved) != debian.key(packages)
    assert debian.key([replace(p, version=p.version + "+b1") if p.name == "cargo" else p for p in packages]) \
        != debian.key(packages)
    # ...and so the unpacked directory and the layer key input (Toolchain.identity) do.
    cache = Cache(tmp_path / "cache")
    monkeypatch.setenv("PACK_IT_BUILDROOTS", str(tmp_path / "roots"))
    flavour = debian.FLAVOURS[0]
    assert debian.path(cache, flavour, moved) != debian.path(cache, flavour, packages)
    # A lock whose toolchain is already unpacked is found there, with nothing downloaded.
    locks = tmp_path / "locks"
    locks.mkdir()
    for name in ("rust-debian13-amd64.json", "rust-web-debian13-amd64.json"):
        shutil.copy(debian.LOCKS / name, locks)
    monkeypatch.setattr(debian, "LOCKS", locks)
    seen = []
    for lock in (packages, moved):
        lockfile.write("rust", "debian13", "buildroot", lock, locks)
        root = debian.path(cache, flavour, lock)
        for tool in ("rustc", "cargo"):
            (root / "usr/bin").mkdir(parents=True, exist_ok=True)
            (root / "usr/bin" / tool).write_text("")
        tc = toolchain.provided(cache, Reporter(), replace(FACTS, rust_version="1.80"))
        assert tc.cargo == str(root / "usr/bin/cargo") and tc.rustc == str(root / "usr/bin/rustc")
        assert tc.tools == (root,) and tc.env == {"LD_LIBRARY_PATH": str(root / "usr/lib/x86_64-linux-gnu")}
        seen.append(tc.identity)
    assert seen[0] == f"debian:{debian.key(packages)}" and seen[0] != seen[1]
    assert not [p for p in (cache.root / "blobs").rglob("*") if p.is_file()]  # nothing downloaded


def test_a_version_debian_provides_passes():
    for asked in ("1.85", "1.85.1", "1.74", "any"):
        assert toolchain.check(_debian_toolchain(), replace(FACTS, rust_version=asked)) is None  # raises to refuse


def test_a_newer_version_than_debians_is_a_clear_error_suggesting_the_host():
    facts = replace(FACTS, rust_version="1.97", rust_version_source="Cargo.toml line 5 (rust-version 1.97)")
    with pytest.raises(PackItError) as err:
        toolchain.check(_debian_toolchain("1.96.0", "rustc-web"), facts)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message == ("Cargo.toml line 5 (rust-version 1.97) asks for rustc 1.97 or newer, and the "
                                 "provided rustc is 1.96.0 (Debian 13's rustc-web, the newest pack-it provides).")
    assert "--toolchain host" in err.value.hint


def test_debians_rustc_runs_only_on_the_debian13_build_root(monkeypatch):
    tc = _debian_toolchain()
    toolchain.runs_here(tc, "debian13")
    with pytest.raises(PackItError) as err:
        toolchain.runs_here(tc, "debian12")
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "static-debian13" in err.value.hint and "--toolchain host" in err.value.hint
    # Without the sandbox it runs on the host: its glibc decides.
    monkeypatch.setattr(os, "confstr", lambda name: "glibc 2.36")
    with pytest.raises(PackItError) as err:
        toolchain.runs_here(tc, None)
    assert err.value.message.endswith("which has glibc 2.36.") and "--toolchain host" in err.value.hint
    monkeypatch.setattr(os, "confstr", lambda name: "glibc 2.41")
    toolchain.runs_here(tc, None)
    toolchain.runs_here(replace(tc, origin="host"), "debian12")  # the host's rustc: the host's business


def test_the_build_roots_release_comes_from_its_directory():
    assert rust_pack.build_root_release(Sandbox("bwrap", Path("/r/debian13-856bb2ee"))) == "debian13"
    assert rust_pack.build_root_release(Sandbox("bwrap", Path("/r/debian12-fa4902a0"))) == "debian12"
    assert rust_pack.build_root_release(Sandbox("bwrap", None)) is None  # --toolchain host: the host's /
    assert rust_pack.build_root_release(Sandbox("none", Path("/r/debian13-856bb2ee"))) is None
