"""A package.json script as the command that runs it without npm, which the run image does not
have: `node server.js`, `bun server.ts`, leading VAR=value assignments, a bin from
node_modules/.bin, or `npm run <other>` (`bun run <other>`) followed to that script. Steps
joined by &&, `cd` and $VAR are kept for pack-it's launcher (lifecycle/launch); a script only a
shell understands (a pipe, `;`) is kept as written, and the detect phase gives it a shell."""

from __future__ import annotations

import re
import shlex
import posixpath
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pack_it.errors import UNSUPPORTED, PackItError, detect_error
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.source import SourceTree

if TYPE_CHECKING:  # imported where used: a no-op rebuild reads its plan from the cache, never parses
    from pack_it.lifecycle.launch import command as launch

ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
# What only a shell would do with the script; at each position the first token listed wins
# (&& before &, || before |).
SHELL_SYNTAX = (
    ("&&", "chains commands with &&"),
    ("||", "chains commands with ||"),
    (";", "runs several commands (;)"),
    ("|", "pipes one command into another (|)"),
    ("&", "runs a command in the background (&)"),
    ("$", "expands a variable ($...)"),
    ("`", "substitutes a command's output (`...`)"),
    (">", "redirects output (>)"),
    ("<", "redirects input (<)"),
    ("(", "uses a subshell ( ... )"),
    ("*", "uses a glob (*)"),
    ("\n", "spans several lines"),
)
# `npm run x` and the like: the words before a script's name.
RUNNERS = {"npm": ("run", "run-script"), "pnpm": ("run",), "yarn": ("run",)}  # bun: _bun()
TS_RUNNERS = ("ts-node", "ts-node-dev", "tsx", "babel-node", "esno", "vite-node")
# Dev servers and bundlers: they serve a static front-end while developing, not in production.
DEV_SERVERS = ("vite", "react-scripts", "ng", "vue-cli-service", "parcel", "webpack",
               "webpack-dev-server", "gatsby", "astro")
# Bins whose path inside their package is known, for trees without node_modules (the usual
# case): bin name -> (package, path), as each package's own package.json `bin` field says.
KNOWN_BINS = {
    "next": ("next", "dist/bin/next"),
    "nuxt": ("nuxt", "bin/nuxt.mjs"),
    "nuxi": ("nuxt", "bin/nuxt.mjs"),
    "remix-serve": ("@remix-run/serve", "dist/cli.js"),
    "react-router-serve": ("@react-router/serve", "bin.js"),
    "fastify": ("fastify-cli", "cli.js"),
    "nest": ("@nestjs/cli", "bin/nest.js"),
}
# Process managers that fork the app into the background and return: a container's process exits.
DAEMONIZERS = ("pm2", "forever")
DEFERRED_BIN = "node_modules/.bin/"  # a bin found only once the dependencies are installed
BIN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
SHELLS = ("sh", "bash", "dash")  # `sh start.sh`: a shell script of the app
MAX_DEPTH = 5  # `npm run a` -> `npm run b` -> ...
BUN_WATCHERS = ("--watch", "--hot")  # development: restart or reload on file changes


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    source: str  # e.g. "package.json (scripts.start)"
    env: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    bun: bool = False  # the script runs bun (`bun server.ts`, `bun run start`): a Bun app
    written: str = ""  # the command the launcher runs, when argv alone does not say it (steps, $VAR)
    cwd: str = ""  # where the last step runs, relative to the app (`cd backend && node index.js`)


def _refuse(script: str, text: str, why: str, hint: str = "") -> PackItError:
    return detect_error(
        f"{PACKAGE_JSON} scripts.{script} ({text!r:.80}) {why}.",
        hint or ("Make the script one command such as `node dist/server.js` (build steps belong in "
                 "scripts.build), or write the command in a Procfile: `web: node dist/server.js`."),
        exit_code=UNSUPPORTED,
    )


