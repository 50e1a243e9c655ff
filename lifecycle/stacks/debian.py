"""A small Debian archive client: signed release files, package indices, dependency
resolution and verified .deb downloads.

Trust chain: InRelease is verified with gpgv against the Debian archive keys shipped with
pack-it (keys/); the Packages index is checked against the SHA256 list in it; each .deb
against the SHA256 in the index. A lock file records those SHA256s, so building from a lock
needs no signature (and `stacks lock` is the only step that does).
"""

from __future__ import annotations

import hashlib
import lzma
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING


from pack_it.errors import EXPORT_FAILED, MISSING_TOOLCHAIN, PackItError, export_error
from pack_it.lifecycle.cache import atomic_file
from pack_it.lifecycle.config import setting

if TYPE_CHECKING:
    from pack_it.lifecycle.reporter import Reporter
    from pack_it.lifecycle.stacks.definitions import Release

KEYS = Path(__file__).parent / "keys"
DEFAULT_MIRRORS = {
    "debian": "http://deb.debian.org/debian",
    "debian-security": "http://deb.debian.org/debian-security",
}
MIRROR_ENV = {"debian": "PACK_IT_DEBIAN_MIRROR", "debian-security": "PACK_IT_DEBIAN_SECURITY_MIRROR"}
MIRROR_KEY = {"debian": "mirror", "debian-security": "security_mirror"}  # in the config's [debian]
TIMEOUT = 60
ARCH = "amd64"


def _deb822():
    """Imported on first use (it pulls in charset detection): only locking and building a
    stack layer need it, not a build on a warm cache."""
    from debian import deb822

    return deb822


def version_compare(a: str, b: str) -> int:
    from debian.debian_support import version_compare as compare

    return compare(a, b)


def mirror(archive: str) -> str:
    """The base URL of `archive` (debian or debian-security): its environment variable, else
    pack-it's config file, else the official Debian archive."""
    return setting("debian", MIRROR_KEY[archive], MIRROR_ENV[archive], DEFAULT_MIRRORS[archive]).rstrip("/")


def _fetch_error(url: str, reason: object) -> PackItError:
    return export_error(
        f"Cannot download {url}: {reason}.",
        "Check the network, or point PACK_IT_DEBIAN_MIRROR / PACK_IT_DEBIAN_SECURITY_MIRROR at a reachable Debian mirror.",
    )


class NotOnMirror(PackItError):
    """The server answered that it does not have the file (404, 410): the archive deletes a
    version once it is superseded, and other sources may still hold it."""


class WrongFile(PackItError):
    """The server sent a file whose SHA256 is not the one expected."""


ATTEMPTS = 3  # a name lookup or connection that fails once (a resolver's hiccup) is tried again
BACKOFF = 2.0  # seconds before the second attempt, doubled before the third


def _transient(e: BaseException) -> bool:
    import urllib.error

    if isinstance(e, urllib.error.HTTPError):
        return e.code >= 500 or e.code == 429
    return isinstance(e, (urllib.error.URLError, TimeoutError, ConnectionError))


def _attempts(what):
    """Calls `what()` up to ATTEMPTS times while it fails with a transient network error."""
    import time

    for attempt in range(1, ATTEMPTS + 1):
        try:
            return what()
        except Exception as e:
            if attempt == ATTEMPTS or not _transient(e):
                raise
            time.sleep(BACKOFF * 2 ** (attempt - 1))


def download(url: str, dest: Path, sha256: str | None = None, staging: Path | None = None) -> None:
    """Downloads `url` to `dest`, checking its SHA256; `dest` appears only if all is well. The
    partial file is in `staging` (the cache's, which a later build sweeps if this one is
    killed), else beside `dest`. A transient network error is retried (ATTEMPTS)."""
    import urllib.error

    try:
        _attempts(lambda: _download_once(url, dest, sha256, staging))
    except urllib.error.HTTPError as e:
        if e.code in (404, 410):
            raise NotOnMirror(f"{url} is not on the mirror (HTTP {e.code}).", exit_code=EXPORT_FAILED,
                              phase="export", hint="The archive deletes a version once it is superseded.")
        raise _fetch_error(url, e)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        raise _fetch_error(url, getattr(e, "reason", e))


