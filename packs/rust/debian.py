"""Debian's rustc and cargo, fetched as .debs locked by sha256, as the stacks and the JDKs are:
the toolchain a Rust build runs under `--toolchain pack-it` (the default).

Why Debian's, not rustup's: the build then depends on nothing the host installed, every file
of the toolchain is checked against a lock that the verified archive pipeline wrote
(lifecycle/stacks: gpgv-checked InRelease, Packages by its SHA256, each .deb by the lock's),
and it gets Debian's security updates through the same locks. A version the archive deleted
comes from the retention mirrors, as for stacks.

Why Debian 13 (trixie, rustc 1.85): Debian 12's rustc is 1.63, too old for today's crates
(axum, tokio and most of the registry ask for 1.70 or newer). trixie's rustc needs trixie's
glibc (2.39 or newer) to run, so a Rust build runs on the debian13 build root, and the plan's
run image is a debian13 stack: `static-debian13` for a statically linked binary (crt-static
links glibc's libc.a from that build root: the binary needs no libc, on any stack), and
`cc-debian13` for a dynamically linked one, which must find trixie's glibc and libssl at run
time.

Two rustcs, oldest first (FLAVOURS): trixie's own `rustc` 1.85, and `rustc-web`, the newer one
(1.96 when locked) that Debian keeps current in the same release for the browsers' builds. An
app that names a rustc (rust-toolchain file, rust-version) gets the oldest that is at least
that (`choose`): 1.85 unless it asks for more; one that names none gets the newest, since
today's crates often need more than 1.85 (actix-web 4.18: 1.89); newer than both is the version
check's error.

    packs/rust/locks/rust-debian13-amd64.json, rust-web-debian13-amd64.json   the locked packages
    <cache>/buildroots/<lock>-debian13-<format>-<key>/usr/bin/{rustc,cargo}   an unpacked toolchain

The packages: rustc, cargo, libstd-rust-dev (the standard library's rlibs, the sysroot's
lib/rustlib; -web for rustc-web), and what they need that the debian13 build root lacks
(libstd-rust-1.85 with librustc_driver, libllvm19 (libllvm22 for rustc-web), cargo's
libcurl4t64 and libgit2-1.9, ...: `lock()` resolves their Depends against the build root's lock). Those libraries live in the unpacked tree's
usr/lib/x86_64-linux-gnu, which LD_LIBRARY_PATH names for rustc and cargo (Debian's binaries
carry no RUNPATH: dpkg would have put the libraries in /usr/lib).

Refreshing: `python3 -c 'from pack_it.packs.rust import debian; debian.lock("debian13")'`
re-resolves the lock from the signed current index (the release step, like
`pack-it stacks lock`), after the build root's lock was refreshed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pack_it.errors import EXPORT_FAILED, MISSING_TOOLCHAIN, PackItError, build_error
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import lockfile
from pack_it.lifecycle.stacks.debian import Package

LOCKS = Path(__file__).parent / "locks"
RELEASE = "debian13"  # the Debian release whose rustc builds Rust apps
LIBRARY_DIR = "usr/lib/x86_64-linux-gnu"
GLIBC = (2, 39, 0)  # what trixie's cargo asks for (Depends: libc6 (>= 2.39))
UNPACK_FORMAT = "1"  # bump when what fetch() unpacks changes
HINT = ("Refresh packs/rust/locks (debian.lock) or set PACK_IT_DEBIAN_RETENTION_MIRRORS to a mirror that "
        "keeps old versions; or build with the host's Rust: --toolchain host.")


@dataclass(frozen=True)
class Flavour:
    """One rustc Debian ships: its lock and the packages it is resolved from."""

    lock: str  # packs/rust/locks/<lock>-<release>-amd64.json
    rustc: str  # the package that holds usr/bin/rustc
    roots: tuple[str, ...]


# Oldest first: a build gets the first whose rustc is at least what the app asks for. `rustc` is
# the release's own (1.85 for trixie's lifetime); `rustc-web` the newer one Debian keeps up to
# date in the same release for the browsers' builds (1.96 when locked). Both install
# usr/bin/rustc and usr/bin/cargo, so they unpack alike.
FLAVOURS = (
    Flavour("rust", "rustc", ("rustc", "cargo", "libstd-rust-dev")),
    Flavour("rust-web", "rustc-web", ("rustc-web", "cargo-web", "libstd-rust-web-dev")),
)


def read_lock(flavour: Flavour = FLAVOURS[0], release: str = RELEASE, directory: Path | None = None) -> list[Package]:
    return lockfile.read(flavour.lock, release, directory or LOCKS)


def key(packages: list[Package] | tuple[Package, ...]) -> str:
    """What identifies the toolchain in a layer key: its packages' names, versions and hashes."""
    return hashlib.sha256(json.dumps([[p.name, p.version, p.sha256] for p in packages]).encode()).hexdigest()


def rustc_version(packages: list[Package] | tuple[Package, ...]) -> str:
    """The upstream release of the locked rustc ("1.85.1" from 1.85.1+dfsg1-1+deb13u1)."""
    version = next(p.version for p in packages if p.name in {f.rustc for f in FLAVOURS})
    return version.split(":")[-1].split("+")[0].split("~")[0].split("-")[0]


