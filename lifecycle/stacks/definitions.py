"""Stack definitions (definitions/<stack>.toml) and Debian releases (definitions/releases.toml).

A stack is named `<stack>` or `<stack>-<release>` (`python`, `python-debian13`); the release
defaults to debian12. Each stack but static has a parent, and its layer holds only what it
adds to the parent's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomli

from pack_it.errors import USAGE, PackItError

DEFINITIONS = Path(__file__).parent / "definitions"
DEFAULT_RELEASE = "debian12"
NOT_STACKS = ("releases", "exclude")  # the other files in definitions/


def _stack_names() -> tuple[str, ...]:
    """Every definitions/<stack>.toml, bottom to top: a parent comes before its children."""
    found = {p.stem: tomli.loads(p.read_text()) for p in sorted(DEFINITIONS.glob("*.toml")) if p.stem not in NOT_STACKS}
    # An add-on level (a shell: lifecycle/launch) is put on top of a stack, never chosen as one.
    parents = {name: data.get("parent") for name, data in found.items() if not data.get("addon")}

    def depth(name: str) -> int:
        parent = parents[name]
        return 0 if parent is None else 1 + depth(parent)

    return tuple(sorted(parents, key=lambda name: (depth(name), name)))


STACKS = _stack_names()


@dataclass(frozen=True)
class Release:
    id: str
    codename: str
    vars: dict  # {placeholder: value} for the stack definitions
    merged_usr: bool
    suites: tuple[tuple[str, str], ...]  # (archive, suite)
    keyrings: tuple[Path, ...]


@dataclass(frozen=True)
class Stack:
    name: str
    release: Release
    description: str
    parent: str | None
    packages: tuple[str, ...]
    env: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)  # path -> symlink target, made in this layer
    init: str | None = None  # an init to run the app under as PID 1 (it forwards signals)
    drop: tuple[str, ...] = ()  # fnmatch patterns of package files this level leaves out (nothing in it loads them)

    @property
    def reference(self) -> str:
        return f"{self.name}-{self.release.id}"


def _toml(name: str) -> dict:
    return tomli.loads((DEFINITIONS / f"{name}.toml").read_text())


def releases() -> dict[str, Release]:
    out = {}
    for rid, data in _toml("releases").items():
        out[rid] = Release(rid, data["codename"], dict(data.get("vars", {})), data["merged_usr"],
                           tuple((s["archive"], s["suite"]) for s in data["suites"]),
                           tuple(Path(__file__).parent / "keys" / k for k in data["keyrings"]))
    return out


def excluded() -> set[str]:
    return set(_toml("exclude")["packages"])


def parse_reference(reference: str) -> tuple[str, str]:
    """`<stack>-debian13` -> (<stack>, "debian13"); `cc` -> ("cc", "debian12")."""
    name, _, release = reference.partition("-")
    release = release or DEFAULT_RELEASE
    if name not in STACKS or release not in releases():
        raise PackItError(f"{reference!r} is not a stack.", exit_code=USAGE, phase="export",
                          hint=f"Stacks: {', '.join(STACKS)}, optionally with -{' or -'.join(releases())}.")
    return name, release


def load(name: str, release_id: str) -> Stack:
    release = releases()[release_id]
    data = _toml(name)
    data.update(data.get("release", {}).get(release_id, {}))  # per-release overrides
    subst = lambda s: s.format(**release.vars)  # noqa: E731
    return Stack(
        name=name, release=release, description=data["description"], parent=data.get("parent"),
        packages=tuple(subst(p) for p in data.get("packages", [])),
        env=dict(data.get("env", {})),
        links={subst(k): subst(v) for k, v in data.get("links", {}).items()},
        init=data.get("init"),
        drop=tuple(data.get("drop", ())),
    )


def chain(name: str, release_id: str) -> list[Stack]:
    """The stack and its ancestors, bottom first: python -> [static, cc, python]."""
    levels: list[Stack] = []
    current: str | None = name
    while current:
        stack = load(current, release_id)
        levels.insert(0, stack)
        current = stack.parent
    return levels
