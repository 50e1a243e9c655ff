"""CPython builds from python-build-standalone (PBS: the builds uv and mise install), for the
versions Debian's stacks do not carry at the app's version. They run on the `cc` stack.

Which builds exist, and each tarball's sha256, come from pack-it's versions index (its
`python` section: version -> {tag, asset, sha256}), never from what the release server lists
on the day. `pack-it versions update` refreshes that section from the download metadata uv
embeds (uv is a pinned dependency of pack-it; GitHub is not asked):

    "3.12.3": {"tag": "20240415", "sha256": "a73ba777...",
               "asset": "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"}

A build downloads <base>/<tag>/<asset> (PBS's release layout, the same one uv's
UV_PYTHON_INSTALL_MIRROR replaces): <base> is PACK_IT_PYTHON_STANDALONE_URL, else
`standalone_mirror` under [python] in pack-it's config file, else PBS's official address
RELEASES_BASE. http(s):// and file:// are accepted. The tarball is checked against the index's
sha256 before it enters the cache (<cache>/standalone/<sha256>.tar.gz) and on every use; its
contents sit under python/.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote

from pack_it.errors import MISSING_TOOLCHAIN, PackItError, build_error
from pack_it.lifecycle import config
from pack_it.lifecycle.archive import Entry
from pack_it.lifecycle.cache import atomic_file
from pack_it.lifecycle.stacks.deb import entries_from_tar

INDEX_RUNTIME = "python"  # the versions index's section for python-build-standalone's CPython
URL_ENV = "PACK_IT_PYTHON_STANDALONE_URL"
RELEASES_BASE = "https://github.com/astral-sh/python-build-standalone/releases/download"
TRIPLE = "x86_64-unknown-linux-gnu"
ASSET = re.compile(r"cpython-(\d+\.\d+\.\d+)\+(\d+)-x86_64-unknown-linux-gnu-install_only(?:_stripped)?\.tar\.gz")
OLDEST = (3, 9)  # older minors are end-of-life: not in the index
TIMEOUT = 60  # seconds without a byte
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _fail(message: str, hint: str) -> PackItError:
    return build_error(message, hint, exit_code=MISSING_TOOLCHAIN)


def mirror() -> str:
    """The base under which <tag>/<asset> is fetched."""
    return config.setting("python", "standalone_mirror", URL_ENV, RELEASES_BASE).rstrip("/")


def _mirror_hint() -> str:
    return (f"Set {URL_ENV} (or standalone_mirror under [python] in {config.config_path()}) to a mirror "
            f"of {RELEASES_BASE}, laid out as <mirror>/<tag>/<asset>.")


# The index's python section -----------------------------------------------------------------

def releases_from_metadata(metadata: Mapping[str, Mapping]) -> dict[str, dict[str, str]]:
    """The index's python section from uv's download metadata (download-metadata.json): the
    final CPython 3.9+ install_only builds for x86_64 Linux (glibc), default variant."""
    found: dict[str, dict[str, str]] = {}
    for entry in metadata.values():
        if (entry.get("name"), entry.get("os"), entry.get("libc"), entry.get("variant"), entry.get("prerelease")) \
                != ("cpython", "linux", "gnu", None, "") or entry.get("arch") != {"family": "x86_64", "variant": None}:
            continue
        url = unquote(str(entry.get("url", "")))
        tag, _, asset = url.removeprefix(RELEASES_BASE + "/").partition("/")
        match = ASSET.fullmatch(asset) if url.startswith(RELEASES_BASE + "/") else None
        version = f"{entry['major']}.{entry['minor']}.{entry['patch']}"
        if not match or match.groups() != (version, tag) or (entry["major"], entry["minor"]) < OLDEST:
            continue
        if not re.fullmatch(r"[0-9a-f]{64}", str(entry.get("sha256"))):
            continue
        found[version] = {"tag": tag, "asset": asset, "sha256": entry["sha256"]}
    return dict(sorted(found.items()))


def _decompress_zstd(data: bytes) -> bytes:
    """One zstd frame from the start of `data`; what follows it in the binary is not read.
    (zstandard is already pack-it's dependency for .deb members.)"""
    import zstandard

    try:
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except zstandard.ZstdError:
        return b""  # the magic number by chance, not a frame


def uv_download_metadata(uv: str | None = None) -> dict:
    """uv's built-in download metadata: a zstd frame in the uv binary holding the JSON that
    uv's `python install` verifies downloads with."""
    from pack_it.packs.python.dependencies import find_uv

    uv = uv or find_uv()
    if uv is None:
        raise _fail("Refreshing the python-build-standalone releases needs uv, which is not installed.",
                    "Install pack-it with its dependencies (uv is one), or put uv on PATH.")
    binary = Path(uv).read_bytes()
    start = binary.find(ZSTD_MAGIC)
    while start != -1:
        raw = _decompress_zstd(binary[start:start + (16 << 20)])
        if raw.startswith(b'{"cpython-'):
            return json.loads(raw.split(b"\x00", 1)[0])
        start = binary.find(ZSTD_MAGIC, start + 1)
    raise _fail(f"{uv} holds no python-build-standalone download metadata (is it uv?).",
                "Run `pack-it versions update` with the uv version pack-it pins.")


def releases_from_uv() -> dict[str, dict[str, str]]:
    """The fetcher `pack-it versions update` calls for the python section."""
    return releases_from_metadata(uv_download_metadata())


# Download -----------------------------------------------------------------------------------

def _download(url: str, dest: Path, sha256: str, version: str, staging: Path | None = None) -> None:
    """Writes `url` to `dest` if its bytes have `sha256`; on any failure nothing is left. The
    partial file is in `staging` (the cache's, which a later build sweeps if this one is
    killed), else beside `dest`."""
    import urllib.error
    import urllib.request  # here: only the standalone runtime's first download needs it

    digest = hashlib.sha256()
    with atomic_file(dest, staging) as out:
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise _fail(f"Could not download CPython {version} from {url} ({getattr(e, 'reason', e)}).",
                        _mirror_hint()) from None
        if digest.hexdigest() != sha256:
            raise _fail(f"{url} is not the CPython {version} build pack-it's versions index names "
                        f"(sha256 {digest.hexdigest()[:16]}..., expected {sha256[:16]}...).",
                        "The mirror is serving other bytes than python-build-standalone released; "
                        + _mirror_hint())


def archive(version: str, releases: Mapping[str, Mapping[str, str]], cache_dir: Path,
            staging: Path | None = None) -> Path:
    """The release's tarball in the cache, downloaded (its partial file in `staging`) and checked
    if it is not there."""
    release = releases.get(version)
    if release is None:
        raise _fail(f"pack-it's versions index has no python-build-standalone build of CPython {version}.",
                    "Run `pack-it versions update`, or ask for a version the index has (`pack-it versions show python`).")
    path = cache_dir / f"{release['sha256']}.tar.gz"
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != release["sha256"]:
        path.unlink()  # damaged in the cache: fetch it again
    if not path.is_file():
        _download(f"{mirror()}/{release['tag']}/{release['asset']}", path, release["sha256"], version, staging)
    return path


def entries(version: str, tarball: Path) -> list[Entry]:
    """The runtime's files (python/ stripped) as layer entries, with bin/python."""
    minor = ".".join(version.split(".")[:2])
    found = []
    for entry in entries_from_tar(tarball.name, gzip.decompress(tarball.read_bytes())):
        if entry.path == "python" or not entry.path.startswith("python/"):
            continue
        found.append(Entry(**{**entry.__dict__, "path": entry.path.removeprefix("python/"), "uid": 0, "gid": 0}))
    if not any(e.path == "bin/python" for e in found):
        found.append(Entry("bin/python", "symlink", 0o777, target=f"python{minor}"))
    return found


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
