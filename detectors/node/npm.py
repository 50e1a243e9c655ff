"""Which npm runs under the app's Node.js: the npm line that Node release line bundles (a newer
npm refuses old Nodes: "npm v11 is known not to run on Node.js v14"), at the newest release of
pack-it's versions index whose `engines.node` accepts that exact Node. Never the host's npm.

The index's `npm` section holds each npm release's integrity and engines.node, from the npm
registry's own `npm` package document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

INDEX_RUNTIME = "npm"
# The npm major each Node.js release line bundles at its newest release (Node's release
# notes; nodejs.org/dist/index.json's "npm" field): newer npm majors are not tested with it.
BUNDLED_MAJOR = {4: 2, 6: 3, 8: 6, 9: 5, 10: 6, 11: 6, 12: 6, 13: 6, 14: 6, 15: 7, 16: 8, 17: 8, 18: 10,
                 19: 9, 20: 10, 21: 10, 22: 10, 23: 10, 24: 11, 25: 11}


@dataclass(frozen=True)
class Choice:
    version: str | None
    reason: str


def _nodesemver():
    import nodesemver  # imported on first use (start-up time)

    return nodesemver


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def choose(node: str, releases: Mapping[str, Mapping[str, str]]) -> Choice:
    """The npm for Node.js `node` (an exact version) among the index's npm `releases`."""
    semver = _nodesemver()
    major = int(node.split(".")[0])
    cap = BUNDLED_MAJOR.get(major)
    candidates = sorted((v for v in releases if v.count(".") == 2 and all(p.isdigit() for p in v.split("."))),
                        key=_key, reverse=True)
    for version in candidates:
        if cap is not None and _key(version)[0] > cap:
            continue
        engines = releases[version].get("node", "*") or "*"
        try:
            fits = semver.satisfies(node, engines, False)
        except (ValueError, TypeError):
            fits = False
        if fits:
            line = f"Node.js {major} bundles npm {cap}, " if cap is not None else ""
            return Choice(version, f"{line}npm {version} is the newest release of that line in the versions index "
                                   f"whose engines.node ({engines}) accepts Node.js {node}")
    return Choice(None, f"no npm release in the versions index runs on Node.js {node}")
