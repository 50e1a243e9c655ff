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

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pack_it.detectors import node as node_detector
from pack_it.detectors.node import lifecycle
from pack_it.detectors.node.scripts import DEFERRED_BIN
from pack_it.errors import UNSUPPORTED, build_error
from pack_it.detectors.facts import Detection
from pack_it.detectors.node.facts import NodeFacts
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.packs.node import bun, npm, runtime, tools

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

ID = "node"
VERSION = "0.1.0"
LOOKS_FOR = "package.json, or a server.js, app.js or index.js with none"
FACTS = NodeFacts
RELEASES: ReleaseFetchers = {runtime.INDEX_RUNTIME: runtime.releases_from_registry,
                             bun.INDEX_RUNTIME: bun.releases_from_registry,
                             npm.INDEX_RUNTIME: npm.releases_from_registry,
                             tools.INDEX_SECTION: tools.releases_from_registry}
WORKSPACE = "/workspace"
YARN_STATE = (".yarn/install-state.gz", ".pnp.cjs", ".pnp.loader.mjs", ".pnp.data.json")
MANIFESTS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb",
             ".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml")


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    if not tree.has_file("package.json") and node_detector.bare.entry(tree) is None:
        return None
    return node_detector.detect(tree, env, lambda: index.versions(runtime.INDEX_RUNTIME),
                                bun_versions=lambda: index.versions(bun.INDEX_RUNTIME),
                                npm_releases=lambda: index.releases(npm.INDEX_RUNTIME))


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
            binary = bun.fetch_bun(version, ctx.cache.root, releases=ctx.index.releases(bun.INDEX_RUNTIME))
        else:
            binary = runtime.fetch_node(version, ctx.cache.root, releases=ctx.index.releases(runtime.INDEX_RUNTIME)).node
        ctx.bind_tools(binary.parent.parent)  # the steps run it, read-only
        return binary

    @cache
    def tool_env() -> dict[str, str]:
        path = ctx.tool_path(node().parent)
        if on_bun:  # `node` in install and build scripts is the image's Bun, never the host's Node
            path = f"{bun.node_shim(ctx.work, node())}{os.pathsep}{path}"
        # Native addons (node-gyp) compile against the headers of the image's own Node release,
        # from its verified tarball, and from source: prebuilt binaries are downloaded unverified
        # (prebuild-install, node-pre-gyp fetch them from GitHub releases with no checksum).
        headers = None if on_bun else runtime.headers_dir(node())
        native = {"npm_config_nodedir": str(headers), "npm_config_build_from_source": "true"} if headers else {}
        return {**tools.npm_env(ctx), **native, "PATH": path}

    @cache
    def pm_cmd() -> tuple[str, ...]:
        if on_bun:  # the runtime binary is its own package manager
            return (str(node()),)
        return tuple(tools.command(ctx, node(), pm.name, pm.version,
                                   None if pm.name == "bun" and facts.npm is None else npm_cli()))

    @cache
    def npm_cli() -> Path:  # the npm of the app's Node line (detectors/node/npm.py), never the host's
        if facts.npm is None:
            raise runtime._fail(f"No npm to install with: {facts.npm_reason or 'the plan names none'}.",
                                "Pin a Node.js version that npm supports (engines.node or .nvmrc), or run "
                                "`pack-it versions update`.")
        return npm.cli(ctx, facts.npm, ctx.index.releases(npm.INDEX_RUNTIME))

    manifests = _manifest_files(ctx.tree)
    deps_inputs = {"bun" if on_bun else "node": version, "manager": pm.name, "pm_version": pm.version, "npm": facts.npm,
                   "manifests": ctx.tree.digest(manifests)}
    if pm.name == "yarn-berry":  # earlier cached full installs: Plug'n'Play, or a production install's state
        deps_inputs["install_state"] = "node-modules, unshared"
    full = ctx.cache_dir("modules") / ctx.key(**deps_inputs)

    @cache
    def full_install() -> Path:
        """Every dependency, devDependencies too, kept in the cache by the lockfile."""
        if not (full / "node_modules").is_dir():
            _install_full(ctx, manifests, full, list(pm_cmd()), pm.name, pm.lockfile, tool_env())
        return full

    source = ctx.tree.source_files()
    source_digest = ctx.tree.digest(source)
    steps = facts.scripts.steps or (("build",) if build_script else ())  # plans made before steps existed
    hooks = lifecycle.install_hooks(steps)
    layers = [bun.layer(ctx, version, node) if on_bun else runtime.layer(ctx, version, node)]
    # HOST=0.0.0.0 (detectors/node/listen.py), then the start script's own VAR=value
    app_env = {**facts.launch_env, **facts.env}
    if not facts.package_json:  # a server.js alone: built-in modules only, nothing to install or build
        return [*layers, ctx.layer("app", {"source": source_digest, "env": app_env},
                                   lambda d: ctx.copy_source(d, source), at=WORKSPACE, env=app_env,
                                   unchanged="source unchanged")]
    scripted_inputs = {"deps": deps_inputs, "source": source_digest, "steps": steps}  # package.json is source

    @cache
    def scripted() -> tuple[Path, Path]:
        """The build's scripts run in a copy of the source: (its pruned node_modules, what they wrote)."""
        return _run_scripts(ctx, source, full_install(), list(pm_cmd()), pm.name, tool_env(), steps,
                            standalone, on_bun, prune=bool(hooks) and not standalone, version=pm.version)

    if not standalone:  # Next's standalone output carries the node_modules it needs
        if hooks:  # the root's install hooks may change node_modules (patch-package, prisma generate)
            layers.append(ctx.layer("node_modules", scripted_inputs, lambda _: _check_bins(ctx, scripted()[0]),
                                    at=f"{WORKSPACE}/node_modules", unchanged="lockfile and source unchanged"))
        else:
            layers.append(ctx.layer("node_modules", deps_inputs,
                                    lambda _: _check_bins(ctx, _prune(ctx, full_install(), list(pm_cmd()), pm.name,
                                                                      tool_env(), pm.version)),
                                    at=f"{WORKSPACE}/node_modules", unchanged="lockfile unchanged"))
    if steps:
        layers.append(ctx.layer("build", scripted_inputs, lambda _: scripted()[1],
                                at=WORKSPACE, unchanged="source unchanged"))
    layers.append(ctx.layer("app", {"source": source_digest, "env": app_env},
                            lambda directory: ctx.copy_source(directory, source),
                            at=WORKSPACE, env=app_env, unchanged="source unchanged"))
    return layers