def _bin_from_tree(tree: SourceTree, pkg: PackageJson, name: str) -> tuple[str, str] | None:
    """(package, path) of bin `name` from a dependency's package.json under node_modules/."""
    for dep in [*pkg.dependencies, *pkg.dev_dependencies]:
        manifest = f"node_modules/{dep}/package.json"
        if not tree.has_file(manifest):
            continue
        data = tree.read_json(manifest)
        bins = data.get("bin") if isinstance(data, dict) else None
        if isinstance(bins, str):  # a lone bin is named after the package, without its scope
            bins = {dep.rsplit("/", 1)[-1]: bins}
        if isinstance(bins, dict) and isinstance(bins.get(name), str):
            return dep, bins[name].removeprefix("./")
    return None


def resolve_bin(tree: SourceTree, pkg: PackageJson, name: str) -> tuple[str, str] | None:
    """(package, path inside it) of node_modules/.bin/`name`, if a dependency provides it."""
    found = _bin_from_tree(tree, pkg, name)
    if found:
        return found
    known = KNOWN_BINS.get(name)
    if known and pkg.dependency_field(known[0]):
        return known
    return None


def run_target(command: str, args: list[str]) -> str | None:
    """The script that `npm start`, `npm run x`, `yarn x` or `pnpm x` runs."""
    if command not in RUNNERS:
        return None
    if args == ["start"]:
        return "start"
    if len(args) == 2 and args[0] in RUNNERS[command]:
        return args[1]
    if len(args) == 1 and command in ("yarn", "pnpm") and not args[0].startswith("-"):
        return args[0]
    return None


def shell_feature(text: str) -> str | None:
    """The first SHELL_SYNTAX token outside quotes ($ and ` also inside double quotes), or None."""
    quote = None
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and quote != "'":
            i += 2
            continue
        if quote and char == quote:
            quote = None
        elif quote is None and char in "'\"":
            quote = char
        elif quote != "'":
            for token, _ in SHELL_SYNTAX:
                if text.startswith(token, i) and (quote is None or token in "$`"):
                    return token
        i += 1
    return None


def _split(script: str, text: str) -> list[str]:
    token = shell_feature(text)
    if token is not None:
        why = dict(SHELL_SYNTAX)[token]
        raise _refuse(script, text, why + ", and the run image has no shell to interpret it")
    try:
        return shlex.split(text)
    except ValueError as e:
        raise detect_error(f"{PACKAGE_JSON} scripts.{script} cannot be split into words: {e}.",
                           "Balance the quotes in that script.")


def _is_script(tree: SourceTree, program: str) -> bool:
    """`./start.sh`, `bin/run`: a file of the app with a #! line."""
    rel = posixpath.normpath(program)
    return "/" in program and tree.has_file(rel) and tree.read_bytes(rel)[:2] == b"#!"


def _nodemon(script: str, text: str, args: list[str]) -> tuple[tuple[str, ...], str]:
    if len(args) != 1 or args[0].startswith("-"):
        raise _refuse(script, text, "runs nodemon, a file watcher for development",
                      "Start the app with node itself, e.g. `node server.js`.")
    return ("node", args[0]), (f"scripts.{script} runs nodemon, a file watcher for development; "
                               f"the container runs `node {args[0]}` instead.")


def _follow(tree: SourceTree, pkg: PackageJson, script: str, text: str, other: str, env: dict[str, str],
            depth: int, bun: bool) -> Command:
    """scripts.`other`, which scripts.`script` runs (`npm run other`, `bun run other`)."""
    if other not in pkg.scripts:
        raise _refuse(script, text, f"runs scripts.{other}, which package.json does not define")
    if depth >= MAX_DEPTH:
        raise _refuse(script, text, f"runs other scripts more than {MAX_DEPTH} deep (a loop?)")
    inner = parse(tree, pkg, other, depth + 1)
    return Command(inner.argv, f"{inner.source[:-1]} via scripts.{script})", {**env, **inner.env},
                   inner.warnings, bun=bun or inner.bun, written=inner.written, cwd=inner.cwd)


