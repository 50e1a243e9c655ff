"""Which Debian package ships a soname, and at which version, from one verified snapshot of a
release's indices.

For each suite of the release (bookworm, -updates, -security): InRelease verified with gpgv
and the shipped archive keys (as `stacks lock` does), then `main/binary-amd64/Packages.xz` and
`main/Contents-amd64.gz` checked against its SHA256 list. Contents maps every file of the
release to its packages; it is 11.6 MB compressed for bookworm (148 MB of text), so it is
read once, and only its library paths are kept (a few hundred kB, in the cache). The files
themselves are cache blobs, named by their SHA256.

The snapshot is taken once per release and cache, and every later resolution uses it (never
"today's archive" behind the user's back), so the same sonames give the same packages, build
after build; the resolutions are recorded too, so a warm cache needs neither index.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import posixpath
import time
from dataclasses import dataclass
from pathlib import Path

from pack_it.errors import export_error
from pack_it.lifecycle.cache import Cache, atomic_file
from pack_it.lifecycle.native.search import DEFAULT_DIRS
from pack_it.lifecycle.native.scan import LIBRARY_NAME
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import debian
from pack_it.lifecycle.stacks.definitions import Release

FORMAT = 1
COMPONENT = "main"
PACKAGES = f"{COMPONENT}/binary-{debian.ARCH}/Packages.xz"
CONTENTS = f"{COMPONENT}/Contents-{debian.ARCH}.gz"
LIBRARY_DIRS = frozenset(DEFAULT_DIRS)


@dataclass(frozen=True)
class SuiteFiles:
    archive: str
    suite: str
    date: str  # InRelease's Date
    packages: str  # sha256 of Packages.xz
    contents: str | None  # sha256 of Contents-amd64.gz; None when the suite publishes none


@dataclass(frozen=True)
class Snapshot:
    release: str
    suites: tuple[SuiteFiles, ...]

    @property
    def id(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict:
        return {"format": FORMAT, "release": self.release,
                "suites": [vars(s) for s in self.suites]}


def _dir(cache: Cache) -> Path:
    return cache.root / "native"


def snapshot_path(cache: Cache, release: str) -> Path:
    return _dir(cache) / f"snapshot-{release}-{debian.ARCH}.json"


def _write_json(cache: Cache, path: Path, data: object) -> None:
    with atomic_file(path, cache.root / "tmp") as f:
        f.write(json.dumps(data, sort_keys=True).encode())


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _fetch(cache: Cache, url: str, sha256: str) -> Path:
    """A file of the index as a cache blob, downloaded only if the cache lacks it."""
    path = cache.blob_path("sha256:" + sha256)
    if not cache.verify_blob("sha256:" + sha256):
        debian.download(url, path, sha256)
    return path


def _entry(release_text: bytes, name: str, base: str) -> dict | None:
    entries = debian._deb822().Release(release_text).get("SHA256", [])
    return next((e for e in entries if e["name"] == name), None)


def take_snapshot(cache: Cache, release: Release, reporter: Reporter) -> Snapshot:
    suites = []
    for archive, suite in release.suites:
        base = f"{debian.mirror(archive)}/dists/{suite}"
        reporter.step(f"{archive} {suite}: verifying InRelease for the library index")
        text = debian.verify_release(debian._read_url(f"{base}/InRelease"), list(release.keyrings))
        date = str(debian._deb822().Release(text).get("Date", ""))
        packages = _entry(text, PACKAGES, base)
        if packages is None:
            raise export_error(f"{base}/InRelease lists no {PACKAGES}.", "Check the suite name and the mirror.")
        contents = _entry(text, CONTENTS, base)
        _fetch(cache, f"{base}/{PACKAGES}", packages["sha256"])
        if contents is not None:
            reporter.step(f"  {CONTENTS}: {int(contents['size']) / 1e6:.1f} MB")
            _fetch(cache, f"{base}/{CONTENTS}", contents["sha256"])
        suites.append(SuiteFiles(archive, suite, date, packages["sha256"],
                                 contents["sha256"] if contents else None))
    snapshot = Snapshot(release.id, tuple(suites))
    _write_json(cache, snapshot_path(cache, release.id), snapshot.to_json())
    return snapshot


def snapshot(cache: Cache, release: Release, reporter: Reporter) -> Snapshot:
    """The release's snapshot in this cache, taken now if there is none (or its files are
    gone from the cache)."""
    data = _read_json(snapshot_path(cache, release.id))
    if data and data.get("format") == FORMAT:
        try:
            taken = Snapshot(release.id, tuple(SuiteFiles(**s) for s in data["suites"]))
        except (KeyError, TypeError):
            taken = None
        if taken and all(cache.verify_blob("sha256:" + s.packages) and
                         (s.contents is None or cache.verify_blob("sha256:" + s.contents)) for s in taken.suites):
            return taken
    return take_snapshot(cache, release, reporter)


def library_paths(lines, keep=LIBRARY_DIRS) -> dict[str, list[str]]:
    """Contents lines ("usr/lib/x86_64-linux-gnu/libpq.so.5   libs/libpq5") -> soname ->
    the packages shipping a file of that name in a directory the loader searches."""
    found: dict[str, set[str]] = {}
    for raw in lines:
        if isinstance(raw, bytes):
            if b".so" not in raw:  # most of the 1.5 million lines: skipped before decoding
                continue
            line = raw.decode("utf-8", "replace")
        else:
            line = raw
        path, _, where = line.rstrip("\n").rpartition(" ")
        path = path.strip()
        if not path or ".so" not in path:
            continue
        directory, name = posixpath.split(path)
        if directory not in keep or not LIBRARY_NAME.search(name):
            continue
        for qualified in where.split(","):
            found.setdefault(name, set()).add(qualified.rsplit("/", 1)[-1])
    return {name: sorted(packages) for name, packages in sorted(found.items())}


def soname_index(cache: Cache, snap: Snapshot, reporter: Reporter) -> dict[str, list[str]]:
    """soname -> packages, across the snapshot's suites, kept in the cache once derived."""
    key = hashlib.sha256(json.dumps([s.contents for s in snap.suites]).encode()).hexdigest()
    path = _dir(cache) / f"sonames-{key[:32]}.json"
    if (known := _read_json(path)) is not None:
        return known
    started = time.monotonic()
    merged: dict[str, set[str]] = {}
    for suite in snap.suites:
        if suite.contents is None:
            continue
        with gzip.open(cache.blob_path("sha256:" + suite.contents), "rb") as f:
            for name, packages in library_paths(f).items():
                merged.setdefault(name, set()).update(packages)
    index = {name: sorted(packages) for name, packages in sorted(merged.items())}
    reporter.detail(f"library index: {len(index)} sonames from Contents in {time.monotonic() - started:.1f}s")
    _write_json(cache, path, index)
    return index


