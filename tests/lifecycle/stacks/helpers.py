"""Helpers shared by the stack tests (not a test module)."""

from __future__ import annotations

import tarfile
from pathlib import Path


def leftovers(root: Path) -> list[str]:
    """Staging files a failed write left anywhere below `root`."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.startswith(".partial-"))


def cache_contents(root: Path) -> dict[str, list[str]]:
    """What a pack-it cache holds: blob names, layer records, staging files."""
    def names(sub: str) -> list[str]:
        d = root / sub
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    return {"blobs": names("blobs/sha256"), "layers": names("layers"), "tmp": names("tmp")}


def layer_members(blob: Path) -> dict[str, tarfile.TarInfo]:
    """A gzipped layer tarball's members by path (no trailing slash)."""
    with tarfile.open(blob, "r:gz") as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


def layer_file(blob: Path, path: str) -> bytes:
    with tarfile.open(blob, "r:gz") as tar:
        f = tar.extractfile(path)
        assert f is not None, f"{path} is not a regular file in {blob.name}"
        return f.read()


def layer_files(blob: Path, prefix: str) -> dict[str, bytes]:
    """The regular files under `prefix` in a layer, with their contents."""
    out = {}
    with tarfile.open(blob, "r:gz") as tar:
        for m in tar:
            if m.isreg() and m.name.startswith(prefix):
                out[m.name] = tar.extractfile(m).read()
    return out