def choose(asked: tuple[int, int, int] | None, release: str = RELEASE) -> tuple[Flavour, list[Package]]:
    """For an app that names a rustc (its toolchain file, rust-version), the oldest locked one
    that is at least that: the closest to what its author built with. For one that names none,
    the newest, as rustup's `stable` would be: its Cargo.lock may hold crates that need a recent
    rustc (actix-web 4.18 asks for 1.89). Newer than all: the newest, and the version check
    says what the app asked for and what there is."""
    from pack_it.detectors.rust.version import parse_release

    locked = [(flavour, read_lock(flavour, release)) for flavour in FLAVOURS]
    newest = max(locked, key=lambda fl: parse_release(rustc_version(fl[1])) or (0, 0, 0))
    if asked is None:
        return newest
    for flavour, packages in locked:
        have = parse_release(rustc_version(packages))
        if have is not None and have >= asked:
            return flavour, packages
    return newest


def lock(release: str = RELEASE, reporter: Reporter = Reporter(), directory: Path | None = None) -> dict[str, list[str]]:
    """Re-resolves each flavour's rustc, cargo and standard library of `release` from the
    signed current index, with what they need beyond the release's build root, and rewrites
    the lock files; returns what changed per lock (lockfile.changes lines)."""
    from pack_it.lifecycle.stacks import buildroot
    from pack_it.lifecycle.stacks.debian import release_index, resolve
    from pack_it.lifecycle.stacks.definitions import releases

    index = release_index(releases()[release], reporter)
    # The build root's packages are there when the toolchain runs: only the rest is locked.
    installed = {p.name for p in lockfile.read(buildroot.NAME, release)}
    changed = {}
    for flavour in FLAVOURS:
        chosen = resolve(list(flavour.roots), index, set(), installed)
        try:
            old = read_lock(flavour, release, directory)
        except PackItError:
            old = []
        lockfile.write(flavour.lock, release, buildroot.NAME, chosen, directory or LOCKS)
        changed[f"{flavour.lock}-{release}"] = lockfile.changes(old, chosen)
    return changed


@dataclass(frozen=True)
class DebianRust:
    release: str
    flavour: Flavour
    packages: tuple[Package, ...]
    root: Path  # the unpacked packages, as a file system root

    @property
    def bin(self) -> Path:
        return self.root / "usr" / "bin"

    @property
    def library_path(self) -> str:
        return str(self.root / LIBRARY_DIR)

    @property
    def key(self) -> str:
        return key(self.packages)

    @property
    def version(self) -> str:
        return rustc_version(self.packages)


def path(cache: Cache, flavour: Flavour, packages: list[Package] | tuple[Package, ...]) -> Path:
    """Beside the build roots (<cache>/buildroots, or $PACK_IT_BUILDROOTS where several caches
    share them): like a build root, it is a read-only tree content-addressed by its lock, and
    runs only on one; 447 MB unpacked (470 for rustc-web), it is worth sharing as they are."""
    from pack_it.lifecycle.stacks import buildroot

    base = Path(os.environ[buildroot.DIR_ENV]) if os.environ.get(buildroot.DIR_ENV) else cache.root / "buildroots"
    return base / f"{flavour.lock}-{RELEASE}-{UNPACK_FORMAT}-{key(packages)[:32]}"


def fetch(cache: Cache, reporter: Reporter, asked: tuple[int, int, int] | None = None,
          release: str = RELEASE) -> DebianRust:
    """The Debian rustc and cargo for an app asking for rustc `asked` (choose()), their .debs
    fetched (checked against the lock) and unpacked into the cache once; every later build
    finds them there."""
    from pack_it.lifecycle.stacks.assemble import fetch_debs

    flavour, packages = choose(asked, release)
    root = path(cache, flavour, packages)
    ready = root / "usr" / "bin" / "cargo"
    if not ready.is_file():
        what = f"  {flavour.rustc} {rustc_version(packages)} from Debian {release.removeprefix('debian')}"
        if gone := fetch_debs(packages, cache, reporter, what):
            package = gone[0]
            raise PackItError(f"{package.name} {package.version}, locked for Rust, is gone from the Debian "
                              "archive and from every retention mirror.", exit_code=EXPORT_FAILED,
                              phase="build", hint=HINT)
        root.parent.mkdir(parents=True, exist_ok=True)
        # A shared $PACK_IT_BUILDROOTS may be another file system: staged beside the final directory.
        shared = cache.root not in root.parents
        staging = Path(tempfile.mkdtemp(dir=root.parent if shared else cache.staging_dir(), prefix=".partial-rust-"))
        try:
            unpack(packages, cache, staging)
            if not (staging / "usr" / "bin" / "rustc").is_file() or not (staging / "usr" / "bin" / "cargo").is_file():
                raise build_error(f"The locked Debian packages ({LOCKS / f'{flavour.lock}-{release}-amd64.json'}) "
                                  "hold no usr/bin/rustc and usr/bin/cargo.", HINT, exit_code=MISSING_TOOLCHAIN)
            cache.place_dir(staging, root, ready=ready)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return DebianRust(release, flavour, tuple(packages), root)


def unpack(packages: list[Package] | tuple[Package, ...], cache: Cache, root: Path) -> None:
    """The packages under `root`; their links into /usr stay inside it."""
    from pack_it.lifecycle.stacks.deb import unpack_root

    unpack_root([(p.name, cache.blob_path("sha256:" + p.sha256)) for p in packages], root)