def _download_once(url: str, dest: Path, sha256: str | None, staging: Path | None) -> None:
    import urllib.request  # here: a build on a warm cache downloads nothing

    with atomic_file(dest, staging) as out, urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        digest = hashlib.sha256()
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise WrongFile(f"{url} does not match its SHA256 (expected {sha256}, got {digest.hexdigest()}).",
                            exit_code=EXPORT_FAILED, phase="export",
                            hint="The mirror serves a different file than the index or lock names; try another mirror.")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    arch: str
    filename: str  # path in the archive's pool
    sha256: str
    size: int
    archive: str  # debian or debian-security
    depends: str = ""
    pre_depends: str = ""
    provides: str = ""

    def url(self) -> str:
        return f"{mirror(self.archive)}/{self.filename}"


def verify_release(inrelease: bytes, keyrings: list[Path]) -> bytes:
    """The signed text of an InRelease file, if gpgv accepts its signature."""
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise export_error("gpgv is not installed, and the Debian release files must be verified.",
                           "Install it (apt-get install gpgv).", exit_code=MISSING_TOOLCHAIN)
    if not keyrings:
        raise export_error("No Debian archive keyring to verify the release file with.",
                           "Check the release's `keyrings` in the stack definitions.")
    with tempfile.TemporaryDirectory() as tmp:
        signed, text = Path(tmp, "InRelease"), Path(tmp, "Release")
        signed.write_bytes(inrelease)
        argv = [gpgv, "--status-fd", "1", "--output", str(text)]
        for keyring in keyrings:
            argv += ["--keyring", str(keyring)]
        # An empty GNUPGHOME: only the keyrings named here count, never the user's trusted keys.
        proc = subprocess.run([*argv, str(signed)], capture_output=True, text=True,
                              env={**os.environ, "GNUPGHOME": tmp})
        # As apt does: the file is trusted when at least one signature is valid with a known
        # key and none is bad (Debian signs with several keys; an unknown one is no failure).
        status = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("[GNUPG:] ")]
        if "VALIDSIG" not in status or "BADSIG" in status or not text.is_file():
            said = proc.stderr.strip().splitlines()
            raise export_error("A Debian InRelease file's signature does not verify with the Debian archive keys"
                               + (f" ({said[-1]})." if said else "."),
                               "The mirror may be compromised or stale; try another mirror.")
        return text.read_bytes()


def _read_url(url: str) -> bytes:
    import urllib.error
    import urllib.request

    def read() -> bytes:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read()

    try:
        return _attempts(read)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        raise _fetch_error(url, getattr(e, "reason", e))


def load_suite(archive: str, suite: str, keyrings: list[Path], component: str = "main") -> list[Package]:
    """Every package of one suite, from a signature-verified, hash-checked index."""
    base = f"{mirror(archive)}/dists/{suite}"
    release = _deb822().Release(verify_release(_read_url(f"{base}/InRelease"), keyrings))
    wanted = f"{component}/binary-{ARCH}/Packages.xz"
    entry = next((e for e in release.get("SHA256", []) if e["name"] == wanted), None)
    if entry is None:
        raise export_error(f"{base}/InRelease lists no {wanted}.", "Check the suite name and the mirror.")
    data = _read_url(f"{base}/{wanted}")
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise export_error(f"{base}/{wanted} does not match the SHA256 in InRelease.",
                           "The mirror may be mid-sync; try again or use another mirror.")
    packages = []
    for para in _deb822().Packages.iter_paragraphs(lzma.decompress(data).decode("utf-8"), use_apt_pkg=False):
        packages.append(Package(
            name=para["Package"], version=para["Version"], arch=para["Architecture"],
            filename=para["Filename"], sha256=para["SHA256"], size=int(para["Size"]), archive=archive,
            depends=para.get("Depends", ""), pre_depends=para.get("Pre-Depends", ""),
            provides=para.get("Provides", ""),
        ))
    return packages


