"""Lock files: for one stack level, release and architecture, the exact packages (name,
version, arch, sha256, file name). Same lock, same layer digests, on any machine, any day
the files can still be fetched."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from pack_it.errors import INVALID_IMAGE, export_error
from pack_it.lifecycle.cache import atomic_file
from pack_it.lifecycle.stacks.debian import ARCH, Package

SHIPPED = Path(__file__).parent / "locks"
FIELDS = ("name", "version", "arch", "sha256", "size", "filename", "archive")


def lock_dir() -> Path:
    return Path(os.environ.get("PACK_IT_LOCK_DIR") or SHIPPED)


def lock_path(stack: str, release: str, directory: Path | None = None) -> Path:
    return (directory or lock_dir()) / f"{stack}-{release}-{ARCH}.json"


def read(stack: str, release: str, directory: Path | None = None) -> list[Package]:
    path = lock_path(stack, release, directory)
    if not path.is_file():
        raise export_error(f"There is no lock file for stack {stack}-{release} ({path}).",
                           f"Create it with `pack-it stacks lock {stack}-{release}`.", exit_code=INVALID_IMAGE)
    try:
        data = json.loads(path.read_text())
        return [Package(**{k: p[k] for k in FIELDS}) for p in data["packages"]]
    except (ValueError, KeyError, TypeError) as e:
        raise export_error(f"{path} is not a valid pack-it lock file ({e}).",
                           f"Regenerate it with `pack-it stacks lock {stack}-{release}`.", exit_code=INVALID_IMAGE)


def write(stack: str, release: str, parent: str | None, packages: list[Package], directory: Path | None = None) -> None:
    data = {
        "stack": stack, "release": release, "arch": ARCH, "parent": parent,
        "packages": [{k: asdict(p)[k] for k in FIELDS} for p in sorted(packages, key=lambda p: p.name)],
    }
    path = lock_path(stack, release, directory)
    with atomic_file(path) as f:
        f.write((json.dumps(data, indent=1) + "\n").encode())


def changes(old: list[Package], new: list[Package]) -> list[str]:
    """Readable lines: what a re-lock added, removed or moved to another version."""
    before = {p.name: p.version for p in old}
    after = {p.name: p.version for p in new}
    lines = [f"+ {n} {after[n]}" for n in sorted(after.keys() - before.keys())]
    lines += [f"- {n} {before[n]}" for n in sorted(before.keys() - after.keys())]
    lines += [f"~ {n} {before[n]} -> {after[n]}" for n in sorted(after.keys() & before.keys()) if before[n] != after[n]]
    return lines
