"""The web process, first match wins: the framework's own server, scripts.start, package.json
main, then server.js, app.js, index.js. The file node runs must be in the tree or come from
scripts.build; a static front-end with no server is refused."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from pack_it.errors import UNSUPPORTED, detect_error
from pack_it.detectors.facts import Framework
from pack_it.detectors.node import frameworks, scripts
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.node.scripts import Command
from pack_it.detectors.source import SourceTree

FALLBACK_FILES = ("server.js", "app.js", "index.js")
# Front-end toolchains that build to static files (dependency -> its usual name).
STATIC_TOOLS = {"vite": "Vite", "react-scripts": "Create React App", "@angular/core": "Angular",
                "@vue/cli-service": "Vue CLI", "parcel": "Parcel", "gatsby": "Gatsby"}
TYPESCRIPT = (".ts", ".mts", ".cts")
# node options whose value is the next word (so it is not the script to run).
VALUE_OPTIONS = {"-r", "--require", "--import", "--loader", "--experimental-loader", "-C",
                 "--conditions", "--env-file", "--title", "--inspect-port", "--stack-size"}
NO_SCRIPT_OPTIONS = {"-e", "--eval", "-p", "--print", "-i", "--interactive", "--test"}
RESOLVED_SUFFIXES = ("", ".js", ".mjs", ".cjs", "/index.js", "/index.mjs", "/index.cjs")


@dataclass(frozen=True)
class Start:
    command: Command
    target: str  # the file node runs
    typescript: bool  # the target is .ts, or TypeScript that scripts.build compiles into it


def target_of(argv: tuple[str, ...], source: str) -> str:
    """The script file in a `node [options] file [args]` argv."""
    words = iter(argv[1:])
    for word in words:
        if word in NO_SCRIPT_OPTIONS:
            break
        if word in VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    raise detect_error(
        f"{source} runs `{' '.join(argv)}`, which names no script file for node to run.",
        "Start the app with `node <file>`, e.g. `node server.js`.",
        exit_code=UNSUPPORTED,
    )


def _in_tree(tree: SourceTree, target: str) -> bool:
    """Whether node would find `target` (as `node dist/main` finds dist/main.js) in the tree."""
    rel = posixpath.normpath(target)
    if rel == ".":  # `node .`: package.json main, else index.js
        return True
    return any(tree.has_file(rel + suffix) for suffix in RESOLVED_SUFFIXES)


def _static_site(tree: SourceTree, pkg: PackageJson) -> None:
    """Refuses a front-end that builds to static files and has no server to run."""
    tools = [name for dep, name in STATIC_TOOLS.items() if pkg.dependency_field(dep)]
    if not tools or pkg.main or any(tree.has_file(f) for f in FALLBACK_FILES):
        return
    words = pkg.scripts.get("start", "").split()
    if words and words[0] not in scripts.DEV_SERVERS:
        return
    raise detect_error(
        f"This is a static single-page app ({', '.join(tools)}) with no server: no start script "
        f"that runs one, no main in {PACKAGE_JSON}, no {', '.join(FALLBACK_FILES)}. pack-it has no "
        "static-site pack yet.",
        "To serve it with Node, add a small server (e.g. express serving the built folder) and "
        'a start script such as "start": "node server.js".',
        exit_code=UNSUPPORTED,
    )


def _command(tree: SourceTree, pkg: PackageJson, framework: Framework | None) -> Command:
    command = frameworks.start(tree, pkg, framework)
    if command:
        return command
    if framework is None:
        _static_site(tree, pkg)
    if "start" in pkg.scripts:
        return scripts.parse(tree, pkg, "start")
    if pkg.main:
        return Command(("node", pkg.main), f"{PACKAGE_JSON} (main)")
    for rel in FALLBACK_FILES:
        if tree.has_file(rel):
            return Command(("node", rel), rel)
    raise detect_error(
        f"Nothing says how to start this Node.js app: no scripts.start or main in {PACKAGE_JSON}, "
        f"and no {', '.join(FALLBACK_FILES)}.",
        'Add a start script such as "start": "node server.js", or a Procfile web line.',
        exit_code=UNSUPPORTED,
    )


def _warn_if_dev_only(command: Command, target: str, pkg: PackageJson) -> Command:
    """A start target inside a devDependency is gone once production installs prune it."""
    parts = target.removeprefix("./").split("/")
    package = "/".join(parts[1:3]) if parts[1].startswith("@") else parts[1]
    if pkg.dependency_field(package) != "devDependencies":
        return command
    return replace(command, warnings=command.warnings + (
        f"{command.source} runs {target} from {package}, which is only in devDependencies: a "
        "production install leaves it out. Move it to dependencies.",))


def choose(tree: SourceTree, pkg: PackageJson, framework: Framework | None) -> Start:
    command = _command(tree, pkg, framework)
    target = target_of(command.argv, command.source)
    built = "build" in pkg.scripts
    if target.endswith(TYPESCRIPT):
        if not built:
            raise detect_error(
                f"{command.source} starts {target}, a TypeScript file, and {PACKAGE_JSON} has no build "
                "script: the run image runs JavaScript that a build compiled.",
                'Add "build": "tsc" to scripts and start the compiled file, e.g. `node dist/index.js`.',
                exit_code=UNSUPPORTED,
            )
        command = replace(command, warnings=command.warnings + (
            f"{command.source} starts {target}, a TypeScript file: node runs it only by stripping "
            "types (Node.js 22.18 and later); starting the JavaScript that scripts.build compiles "
            "is safer.",))
        return Start(command, target, typescript=True)
    if target.startswith(("node_modules/", "./node_modules/")):
        return Start(_warn_if_dev_only(command, target, pkg), target, typescript=False)
    if _in_tree(tree, target):
        return Start(command, target, typescript=False)
    if not built:
        raise detect_error(
            f"{command.source} starts {target}, which is not in the source tree, and {PACKAGE_JSON} "
            "has no build script that could make it.",
            f"Fix the path, or add the build that writes {target} to scripts.build.",
            exit_code=UNSUPPORTED,
        )
    # The build makes the target; with a tsconfig.json, it compiles TypeScript into it.
    return Start(command, target, typescript=tree.has_file("tsconfig.json"))
