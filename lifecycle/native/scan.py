"""What a layer asks the dynamic loader for, and what it and the run image provide.

A launch layer is scanned wherever it came from (a directory a pack just filled, or a blob a
reused layer points at); a run image through its layer blobs, which are listed and never
extracted. Paths are image paths without the leading '/'.
"""

from __future__ import annotations

import mmap
import os
import posixpath
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pack_it.lifecycle.native import elf

# A file the loader could map by name: libfoo.so, libfoo.so.1, libfoo.so.1.2.3, ld-linux-x86-64.so.2.
LIBRARY_NAME = re.compile(r"\.so(\.\d+)*$")
STATUS_DIR = "var/lib/dpkg/status.d/"
OS_RELEASE = ("etc/os-release", "usr/lib/os-release")
MIN_ELF = elf.HEADER.size


@dataclass
class LayerScan:
    elves: dict[str, elf.ElfInfo] = field(default_factory=dict)  # image path -> what it needs
    libraries: set[str] = field(default_factory=set)  # image paths of files named like a library

    def to_json(self) -> dict:
        return {"elves": {p: e.to_json() for p, e in sorted(self.elves.items())}, "libraries": sorted(self.libraries)}

    @staticmethod
    def from_json(data: dict) -> LayerScan:
        return LayerScan({p: elf.ElfInfo.from_json(e) for p, e in data["elves"].items()}, set(data["libraries"]))


@dataclass
class ImageScan:
    """A run image: its library files, the directory links that alias library directories
    (lib -> usr/lib on a merged-/usr image), its Debian packages (distroless' status.d) and
    its os-release."""

    libraries: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)  # top-level directory symlinks
    packages: set[str] = field(default_factory=set)
    os_release: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"libraries": sorted(self.libraries), "links": self.links, "packages": sorted(self.packages),
                "os_release": self.os_release}

    @staticmethod
    def from_json(data: dict) -> ImageScan:
        return ImageScan(set(data["libraries"]), dict(data["links"]), set(data["packages"]), dict(data["os_release"]))


def _elf_of_file(path: Path) -> elf.ElfInfo | None:
    with path.open("rb") as f:
        if not elf.is_elf(f.read(4)):
            return None
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return elf.parse(data)


def scan_directory(root: Path, image_path: str) -> LayerScan:
    """A layer directory a pack filled, its contents at `image_path` in the image."""
    scan = LayerScan()
    prefix = image_path.strip("/")
    for directory, dirs, files in os.walk(root):  # links are not followed: a layer's links are entries
        dirs.sort()
        rel_dir = os.path.relpath(directory, root)
        for name in sorted(files):
            path = Path(directory, name)
            image = posixpath.normpath(posixpath.join(prefix, rel_dir, name))
            if LIBRARY_NAME.search(name):
                scan.libraries.add(image)
            if path.is_symlink() or not path.is_file() or path.stat().st_size < MIN_ELF:
                continue
            info = _elf_of_file(path)
            if info is not None:
                scan.elves[image] = info
    return scan


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    return f.read() if f is not None else b""


def scan_tar(blob: IO[bytes], image_path: str = "") -> LayerScan:
    """A layer blob (gzip or plain tar), read in one pass; nothing is written to disk."""
    scan = LayerScan()
    with tarfile.open(fileobj=blob, mode="r|*") as tar:
        for member in tar:
            image = posixpath.normpath(posixpath.join(image_path.strip("/"), member.name.lstrip("/")))
            if LIBRARY_NAME.search(posixpath.basename(image)) and (member.isreg() or member.issym()):
                scan.libraries.add(image)
            if not member.isreg() or member.size < MIN_ELF:
                continue
            f = tar.extractfile(member)
            if f is None or not elf.is_elf(f.read(4)):
                continue
            info = elf.parse(b"\x7fELF" + f.read())
            if info is not None:
                scan.elves[image] = info
    return scan


def _os_release(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            fields[key.strip()] = value.strip().strip('"').strip("'")
    return fields


def scan_image_layer(blob: IO[bytes], scan: ImageScan) -> None:
    """Adds one run-image layer (bottom first) to `scan`: names and links only, plus the
    small os-release file; a whiteout removes what a lower layer held."""
    with tarfile.open(fileobj=blob, mode="r|*") as tar:
        for member in tar:
            path = posixpath.normpath(member.name.lstrip("/"))
            base = posixpath.basename(path)
            if base.startswith(".wh."):
                gone = posixpath.join(posixpath.dirname(path), base[4:])
                scan.libraries.discard(gone)
                scan.packages.discard(gone.removeprefix(STATUS_DIR))
                continue
            if "/" not in path and member.issym():
                scan.links[path] = posixpath.normpath(member.linkname.lstrip("/"))
            if LIBRARY_NAME.search(base) and (member.isreg() or member.issym()):
                scan.libraries.add(path)
            if path.startswith(STATUS_DIR) and not base.endswith(".md5sums") and member.isreg():
                scan.packages.add(base)
            if path in OS_RELEASE and member.isreg() and member.size < 1 << 16:
                scan.os_release = _os_release(_read_member(tar, member).decode("utf-8", "replace"))
