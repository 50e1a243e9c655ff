"""What the lifecycle asks of a pack, and the ordered registry of packs it is handed.

The lifecycle knows no language: the composition root (the CLI) passes it a `PackRegistry` built
in `pack_it/packs/__init__.py`, and it calls each pack only through `Pack`. A pack is a module;
mypy checks every registered module against `Pack` (packs/__init__.py), and a test does the
same at run time over the registry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Protocol

if TYPE_CHECKING:
    from pack_it.detectors.facts import Detection, Facts
    from pack_it.detectors.source import SourceTree
    from pack_it.lifecycle.context import BuildContext
    from pack_it.lifecycle.layers import Layer
    from pack_it.lifecycle.versions import VersionsIndex

# runtime name -> a function asking its registry for the current releases (version -> facts),
# for `pack-it versions update`
ReleaseFetchers = Mapping[str, Callable[[], dict[str, dict[str, str]]]]


class Pack(Protocol):
    # Read-only members (a module's constants satisfy them; plain attributes would have to
    # match the declared types exactly).
    @property
    def ID(self) -> str:  # noqa: N802  also the folder or module name under packs/
        ...

    @property
    def VERSION(self) -> str:  # noqa: N802  part of every layer key: bump it when what the pack builds changes
        ...

    @property
    def LOOKS_FOR(self) -> str:  # noqa: N802  what detect reads, for the "nothing detected" message
        ...

    @property
    def FACTS(self) -> type[Facts] | None:  # noqa: N802  the type of Detection.facts (and Plan.details[ID])
        ...

    @property
    def RELEASES(self) -> ReleaseFetchers:  # noqa: N802  the versions-index runtimes this pack provides
        ...

    def detect(self, tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
        """Pure: reads the tree (and the versions index), never writes or runs a tool; None
        when the app is not this pack's."""
        ...

    def build(self, ctx: BuildContext) -> list[Layer]:
        """Runs the toolchains and returns the pack's layers, in the order they stack."""
        ...


@dataclass(frozen=True)
class Member:
    """A pack in a group, named by module; it is imported only when its group is tried, so a
    Go build never pays for loading the Python and Node packs."""

    id: str
    module: str
    optional: bool = False

    @property
    def pack(self) -> Pack:
        return importlib.import_module(self.module)  # packs/__init__.py's _CHECKED checks each against Pack


@dataclass(frozen=True)
class Group:
    members: tuple[Member, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.members)


@dataclass(frozen=True)
class PackRegistry:
    """The groups the detect phase tries, in order: the first whose required packs all detect
    wins."""

    groups: tuple[Group, ...]

    @property
    def members(self) -> tuple[Member, ...]:
        seen: dict[str, Member] = {}
        for group in self.groups:
            for member in group.members:
                seen.setdefault(member.id, member)
        return tuple(seen.values())

    def by_id(self, pack_id: str) -> Pack:
        for member in self.members:
            if member.id == pack_id:
                return member.pack
        raise KeyError(f"no pack {pack_id!r} is registered")

    def versions(self, pack_ids: tuple[str, ...]) -> dict[str, str]:
        return {pack_id: self.by_id(pack_id).VERSION for pack_id in pack_ids}

    def facts_types(self, pack_ids: tuple[str, ...]) -> dict[str, type[Facts]]:
        found = {}
        for pack_id in pack_ids:
            facts = self.by_id(pack_id).FACTS
            if facts is not None:
                found[pack_id] = facts
        return found

    def release_fetchers(self) -> dict[str, Callable[[], dict[str, dict[str, str]]]]:
        fetchers: dict[str, Callable[[], dict[str, dict[str, str]]]] = {}
        for member in self.members:
            fetchers.update(member.pack.RELEASES)
        return fetchers
