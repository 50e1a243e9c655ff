"""CPython builds from python-build-standalone (the builds uv and mise install), for the
versions Debian's stacks do not carry (3.10, 3.12, 3.14). They run on the `cc` stack.

The source is a release directory, as published: SHA256SUMS beside files named
cpython-<version>+<tag>-x86_64-unknown-linux-gnu-install_only.tar.gz, whose contents sit
under python/. Its URL (https://, http:// or file://) comes from PACK_IT_PYTHON_STANDALONE_URL.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from pathlib import Path

from packaging.version import Version

from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.lifecycle.archive import Entry
from pack_it.lifecycle.stacks.deb import entries_from_tar

URL_ENV = "PACK_IT_PYTHON_STANDALONE_URL"
ASSET = re.compile(r"^cpython-(\d+\.\d+\.\d+)\+(\w+)-x86_64-unknown-linux-gnu-install_only\.tar\.gz$")


def _read(url: str) -> bytes:
    import urllib.error
    import urllib.request  # here: only the standalone runtime's first download needs it

    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as e:
        raise build_error(f"Cannot download {url}: {getattr(e, 'reason', e)}.",
                          f"Check {URL_ENV} and the network.", exit_code=MISSING_TOOLCHAIN)


def choose(minor: str, base_url: str) -> tuple[str, str, str]:
    """(file name, sha256, full version) of the newest build of Python `minor` at the source."""
    sums = _read(f"{base_url.rstrip('/')}/SHA256SUMS").decode()
    found = []
    for line in sums.splitlines():
        parts = line.split()
        match = ASSET.match(parts[-1]) if len(parts) == 2 else None
        if match and match.group(1).startswith(minor + "."):
            found.append((Version(match.group(1)), parts[1], parts[0]))
    if not found:
        raise build_error(f"{base_url} has no python-build-standalone build of Python {minor}.",
                          f"Point {URL_ENV} at a release that has one, or choose 3.11 or 3.13 (Debian's).",
                          exit_code=MISSING_TOOLCHAIN)
    version, name, sha256 = max(found)
    return name, sha256, str(version)


def fetch(minor: str, cache_dir: Path) -> tuple[list[Entry], str]:
    """The runtime's files (python/ stripped) as layer entries, and its full version. The
    archive is kept in the cache under its sha256 and checked on every use."""
    base_url = os.environ.get(URL_ENV)
    if not base_url:
        raise build_error(f"Python {minor} comes from python-build-standalone, and {URL_ENV} is not set.",
                          "Set it to a release directory (SHA256SUMS and the install_only tarballs).",
                          exit_code=MISSING_TOOLCHAIN)
    name, sha256, version = choose(minor, base_url)
    archive = cache_dir / f"{sha256}.tar.gz"
    if not archive.is_file():
        data = _read(f"{base_url.rstrip('/')}/{name}")
        if hashlib.sha256(data).hexdigest() != sha256:
            raise build_error(f"{name} does not match its SHA256 in SHA256SUMS.",
                              "The source is corrupt or tampered with; use another.", exit_code=MISSING_TOOLCHAIN)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".partial-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, archive)
    entries = []
    for entry in entries_from_tar(name, gzip.decompress(archive.read_bytes())):
        if entry.path == "python" or not entry.path.startswith("python/"):
            continue
        entries.append(Entry(**{**entry.__dict__, "path": entry.path.removeprefix("python/"), "uid": 0, "gid": 0}))
    if not any(e.path == "bin/python" for e in entries):
        entries.append(Entry("bin/python", "symlink", 0o777, target=f"python{minor}"))
    return entries, version



def materialize(entries: list[Entry], dest: Path) -> None:
    """Writes checked entries (relative paths, no `..`, links inside) under `dest`."""
    for entry in sorted(entries, key=lambda e: e.path):
        path = dest / entry.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "dir":
            path.mkdir(exist_ok=True)
        elif entry.kind == "symlink":
            if path.is_symlink() or path.exists():
                path.unlink()
            os.symlink(entry.target, path)
        else:
            assert entry.data is not None  # fetch()'s entries come from entries_from_tar: data inline
            path.write_bytes(entry.data)
            path.chmod(0o755 if entry.mode & 0o111 else 0o644)