def _check_bins(ctx: BuildContext, node_modules: Path) -> Path:
    """A start command running a dependency's bin that detection could not see (scripts.py's
    DEFERRED_BIN) needs that bin in the production install."""
    for process in ctx.plan.processes:
        for word in process.command[1:2]:
            if word.startswith(DEFERRED_BIN) and not (node_modules / word.removeprefix("node_modules/")).exists():
                name = word.removeprefix(DEFERRED_BIN)
                raise build_error(
                    f"{process.source} runs `{name}`, and no production dependency's package.json has a bin "
                    f"named {name} (nothing installed node_modules/.bin/{name}).",
                    f"Add the package that provides `{name}` to dependencies (not devDependencies), "
                    "or start the app with `node <file>`.", exit_code=UNSUPPORTED)
    return node_modules


def _manifest_files(tree: SourceTree) -> list[str]:
    """What an install reads: every package.json (workspaces too), lockfiles and rc files."""
    return [f for f in tree.files()
            if "node_modules/" not in f and (PurePosixPath(f).name == "package.json" or f in MANIFESTS
                                             or f.startswith(".yarn/releases/") or f.startswith(".yarn/patches/"))]


def _link_tree(src: Path, dest: Path) -> None:
    """A copy of `src` made of hard links (same file system: the cache), fast for node_modules."""
    subprocess.run(["cp", "-al", str(src), str(dest)], check=True)


def _unshare(work: Path) -> None:
    """Real copies, in a hard-linked copy of the install, of the files a prune rewrites in place
    (the manifests, the lockfile, Yarn's install state, node_modules/.yarn-state.yml): written
    through a hard link they would change the cached full install, after which Yarn berry's
    `yarn run` there finds no devDependency bins (`command not found: tsc`)."""
    state = [p for p in (work / "node_modules").glob(".*") if p.is_file()] if (work / "node_modules").is_dir() else []
    for path in [*(p for p in work.iterdir() if p.is_file()), *(work / rel for rel in YARN_STATE), *state]:
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            mode = path.stat().st_mode
            path.unlink()
            path.write_bytes(data)
            path.chmod(mode & 0o7777)


def _install_full(ctx: BuildContext, manifests: list[str], full: Path, pm_cmd: list[str], manager: str,
                  lockfile: str | None, env: dict) -> None:
    staging = ctx.work / "install"
    ctx.copy_source(staging, manifests)
    # The root's install hooks read the app's files, which are not here: they run with the
    # build's scripts, in a copy of the whole source (lifecycle.py).
    root = json.loads((staging / "package.json").read_text())
    if isinstance(root, dict) and root != lifecycle.without_install_hooks(root):
        (staging / "package.json").write_text(json.dumps(lifecycle.without_install_hooks(root), indent=2) + "\n")
    argv = tools.install_argv(manager) if lockfile is not None else tools.unlocked_install_argv(manager)
    ctx.reporter.step(f"  {manager} {' '.join(argv)}")
    ctx.run([*pm_cmd, *argv], env=env, cwd=staging, what=f"{manager} {argv[0]}")
    for rel in ctx.tree.secret_files():  # a token-bearing .npmrc: read by the install, never kept in the cache
        (staging / rel).unlink(missing_ok=True)
    (staging / "node_modules").mkdir(exist_ok=True)  # an app with no dependencies
    full.parent.mkdir(parents=True, exist_ok=True)
    ctx.cache.place_dir(staging, full, ready=full / "node_modules")


