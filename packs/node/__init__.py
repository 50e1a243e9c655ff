"""Node.js pack: node_modules, build output and source in three layers, on the node stack at
the app's Node version.

    detect  detectors/node: package.json, lockfiles, package manager, Node version, start command
    build   the app's own package manager, frozen, under the same Node the image runs (so
            native addons match its ABI). The full install (with devDependencies, for the
            build script) is kept in pack-it's cache under a key made of the manifests, the
            lockfile, the Node version and the package manager: a source-only change runs
            no installer.
            node_modules  production dependencies only, at /workspace/node_modules
            build         what the build script wrote (dist/, .next/, build/ ...), at /workspace
            app           the source, at /workspace
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath

from pack_it.detectors import node as node_detector
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.layers import Layer, layer_key
from pack_it.lifecycle.stacks.node_runtime import INDEX_RUNTIME, fetch_node
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.packs.node import tools

ID = "node"
VERSION = "0.1.0"
LOOKS_FOR = "package.json"
WORKSPACE = "/workspace"
NOT_SOURCE = {"node_modules", ".next", ".nuxt", ".output", ".svelte-kit", ".turbo", ".cache", ".parcel-cache"}
MANIFESTS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb",
             ".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml")


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    if not tree.has_file("package.json"):
        return None
    return node_detector.detect(tree, env, lambda: index.versions(INDEX_RUNTIME))


def _manifest_files(tree: SourceTree) -> list[str]:
    """What an install reads: every package.json (workspaces too), lockfiles and rc files."""
    return [f for f in tree.files()
            if "node_modules/" not in f and (PurePosixPath(f).name == "package.json" or f in MANIFESTS
                                             or f.startswith(".yarn/releases/") or f.startswith(".yarn/patches/"))]


def _source_files(tree: SourceTree) -> list[str]:
    return [f for f in tree.files() if not any(p in NOT_SOURCE for p in PurePosixPath(f).parts[:-1])]


def _copy(tree: SourceTree, files: list[str], dest: Path) -> None:
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree.path(rel), dest / rel)


def _link_tree(src: Path, dest: Path) -> None:
    """A copy of `src` made of hard links (same file system: the cache), fast for node_modules."""
    subprocess.run(["cp", "-al", str(src), str(dest)], check=True)


def build(ctx: BuildContext) -> list[Layer]:
    details = ctx.plan.details[ID]
    version = ctx.plan.runtime.version
    node = fetch_node(version, ctx.cache.root, releases=ctx.index.releases(INDEX_RUNTIME)).node
    pm = details["package_manager"]
    manager = pm["name"]
    env = {**tools.npm_env(ctx), "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    pm_cmd = tools.command(ctx, node, manager, pm.get("version"))
    scripts = details.get("scripts") or {}
    standalone = bool(details.get("next_standalone"))

    manifests = _manifest_files(ctx.tree)
    deps_key = layer_key(pack=VERSION, node=version, manager=manager, pm_version=pm.get("version"),
                         manifests=ctx.tree.digest(manifests))
    full = ctx.cache_dir("modules") / deps_key
    layers: list[Layer] = []

    needs_full = not (full / "node_modules").is_dir()
    prod = None if standalone else ctx.reuse("node_modules", deps_key, at=f"{WORKSPACE}/node_modules")
    source = _source_files(ctx.tree)
    source_digest = ctx.tree.digest(source)
    build_key = layer_key(pack=VERSION, deps=deps_key, source=source_digest, script=scripts.get("build"))
    built = ctx.reuse("build", build_key, at=WORKSPACE) if scripts.get("build") else None

    if needs_full and (prod is None and not standalone or (scripts.get("build") and built is None)):
        _install_full(ctx, manifests, full, pm_cmd, manager, pm.get("lockfile"), env)

    if not standalone:
        if prod is None:
            prod = _prune(ctx, full, pm_cmd, manager, env, deps_key)
        else:
            ctx.reporter.step("  reusing layer node_modules (lockfile unchanged)")
        layers.append(prod)

    if scripts.get("build"):
        if built is None:
            built = _run_build(ctx, source, full, pm_cmd, env, build_key, standalone)
        else:
            ctx.reporter.step("  reusing layer build (source unchanged)")
        layers.append(built)

    app_env = {"HOSTNAME": "0.0.0.0"} if details.get("framework") == "next" else {}
    app_env.update(details.get("env") or {})
    app_key = layer_key(pack=VERSION, source=source_digest, env=app_env)
    app = ctx.reuse("app", app_key, at=WORKSPACE)
    if app is None:
        directory = ctx.layer_dir("app")
        _copy(ctx.tree, source, directory)
        app = Layer(ID, "app", app_key, path=directory, launch=True, env=app_env, at=WORKSPACE)
    layers.append(app)
    return layers


def _install_full(ctx: BuildContext, manifests: list[str], full: Path, pm_cmd: list[str], manager: str,
                  lockfile: str | None, env: dict) -> None:
    staging = ctx.work / "install"
    _copy(ctx.tree, manifests, staging)
    argv = tools.install_argv(manager)
    if manager == "npm" and lockfile is None:
        argv = ["install", "--no-audit", "--no-fund"]
    ctx.reporter.step(f"  {manager} {' '.join(argv)}")
    ctx.run([*pm_cmd, *argv], env=env, cwd=staging, what=f"{manager} {argv[0]}")
    (staging / "node_modules").mkdir(exist_ok=True)  # an app with no dependencies
    full.parent.mkdir(parents=True, exist_ok=True)
    ctx.cache.place_dir(staging, full, ready=full / "node_modules")


def _prune(ctx: BuildContext, full: Path, pm_cmd: list[str], manager: str, env: dict, key: str) -> Layer:
    work = ctx.work / "prune"
    _link_tree(full, work)
    if manager == "bun":  # bun leaves extraneous packages in place: install production afresh (from its cache)
        shutil.rmtree(work / "node_modules")
    ctx.reporter.step(f"  pruning to production dependencies ({manager})")
    ctx.run([*pm_cmd, *tools.prune_argv(manager)], env={**env, "NODE_ENV": "production"}, cwd=work,
            what=f"{manager} prune")
    directory = work / "node_modules"
    directory.mkdir(exist_ok=True)
    return Layer(ID, "node_modules", key, path=directory, launch=True, at=f"{WORKSPACE}/node_modules")


def _run_build(ctx: BuildContext, source: list[str], full: Path, pm_cmd: list[str], env: dict,
               key: str, standalone: bool) -> Layer:
    app = ctx.work / "build-src"
    _copy(ctx.tree, source, app)
    _link_tree(full / "node_modules", app / "node_modules")
    before = {p: p.stat().st_mtime_ns for p in app.rglob("*") if p.is_file() and "node_modules" not in p.parts}
    ctx.reporter.step("  running the build script")
    ctx.run([*pm_cmd, *tools.RUN_BUILD], env={**env, "NODE_ENV": "production",
            "NEXT_TELEMETRY_DISABLED": "1"}, cwd=app, what="the build script")
    if standalone:
        _complete_next_standalone(app)
    output = ctx.layer_dir("build")
    for path in sorted(app.rglob("*")):
        rel = path.relative_to(app)
        if rel.parts[0] == "node_modules" or ".next/cache" in rel.as_posix() or not (path.is_file() or path.is_symlink()):
            continue
        if before.get(path) == (path.stat().st_mtime_ns if path.exists() else None):
            continue  # a source file the build did not touch: it is in the app layer
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, output / rel, follow_symlinks=False)
    return Layer(ID, "build", key, path=output, launch=True, at=WORKSPACE)


def _complete_next_standalone(app: Path) -> None:
    """Next's standalone server serves .next/static and public/ from beside itself; `next
    build` leaves copying them to the deployer (as its Dockerfile example does)."""
    standalone = app / ".next" / "standalone"
    if (app / ".next" / "static").is_dir():
        shutil.copytree(app / ".next" / "static", standalone / ".next" / "static", dirs_exist_ok=True)
    if (app / "public").is_dir():
        shutil.copytree(app / "public", standalone / "public", dirs_exist_ok=True)
