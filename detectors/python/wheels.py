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

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from pack_it.detectors.source import SourceTree

LOCKS = ("uv.lock", "poetry.lock", "pdm.lock")  # manifests.LOCKS' order, the ones that name files
_LINUX = re.compile(r"(manylinux[0-9a-z_]*|linux)_x86_64")
_GLIBC = re.compile(r"manylinux_2_(\d+)_")
GLIBC_MINOR = 36  # Debian 12's glibc 2.36, the oldest run image (packs/python/dependencies.py PLATFORM)
_WHEEL_STEM = re.compile(r"[A-Za-z0-9_.+!-]+")
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


def _wheel_names(text: str) -> list[str]:
    """Every `*.whl` file name in a lock's text (after a `/`, a quote or a space), sorted: a
    split on ".whl" is a tenth of a regular expression's time on a 1 MB uv.lock."""
    names = set()
    for part in text.split(".whl")[:-1]:
        start = max(part.rfind("/"), part.rfind('"'), part.rfind("'"), part.rfind(" "), part.rfind("\n")) + 1
        if part[start:] and _WHEEL_STEM.fullmatch(part[start:]):
            names.add(part[start:] + ".whl")
    return sorted(names)


def _locked_wheels(tree: SourceTree, lock: str) -> list[tuple[str, str, str]]:
    """(canonical name, version, file name) of each wheel file the lock names. Wheel names carry
    their distribution and version, so the lock's own structure (which the installer reads,
    and manifests.py checks) is not walked: a scan is enough, and a large uv.lock costs no
    second TOML parse."""
    found: list[tuple[str, str, str]] = []
    for filename in _wheel_names(tree.read_text(lock)):
        if not (filename.endswith("-any.whl") or "linux" in filename and "x86_64" in filename):
            continue  # another platform's wheel (most of a lock's): its name says so, unparsed
        try:
            name, version, _, _ = parse_wheel_filename(filename)
        except (InvalidWheelFilename, ValueError):
            continue
        found.append((canonicalize_name(name), str(version), filename))
    return found


def pins(tree: SourceTree) -> Pins | None:
    """The first lock (in manifests' order) that records wheel file names, read; else None."""
    lock = next((f for f in LOCKS if tree.has_file(f)), None)
    if lock is None or (lock != "uv.lock" and not tree.has_file("pyproject.toml")):
        return None
    by_version: dict[tuple[str, str], list[frozenset[int] | None]] = {}
    for name, version, filename in _locked_wheels(tree, lock):
        by_version.setdefault((name, version), []).append(_wheel_minors(filename))
    wheels: dict[str, list[tuple[str, frozenset[int] | None]]] = {}
    for (name, version), found in sorted(by_version.items()):
        found = [m for m in found if m != NONE]
        if not found:
            continue  # no wheel for Linux x86_64: built from its sdist on any Python
        minors = None if None in found else frozenset(n for m in found if m is not None for n in m)
        wheels.setdefault(name, []).append((version, minors))
    return Pins(lock, {k: tuple(v) for k, v in wheels.items()})
