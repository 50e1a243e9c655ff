"""Rust: a Cargo package or workspace (Cargo.toml, Cargo.lock), the one binary to build, the
rustc it asks for, the web framework, and whether the binary can be linked statically.

    manifest.py  Cargo.toml (packages, workspace members, binary targets, dependencies), Cargo.lock
    version.py   rust-toolchain(.toml) and rust-version: the minimum rustc
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

from pack_it.detectors.facts import Detection, Facts, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.rust import manifest as cargo
from pack_it.detectors.rust import version as rust_version
from pack_it.detectors.rust.manifest import CARGO_LOCK, CARGO_TOML, Binary, LockedCrate, Package
from pack_it.detectors.procfile import LINE as PROCFILE_LINE, PROCFILE
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, UNSUPPORTED, detect_error

BIN_ENV = "PACK_IT_RUST_BIN"  # which binary to build when the app has several
# Web frameworks by crate name, in the order they are looked for.
FRAMEWORKS = {"axum": "axum", "actix-web": "actix-web", "rocket": "rocket"}
# Crates that link a system C library dynamically unless the crate that bundles it is in the
# lock too (openssl-sys's `vendored` pulls in openssl-src; libsqlite3-sys's `bundled`, cc).
# Such an app links dynamically and runs on `cc`; every other app is linked statically
# (glibc's crt-static) and runs on `static`.
# Both on Debian 13: pack-it's rustc is trixie's (packs/rust/debian.py), which runs on the
# debian13 build root, the one the run image's release picks; a dynamic binary then needs
# trixie's glibc and libssl at run time, and a static one carries the libc.a it was linked with.
RELEASE = "debian13"
SYSTEM_LIBRARIES = {
    "openssl-sys": ("libssl", "openssl-src"),
    "libsqlite3-sys": ("libsqlite3", "cc"),
    "pq-sys": ("libpq", None),
    "mysqlclient-sys": ("libmysqlclient", None),
}


@dataclass(frozen=True)
class RustFacts(Facts):
    """What the Rust pack builds from."""

    package: str  # the package whose binary is built (`cargo build -p`)
    manifest: str  # that package's Cargo.toml
    binary: str  # the binary target (`cargo build --bin`)
    binary_reason: str  # why that one
    binaries: tuple[str, ...]  # every binary of the app, as "package/binary"
    workspace: bool  # Cargo.toml has a [workspace]
    locked: bool  # Cargo.lock is there: `cargo build --locked`
    rust_version: str = "any"  # the minimum rustc ("1.80"), from the toolchain file or rust-version
    rust_version_source: str = "default"  # the file and line that asked for it
    linkage: str = "static"  # "static" (crt-static, no shared library) or "dynamic"
    linkage_reason: str = ""  # why
    system_crates: tuple[str, ...] = ()  # locked crates that link a system library ("openssl-sys 0.9.104")
    packages: tuple[str, ...] = ()  # every package a binary of the image comes from (`-p` each; default: package)
    extra_binaries: tuple[str, ...] = ()  # other binaries a Procfile runs, built beside `binary`


def _all_binaries(packages: list[Package]) -> list[Binary]:
    return [b for p in packages for b in p.binaries]


def _listing(binaries: list[Binary]) -> str:
    return ", ".join(f"{b.name} ({b.manifest})" for b in binaries)


def _choose(packages: list[Package], env: dict[str, str]) -> tuple[Binary, str]:
    binaries = _all_binaries(packages)
    if not binaries:
        raise detect_error(f"{CARGO_TOML}: no package of the app has a binary target (src/main.rs, "
                           "src/bin/*.rs or [[bin]]); a library alone does not run.",
                           "Add src/main.rs, or a [[bin]] table.", exit_code=UNSUPPORTED)
    if BIN_ENV in env:
        wanted = [b for b in binaries if b.name == env[BIN_ENV] or f"{b.package}/{b.name}" == env[BIN_ENV]]
        if len(wanted) != 1:
            what = "is not a binary" if not wanted else "names several binaries"
            raise detect_error(f"{BIN_ENV}={env[BIN_ENV]} {what} of this app.",
                               f"Binaries found: {_listing(binaries)}; name one as binary or package/binary.",
                               exit_code=AMBIGUOUS)
        return wanted[0], f"--env {BIN_ENV}"
    if len(binaries) == 1:
        return binaries[0], f"the only binary ({binaries[0].source})"
    root = packages[0] if packages[0].directory == "." else None
    with_bins = [p for p in packages if p.binaries]
    chooser = root if root is not None and root.default_run else (
        with_bins[0] if len(with_bins) == 1 and with_bins[0].default_run else None)
    if chooser is not None and chooser.default_run:
        chosen = next(b for b in chooser.binaries if b.name == chooser.default_run)
        return chosen, f"{chooser.manifest} line {chooser.default_run_line} (default-run = \"{chooser.default_run}\")"
    raise detect_error(f"This app has several binaries: {_listing(binaries)}.",
                       f'Set default-run = "<binary>" in the package\'s [package], or choose one with '
                       f"`--env {BIN_ENV}={binaries[0].name}`.", exit_code=AMBIGUOUS)


def _procfile_runs(tree: SourceTree, binaries: list[Binary]) -> dict[str, tuple[Binary, tuple[str, ...], int]]:
    """Procfile lines that run one of the app's binaries, as `NAME`, `./NAME`,
    `target/release/NAME` or `cargo run [--release] [--bin NAME] [-- ARGS]` (the image has no
    cargo and no target/): {process type: (binary, its arguments, line)}. A `cargo run` without
    --bin counts only when the app has a single binary."""
    if not tree.has_file(PROCFILE):
        return {}
    by_name = {b.name: b for b in binaries}
    runs: dict[str, tuple[Binary, tuple[str, ...], int]] = {}
    for number, raw in enumerate(tree.read_text(PROCFILE).splitlines(), start=1):
        match = PROCFILE_LINE.match(raw.strip())
        if not match:
            continue
        try:
            argv = shlex.split(match.group(2), comments=True)
        except ValueError:
            continue  # the Procfile pack reports it
        if not argv:
            continue
        args: tuple[str, ...]
        if argv[:2] == ["cargo", "run"]:
            words, args = argv[2:], ()
            if "--" in words:
                args = tuple(words[words.index("--") + 1:])
                words = words[:words.index("--")]
            named = words[words.index("--bin") + 1] if "--bin" in words[:-1] else None
            if named is None and len(binaries) != 1:
                continue
            name = named or binaries[0].name
        else:
            path = PurePosixPath(argv[0])
            parent = str(path.parent)
            if parent not in (".", "target/release", "target/debug") and not parent.endswith(
                    ("/target/release", "/target/debug")):
                continue
            name, args = path.name, tuple(argv[1:])
        if name in by_name:
            runs[match.group(1)] = (by_name[name], args, number)
    return runs


def _linkage(lock: tuple[LockedCrate, ...]) -> tuple[str, str, tuple[str, ...], RunImageChoice]:
    names = {c.name for c in lock}
    system = []
    for crate in lock:
        if crate.name in SYSTEM_LIBRARIES:
            library, bundler = SYSTEM_LIBRARIES[crate.name]
            if bundler is None or bundler not in crate.dependencies or bundler not in names:
                system.append(f"{crate.name} {crate.version}")
    if system:
        why = f"{CARGO_LOCK} locks {', '.join(system)}, which link a system library"
        return "dynamic", why, tuple(system), RunImageChoice(f"cc-{RELEASE}", f"{CARGO_LOCK} ({', '.join(system)})")
    source = CARGO_LOCK if lock else "default"
    why = (f"no crate of {CARGO_LOCK} links a system library" if lock else f"no {CARGO_LOCK}") + \
        ": linked statically (crt-static), it needs no libc in the image"
    return "static", why, (), RunImageChoice(f"static-{RELEASE}", source)


def detect(tree: SourceTree, env: dict[str, str] | None = None) -> Detection | None:
    env = env or {}
    if not tree.has_file(CARGO_TOML):
        return None
    packages, workspace = cargo.read_workspace(tree)
    runs = _procfile_runs(tree, _all_binaries(packages))
    if "web" in runs and BIN_ENV not in env:
        binary, _, number = runs["web"]
        why = f"{PROCFILE} line {number} runs it"
    else:
        binary, why = _choose(packages, env)
    extra = sorted({b.name for b, _, _ in runs.values()} - {binary.name})
    built = [binary] + [b for b in _all_binaries(packages) if b.name in extra]
    package = next(p for p in packages if p.name == binary.package)
    where = f"{package.rust_version_file} line {package.rust_version_line}" if package.rust_version_line \
        else package.rust_version_file
    request = rust_version.request(tree, package.rust_version, where, package.rust_version_file)
    lock = cargo.read_lock(tree)
    linkage, linkage_reason, system, run_image = _linkage(lock)
    framework = next((Framework(name, package.manifest) for crate, name in FRAMEWORKS.items()
                      if crate in package.dependencies), None)
    warnings = []
    if not tree.has_file(CARGO_LOCK):
        warnings.append(f"No {CARGO_LOCK}: cargo resolves the newest matching crate versions at each build; "
                        "commit Cargo.lock (`cargo generate-lockfile`) for repeatable builds.")
    return Detection(
        language="rust",
        runtime=Runtime("rust", request.version or "any", request.runtime_source),
        package_manager=PackageManager("cargo", CARGO_LOCK if lock else CARGO_TOML),
        framework=framework,
        run_image=run_image,
        # The command is the binary's name; the pack that builds it knows where it lives.
        processes=(*([] if "web" in runs else [Process("web", (binary.name,), binary.path, default=True)]),
                   # The Procfile's lines, as the image can run them: the Procfile pack defers to these.
                   *(Process(ptype, (b.name, *args), PROCFILE, default=ptype == "web")
                     for ptype, (b, args, _) in runs.items())),
        warnings=tuple(warnings),
        facts=RustFacts(
            package=package.name,
            manifest=package.manifest,
            binary=binary.name,
            binary_reason=why,
            binaries=tuple(f"{b.package}/{b.name}" for b in _all_binaries(packages)),
            workspace=workspace,
            locked=tree.has_file(CARGO_LOCK),
            rust_version=request.version or "any",
            rust_version_source=request.source,
            linkage=linkage,
            linkage_reason=linkage_reason,
            system_crates=system,
            packages=tuple(sorted({b.package for b in built})),
            extra_binaries=tuple(extra),
        ),
    )