FIELDS = {"Package", "Version", "Architecture", "Filename", "SHA256", "Size", "Depends", "Pre-Depends", "Provides"}


def paragraphs(text: str):
    """The fields of each Packages paragraph that resolving needs. A plain reader: deb822
    takes 30 s (135 s on a loaded machine) for bookworm's 63,000 paragraphs, this a few;
    the fields read are single-line in Packages files (Description, the multi-line one, is
    skipped with every other field)."""
    for block in text.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            key, sep, value = line.partition(":")  # a continuation line's key starts with a space: no match
            if sep and key in FIELDS:
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def package_index(cache: Cache, snap: Snapshot) -> debian.Index:
    packages = []
    for suite in snap.suites:
        data = lzma.decompress(cache.blob_path("sha256:" + suite.packages).read_bytes()).decode("utf-8")
        for para in paragraphs(data):
            try:
                packages.append(debian.Package(
                    name=para["Package"], version=para["Version"], arch=para["Architecture"],
                    filename=para["Filename"], sha256=para["SHA256"], size=int(para["Size"]), archive=suite.archive,
                    depends=para.get("Depends", ""), pre_depends=para.get("Pre-Depends", ""),
                    provides=para.get("Provides", "")))
            except (KeyError, ValueError):
                raise export_error(f"The {suite.suite} Packages index has a damaged paragraph "
                                   f"(package {para.get('Package')!r}: a field is missing or Size is not a number).",
                                   "The mirror serves a damaged index; try another mirror.") from None
    return debian.Index(packages)
