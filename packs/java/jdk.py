"""Debian's OpenJDK, fetched as .debs locked by sha256, as the stacks are: the JDK that builds
the app and that jlink cuts the run image's Java from.

Why Debian's packages, not the host's JDK or an upstream build: the image's Java is then a
Debian package a scanner knows (the runtime layer carries its dpkg status), it gets Debian's
security updates through the same locks, and the build does not depend on what the host has
installed. The verified archive pipeline (lifecycle/stacks: gpgv-checked InRelease, Packages
by its SHA256, each .deb by the lock's) fetches them; a version the archive deleted comes
from the retention mirrors, as for stacks.

    packs/java/locks/openjdk-<major>-<release>-amd64.json   the locked packages (`lock()` writes them)
    <cache>/packs/java/jdk/<key>/usr/lib/jvm/java-<major>-openjdk-amd64/   the unpacked JDK

The packages: the JRE (bin/java, lib/modules, libjvm), the JDK (javac, jar, jdeps, jlink;
on Debian 12 also the jmods jlink links from), openjdk-N-jmods where the release splits them out, and zlib1g: the only library the JRE's core links that the `cc`
stack lacks (readelf -d over bin/ and lib/: libc, libm, libstdc++, libgcc_s, libz; the AWT
libraries' X11 and font libraries are loaded only by desktop apps).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.errors import EXPORT_FAILED, UNSUPPORTED, PackItError, build_error
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.packs.java import cacerts

if TYPE_CHECKING:  # the archive pipeline is the build's: loaded by the functions that lock and fetch
    from pack_it.lifecycle.stacks.debian import Package

LOCKS = Path(__file__).parent / "locks"
# The Java majors each Debian release ships (openjdk-N packages), newest LTS last: the default.
MAJORS = {"debian12": ("17",), "debian13": ("21", "25")}
LIBRARIES = ("zlib1g",)
UNPACK_FORMAT = "2"  # bump when what fetch() unpacks changes


def packages_for(major: str) -> tuple[str, ...]:
    return (f"openjdk-{major}-jre-headless", f"openjdk-{major}-jdk-headless", f"openjdk-{major}-jmods", *LIBRARIES)


def release_for(major: str) -> str | None:
    """The Debian release that ships OpenJDK `major` (17 -> debian12), or None."""
    return next((release for release, majors in MAJORS.items() if major in majors), None)


def home(major: str) -> str:
    """Where Debian installs it, relative to the root."""
    return f"usr/lib/jvm/java-{major}-openjdk-amd64"


def _lock_name(major: str) -> str:
    return f"openjdk-{major}"


def read_lock(major: str, release: str) -> list[Package]:
    from pack_it.lifecycle.stacks import lockfile

    return lockfile.read(_lock_name(major), release, LOCKS)


def lock(release: str, reporter: Reporter = Reporter()) -> dict[str, list[str]]:
    """Re-resolves every JDK of `release` from the signed current index and rewrites its lock
    files (the release step, like `pack-it stacks lock`); returns what changed per lock."""
    from pack_it.lifecycle.stacks import lockfile
    from pack_it.lifecycle.stacks.debian import release_index
    from pack_it.lifecycle.stacks.definitions import releases

    index = release_index(releases()[release], reporter)
    changed = {}
    for major in MAJORS[release]:
        # Debian 12 ships the jmods inside the JDK package; later releases split them out.
        chosen = [index.by_name[name] for name in packages_for(major) if name in index.by_name]
        try:
            old = read_lock(major, release)
        except PackItError:
            old = []
        lockfile.write(_lock_name(major), release, None, chosen, LOCKS)
        changed[f"{_lock_name(major)}-{release}"] = lockfile.changes(old, chosen)
    return changed


@dataclass(frozen=True)
class Jdk:
    major: str
    release: str
    packages: tuple[Package, ...]
    root: Path  # the unpacked packages, as a file system root

    @property
    def java_home(self) -> Path:
        return self.root / home(self.major)

    def tool(self, name: str) -> str:
        return str(self.java_home / "bin" / name)

    @property
    def jre_package(self) -> Package:
        return next(p for p in self.packages if p.name == f"openjdk-{self.major}-jre-headless")

    @property
    def key(self) -> str:
        """What identifies this JDK in a layer key: its packages' hashes."""
        return hashlib.sha256(json.dumps([[p.name, p.version, p.sha256] for p in self.packages]).encode()).hexdigest()


def fetch(major: str, cache: Cache, reporter: Reporter) -> Jdk:
    """The JDK for Java `major`, its .debs fetched (checked against the lock) and unpacked
    into the cache once."""
    from pack_it.lifecycle.stacks.assemble import fetch_debs

    release = release_for(major)
    if release is None:
        raise build_error(f"Java {major} is not packaged by Debian 12 or 13 (they ship "
                          f"{', '.join(m for ms in MAJORS.values() for m in ms)}).",
                          "Ask for one of those versions (maven.compiler.release, java.version, .java-version).",
                          exit_code=UNSUPPORTED)
    packages = read_lock(major, release)
    jdk = Jdk(major, release, tuple(packages), Path())
    root = cache.pack_dir("java", "jdk") / f"{UNPACK_FORMAT}-{jdk.key[:32]}"
    ready = root / home(major) / "release"
    if not ready.is_file():
        if gone := fetch_debs(packages, cache, reporter, f"  OpenJDK {major} from Debian {release}"):
            package = gone[0]
            raise PackItError(f"{package.name} {package.version}, locked for Java {major}, is gone from the "
                              "Debian archive and from every retention mirror.", exit_code=EXPORT_FAILED,
                              phase="build", hint="Refresh packs/java/locks (jdk.lock) or set "
                              "PACK_IT_DEBIAN_RETENTION_MIRRORS to a mirror that keeps old versions.")
        staging = cache.staging_dir() / f"jdk-{jdk.key[:32]}"
        try:
            unpack(packages, cache, staging)
            # The JRE's lib/security/cacerts links to the trust store ca-certificates-java makes
            # at install time; the build's Maven and Gradle need one to reach their registries.
            trust = staging / "etc/ssl/certs/java/cacerts"
            trust.parent.mkdir(parents=True, exist_ok=True)
            trust.write_bytes(cacerts.from_stack(release, cache, reporter, cacerts.BUILD_EPOCH))
            root.parent.mkdir(parents=True, exist_ok=True)
            cache.place_dir(staging, root, ready=ready)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return Jdk(major, release, tuple(packages), root)


def unpack(packages: list[Package], cache: Cache, root: Path) -> None:
    """The packages under `root`, with their dpkg status (the runtime layer's scanners read
    it); the JDK's links into /etc/java-N-openjdk stay inside `root`."""
    from pack_it.lifecycle.stacks.deb import unpack_root

    unpack_root([(p.name, cache.blob_path("sha256:" + p.sha256)) for p in packages], root, dpkg_status=True)
