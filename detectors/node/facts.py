"""What the Node pack builds from: the facts detection found, typed."""

from __future__ import annotations

from dataclasses import dataclass, field

from pack_it.detectors.facts import Facts


@dataclass(frozen=True)
class ManagerFacts(Facts):
    name: str  # npm, pnpm, yarn, yarn-berry, bun
    version: str | None  # from packageManager, else the lockfile's format, else None
    lockfile: str | None


@dataclass(frozen=True)
class Scripts(Facts):
    build: str | None
    start: str | None
    # The scripts the build runs, by name and in order: the root's install hooks, then the
    # build script (heroku-postbuild, gcp-build or build); lifecycle.py
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeFacts(Facts):
    name: str | None  # package.json's name
    package_manager: ManagerFacts
    node_range: str | None  # the constraint text that chose the Node version, if any
    engines_node: str | None
    scripts: Scripts
    workspaces: bool
    dependencies: tuple[str, ...]
    framework: str | None
    typescript: bool
    env: dict[str, str] = field(default_factory=dict)  # VAR=value from the start script
    next_standalone: bool | None = None  # Next.js only: built with output: 'standalone'
    package_json: bool = True  # False: a server.js with no package.json (bare.py), nothing to install
    bun_range: str | None = None  # a Bun app: the packageManager or engines.bun text that chose Bun's version
    # The npm that runs under this Node (installs, and installs pnpm or yarn), and why (npm.py)
    npm: str | None = None
    npm_reason: str | None = None
    # What the image sets for the server to listen on every interface (HOST=0.0.0.0), and why (listen.py)
    launch_env: dict[str, str] = field(default_factory=dict)
    launch_env_reason: str | None = None
