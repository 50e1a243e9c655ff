"""The Rust toolchain the build runs: `provided` under `--toolchain pack-it` (the default),
Debian 13's rustc and cargo from pack-it's cache (debian.py: locked .debs, verified, unpacked
once), run on the debian13 build root; `find` under `--toolchain host`, the rustc and cargo on
the host's PATH (rustup's, or the host's Debian packages).

rustup's `cargo` and `rustc` on PATH are proxies that would read the app's rust-toolchain file
and try to install what it names; pack-it asks the proxy once, from a neutral directory, for
the sysroot of the toolchain it provides, and runs that toolchain's own binaries."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.detectors.rust import RustFacts
from pack_it.detectors.rust.version import parse_release
from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.packs.rust import debian

if TYPE_CHECKING:  # annotations only
    from pack_it.lifecycle.cache import Cache
    from pack_it.lifecycle.reporter import Reporter

TARGET = "x86_64-unknown-linux-gnu"
SYSTEM_PREFIXES = ("/", "/usr", "/usr/local")
HINT = "Install Rust (rustup: https://rustup.rs, or apt-get install cargo) so that rustc and cargo are on PATH."


@dataclass(frozen=True)
class Toolchain:
    rustc: str
    cargo: str
    version: str  # "1.95.0"
    commit: str  # rustc's commit hash: part of the layer key
    host: str
    sysroot: str = ""  # the toolchain's own directory (rustup's toolchains/<name>), bound into the build sandbox
    identity: str = ""  # what the layer key holds of it: the Debian lock's digest, else rustc's commit
    library_path: str = ""  # LD_LIBRARY_PATH for rustc and cargo: the unpacked Debian libraries
    origin: str = "host"  # "debian13" (pack-it's) or "host"
    package: str = ""  # the Debian package of pack-it's rustc: rustc or rustc-web

    @property
    def provided(self) -> bool:
        return self.origin != "host"

    @property
    def env(self) -> dict[str, str]:
        return {"LD_LIBRARY_PATH": self.library_path} if self.library_path else {}

    @property
    def tools(self) -> tuple[Path, ...]:
        """What the build sandbox must bind read-only for cargo and rustc to run there: a
        rustup toolchain's directory; nothing for a system prefix (Debian's rustc in /usr is
        the build root's own, never the host's bound over it)."""
        return () if not self.sysroot or self.sysroot in SYSTEM_PREFIXES else (Path(self.sysroot),)


def _ask(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        first = next((l for l in proc.stderr.splitlines() if l.strip()), f"exit {proc.returncode}")
        raise build_error(f"`{' '.join(argv)}` failed: {first.strip()}", HINT, exit_code=MISSING_TOOLCHAIN)
    return proc.stdout


def provided(cache: Cache, reporter: Reporter, facts: RustFacts | None = None) -> Toolchain:
    """Debian's rustc and cargo for what the app asks for (debian.choose: 1.85, or rustc-web
    for newer or for nothing), fetched into the cache the first time (debian.py)."""
    asked = parse_release(facts.rust_version) if facts is not None and facts.rust_version != "any" else None
    if facts is not None:  # an app asking for more than any of them: said before 100 MB are downloaded
        flavour, packages = debian.choose(asked)
        check(Toolchain("rustc", "cargo", debian.rustc_version(packages), "debian", TARGET, origin=debian.RELEASE,
                        package=flavour.rustc), facts)
    tc = debian.fetch(cache, reporter, asked)
    return Toolchain(str(tc.bin / "rustc"), str(tc.bin / "cargo"), tc.version, "debian", TARGET,
                     sysroot=str(tc.root), identity=f"debian:{tc.key}", library_path=tc.library_path,
                     origin=tc.release, package=tc.flavour.rustc)


def runs_here(toolchain: Toolchain, build_root_release: str | None) -> None:
    """Debian 13's rustc needs Debian 13's glibc: the debian13 build root has it; another
    build root, or the host without the sandbox, may not."""
    if not toolchain.provided:
        return
    if build_root_release is not None:
        if build_root_release != toolchain.origin:
            raise build_error(f"pack-it's rustc {toolchain.version} is Debian 13's and runs on the {toolchain.origin} "
                              f"build root, and this build's run image is a {build_root_release} one.",
                              "Use a Debian 13 run image (--run-image static-debian13 or cc-debian13), or build with "
                              "the host's Rust: --toolchain host.", exit_code=MISSING_TOOLCHAIN)
        return
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    have = parse_release((libc or "").removeprefix("glibc "))
    if have is None or have < debian.GLIBC:
        raise build_error(f"pack-it's rustc {toolchain.version} is Debian 13's and needs glibc "
                          f"{'.'.join(map(str, debian.GLIBC[:2]))}; without the sandbox it runs on this host, "
                          f"which has {libc or 'no glibc'}.",
                          "Build in the sandbox (drop --sandbox none), or with the host's Rust: --toolchain host.",
                          exit_code=MISSING_TOOLCHAIN)


def find(path: str | None, neutral: Path, env: dict[str, str]) -> Toolchain:
    """The rustc and cargo on `path` (the build's PATH), as their real binaries."""
    rustc = shutil.which("rustc", path=path)
    if rustc is None:
        raise build_error("This is a Rust app, and no `rustc` command is on PATH.", HINT, exit_code=MISSING_TOOLCHAIN)
    sysroot = Path(_ask([rustc, "--print", "sysroot"], neutral, env).strip())
    real_rustc = sysroot / "bin" / "rustc"
    real_cargo = sysroot / "bin" / "cargo"
    rustc = str(real_rustc) if real_rustc.is_file() else rustc
    cargo = str(real_cargo) if real_cargo.is_file() else shutil.which("cargo", path=path)
    if cargo is None:
        raise build_error(f"rustc is installed ({rustc}), and no `cargo` is beside it or on PATH.", HINT,
                          exit_code=MISSING_TOOLCHAIN)
    info = dict(line.split(": ", 1) for line in _ask([rustc, "-vV"], neutral, env).splitlines() if ": " in line)
    version = re.sub(r"-.*", "", info.get("release", ""))
    if parse_release(version) is None:
        raise build_error(f"`{rustc} -vV` names no release ({info.get('release')!r}).", HINT,
                          exit_code=MISSING_TOOLCHAIN)
    commit = info.get("commit-hash", "unknown")
    return Toolchain(rustc, cargo, version, commit, info.get("host", ""), str(sysroot), identity=f"host:{commit}")


def check(toolchain: Toolchain, facts: RustFacts) -> None:
    """The provided rustc must be at least what the app asks for."""
    host = parse_release(toolchain.version)
    asked = parse_release(facts.rust_version) if facts.rust_version != "any" else None
    if asked is not None and host is not None and host < asked:
        if toolchain.provided:
            raise build_error(f"{facts.rust_version_source} asks for rustc {facts.rust_version} or newer, and the "
                              f"provided rustc is {toolchain.version} (Debian 13's {toolchain.package}, the newest "
                              "pack-it provides).",
                              f"Build with the host's Rust (--toolchain host, with rustup's {facts.rust_version} or "
                              "newer), or lower the version the app asks for.", exit_code=MISSING_TOOLCHAIN)
        raise build_error(f"{facts.rust_version_source} asks for rustc {facts.rust_version} or newer, and the "
                          f"provided rustc is {toolchain.version} ({toolchain.rustc}).",
                          f"Install Rust {facts.rust_version} or newer (rustup update stable), or lower the "
                          "version the app asks for.", exit_code=MISSING_TOOLCHAIN)
    if toolchain.host != TARGET:
        raise build_error(f"The provided rustc builds for {toolchain.host}; pack-it's images are {TARGET}.",
                          HINT, exit_code=MISSING_TOOLCHAIN)