def relations(field: str) -> list[list[dict]]:
    """A Depends-style field as groups of alternatives; empty fields parse to nothing."""
    return _deb822().PkgRelation.parse_relations(field) if field.strip() else []


class Index:
    """The newest version of each package across several suites (a release and its updates),
    and who provides each virtual package."""

    def __init__(self, packages: list[Package]) -> None:
        self.by_name: dict[str, Package] = {}
        for p in packages:
            if p.arch not in (ARCH, "all"):
                continue
            known = self.by_name.get(p.name)
            if known is None or version_compare(p.version, known.version) > 0:
                self.by_name[p.name] = p
        self.providers: dict[str, list[str]] = {}
        for p in sorted(self.by_name.values(), key=lambda p: p.name):
            for group in relations(p.provides):
                for alt in group:
                    self.providers.setdefault(alt["name"], []).append(p.name)

    def satisfies(self, name: str, constraint) -> bool:
        package = self.by_name.get(name)
        if package is None:
            return False
        if constraint is None:
            return True
        op, version = constraint
        cmp = version_compare(package.version, version)
        return {"<<": cmp < 0, "<=": cmp <= 0, "=": cmp == 0, ">=": cmp >= 0, ">>": cmp > 0}[op]


def release_index(release: Release, reporter: Reporter, what: str = "") -> Index:
    """Every suite of `release` (the release and its updates and security suites), each
    InRelease verified with gpgv and its Packages checked against it, as one Index: what the
    stack, build-root and toolchain locks are resolved from. `what` is said with each suite."""
    packages: list[Package] = []
    for archive, suite in release.suites:
        reporter.step(f"{archive} {suite}: verifying InRelease, reading Packages{' (' + what + ')' if what else ''}")
        packages += load_suite(archive, suite, list(release.keyrings))
    return Index(packages)


def resolve(roots: list[str], index: Index, exclude: set[str], installed: set[str] | frozenset[str] = frozenset()) -> list[Package]:
    """The packages `roots` need (Pre-Depends and Depends, recursively), minus `installed`
    (a parent stack's) and `exclude` (never wanted in a run image: treated as satisfied).
    For an alternative (a | b), the first one already chosen, else the first that exists."""
    chosen: dict[str, Package] = {}
    provided = set(installed)
    for name in installed:
        if name in index.by_name:
            provided.update(a["name"] for g in relations(index.by_name[name].provides) for a in g)
    queue = list(roots)
    wanted = set(roots)  # chosen or waiting in the queue: either satisfies an alternative
    while queue:
        name = queue.pop(0)
        if name in chosen or name in installed:
            continue
        package = index.by_name.get(name)
        if package is None:
            raise export_error(f"Debian package {name!r} does not exist in this release.",
                               "Fix the stack definition's package list.")
        chosen[name] = package
        provided.update(a["name"] for g in relations(package.provides) for a in g)
        for field in (package.pre_depends, package.depends):
            for group in relations(field):
                names = [alt["name"] for alt in group]
                if any(n in exclude for n in names):
                    continue
                if any(n in wanted or n in installed or n in provided for n in names):
                    continue
                pick = next((alt["name"] for alt in group if index.satisfies(alt["name"], alt["version"])), None)
                if pick is None:
                    pick = next((index.providers[alt["name"]][0] for alt in group if alt["name"] in index.providers), None)
                if pick is None:
                    raise export_error(f"Debian package {name!r} depends on {' | '.join(names)}, which this release lacks.",
                                       "Add an alternative to the stack definition, or exclude it.")
                if pick not in exclude:
                    queue.append(pick)
                    wanted.add(pick)
    return sorted(chosen.values(), key=lambda p: p.name)