def _bun(tree: SourceTree, pkg: PackageJson, script: str, text: str, args: list[str], env: dict[str, str],
         depth: int) -> Command:
    """`bun file`, `bun run file` (a TypeScript file too: bun runs it as it is), or `bun run x`
    and `bun x` for a script x, as bun itself chooses: a script of that name first."""
    rest = [word for word in args if word != "--bun"]  # bun is the runtime already
    rest = rest[1:] if rest[:1] == ["run"] else rest
    if len(rest) == 1 and rest[0] in pkg.scripts:
        return _follow(tree, pkg, script, text, rest[0], env, depth, bun=True)
    watchers = [word for word in rest if word in BUN_WATCHERS]
    rest = [word for word in rest if word not in BUN_WATCHERS]
    if not rest:
        raise _refuse(script, text, "runs bun without a file to run",
                      "Name the entry point, e.g. `bun server.ts`.")
    warnings: tuple[str, ...] = ()
    if watchers:
        warnings = (f"scripts.{script} runs bun {watchers[0]}, which restarts on file changes while "
                    f"developing; the container runs `bun {' '.join(rest)}` instead.",)
    return Command(("bun", *rest), f"{PACKAGE_JSON} (scripts.{script})", env, warnings, bun=True)


def _word(word: launch.Word) -> str:
    from pack_it.lifecycle.launch import command as launch

    text = launch.literal(word)
    return launch.shown(word) if text is None else text


def _text(step: launch.Step) -> str:
    from pack_it.lifecycle.launch import command as launch

    return " ".join([*(f"{name}={launch.shown(value)}" for name, value in step.assigns),
                     *(launch.shown(w) for w in step.argv)])


def parse(tree: SourceTree, pkg: PackageJson, script: str, depth: int = 0) -> Command:
    """The command scripts.`script` runs; `npm run other` follows scripts.other."""
    from pack_it.lifecycle.launch import command as launch

    text = pkg.scripts[script].strip()
    try:
        steps = launch.parse(text)
    except launch.NeedsShell:
        if text.count("'") % 2 or text.count('"') % 2:
            _split(script, text)  # unbalanced quotes: a broken script, not one for a shell
        if all(ASSIGNMENT.match(word) for word in text.split()):
            raise _refuse(script, text, "runs no command")
        return Command((), f"{PACKAGE_JSON} (scripts.{script})", written=text)
    if len(steps) == 1 and all(launch.literal(w) is not None for w in steps[0].argv) and \
            all(launch.literal(v) is not None for _, v in steps[0].assigns):
        words = [f"{name}={launch.literal(value)}" for name, value in steps[0].assigns]
        return _single(tree, pkg, script, text, words + [_word(w) for w in steps[0].argv], depth)
    return _launched(tree, pkg, script, text, steps, depth)


def _launched(tree: SourceTree, pkg: PackageJson, script: str, text: str, steps: tuple[launch.Step, ...],
              depth: int) -> Command:
    """A script with steps or expansions: earlier `npm run x` steps followed, `npm run build`
    dropped (the image build ran it), the last step read as a single command."""
    from pack_it.lifecycle.launch import command as launch

    cwd, parts, warnings = "", list[str](), list[str]()
    for step in steps[:-1]:
        words = [launch.literal(w) for w in step.argv]
        if step.is_cd and words[1] is not None:
            cwd = posixpath.normpath(posixpath.join(cwd, words[1]))
        other = run_target(words[0] or "", [w or "" for w in words[1:]]) if None not in words else None
        if other == "build" and "build" in pkg.scripts and not step.assigns:
            warnings.append(f"scripts.{script} runs scripts.build before starting; the image build already ran it, "
                            "so the container does not.")
            continue
        if other is not None and not step.assigns:
            inner = _follow(tree, pkg, script, text, other, {}, depth, bun=False)
            parts.append(inner.written or " ".join(inner.argv))
            continue
        parts.append(_text(step))
    last = steps[-1]
    shown = {launch.shown(w) for w in last.argv if launch.literal(w) is None}
    inner = _single(tree, pkg, script, text, [_word(w) for w in last.argv], depth)
    argv = [w if w in shown else launch.shown((launch.Segment(w),)) for w in inner.argv]
    assigns = [f"{name}={launch.shown(value)}" for name, value in last.assigns]
    written = " && ".join(parts + [" ".join(assigns + argv)])
    return replace(inner, written=written, cwd=cwd, warnings=inner.warnings + tuple(warnings),
                   source=f"{PACKAGE_JSON} (scripts.{script})" if inner.source.endswith(f"(scripts.{script})")
                   else inner.source)


