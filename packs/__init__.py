"""The packs and the ordered groups the detect phase tries.

A pack is a module with:
    ID: str, VERSION: str
    LOOKS_FOR: str                        what its detect reads, for the "nothing detected" message
    detect(tree, env, index) -> Detection | None
                                          pure: reads the tree (and the versions index), never
                                          writes or runs a tool
    build(ctx) -> list[Layer]              runs toolchains, returns launch/build/cache layers
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Member:
    """A pack in a group, named by module; it is imported only when its group is tried, so a
    Go build never pays for loading the Python and Node packs."""

    module: str
    optional: bool = False

    @property
    def pack(self) -> ModuleType:
        return importlib.import_module(f"pack_it.packs.{self.module}")


@dataclass(frozen=True)
class Group:
    members: tuple[Member, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.module for m in self.members)


# Order matters: the first group whose required packs all detect wins. Go first (a go.mod is
# never incidental); Python before Node, because Python web apps often carry a package.json
# for front-end assets while Node apps rarely carry Python manifests. procfile joins each
# group as an optional pack so a Procfile can override the start command.
GROUPS: tuple[Group, ...] = (
    Group((Member("go"), Member("procfile", optional=True))),
    Group((Member("python"), Member("procfile", optional=True))),
    Group((Member("node"), Member("procfile", optional=True))),
)


def by_id(pack_id: str) -> ModuleType:
    """A pack by its ID, which is also its module's name."""
    return next(m.pack for g in GROUPS for m in g.members if m.module == pack_id)


def versions(pack_ids: tuple[str, ...]) -> dict[str, str]:
    return {pack_id: by_id(pack_id).VERSION for pack_id in pack_ids}
