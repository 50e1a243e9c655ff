"""Re-locks: a release's stacks re-resolved from the signed current index because a locked
version has left the archive and every retention mirror. One file per release in the cache,
never in the shipped locks, written whole (levels depend on each other: cc leaves out what
static holds, so they are replaced together):

    <cache>/stacks/locks/<release>-amd64.json

It is used instead of the shipped locks while it is newer than them: it was made from
exactly these shipped locks, or no shipped package is missing from it or at a newer version
in them (a pack-it upgrade that ships fresher locks wins).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from pack_it.lifecycle.cache import Cache, atomic_file
from pack_it.lifecycle.stacks import lockfile
from pack_it.lifecycle.stacks.debian import ARCH, Package, version_compare
from pack_it.lifecycle.stacks.definitions import STACKS

LABEL = "io.pack-it.stack.relocked"  # on a stack image built from a re-lock: what moved
FORMAT = 1


@dataclass(frozen=True)
class Relock:
    release: str
    replaces: str  # digest of the shipped locks it was made from
    stacks: dict[str, list[Package]]
    changes: dict[str, list[str]]  # per stack, against the shipped lock: "~ name old -> new"


def path(cache: Cache, release: str) -> Path:
    return cache.root / "stacks" / "locks" / f"{release}-{ARCH}.json"


def shipped_digest(release: str) -> str:
    """What the shipped locks of a release are, byte for byte."""
    h = hashlib.sha256()
    for stack in STACKS:
        lock = lockfile.lock_path(stack, release)
        h.update(stack.encode() + b"\0" + (lock.read_bytes() if lock.is_file() else b""))
    return h.hexdigest()


def read(cache: Cache, release: str) -> Relock | None:
    try:
        data = json.loads(path(cache, release).read_text())
        if data.get("format") != FORMAT:
            return None
        return Relock(release, data["replaces"],
                      {s: [Package(**p) for p in packages] for s, packages in data["stacks"].items()},
                      {s: list(lines) for s, lines in data["changes"].items()})
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: the shipped locks hold
        return None


def write(cache: Cache, relock: Relock) -> None:
    data = {
        "format": FORMAT, "release": relock.release, "arch": ARCH, "replaces": relock.replaces,
        "stacks": {s: [{k: asdict(p)[k] for k in lockfile.FIELDS} for p in packages]
                   for s, packages in relock.stacks.items()},
        "changes": relock.changes,
    }
    with atomic_file(path(cache, relock.release), cache.root / "tmp") as f:
        f.write((json.dumps(data, indent=1, sort_keys=True) + "\n").encode())


def is_newer(relock: Relock, shipped: dict[str, list[Package]]) -> bool:
    if relock.replaces == shipped_digest(relock.release):
        return True
    for stack, packages in shipped.items():
        relocked = {p.name: p.version for p in relock.stacks.get(stack, [])}
        if any(p.name not in relocked or version_compare(relocked[p.name], p.version) < 0 for p in packages):
            return False
    return True


def current(cache: Cache, release: str) -> Relock | None:
    """The cached re-lock of a release if it is to be used instead of the shipped locks."""
    relock = read(cache, release)
    if relock is None:
        return None
    shipped = {s: lockfile.read(s, release) for s in STACKS if lockfile.lock_path(s, release).is_file()}
    return relock if is_newer(relock, shipped) else None