def _prune(ctx: BuildContext, full: Path, pm_cmd: list[str], manager: str, env: dict,
           version: str | None = None) -> Path:
    """The production node_modules: a hard-linked copy of the full install, pruned."""
    work = ctx.work / "prune"
    _link_tree(full, work)
    _unshare(work)
    ctx.copy_source(work, [f for f in ctx.tree.secret_files() if ctx.tree.has_file(f)])  # the .npmrc left out of the cache
    if manager == "bun":  # bun leaves extraneous packages in place: install production afresh (from its cache)
        shutil.rmtree(work / "node_modules")
    ctx.reporter.step(f"  pruning to production dependencies ({manager})")
    _production(ctx, work, pm_cmd, manager, version, env)
    directory = work / "node_modules"
    directory.mkdir(exist_ok=True)
    return directory


def _run_scripts(ctx: BuildContext, source: tuple[str, ...], full: Path, pm_cmd: list[str], manager: str, env: dict,
                 steps: tuple[str, ...], standalone: bool, on_bun: bool, prune: bool, version: str | None = None) -> tuple[Path, Path]:
    """Runs the build's scripts (install hooks, then the build script) in a copy of the source
    with the full install, and returns (that copy's node_modules pruned to production, when
    `prune`; a directory of the files the scripts wrote outside node_modules)."""
    app = ctx.work / "build-src"
    ctx.copy_source(app, source)
    if prune:  # a real copy: the hooks may patch node_modules, and the cached install must not change
        subprocess.run(["cp", "-a", str(full / "node_modules"), str(app / "node_modules")], check=True)
    else:
        _link_tree(full / "node_modules", app / "node_modules")
    _install_state(full, app)
    _unshare(app)
    before = {p: p.stat().st_mtime_ns for p in app.rglob("*") if p.is_file() and "node_modules" not in p.parts}
    for step in steps:
        ctx.reporter.step(f"  running scripts.{step}")
        ctx.run([*pm_cmd, *tools.run_argv(step, on_bun)], env={**env, "NODE_ENV": "production",
                "NEXT_TELEMETRY_DISABLED": "1"}, cwd=app, what=f"scripts.{step}")
    if standalone:
        _complete_next_standalone(app)
    output = ctx.work / "build-out"
    output.mkdir(parents=True, exist_ok=True)
    for path in sorted(app.rglob("*")):
        rel = path.relative_to(app)
        if rel.parts[0] == "node_modules" or ".next/cache" in rel.as_posix() or not (path.is_file() or path.is_symlink()):
            continue
        if before.get(path) == (path.stat().st_mtime_ns if path.exists() else None):
            continue  # a source file the build did not touch: it is in the app layer
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, output / rel, follow_symlinks=False)
    modules = app / "node_modules"
    if prune:
        ctx.reporter.step(f"  pruning to production dependencies ({manager})")
        if manager == "bun":
            shutil.rmtree(modules)
        _production(ctx, app, pm_cmd, manager, version, env)
        modules.mkdir(exist_ok=True)
    return modules, output


def _production(ctx: BuildContext, work: Path, pm_cmd: list[str], manager: str, version: str | None,
                env: dict) -> None:
    """Prunes `work`'s node_modules to the production dependencies, in place."""
    if tools.focus_missing(manager, version):  # Yarn 2/3: install the manifests without devDependencies
        for dirpath, dirnames, filenames in os.walk(work):
            dirnames[:] = sorted(d for d in dirnames if d != "node_modules")  # the app's manifests only
            if "package.json" not in filenames:
                continue
            manifest = Path(dirpath, "package.json")
            data = json.loads(manifest.read_text())
            if isinstance(data, dict) and data.pop("devDependencies", None) is not None:
                # a new file, not a write through a hard link into the cached full install
                rewritten = manifest.with_name("package.json.pruned")
                rewritten.write_text(json.dumps(data, indent=2) + "\n")
                os.replace(rewritten, manifest)
    ctx.run([*pm_cmd, *tools.prune_argv(manager, version)],
            env={**env, "NODE_ENV": "production", **tools.prune_env(manager, version)}, cwd=work,
            what=f"{manager} prune")


def _install_state(full: Path, app: Path) -> None:
    """Yarn berry's record of the install (and Plug'n'Play's loader) beside node_modules: without
    them `yarn run` in the copy finds no bins (`command not found: tsc`) or says the project
    "doesn't seem to have been installed"."""
    for rel in YARN_STATE:
        if (full / rel).is_file():
            (app / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(full / rel, app / rel)


def _complete_next_standalone(app: Path) -> None:
    """Next's standalone server serves .next/static and public/ from beside itself; `next
    build` leaves copying them to the deployer (as its Dockerfile example does)."""
    standalone = app / ".next" / "standalone"
    if (app / ".next" / "static").is_dir():
        shutil.copytree(app / ".next" / "static", standalone / ".next" / "static", dirs_exist_ok=True)
    if (app / "public").is_dir():
        shutil.copytree(app / "public", standalone / "public", dirs_exist_ok=True)
