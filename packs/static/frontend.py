"""A front-end build, run exactly as the Node pack runs one: the plan's Node release (fetched
and verified by packs/node/runtime.py), the app's package manager under it (packs/node/tools.py),
a frozen install kept in the cache by the lockfile, then the build script in a copy of the
source. Only the files the build wrote into the output folder go on (to the site layer)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.detectors.node import npm as npm_choice
from pack_it.detectors.static.facts import FrontEnd
from pack_it.packs import node as node_pack
from pack_it.packs.node import npm as npm_tool
from pack_it.packs.node import runtime, tools

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext


def _version(ctx: BuildContext) -> str:
    assert ctx.plan.runtime is not None  # detection chose the Node release of a build
    return ctx.plan.runtime.version


def inputs(ctx: BuildContext, front: FrontEnd) -> dict[str, object]:
    """What the install depends on (the Node pack's own inputs), and the build script."""
    pm = front.package_manager
    return {"node": _version(ctx), "manager": pm.name, "pm_version": pm.version,
            "manifests": ctx.tree.digest(node_pack._manifest_files(ctx.tree)), "script": front.build_script}


def run_build(ctx: BuildContext, front: FrontEnd, source: tuple[str, ...]) -> Path:
    """Installs (or reuses the cached install), runs the build script; returns the built copy."""
    version, pm = _version(ctx), front.package_manager
    node = runtime.fetch_node(version, ctx.cache.root, releases=ctx.index.releases(runtime.INDEX_RUNTIME)).node
    ctx.bind_tools(node.parent.parent)  # the build steps run it, read-only in the sandbox
    env = {**tools.npm_env(ctx), "PATH": ctx.tool_path(node.parent)}  # the sandbox's, where `npm run` finds sh
    # The npm of the app's Node line (as the Node pack's detection chooses it), never the host's.
    npm_releases = ctx.index.releases(npm_choice.INDEX_RUNTIME)
    npm = npm_choice.choose(version, npm_releases).version
    pm_cmd = tools.command(ctx, node, pm.name, pm.version, npm_tool.cli(ctx, npm, npm_releases) if npm else None)
    manifests = node_pack._manifest_files(ctx.tree)
    deps = {"node": version, "manager": pm.name, "pm_version": pm.version, "npm": npm,
            "manifests": ctx.tree.digest(manifests)}
    full = ctx.cache_dir("modules") / ctx.key(**deps)
    if not (full / "node_modules").is_dir():
        node_pack._install_full(ctx, manifests, full, pm_cmd, pm.name, pm.lockfile, env)
    else:
        ctx.reporter.step(f"  {pm.name}: dependencies unchanged (the cached install)")
    app = ctx.work / "build-src"
    ctx.copy_source(app, source)
    # A link, not the Node pack's hard-linked copy: the build only reads node_modules, and
    # copying then deleting thousands of entries cost more than the rest of a rebuild
    # (cp -al + rmtree: 1.2 s of 3.4 s of pack-it's own time for static-vite-react).
    (app / "node_modules").symlink_to(full / "node_modules", target_is_directory=True)
    ctx.reporter.step(f"  running the build script ({front.tool}, Node {version})")
    ctx.run([*pm_cmd, *tools.run_argv("build")], env={**env, "NODE_ENV": "production", "NEXT_TELEMETRY_DISABLED": "1",
                                               "ASTRO_TELEMETRY_DISABLED": "1", "GATSBY_TELEMETRY_DISABLED": "1"},
            cwd=app, what="the build script")
    return app
