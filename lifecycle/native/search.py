"""Which sonames the image's ELF files need and nothing in the image provides, found the way
glibc's loader looks for them (ld.so(8)): DT_RPATH (when there is no DT_RUNPATH), then
LD_LIBRARY_PATH, then DT_RUNPATH, then the default directories. Run images built like
distroless have no ld.so.cache, so the default directories are all the loader searches
besides what the file itself names. Pure: scans in, names out.
"""

from __future__ import annotations

import posixpath
from typing import Iterable, Mapping

from pack_it.lifecycle.native.elf import ElfInfo
from pack_it.lifecycle.native.scan import ImageScan, LayerScan

# glibc's trusted directories on Debian x86-64 (multiarch first), as image paths.
DEFAULT_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib")


def _aliased(path: str, links: Mapping[str, str]) -> str:
    """`lib/x/libc.so.6` as `usr/lib/x/libc.so.6` when the image links lib -> usr/lib."""
    top, sep, rest = path.partition("/")
    return f"{links[top]}/{rest}" if sep and top in links else path


def _expand(directory: str, origin: str) -> str | None:
    """An RPATH/RUNPATH entry as an image path: $ORIGIN is the file's own directory; a
    relative entry is relative to the process's working directory, which no one can know."""
    for token in ("${ORIGIN}", "$ORIGIN"):
        directory = directory.replace(token, "/" + origin)
    if not directory.startswith("/"):
        return None
    return posixpath.normpath(directory).lstrip("/")


def search_dirs(path: str, info: ElfInfo, ld_library_path: Iterable[str] = ()) -> list[str]:
    origin = posixpath.dirname(path)
    own = [d for d in (_expand(entry, origin) for entry in info.runpath) if d is not None]
    env = [d.strip("/") for d in ld_library_path if d.startswith("/")]
    dirs = (env + own) if info.rpath_is_runpath else (own + env)
    return dirs + list(DEFAULT_DIRS)


def missing(layers: Iterable[LayerScan], image: ImageScan, ld_library_path: Iterable[str] = (),
            also_provided: Iterable[str] = ()) -> dict[str, list[str]]:
    """soname -> the files (image paths, sorted) that need it and cannot find it."""
    layers = list(layers)
    links = image.links
    available = {_aliased(p, links) for p in image.libraries}
    available.update(_aliased(p, links) for layer in layers for p in layer.libraries)
    available.update(_aliased(p, links) for p in also_provided)
    ld_paths = list(ld_library_path)
    needs: dict[str, list[str]] = {}
    for layer in layers:
        for path, info in layer.elves.items():
            dirs = search_dirs(path, info, ld_paths)
            for name in info.needed:
                if "/" in name:  # a path, not a soname: the loader opens it as it is
                    continue
                if not any(_aliased(posixpath.join(d, name), links) in available for d in dirs):
                    needs.setdefault(name, []).append("/" + path)
    return {name: sorted(files) for name, files in sorted(needs.items())}
