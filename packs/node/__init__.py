"""Node.js pack: the Node runtime (or Bun's), node_modules, build output and source as layers,
on the node stack (Debian's libc and C++ runtime, no Node of its own).

    detect  detectors/node: package.json, lockfiles, package manager, Node version, start command
    build   the app's own package manager, frozen, under the same Node the image runs (so
            native addons match its ABI). The full install (with devDependencies, for the
            build script) is kept in pack-it's cache under a key made of the manifests, the
            lockfile, the Node version and the package manager: a source-only change runs
            no installer.
            runtime       bin/node (official build, the version the versions index names,
                          stripped) and its LICENSE, at /layers/node/runtime: on PATH; for a
                          Bun app bin/bun instead (bun.py), which also installs and builds
            node_modules  production dependencies only, at /workspace/node_modules
            build         what the build script wrote (dist/, .next/, build/ ...), at /workspace
            app           the source, at /workspace
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path, PurePosixPath

from pack_it.detectors import node as node_detector
from pack_it.detectors.facts import Detection
from pack_it.detectors.node.facts import NodeFacts
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.packs.node import bun, runtime, tools

ID = "node"
VERSION = "0.1.0"
LOOKS_FOR = "package.json"
FACTS = NodeFacts
RELEASES: ReleaseFetchers = {runtime.INDEX_RUNTIME: runtime.releases_from_registry,
                             bun.INDEX_RUNTIME: bun.releases_from_registry}
WORKSPACE = "/workspace"
MANIFESTS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb",
             ".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml")


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    if not tree.has_file("package.json"):
        return None
    return node_detector.detect(tree, env, lambda: index.versions(runtime.INDEX_RUNTIME),
                                bun_versions=lambda: index.versions(bun.INDEX_RUNTIME))


def build(ctx: BuildContext) -> list[Layer]:
    facts = ctx.plan.facts(ID, NodeFacts)
    assert ctx.plan.runtime is not None  # detection always chooses a Node (or Bun) version
    version = ctx.plan.runtime.version
    on_bun = ctx.plan.runtime.name == bun.INDEX_RUNTIME
    pm = facts.package_manager
    standalone = bool(facts.next_standalone)
    build_script = facts.scripts.build

    @cache
    def node() -> Path:  # fetched only when a layer has to be made; for a Bun app, bin/bun
        if on_bun:
            return bun.fetch_bun(version, ctx.cache.root, releases=ctx.index.releases(bun.INDEX_RUNTIME))
        return runtime.fetch_node(version, ctx.cache.root, releases=ctx.index.releases(runtime.INDEX_RUNTIME)).node

    @cache
    def tool_env() -> dict[str, str]:
        path = f"{node().parent}{os.pathsep}{os.environ.get('PATH', '')}"
        if on_bun:  # `node` in install and build scripts is the image's Bun, never the host's Node
            path = f"{bun.node_shim(ctx.work, node())}{os.pathsep}{path}"
        return {**tools.npm_env(ctx), "PATH": path}

    @cache
    def pm_cmd() -> tuple[str, ...]:
        if on_bun:  # the runtime binary is its own package manager
            return (str(node()),)
        return tuple(tools.command(ctx, node(), pm.name, pm.version))

    manifests = _manifest_files(ctx.tree)
    deps_inputs = {"bun" if on_bun else "node": version, "manager": pm.name, "pm_version": pm.version,
                   "manifests": ctx.tree.digest(manifests)}
    full = ctx.cache_dir("modules") / ctx.key(**deps_inputs)

    @cache
    def full_install() -> Path:
        """Every dependency, devDependencies too, kept in the cache by the lockfile."""
        if not (full / "node_modules").is_dir():
            _install_full(ctx, manifests, full, list(pm_cmd()), pm.name, pm.lockfile, tool_env())
        return full

    source = ctx.tree.source_files()
    source_digest = ctx.tree.digest(source)
    layers = [bun.layer(ctx, version, node) if on_bun else runtime.layer(ctx, version, node)]
    if not standalone:  # Next's standalone output carries the node_modules it needs
        layers.append(ctx.layer("node_modules", deps_inputs,
                                lambda _: _prune(ctx, full_install(), list(pm_cmd()), pm.name, tool_env()),
                                at=f"{WORKSPACE}/node_modules", unchanged="lockfile unchanged"))
    if build_script:
        layers.append(ctx.layer("build", {"deps": deps_inputs, "source": source_digest, "script": build_script},
                                lambda out: _run_build(ctx, source, full_install(), list(pm_cmd()), tool_env(),
                                                       out, standalone, on_bun),
                                at=WORKSPACE, unchanged="source unchanged"))
    app_env = {"HOSTNAME": "0.0.0.0"} if facts.framework == "next" else {}
    app_env.update(facts.env)
    layers.append(ctx.layer("app", {"source": source_digest, "env": app_env},
                            lambda directory: ctx.copy_source(directory, source),
                            at=WORKSPACE, env=app_env, unchanged="source unchanged"))
    return layers


def _manifest_files(tree: SourceTree) -> list[str]:
    """What an install reads: every package.json (workspaces too), lockfiles and rc files."""
    return [f for f in tree.files()
            if "node_modules/" not in f and (PurePosixPath(f).name == "package.json" or f in MANIFESTS
                                             or f.startswith(".yarn/releases/") or f.startswith(".yarn/patches/"))]


def _link_tree(src: Path, dest: Path) -> None:
    """A copy of `src` made of hard links (same file system: the cache), fast for node_modules."""
    subprocess.run(["cp", "-al", str(src), str(dest)], check=True)


def _install_full(ctx: BuildContext, manifests: list[str], full: Path, pm_cmd: list[str], manager: str,
                  lockfile: str | None, env: dict) -> None:
    staging = ctx.work / "install"
    ctx.copy_source(staging, manifests)
    argv = tools.install_argv(manager)
    if manager == "npm" and lockfile is None:
        argv = ["install", "--no-audit", "--no-fund"]
    if manager == "bun" and lockfile is None:  # bun writes bun.lock; the prune then installs from it
        argv = ["install"]
    ctx.reporter.step(f"  {manager} {' '.join(argv)}")
    ctx.run([*pm_cmd, *argv], env=env, cwd=staging, what=f"{manager} {argv[0]}")
    for rel in ctx.tree.secret_files():  # a token-bearing .npmrc: read by the install, never kept in the cache
        (staging / rel).unlink(missing_ok=True)
    (staging / "node_modules").mkdir(exist_ok=True)  # an app with no dependencies
    full.parent.mkdir(parents=True, exist_ok=True)
    ctx.cache.place_dir(staging, full, ready=full / "node_modules")


def _prune(ctx: BuildContext, full: Path, pm_cmd: list[str], manager: str, env: dict) -> Path:
    """The production node_modules: a hard-linked copy of the full install, pruned."""
    work = ctx.work / "prune"
    _link_tree(full, work)
    ctx.copy_source(work, [f for f in ctx.tree.secret_files() if ctx.tree.has_file(f)])  # the .npmrc left out of the cache
    if manager == "bun":  # bun leaves extraneous packages in place: install production afresh (from its cache)
        shutil.rmtree(work / "node_modules")
    ctx.reporter.step(f"  pruning to production dependencies ({manager})")
    ctx.run([*pm_cmd, *tools.prune_argv(manager)], env={**env, "NODE_ENV": "production"}, cwd=work,
            what=f"{manager} prune")
    directory = work / "node_modules"
    directory.mkdir(exist_ok=True)
    return directory


def _run_build(ctx: BuildContext, source: tuple[str, ...], full: Path, pm_cmd: list[str], env: dict,
               output: Path, standalone: bool, on_bun: bool = False) -> None:
    """Runs the build script in a copy of the source, and copies what it wrote to `output`."""
    app = ctx.work / "build-src"
    ctx.copy_source(app, source)
    _link_tree(full / "node_modules", app / "node_modules")
    before = {p: p.stat().st_mtime_ns for p in app.rglob("*") if p.is_file() and "node_modules" not in p.parts}
    ctx.reporter.step("  running the build script")
    ctx.run([*pm_cmd, *(tools.RUN_BUILD_ON_BUN if on_bun else tools.RUN_BUILD)], env={**env, "NODE_ENV": "production",
            "NEXT_TELEMETRY_DISABLED": "1"}, cwd=app, what="the build script")
    if standalone:
        _complete_next_standalone(app)
    for path in sorted(app.rglob("*")):
        rel = path.relative_to(app)
        if rel.parts[0] == "node_modules" or ".next/cache" in rel.as_posix() or not (path.is_file() or path.is_symlink()):
            continue
        if before.get(path) == (path.stat().st_mtime_ns if path.exists() else None):
            continue  # a source file the build did not touch: it is in the app layer
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, output / rel, follow_symlinks=False)


def _complete_next_standalone(app: Path) -> None:
    """Next's standalone server serves .next/static and public/ from beside itself; `next
    build` leaves copying them to the deployer (as its Dockerfile example does)."""
    standalone = app / ".next" / "standalone"
    if (app / ".next" / "static").is_dir():
        shutil.copytree(app / ".next" / "static", standalone / ".next" / "static", dirs_exist_ok=True)
    if (app / "public").is_dir():
        shutil.copytree(app / "public", standalone / "public", dirs_exist_ok=True)
