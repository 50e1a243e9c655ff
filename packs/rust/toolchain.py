"""The Rust toolchain the build runs: found in one place (`find`), so that the build
environments can provide it later. Today it is the host's: Debian's rustc/cargo, or rustup's.

rustup's `cargo` and `rustc` on PATH are proxies that would read the app's rust-toolchain file
and try to install what it names; pack-it asks the proxy once, from a neutral directory, for
the sysroot of the toolchain it provides, and runs that toolchain's own binaries."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pack_it.detectors.rust import RustFacts
from pack_it.detectors.rust.version import parse_release
from pack_it.errors import MISSING_TOOLCHAIN, build_error

TARGET = "x86_64-unknown-linux-gnu"
HINT = "Install Rust (rustup: https://rustup.rs, or apt-get install cargo) so that rustc and cargo are on PATH."


@dataclass(frozen=True)
class Toolchain:
    rustc: str
    cargo: str
    version: str  # "1.95.0"
    commit: str  # rustc's commit hash: part of the layer key
    host: str


def _ask(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        first = next((l for l in proc.stderr.splitlines() if l.strip()), f"exit {proc.returncode}")
        raise build_error(f"`{' '.join(argv)}` failed: {first.strip()}", HINT, exit_code=MISSING_TOOLCHAIN)
    return proc.stdout


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
    return Toolchain(rustc, cargo, version, info.get("commit-hash", "unknown"), info.get("host", ""))


def check(toolchain: Toolchain, facts: RustFacts) -> None:
    """The provided rustc must be at least what the app asks for."""
    host = parse_release(toolchain.version)
    asked = parse_release(facts.rust_version) if facts.rust_version != "any" else None
    if asked is not None and host is not None and host < asked:
        raise build_error(f"{facts.rust_version_source} asks for rustc {facts.rust_version} or newer, and the "
                          f"provided rustc is {toolchain.version} ({toolchain.rustc}).",
                          f"Install Rust {facts.rust_version} or newer (rustup update stable), or lower the "
                          "version the app asks for.", exit_code=MISSING_TOOLCHAIN)
    if toolchain.host != TARGET:
        raise build_error(f"The provided rustc builds for {toolchain.host}; pack-it's images are {TARGET}.",
                          HINT, exit_code=MISSING_TOOLCHAIN)
