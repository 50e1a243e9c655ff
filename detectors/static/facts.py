"""What the static pack builds from: where the site's files are, how unknown paths are answered,
and for a front-end build, the tool, its output folder and how Node builds it; each decision
with the file that made it."""

from __future__ import annotations

from dataclasses import dataclass, field

from pack_it.detectors.facts import Facts
from pack_it.detectors.node.facts import ManagerFacts


@dataclass(frozen=True)
class FrontEnd(Facts):
    """A package.json app whose build script writes a static site."""

    tool: str  # vite, react-scripts, angular, vue-cli, astro, sveltekit, next, gatsby, docusaurus, eleventy, parcel
    tool_source: str  # e.g. "package.json (scripts.build: vite build)"
    build_script: str
    package_manager: ManagerFacts
    node_range: str | None  # the constraint text that chose the Node version (None: the newest LTS)
    not_a_server: tuple[str, ...]  # why this is not a server app (each with its file)


@dataclass(frozen=True)
class StaticFacts(Facts):
    root: str  # the folder served: in the tree for a plain site, in the build's output for a front-end build
    root_source: str
    spa: bool  # unknown paths answer index.html with 200 (else the site's 404.html, or a plain 404, with 404)
    spa_source: str
    not_found: str | None  # the 404 page in the root, for a plain multi-page site (a build's is found after it)
    front_end: FrontEnd | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (PACK_IT_STATIC_HEADERS)
