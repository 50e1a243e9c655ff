"""A Spring Boot jar as separate image layers, by its BOOT-INF/layers.idx (the order Spring
Boot writes: dependencies, spring-boot-loader, snapshot-dependencies, application), exploded
at /workspace, where JarLauncher runs it from a directory. Each layer's key is a digest of
what it holds, so a one-line change makes only the application layer anew: the others are
the same bytes, reused with their blobs, and a push or pull skips them.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path, PurePosixPath

from pack_it.errors import BUILD_FAILED, build_error

LAYERS_INDEX = "BOOT-INF/layers.idx"
# What Spring Boot puts where when a jar has no layers.idx (before 2.3, or layers disabled).
DEFAULT_LAYERS = (("dependencies", ("BOOT-INF/lib/",)), ("spring-boot-loader", ("org/",)),
                  ("snapshot-dependencies", ()), ("application", ("BOOT-INF/classes/", "BOOT-INF/", "META-INF/")))
_LAYER = re.compile(r'^- "([^"]+)":\s*$')
_ENTRY = re.compile(r'^  - "([^"]+)"\s*$')


def parse_index(text: str, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """layers.idx: `- "name":` lines, each followed by `  - "prefix"` lines."""
    layers: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if match := _LAYER.match(line):
            layers.append((match.group(1), []))
        elif (match := _ENTRY.match(line)) and layers:
            layers[-1][1].append(match.group(1))
        else:
            raise build_error(f"{where} line {number} is not a layers.idx line: {line!r}.",
                              "Rebuild the jar with spring-boot-maven-plugin or Gradle's bootJar.",
                              exit_code=BUILD_FAILED)
    return tuple((name, tuple(prefixes)) for name, prefixes in layers)


def is_boot_jar(jar: Path) -> bool:
    with zipfile.ZipFile(jar) as z:
        return any(n.startswith("BOOT-INF/") for n in z.namelist()[:200]) or "BOOT-INF/classes/" in z.namelist()


def split(jar: Path) -> list[tuple[str, list[zipfile.ZipInfo], str]]:
    """[(layer, its entries, digest of their names and contents)] in layers.idx order; a layer
    with nothing in it is left out (an app with no snapshot dependencies)."""
    with zipfile.ZipFile(jar) as z:
        names = z.namelist()
        index = parse_index(z.read(LAYERS_INDEX).decode(), f"{jar.name}!/{LAYERS_INDEX}") \
            if LAYERS_INDEX in names else DEFAULT_LAYERS
        groups: dict[str, list[zipfile.ZipInfo]] = {name: [] for name, _ in index}
        for info in z.infolist():
            if info.is_dir():
                continue
            # The first layer whose prefix matches (Spring Boot's rule: a prefix ending in /
            # is a directory, otherwise the exact entry).
            for name, prefixes in index:
                if any(info.filename.startswith(p) if p.endswith("/") else info.filename == p for p in prefixes):
                    groups[name].append(info)
                    break
            else:
                groups[index[-1][0]].append(info)  # unlisted: the application's
        out = []
        for name, _ in index:
            if not groups[name]:
                continue
            h = hashlib.sha256()
            for info in sorted(groups[name], key=lambda i: i.filename):
                h.update(info.filename.encode() + b"\0" + f"{info.CRC:08x}{info.file_size}".encode())
                h.update(hashlib.sha256(z.read(info)).digest())
            out.append((name, groups[name], h.hexdigest()))
        return out


def extract(jar: Path, entries: list[zipfile.ZipInfo], directory: Path) -> None:
    """The entries written under `directory` (zip names are checked: no absolute paths, no ..)."""
    with zipfile.ZipFile(jar) as z:
        for info in entries:
            rel = PurePosixPath(info.filename)
            if rel.is_absolute() or ".." in rel.parts:
                raise build_error(f"{jar.name} holds {info.filename!r}, a path leaving the jar's root.",
                                  "Rebuild the jar.", exit_code=BUILD_FAILED)
            dest = directory / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, dest.open("wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
