"""Node.js (and Bun): package.json, the package manager, the runtime (Node.js or Bun) and its
exact version, the framework and the command that starts the web process without npm or a shell.

    package_json.py     the fields read, type-checked
    package_manager.py  packageManager (Corepack), else the lockfile, else npm
    npm.py              the npm that runs under that Node: its bundled line, newest release accepting it
    version.py          version files and engines.node -> the newest matching release
    listen.py           HOST=0.0.0.0 (HOSTNAME for Next.js): servers listen on every interface
    bun.py              whether Bun runs the app; packageManager and engines.bun -> its release
    frameworks.py       frameworks by dependency; the start command of those that build a server
    bare.py             a server.js (app.js, index.js) with no package.json, built-in modules only
    scripts.py          a package.json script as an argv (bins, VAR=value, npm run x)
    lifecycle.py        the scripts a build runs: the root's install hooks, then the build script
    start.py            the order of the start rules; target, TypeScript and static-site checks
    facts.py            NodeFacts: what the Node pack builds from
"""

from __future__ import annotations

from typing import Callable, Mapping

from pack_it.detectors.facts import Detection, Process, RunImageChoice
from pack_it.detectors.node import bare, bun, frameworks, lifecycle, listen, npm, package_json, package_manager, start, version
from pack_it.detectors.node.facts import ManagerFacts, NodeFacts, Scripts
from pack_it.detectors.source import SourceTree


def detect(tree: SourceTree, env: dict[str, str] | None, node_versions: Callable[[], list[str]],
           bun_versions: Callable[[], list[str]] = list,
           npm_releases: Callable[[], Mapping[str, Mapping[str, str]]] = dict) -> Detection | None:
    """The app's Node facts, or None without a package.json. `node_versions` (`bun_versions`)
    returns the exact Node.js (Bun) versions available (e.g. "22.12.0"); it is called only once
    the rest of the app is known to be buildable. `env` (the build's --env) sets nothing here yet."""
    pkg = package_json.load(tree)
    if pkg is None:
        entry = bare.entry(tree)
        return None if entry is None else _bare(tree, entry, node_versions)
    manager = package_manager.choose(tree, pkg)
    framework = frameworks.find(pkg)
    node_pinned = version.pinned(tree, pkg)
    because = bun.evidence(pkg, manager, node_pinned)
    command = start.find_command(tree, pkg, framework, bun=because is not None)
    if because is None and command.bun:
        because = command.source
    notes = []
    node_range = bun_range = None
    if because is not None:  # a Bun app
        manager = bun.package_manager_for(manager, because)
        chosen = start.choose(tree, pkg, framework, bun=True, start=start.on_bun(command, because))
        runtime, bun_range = bun.resolve(pkg, manager, because, bun_versions)
        if node_pinned:
            notes.append(f"{node_pinned} asks for Node.js, which is not used: {because} makes this a Bun app.")
    else:
        if bun.installs_with_bun(manager) and node_pinned:
            notes.append(bun.stays_on_node(manager, node_pinned))
        chosen = start.choose(tree, pkg, framework, start=command)
        runtime, node_range = version.resolve(tree, pkg, node_versions)

    command = chosen.command
    # npm installs an npm app, and installs pnpm and yarn; bun installs itself
    releases = npm_releases() if because is None and manager.manager.name != "bun" else {}
    npm_choice = npm.choose(runtime.version, releases) if releases else None
    if npm_choice is not None and npm_choice.version is None:
        notes.append(f"{npm_choice.reason}: the build cannot install with a matching npm.")
    if manager.manager.name == "yarn-berry" and (linker := package_manager.berry_linker_warning(tree)):
        notes.append(linker)
    warnings = [*manager.warnings, *command.warnings, *notes]
    if command.source.startswith(f"{package_json.PACKAGE_JSON} (scripts."):
        warnings += [f"scripts.{hook} is not run: the container starts the command directly, without npm."
                     for hook in ("prestart", "poststart") if hook in pkg.scripts]
    host_env, host_reason = listen.launch_env(framework.name if framework else None, dict(command.env))
    facts = NodeFacts(
        name=pkg.name,
        package_manager=ManagerFacts(manager.manager.name, manager.version, manager.lockfile),
        node_range=node_range,
        engines_node=pkg.engines_node,
        scripts=Scripts(pkg.scripts.get("build"), pkg.scripts.get("start"), lifecycle.steps(pkg.scripts)),
        workspaces=pkg.workspaces,
        dependencies=tuple(sorted(pkg.dependencies)),
        framework=framework.name if framework else None,
        typescript=chosen.typescript,
        env=dict(command.env),
        next_standalone=command.argv[1:2] == (".next/standalone/server.js",) if framework and framework.name == "next"
        else None,
        bun_range=bun_range,
        npm=npm_choice.version if npm_choice else None,
        npm_reason=npm_choice.reason if npm_choice else None,
        launch_env=host_env,
        launch_env_reason=host_reason,
    )
    return Detection(
        language="node",
        runtime=runtime,
        package_manager=manager.manager,
        framework=framework,
        run_image=RunImageChoice("node", runtime.source),
        processes=(Process("web", command.argv, command.source, default=True, written=command.written),),
        warnings=tuple(warnings),
        facts=facts,
    )


def _bare(tree: SourceTree, entry: str, node_versions: Callable[[], list[str]]) -> Detection:
    """A server.js with no package.json: Node's built-in modules only, nothing to install."""
    bare.check(tree, entry)
    pkg = package_json.PackageJson()
    runtime, node_range = version.resolve(tree, pkg, node_versions)
    source = f"{entry} (no package.json)"
    host_env, host_reason = listen.launch_env(None, {})
    facts = NodeFacts(name=None, package_manager=ManagerFacts("npm", None, None), node_range=node_range,
                      engines_node=None, scripts=Scripts(None, None), workspaces=False, dependencies=(),
                      framework=None, typescript=False, package_json=False, launch_env=host_env,
                      launch_env_reason=host_reason)
    return Detection(
        language="node",
        runtime=runtime,
        package_manager=None,
        framework=None,
        run_image=RunImageChoice("node", runtime.source),
        processes=(Process("web", ("node", entry), source, default=True),),
        warnings=(f"No package.json: {entry} runs with Node.js's built-in modules only, and nothing is installed.",),
        facts=facts,
    )