def _single(tree: SourceTree, pkg: PackageJson, script: str, text: str, words: list[str], depth: int) -> Command:
    """One command (no steps), as words."""
    source = f"{PACKAGE_JSON} (scripts.{script})"
    env: dict[str, str] = {}
    while words and (words[0] == "cross-env" or ASSIGNMENT.match(words[0])):
        if words[0] != "cross-env":
            match = ASSIGNMENT.match(words[0])
            assert match is not None  # the loop's condition matched it
            name, value = match.groups()
            env[name] = value
        words = words[1:]
    if not words:
        raise _refuse(script, text, "runs no command")
    if words[0] in SHELLS or _is_script(tree, words[0]):  # a shell script: the detect phase adds a shell
        return Command(tuple(words), source, env)
    if words[0] == "npx":  # runs the dependency's bin, as a bare name does
        words = words[1:] or words
    command, args = words[0].removeprefix("./").removeprefix("node_modules/.bin/"), words[1:]

    if command == "bun":
        return _bun(tree, pkg, script, text, args, env, depth)
    other = run_target(command, args)
    if other is not None:
        return _follow(tree, pkg, script, text, other, env, depth, bun=False)
    if command == "node":
        return Command(("node", *args), source, env)
    if command == "deno":
        raise _refuse(script, text, "runs the app with deno, and pack-it runs JavaScript apps with node or bun",
                      "Start the app with `node <file>` or `bun <file>`.")
    if command in TS_RUNNERS:
        raise _refuse(script, text, f"runs {command}, which compiles TypeScript when the app starts",
                      "Compile in scripts.build (e.g. `tsc`) and start the output: `node dist/index.js`.")
    if command == "nodemon":
        argv, warning = _nodemon(script, text, args)
        return Command(argv, source, env, (warning,))
    if command in DEV_SERVERS:
        raise _refuse(script, text, f"runs {command}, a development server or bundler, not a production server",
                      "Serve the built files from a small Node server (e.g. express) started by "
                      "`node server.js`; pack-it has no static-site pack yet.")
    found = resolve_bin(tree, pkg, command)
    if found is None and pkg.dependencies and BIN_NAME.fullmatch(command) and command not in (*DAEMONIZERS, *KNOWN_BINS):
        # Not known here (no node_modules in the tree): the install links every dependency's
        # package.json `bin` into node_modules/.bin, and the build checks that this one is there.
        return Command(("node", f"{DEFERRED_BIN}{command}", *args), source, env, (
            f"{source} runs `{command}`, a bin of one of the dependencies: its package.json `bin` is "
            f"resolved at build time (node_modules/.bin/{command}).",))
    if found is None:
        raise _refuse(
            script, text,
            f"runs `{command}`, which is not node and not a bin of a dependency pack-it can locate "
            f"(it knows {', '.join(sorted(KNOWN_BINS))})",
            "Start the app with node directly, e.g. `node server.js`, or write a Procfile web line.",
        )
    package, path = found
    return Command(("node", f"node_modules/{package}/{path}", *args), source, env)
