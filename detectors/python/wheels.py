"""Which Python minors the locked pins have wheels for, from the wheel file names a lock
records (uv.lock `wheels`, poetry.lock `files` and its 1.1 `[metadata.files]`, pdm.lock
`files`): detection reads no index. A pin that has no wheel for the run image's platform at all
(an sdist only) builds from source on any Python and says nothing; a pin whose wheels stop at
some Python (markupsafe 1.1.1: cp27 to cp38) limits the choice, so that a build with no version
file gets the newest Python its locked packages install on without compiling. A name locked at
several versions (by python_version markers) fits a minor when any of them does. Pipfile.lock
and requirements.txt hold hashes without file names: they limit nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from pack_it.detectors.source import SourceTree

LOCKS = ("uv.lock", "poetry.lock", "pdm.lock")  # manifests.LOCKS' order, the ones that name files
_LINUX = re.compile(r"(manylinux[0-9a-z_]*|linux)_x86_64")
_GLIBC = re.compile(r"manylinux_2_(\d+)_")
GLIBC_MINOR = 36  # Debian 12's glibc 2.36, the oldest run image (packs/python/dependencies.py PLATFORM)
_CP = re.compile(r"cp3(\d+)")
_PY = re.compile(r"py3(\d*)")


@dataclass(frozen=True)
class Pins:
    lock: str
    # canonical name -> (version, the minors its wheels install on: None for any minor), for
    # each locked version that has a wheel for Linux x86_64
    wheels: dict[str, tuple[tuple[str, frozenset[int] | None], ...]]

    def fits(self, minor: int) -> bool:
        return not self.missing(minor)

    def missing(self, minor: int) -> list[str]:
        """"name version" of each pin none of whose locked versions has a wheel for 3.`minor`."""
        return [f"{name} {versions[-1][0]}" for name, versions in sorted(self.wheels.items())
                if not any(minors is None or minor in minors for _, minors in versions)]


NONE: frozenset[int] = frozenset()


def _minors(tag: Tag) -> frozenset[int] | None:
    """The minors a tag installs on (None: any); none when it is for another platform or Python
    (a free-threaded build's cp313t: pack-it's interpreters are not free-threaded)."""
    if tag.platform != "any" and not _LINUX.fullmatch(tag.platform):
        return NONE
    if (glibc := _GLIBC.match(tag.platform)) and int(glibc.group(1)) > GLIBC_MINOR:
        return NONE  # needs a newer glibc than the run images'
    if cp := _CP.fullmatch(tag.interpreter):
        if tag.abi == "abi3":
            return frozenset(range(int(cp.group(1)), 40))
        return NONE if tag.abi.endswith("t") else frozenset({int(cp.group(1))})
    if py := _PY.fullmatch(tag.interpreter):
        return None if not py.group(1) else frozenset(range(int(py.group(1)), 40))
    return NONE


def _wheel_minors(filename: str) -> frozenset[int] | None:
    """The minors a wheel file installs on, on Linux x86_64 (None: any)."""
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, ValueError):
        return NONE
    found: set[int] = set()
    for tag in tags:
        minors = _minors(tag)
        if minors is None:
            return None
        found |= minors
    return frozenset(found)


def _files(entries: object) -> list[str]:
    names = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            text = entry.get("file") or entry.get("url") or ""
            if isinstance(text, str) and text.endswith(".whl"):
                names.append(PurePosixPath(text.split("#", 1)[0]).name)
    return names


def _locked(tree: SourceTree, lock: str) -> list[tuple[str, str, list[str]]]:
    """(name, version, wheel file names) for each locked package."""
    data = tree.read_toml(lock)
    packages = data.get("package", [])
    found = []
    legacy = data.get("metadata", {}).get("files", {}) if isinstance(data.get("metadata"), dict) else {}
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        name, version = package["name"], str(package.get("version", ""))
        entries = package.get("wheels") if lock == "uv.lock" else package.get("files")
        if entries is None and isinstance(legacy, dict):
            entries = legacy.get(name)
        found.append((name, version, _files(entries)))
    return found


def pins(tree: SourceTree) -> Pins | None:
    """The first lock (in manifests' order) that records wheel file names, read; else None."""
    lock = next((f for f in LOCKS if tree.has_file(f)), None)
    if lock is None or (lock != "uv.lock" and not tree.has_file("pyproject.toml")):
        return None
    wheels: dict[str, list[tuple[str, frozenset[int] | None]]] = {}
    for name, version, files in _locked(tree, lock):
        found = [m for m in map(_wheel_minors, files) if m != NONE]
        if not found:
            continue  # no wheel for Linux x86_64: built from its sdist on any Python
        minors = None if None in found else frozenset(n for m in found if m is not None for n in m)
        wheels.setdefault(canonicalize_name(name), []).append((version, minors))
    return Pins(lock, {k: tuple(v) for k, v in wheels.items()})
