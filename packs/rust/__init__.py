"""Rust pack: one binary, built with cargo, in a layer of its own on the smallest stack it runs on.

    detect  Cargo.toml (+ Cargo.lock), the binary (detectors/rust/): the only one, default-run,
            or --env PACK_IT_RUST_BIN; the rustc the app asks for; static or dynamic linking
    build   cargo build --release --locked -p PACKAGE --bin BINARY --target x86_64-unknown-linux-gnu,
            statically linked (crt-static: the `static-debian13` stack, no libc) unless a locked
            crate links a system library (then dynamically, on `cc-debian13`); the binary's ELF is
            read to check that its stack runs it (elf.py)

The toolchain (toolchain.py): Debian 13's rustc and cargo 1.85 under `--toolchain pack-it`, the
default (debian.py: locked .debs, verified, unpacked once), or its rustc-web 1.96 when the app
asks for more than 1.85 or for nothing; the host's under `--toolchain host`. Why Debian 13 for every Rust app: its rustc runs only on trixie's glibc, so the build runs on the
debian13 build root, which the run image's release picks. A static binary carries that build
root's libc.a and would run on any stack; a dynamic one links trixie's glibc and libssl and
needs them at run time: the plan names the debian13 stack either way, so the build root and the
run image always agree.

Incremental: CARGO_HOME (the registry's downloads) and the app's target directory live in
pack-it's cache, and the build's copy of the source sits at a fixed place there, updated file
by file, so cargo's own fingerprints see only the files that changed: a one-line change
recompiles the app's crate, not its dependencies. An unchanged app reuses the layer without
running cargo at all.

Reproducible: paths are remapped (the copy -> /build, CARGO_HOME -> /cargo), the linker writes
no build id, and symbols are stripped, so builds in different directories with different caches
give the same binary.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.detectors import rust as rust_detector
from pack_it.detectors.facts import Detection
from pack_it.detectors.rust import RustFacts
from pack_it.detectors.source import SourceTree
from pack_it.errors import BUILD_FAILED, build_error
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.packs.rust import elf, toolchain

if TYPE_CHECKING:  # annotations only
    from pack_it.lifecycle.sandbox import Sandbox

ID = "rust"
VERSION = "0.1.0"
LOOKS_FOR = "Cargo.toml"
FACTS = RustFacts
RELEASES: ReleaseFetchers = {}
BIN_DIR = f"/layers/{ID}/app/bin"
DEFAULT_PORT = "8080"  # the image's PORT (lifecycle/export.py)
# Rocket reads its own variables, not PORT; it binds 127.0.0.1 unless told otherwise.
ROCKET_ENV = {"ROCKET_ADDRESS": "0.0.0.0", "ROCKET_PORT": DEFAULT_PORT}
NOT_SOURCE = ("target/",)  # cargo's output directory in a developer's checkout


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    detection = rust_detector.detect(tree, env)
    if detection is None:
        return None
    return replace(detection, processes=tuple(replace(p, command=(f"{BIN_DIR}/{p.command[0]}",) + p.command[1:])
                                              for p in detection.processes))


def source_files(tree: SourceTree) -> list[str]:
    return [f for f in tree.source_files() if not f.startswith(NOT_SOURCE)]


def sync_source(ctx: BuildContext, files: list[str], dest: Path) -> None:
    """Makes `dest` hold exactly `files`, rewriting only the files whose content (or mode)
    changed: cargo decides what to recompile by modification times, so an untouched file must
    keep its own."""
    wanted = set(files)
    for rel in files:
        target = dest / rel
        content = ctx.tree.read_bytes(rel)
        executable = os.access(ctx.tree.path(rel), os.X_OK)
        if target.is_file() and not target.is_symlink() and target.read_bytes() == content \
                and os.access(target, os.X_OK) == executable:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        target.write_bytes(content)
        target.chmod(0o755 if executable else 0o644)
    for path in sorted(dest.rglob("*"), reverse=True):  # deepest first, so directories empty out
        rel = path.relative_to(dest).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif rel not in wanted:
            path.unlink()


def rustflags(build_dir: Path, cargo_home: Path, facts: RustFacts, user: str) -> list[str]:
    flags = [f"--remap-path-prefix={build_dir}=/build", f"--remap-path-prefix={cargo_home}=/cargo",
             "-C", "link-arg=-Wl,--build-id=none"]
    if facts.linkage == "static":
        flags += ["-C", "target-feature=+crt-static"]
    return flags + shlex.split(user)


def build(ctx: BuildContext) -> list[Layer]:
    facts = ctx.plan.facts(ID, RustFacts)
    if ctx.provided_toolchains:
        tc = toolchain.provided(ctx.cache, ctx.reporter, facts)
        toolchain.runs_here(tc, build_root_release(ctx.sandbox))
    else:
        tc = toolchain.find(ctx.build_env.get("PATH", os.environ.get("PATH")), ctx.work,
                            {**os.environ, **ctx.build_env, **ctx.env})
    toolchain.check(tc, facts)
    files = source_files(ctx.tree)
    binaries = [facts.binary, *facts.extra_binaries]
    argv = ["build", "--release", *(["--locked"] if facts.locked else []),
            *(a for p in (facts.packages or (facts.package,)) for a in ("-p", p)),
            *(a for b in binaries for a in ("--bin", b)), "--target", toolchain.TARGET]
    user_flags = ctx.env.get("RUSTFLAGS", "")
    cargo_home = ctx.cache_dir("cargo-home")
    # One build directory per app (by its path), so two apps never share a target directory.
    app_id = hashlib.sha256(str(ctx.tree.root.resolve()).encode()).hexdigest()[:16]
    build_dir = ctx.cache_dir("builds") / app_id
    layer_env = dict(ROCKET_ENV) if ctx.plan.framework and ctx.plan.framework.name == "rocket" else {}

    def cargo_build(layer: Path) -> None:
        ctx.reporter.step(f"  cargo build --bin {' --bin '.join(binaries)} (rustc {tc.version}, {facts.linkage}, {facts.binary_reason})")
        with ctx.cache.lock(f"rust-build:{build_dir}"):  # one build at a time per copy and target dir
            source = build_dir / "src"
            source.mkdir(parents=True, exist_ok=True)
            sync_source(ctx, files, source)
            flags = rustflags(build_dir, cargo_home, facts, user_flags)
            ctx.run([tc.cargo, *argv], cwd=source, what=f"cargo build --bin {facts.binary}", tools=tc.tools, env={
                **tc.env,
                "CARGO_HOME": str(cargo_home),
                "CARGO_TARGET_DIR": str(build_dir / "target"),
                "RUSTC": tc.rustc,
                "CARGO_ENCODED_RUSTFLAGS": "\x1f".join(flags),
                "RUSTFLAGS": "",
                "CARGO_PROFILE_RELEASE_STRIP": "symbols",
                "CARGO_TERM_COLOR": "never",
                "CARGO_TERM_PROGRESS_WHEN": "never",
            })
            (layer / "bin").mkdir(parents=True, exist_ok=True)
            for name in binaries:
                shutil.copyfile(build_dir / "target" / toolchain.TARGET / "release" / name, layer / "bin" / name)
                (layer / "bin" / name).chmod(0o755)
        for name in binaries:
            _check_linking(ctx, layer / "bin" / name, facts)

    # A static binary carries the libc.a it was linked with: the build root's (its name holds
    # its lock's digest), or the host's without one.
    libc = ctx.sandbox.root.name if ctx.sandbox.enabled and ctx.sandbox.root is not None else (
        os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else "unknown")
    inputs = {"rustc": tc.version, "toolchain": tc.identity, "libc": libc, "argv": argv, "linkage": facts.linkage,
              "rustflags": user_flags, "target": toolchain.TARGET, "env": layer_env,
              "source": ctx.tree.digest(files)}
    app = ctx.layer("app", inputs, cargo_build, env=layer_env,
                    unchanged=f"rustc {tc.version}, source unchanged")
    return [app]


def build_root_release(sandbox: Sandbox) -> str | None:
    """The Debian release of the sandbox's build root (lifecycle/stacks/buildroot.py names it
    <release>-<key>), or None when the steps run on the host."""
    if not sandbox.enabled or sandbox.root is None:
        return None
    return sandbox.root.name.partition("-")[0]


def _check_linking(ctx: BuildContext, path: Path, facts: RustFacts) -> None:
    """The stack the plan chose must run the binary: none of its libraries on `static`; only the
    ones `cc` holds on `cc` (others: a warning naming them, as --run-image can provide them)."""
    linking = elf.read(path)
    stack, missing = elf.stack_for(linking)
    if facts.linkage == "static" and stack != "static":
        raise build_error(f"{path.name} was linked statically and still needs "
                          f"{', '.join(linking.needed) or linking.interpreter}; the static stack has no libc.",
                          "A build script links a shared library: report it, or build with --run-image cc.",
                          exit_code=BUILD_FAILED)
    if missing:
        ctx.reporter.warn(f"{path.name} needs {', '.join(missing)} (ELF NEEDED), which the cc stack does not "
                          "have: it will not start unless --run-image provides them.")
    ctx.reporter.step(f"  {path.name}: " + ("statically linked" if linking.static else
                                               f"needs {', '.join(linking.needed)}"))
