"""The web process, first match wins: the framework's own server, scripts.start, package.json
main (for a Bun app, then module), then server.js, app.js, index.js (for a Bun app, then
server.ts, app.ts, index.ts). The file node (or bun) runs must be in the tree or come from
scripts.build; a static front-end with no server is refused. Bun runs TypeScript as it is."""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, replace

from pack_it.errors import UNSUPPORTED, detect_error
from pack_it.detectors.facts import Framework
from pack_it.detectors.node import frameworks, lifecycle, scripts
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.node.scripts import Command
from pack_it.detectors.source import SourceTree

PROCFILE = "Procfile"
FALLBACK_FILES = ("server.js", "app.js", "index.js")
BUN_FALLBACK_FILES = ("server.ts", "app.ts", "index.ts")
# Front-end toolchains that build to static files (dependency -> its usual name).
STATIC_TOOLS = {"vite": "Vite", "react-scripts": "Create React App", "@angular/core": "Angular",
                "@vue/cli-service": "Vue CLI", "parcel": "Parcel", "gatsby": "Gatsby"}
TYPESCRIPT = (".ts", ".mts", ".cts")
# node options whose value is the next word (so it is not the script to run).
VALUE_OPTIONS = {"-r", "--require", "--import", "--loader", "--experimental-loader", "-C",
                 "--conditions", "--env-file", "--title", "--inspect-port", "--stack-size",
                 "--preload", "--cwd", "--tsconfig-override", "--config"}  # the last four: bun's
NO_SCRIPT_OPTIONS = {"-e", "--eval", "-p", "--print", "-i", "--interactive", "--test"}
RESOLVED_SUFFIXES = ("", ".js", ".mjs", ".cjs", "/index.js", "/index.mjs", "/index.cjs")
BUN_RESOLVED_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".jsx", "/index.ts", "/index.tsx")


@dataclass(frozen=True)
class Start:
    command: Command
    target: str  # the file node (or bun) runs
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


def _in_tree(tree: SourceTree, target: str, bun: bool = False) -> bool:
    """Whether node would find `target` (as `node dist/main` finds dist/main.js) in the tree."""
    rel = posixpath.normpath(target)
    if rel == ".":  # `node .`: package.json main, else index.js
        return True
    suffixes = RESOLVED_SUFFIXES + (BUN_RESOLVED_SUFFIXES if bun else ())
    return any(tree.has_file(rel + suffix) for suffix in suffixes)


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


def find_command(tree: SourceTree, pkg: PackageJson, framework: Framework | None, bun: bool = False) -> Command:
    """The start command before the checks of choose(); `bun`: the app is known to run on Bun."""
    if procfile := _procfile_script(tree, pkg):
        return procfile
    command = frameworks.start(tree, pkg, framework)
    if command:
        return command
    if framework is None:
        _static_site(tree, pkg)
    if "start" in pkg.scripts:
        return scripts.parse(tree, pkg, "start")
    if pkg.main:
        return Command(("node", pkg.main), f"{PACKAGE_JSON} (main)")
    if bun and pkg.module:
        return Command(("bun", pkg.module), f"{PACKAGE_JSON} (module)", bun=True)
    files = FALLBACK_FILES + (BUN_FALLBACK_FILES if bun else ())
    for rel in files:
        if tree.has_file(rel):
            return Command(("node", rel), rel)
    raise detect_error(
        f"Nothing says how to start this {'Bun' if bun else 'Node.js'} app: no scripts.start or main in "
        f"{PACKAGE_JSON}, and no {', '.join(files)}.",
        'Add a start script such as "start": "node server.js", or a Procfile web line.',
        exit_code=UNSUPPORTED,
    )


def _procfile_script(tree: SourceTree, pkg: PackageJson) -> Command | None:
    """A Procfile `web: npm start` (`yarn start`, `pnpm start`, `npm run serve`): the script it
    names, run without npm. Its source is the Procfile, so the procfile pack's reading of the
    same line defers to this one."""
    if not tree.has_file(PROCFILE):
        return None
    for line in tree.read_text(PROCFILE).splitlines():
        ptype, _, text = line.partition(":")
        if ptype.strip() != "web":
            continue
        try:
            words = shlex.split(text)
        except ValueError:
            return None  # the procfile detector says what is wrong with the line
        other = scripts.run_target(words[0], words[1:]) if words else None
        if other is None or other not in pkg.scripts:
            return None
        return replace(scripts.parse(tree, pkg, other), source=PROCFILE)
    return None


def _warn_if_dev_only(command: Command, target: str, pkg: PackageJson) -> Command:
    """A start target inside a devDependency is gone once production installs prune it."""
    parts = target.removeprefix("./").split("/")
    package = "/".join(parts[1:3]) if parts[1].startswith("@") else parts[1]
    if pkg.dependency_field(package) != "devDependencies":
        return command
    return replace(command, warnings=command.warnings + (
        f"{command.source} runs {target} from {package}, which is only in devDependencies: a "
        "production install leaves it out. Move it to dependencies.",))


def on_bun(command: Command, because: str) -> Command:
    """The command as a Bun app runs it: `node x` becomes `bun x` (the image has no Node.js)."""
    if not command.argv or command.argv[0] != "node":
        return replace(command, bun=True)
    warnings = command.warnings
    if "(scripts." in command.source:
        warnings += (f"{command.source} runs node, but {because} makes this a Bun app and its image has "
                     f"no Node.js: it runs `bun {' '.join(command.argv[1:])}`.",)
    written = "bun ".join(command.written.rsplit("node ", 1)) if command.written else ""
    return replace(command, argv=("bun", *command.argv[1:]), warnings=warnings, bun=True, written=written)


def choose(tree: SourceTree, pkg: PackageJson, framework: Framework | None, bun: bool = False,
           start: Command | None = None) -> Start:
    """The checked start command (`start`, else find_command()); `bun`: Bun runs the app."""
    command = start or find_command(tree, pkg, framework, bun)
    if not command.argv:  # a script only a shell runs: the detect phase says so; nothing to check
        return Start(command, "", typescript=False)
    target = posixpath.normpath(posixpath.join(command.cwd, target_of(command.argv, command.source)))
    built = bool(lifecycle.steps(pkg.scripts))  # postinstall, heroku-postbuild... can make the target too
    if target.endswith(TYPESCRIPT) and not bun:  # bun runs TypeScript as it is: no build needed
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
    if _in_tree(tree, target, bun):  # for Bun: src/main may be src/main.ts, which it runs as it is
        typescript = target.endswith(TYPESCRIPT) or not _in_tree(tree, target)
        return Start(command, target, typescript=typescript)
    if not built:
        raise detect_error(
            f"{command.source} starts {target}, which is not in the source tree, and {PACKAGE_JSON} "
            "has no build script that could make it.",
            f"Fix the path, or add the build that writes {target} to scripts.build.",
            exit_code=UNSUPPORTED,
        )
    # The build makes the target; with a tsconfig.json, it compiles TypeScript into it.
    return Start(command, target, typescript=tree.has_file("tsconfig.json"))
