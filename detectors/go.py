"""Go: go.mod (module path, `go` and `toolchain` directives, requirements), a go.work
workspace (the member module that has a main package), or a lone `package main` at the root
with no go.mod at all (built as module `main`); the main package to build, whether the code
needs cgo, and a Procfile's `go run` lines (the image has no Go: the built binary runs instead)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pack_it.errors import AMBIGUOUS, UNSUPPORTED, detect_error
from pack_it.detectors.facts import Facts, Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.procfile import LINE as PROCFILE_LINE, PROCFILE
from pack_it.detectors.source import SourceTree

GO_MOD = "go.mod"
GO_WORK = "go.work"
NO_MOD_MODULE = "main"  # what a go.mod-less main.go is built as (`go mod init main` in the copy)
MAIN_ENV = "PACK_IT_GO_MAIN"  # e.g. ./cmd/server: which main package to build
VERSION = re.compile(r"^1(\.\d{1,9}){1,2}((rc|beta)\d{1,9})?$")  # no number past int()'s 4300 digits
PACKAGE_CLAUSE = re.compile(r"^package\s+(\w+)", re.MULTILINE)
IMPORT_LINE = re.compile(r'^import\s+(?:\w+\s+)?"C"', re.MULTILINE)
IMPORT_BLOCK = re.compile(r"^import\s*\(([^)]*)\)", re.MULTILINE)

BLOCK_DIRECTIVES = ("require", "replace", "exclude", "retract", "godebug", "tool", "ignore")
# What `go build` targets here: GOOS=linux GOARCH=amd64 CGO_ENABLED=0, the gc compiler.
TARGET_TAGS = {"linux", "amd64", "unix", "gc"}
KNOWN_OS = {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
            "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"}
KNOWN_ARCH = {"386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le",
              "ppc64", "ppc64le", "riscv64", "s390x", "wasm"}
BUILD_LINE = re.compile(r"^//go:build\s+(.+)$", re.MULTILINE)
CONSTRAINT_TOKEN = re.compile(r"\s*(&&|\|\||!|\(|\)|[\w.]+)")

# Web frameworks by exact module path: a module merely named like one is not one.
FRAMEWORKS = {
    "github.com/gin-gonic/gin": "gin",
    "github.com/labstack/echo/v4": "echo",
    "github.com/gofiber/fiber/v2": "fiber",
    "github.com/go-chi/chi/v5": "chi",
    "github.com/gorilla/mux": "gorilla/mux",
}
# Modules whose packages do nothing useful without cgo (their CGO_ENABLED=0 build is a stub
# that fails at run time): requiring one makes the app a cgo app, though its own code never
# imports "C". Their C code is in the module cache, not the tree, so go.mod is the evidence.
CGO_MODULES = (
    "github.com/mattn/go-sqlite3",
    "github.com/confluentinc/confluent-kafka-go",
    "github.com/confluentinc/confluent-kafka-go/v2",
    "gopkg.in/gographics/imagick.v3",
    "github.com/go-gl/glfw/v3.3",
)



@dataclass(frozen=True)
class GoFacts(Facts):
    """What the Go pack builds from."""

    module: str  # go.mod's module path
    main: str  # the main package's directory, as `go build` takes it (".", "./cmd/api")
    main_reason: str  # why that one
    binary: str  # the binary's name: the main package's directory, or the module's last element
    vendored: bool  # vendor/modules.txt is there: build with -mod=vendor
    cgo: bool  # a source file imports "C"
    # Defaults keep plans written before these fields readable.
    go_mod: str = GO_MOD  # the go.mod the module comes from ("" when there is none: the build writes one)
    workspace: str = ""  # "go.work" when the app is a workspace (the build uses it, GOWORK)
    main_files: tuple[str, ...] = ()  # a Procfile's `go run main.go`: build those files, not the package
    go_version: str = "any"  # what go.mod (or go.work) asks for: "1.22" (a minimum), "1.22.5" (exact), "any"
    go_version_exact: bool = False  # a patch or toolchain pin: that release, not a newer one
    go_version_source: str = "default"  # the file and line that asked for it
    toolchain: str | None = None  # the release from the versions index the build fetches when the host's go will not do
    toolchain_reason: str = ""  # why that one, and when the host's go is used instead

@dataclass(frozen=True)
class GoMod:
    module: str
    go: str | None = None
    toolchain: str | None = None
    requires: tuple[str, ...] = field(default=())
    go_line: int = field(default=0, compare=False)  # where the `go` and `toolchain` directives are (0: absent)
    toolchain_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class GoWork:
    uses: tuple[tuple[str, int], ...]  # (member directory, go.work line)
    go: str | None = None
    toolchain: str | None = None
    go_line: int = 0
    toolchain_line: int = 0


WORK_BLOCKS = ("use", "replace", "godebug")


def parse_go_work(text: str) -> GoWork:
    """go.work: `go`, `toolchain`, `use` (single or block), `replace`, `godebug`."""
    go = toolchain = None
    go_line = toolchain_line = 0
    uses: list[tuple[str, int]] = []
    block = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = None
            elif block == "use":
                uses.append((_use_dir(line, number), number))
            continue
        words = line.split()
        verb = words[0]
        if len(words) == 2 and words[1] == "(" and verb in WORK_BLOCKS:
            block = verb
        elif verb == "go" and len(words) == 2:
            if not VERSION.match(words[1]):
                raise detect_error(f"go.work line {number}: {words[1]!r:.80} is not a Go version.",
                                   "Write it as `go 1.22` or `go 1.22.3`.")
            go, go_line = words[1], number
        elif verb == "toolchain" and len(words) == 2:
            toolchain, toolchain_line = words[1].removeprefix("go"), number
        elif verb == "use" and len(words) == 2:
            uses.append((_use_dir(words[1], number), number))
        elif verb not in WORK_BLOCKS:
            raise detect_error(f"go.work line {number} is not a go.work directive: {raw.strip()!r:.80}.",
                               "Fix go.work (`go work use` rewrites it).")
    if block:
        raise detect_error(f"go.work has a `{block} (` block that is never closed.", "Add the closing parenthesis.")
    if not uses:
        raise detect_error("go.work has no `use` directive: the workspace has no module.",
                           "Add `use ./<module dir>` (`go work use` writes it).")
    return GoWork(tuple(uses), go, toolchain, go_line, toolchain_line)


def _use_dir(word: str, number: int) -> str:
    path = PurePosixPath(word.strip('"'))
    if path.is_absolute() or ".." in path.parts:
        raise detect_error(f"go.work line {number} uses {word!r:.80}, a directory outside the app.",
                           "pack-it builds what is inside the app's directory; move the module in.",
                           exit_code=UNSUPPORTED)
    return str(path)


def parse_go_mod(text: str) -> GoMod:
    module = go = toolchain = None
    go_line = toolchain_line = 0
    requires: list[str] = []
    block = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = None
            elif block == "require":
                requires.append(line.split()[0].strip('"'))
            continue
        words = line.split()
        verb = words[0]
        if len(words) == 2 and words[1] == "(":
            if verb not in BLOCK_DIRECTIVES:
                raise detect_error(f"go.mod line {number}: {verb!r:.80} is not a go.mod block directive.",
                                   "Fix go.mod (`go mod tidy` rewrites it).")
            block = verb
            continue
        if verb == "module" and len(words) == 2:
            module = words[1].strip('"')
        elif verb == "go" and len(words) == 2:
            if not VERSION.match(words[1]):
                raise detect_error(f"go.mod line {number}: {words[1]!r:.80} is not a Go version.",
                                   "Write it as `go 1.22` or `go 1.22.3`.")
            go, go_line = words[1], number
        elif verb == "toolchain" and len(words) == 2:
            toolchain, toolchain_line = words[1].removeprefix("go"), number
        elif verb == "require" and len(words) >= 3:
            requires.append(words[1].strip('"'))
        elif verb not in BLOCK_DIRECTIVES:
            raise detect_error(f"go.mod line {number} is not a go.mod directive: {raw.strip()!r:.80}.",
                               "Fix go.mod (`go mod tidy` rewrites it).")
    if block:
        raise detect_error(f"go.mod has a `{block} (` block that is never closed.",
                           "Add the closing parenthesis.")
    if not module:
        raise detect_error("go.mod has no `module` directive.",
                           "Add `module <path>` as its first line (`go mod init` writes it).")
    return GoMod(module=module, go=go, toolchain=toolchain, requires=tuple(requires),
                 go_line=go_line, toolchain_line=toolchain_line)


def _go_sources(tree: SourceTree, root: str = ".") -> dict[str, list[str]]:
    """Non-test .go files of the module at `root` by package directory (relative to the tree),
    skipping what `go build ./...` skips: vendor, testdata, _ and . directories, nested modules,
    files excluded for linux/amd64."""
    base = PurePosixPath(root)
    nested = {str(PurePosixPath(f).parent) for f in tree.files() if PurePosixPath(f).name == GO_MOD} - {root}
    by_dir: dict[str, list[str]] = {}
    for rel in tree.files():
        path = PurePosixPath(rel)
        if path.suffix != ".go" or path.name.endswith("_test.go"):
            continue
        if root != "." and base not in path.parents:
            continue
        inner = path.relative_to(base) if root != "." else path
        if any(p in ("vendor", "testdata") or p[0] in "._" for p in inner.parts[:-1]):
            continue
        if any(str(parent) in nested for parent in path.parents):
            continue
        if not _builds_for_target(path.name, tree.read_text(rel)):
            continue
        by_dir.setdefault(str(path.parent), []).append(rel)
    return by_dir


def module_name(module: str) -> str:
    """What `go build` names a module's binary: the last path element, skipping a /vN suffix."""
    parts = module.split("/")
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        return parts[-2]
    return parts[-1]


def uses_cgo(source: str) -> bool:
    if IMPORT_LINE.search(source):
        return True
    return any(re.search(r'^\s*"C"\s*(//.*)?$', block, re.MULTILINE) for block in IMPORT_BLOCK.findall(source))


def _constraint_holds(expression: str) -> bool:
    """Evaluates a //go:build expression for the target (linux/amd64, no cgo)."""
    words = []
    for token in CONSTRAINT_TOKEN.findall(expression):
        if token in ("&&", "||", "!", "(", ")"):
            words.append({"&&": "and", "||": "or", "!": "not"}.get(token, token))
        elif token in TARGET_TAGS or re.fullmatch(r"go1\.\d+", token):
            words.append("True")
        else:
            words.append("False")
    try:
        return bool(eval(" ".join(words), {"__builtins__": {}}))  # only and/or/not/True/False
    except SyntaxError:
        return True  # let `go build` report a malformed constraint


def _builds_for_target(name: str, source: str) -> bool:
    """False for files `go build` skips on linux/amd64: _os/_arch name suffixes, constraints."""
    parts = name.removesuffix(".go").split("_")[1:]
    if parts and parts[-1] in KNOWN_ARCH and parts[-1] != "amd64":
        return False
    if parts and parts[-1] in KNOWN_ARCH:
        parts = parts[:-1]
    if parts and parts[-1] in KNOWN_OS and parts[-1] != "linux":
        return False
    header = source.split("\npackage ", 1)[0]
    match = BUILD_LINE.search(header)
    return match is None or _constraint_holds(match.group(1))


def _package_name(tree: SourceTree, files: list[str]) -> str | None:
    for rel in files:
        match = PACKAGE_CLAUSE.search(tree.read_text(rel))
        if match:
            return match.group(1)
    return None


def _mains(tree: SourceTree, sources: dict[str, list[str]]) -> list[str]:
    return sorted(d for d, files in sources.items() if _package_name(tree, files) == "main")


def _rel(path: str) -> str:
    return "./" + path if path != "." else "."


def _choose_main(tree: SourceTree, module: str, mains: list[str], env: dict[str, str],
                 root: str = ".", what: str = "this module") -> tuple[str, str]:
    """The main package's directory (relative to the tree) and what decided it; `root` is the
    module's directory, whose name rules are relative to it."""
    if MAIN_ENV in env:
        wanted = str(PurePosixPath(env[MAIN_ENV].removeprefix("./") or "."))
        if wanted not in mains:
            raise detect_error(
                f"{MAIN_ENV}={env[MAIN_ENV]} is not a main package of {what}.",
                "Main packages found: " + (", ".join(_rel(m) for m in mains) or "none") + ".",
                exit_code=AMBIGUOUS,
            )
        return wanted, f"--env {MAIN_ENV}"
    if root in mains:
        return root, f"{GO_MOD} directory has package main" if root == "." else f"{root}/{GO_MOD} directory has package main"
    if len(mains) == 1:
        return mains[0], f"only main package ({mains[0]})"
    named = [m for m in mains if PurePosixPath(m).name == module_name(module)]
    if len(named) == 1:
        return named[0], f"named after the module {module}"
    raise detect_error(
        "This module has several main packages: " + ", ".join(_rel(m) for m in mains) + ".",
        f"Choose one with `--env {MAIN_ENV}={_rel(mains[0])}`.",
        exit_code=AMBIGUOUS,
    )


@dataclass(frozen=True)
class _App:
    """What the three layouts (module, workspace, lone main.go) have in common."""

    module: str
    root: str  # the module's directory
    mains: list[str]
    main: str
    why: str
    sources: dict[str, list[str]]  # every package the build may compile (for cgo)
    requires: tuple[str, ...]
    go: str | None
    go_exact: bool
    go_source: str  # file and line
    runtime_source: str  # the plan's runtime.source, as before: go.mod / go.mod (toolchain)
    go_mod: str
    workspace: str
    warnings: tuple[str, ...] = ()


def _version(file: str, go: str | None, go_line: int, toolchain: str | None, toolchain_line: int
             ) -> tuple[str | None, bool, str, str]:
    """(version, exact, evidence, runtime source): the toolchain line pins a release; the go
    line is a minimum, exact when it names a patch (1.22.5) or a pre-release (1.23rc1)."""
    if toolchain:
        return toolchain, True, f"{file} line {toolchain_line} (toolchain go{toolchain})", f"{file} (toolchain)"
    if go:
        exact = go.count(".") == 2 or not re.fullmatch(r"1\.\d+", go)
        return go, exact, f"{file} line {go_line} (go {go})", file
    return None, False, "default", "default"


def _module_app(tree: SourceTree, env: dict[str, str]) -> _App:
    mod = parse_go_mod(tree.read_text(GO_MOD))
    sources = _go_sources(tree)
    mains = _mains(tree, sources)
    if not mains:
        raise detect_error(
            "go.mod is here but no directory holds a `package main`.",
            "Add a main package at the root or under cmd/<name>/.",
            exit_code=UNSUPPORTED,
        )
    main, why = _choose_main(tree, mod.module, mains, env)
    go, exact, evidence, runtime_source = _version(GO_MOD, mod.go, mod.go_line, mod.toolchain, mod.toolchain_line)
    return _App(mod.module, ".", mains, main, why, sources, mod.requires, go, exact, evidence, runtime_source,
                GO_MOD, "")


def _workspace_app(tree: SourceTree, env: dict[str, str]) -> _App:
    """go.work: the member module that has a main package (PACK_IT_GO_MAIN chooses among all
    of them); go.work's go and toolchain lines, else the chosen module's, pick the Go."""
    work = parse_go_work(tree.read_text(GO_WORK))
    members = []
    for use, number in work.uses:
        mod_file = GO_MOD if use == "." else f"{use}/{GO_MOD}"
        if not tree.has_file(mod_file):
            raise detect_error(f"go.work line {number} uses {use}, which has no {GO_MOD}.",
                               f"Create {mod_file} (`go mod init`) or drop the line.")
        mod = parse_go_mod(tree.read_text(mod_file))
        sources = _go_sources(tree, use)
        members.append((use, number, mod_file, mod, sources, _mains(tree, sources)))
    all_sources = {d: f for m in members for d, f in m[4].items()}
    all_mains = sorted(d for m in members for d in m[5])
    if MAIN_ENV in env:
        wanted = str(PurePosixPath(env[MAIN_ENV].removeprefix("./") or "."))
        chosen = [m for m in members if wanted in m[5]]
        if not chosen:
            _choose_main(tree, "", all_mains, env, what="this workspace")  # raises, listing them
    else:
        chosen = [m for m in members if m[5]]
    if not chosen:
        raise detect_error("go.work lists no module with a `package main`: "
                           + ", ".join(_rel(m[0]) for m in members) + ".",
                           "Add a main package to one of them.", exit_code=UNSUPPORTED)
    if len(chosen) > 1:
        raise detect_error(
            "go.work lists several modules with a main package: "
            + ", ".join(f"{_rel(m[0])} ({m[3].module}, go.work line {m[1]})" for m in chosen) + ".",
            f"Choose one with `--env {MAIN_ENV}={_rel(chosen[0][5][0])}`.", exit_code=AMBIGUOUS)
    use, number, mod_file, mod, sources, mains = chosen[0]
    main, why = _choose_main(tree, mod.module, mains, env, root=use)
    why = f"{why}; the only module of go.work with a main package (go.work line {number})" \
        if MAIN_ENV not in env else why
    if work.go or work.toolchain:
        go, exact, evidence, runtime_source = _version(GO_WORK, work.go, work.go_line, work.toolchain,
                                                       work.toolchain_line)
    else:
        go, exact, evidence, runtime_source = _version(mod_file, mod.go, mod.go_line, mod.toolchain,
                                                       mod.toolchain_line)
    return _App(mod.module, use, mains, main, why, all_sources, mod.requires, go, exact, evidence,
                runtime_source, mod_file, GO_WORK)


def _no_mod_app(tree: SourceTree) -> _App | None:
    """A `package main` at the root and no go.mod: built as module `main`, as `go mod init main`
    would make it, in the build's copy of the source (never in the app's directory)."""
    sources = {d: f for d, f in _go_sources(tree).items() if d == "."}
    if "." not in _mains(tree, sources):
        return None
    first = sorted(sources["."])[0]
    return _App(NO_MOD_MODULE, ".", ["."], ".", f"no go.mod: {first} is package main at the root, "
                f"built as module {NO_MOD_MODULE!r}", sources, (), None, False, "default", "default", "", "")


def _go_run(tree: SourceTree, app: _App, env: dict[str, str]) -> tuple[dict[str, tuple[str, ...]], str | None,
                                                                          tuple[str, ...], list[str]]:
    """A Procfile's `go run` lines: {process type: program arguments}, the main package they
    name, its files when they name files, and a warning per line. The image has no Go
    toolchain, so the binary pack-it builds from that package runs instead."""
    if not tree.has_file(PROCFILE):
        return {}, None, (), []
    runs: dict[str, tuple[str, ...]] = {}
    target: tuple[str, tuple[str, ...]] | None = None
    first_line = 0
    warnings = []
    for number, raw in enumerate(tree.read_text(PROCFILE).splitlines(), start=1):
        match = PROCFILE_LINE.match(raw.strip())
        if not match:
            continue
        try:
            argv = shlex.split(match.group(2), comments=True)
        except ValueError:
            continue  # the Procfile pack reports it
        if argv[:2] != ["go", "run"]:
            continue
        where = f"Procfile line {number}"
        rest = argv[2:]
        if rest and rest[0].startswith("-"):
            raise detect_error(f"{where} passes build flags to `go run` ({rest[0]}).",
                               "Drop them from the Procfile; build flags go in `--env GOFLAGS=...`.",
                               exit_code=UNSUPPORTED)
        files = []
        while rest and rest[0].endswith(".go"):
            files.append(str(PurePosixPath(rest.pop(0))))
        if files:
            dirs = {str(PurePosixPath(f).parent) for f in files}
            package = dirs.pop() if len(dirs) == 1 else None
            if package is None or not all(tree.has_file(f) for f in files):
                raise detect_error(f"{where} runs `go run {' '.join(files)}`: "
                                   + ("files of several directories." if package is None else
                                      "no such file in the app."),
                                   "Name the main package's files, or its directory (`go run .`).",
                                   exit_code=UNSUPPORTED)
        elif rest:
            word = rest.pop(0)
            if word == app.module or word.startswith(app.module + "/"):
                word = str(PurePosixPath(app.root) / word[len(app.module):].lstrip("/"))
            package = str(PurePosixPath(word.removeprefix("./") or "."))
        else:
            package = "."
        if package not in app.mains:
            raise detect_error(f"{where} runs `go run {' '.join(argv[2:])}`, and {_rel(package)} is not a "
                               "main package of the app.",
                               "Main packages found: " + ", ".join(_rel(m) for m in app.mains) + ".",
                               exit_code=UNSUPPORTED)
        wanted = (package, tuple(files))
        if target is not None and wanted != target:
            raise detect_error(f"Procfile lines {first_line} and {number} `go run` different programs; "
                               "pack-it builds one Go binary.",
                               "Run one program per image, or build the others as their own apps.",
                               exit_code=UNSUPPORTED)
        if target is None:
            target, first_line = wanted, number
        runs[match.group(1)] = tuple(rest)
        warnings.append(f"{where} `{match.group(1)}: {match.group(2).strip()}`: the image has no Go toolchain; "
                        f"pack-it builds {' '.join(files) or _rel(package)} and runs the binary instead.")
    if target is None:
        return {}, None, (), []
    if MAIN_ENV in env and target[0] != app.main:
        raise detect_error(f"Procfile line {first_line} runs {_rel(target[0])}, and --env {MAIN_ENV} "
                           f"chooses {_rel(app.main)}.", "Keep one of them.", exit_code=AMBIGUOUS)
    return runs, target[0], target[1], warnings


def detect(tree: SourceTree, env: dict[str, str] | None = None) -> Detection | None:
    env = env or {}
    if tree.has_file(GO_WORK):
        app = _workspace_app(tree, env)
    elif tree.has_file(GO_MOD):
        app = _module_app(tree, env)
    else:
        found = _no_mod_app(tree)
        if found is None:
            return None
        app = found
    runs, run_main, main_files, warnings = _go_run(tree, app, env)
    main_dir, why = app.main, app.why
    if run_main is not None:
        main_dir = run_main
        why = f"Procfile runs `go run {' '.join(main_files) or _rel(run_main)}`" if run_main != app.main or \
            main_files else why
    sources = app.sources
    cgo_file = next((f for files in sources.values() for f in files if uses_cgo(tree.read_text(f))), None)
    cgo_module = next((r for r in app.requires if r in CGO_MODULES), None)
    # A static binary needs only CA certificates and time zones; cgo links against libc.
    run_image = (RunImageChoice("cc", f'{cgo_file} (import "C")') if cgo_file else
                 RunImageChoice("cc", f"{app.go_mod} (requires {cgo_module}, which needs cgo)") if cgo_module else
                 RunImageChoice("static", "default"))

    name = module_name(app.module) if main_dir == app.root else PurePosixPath(main_dir).name
    vendored = tree.has_file("vendor/modules.txt")
    framework = next((Framework(FRAMEWORKS[r], app.go_mod) for r in app.requires if r in FRAMEWORKS), None)
    main_source = main_files[0] if main_files else sources[main_dir][0]
    # The command is the binary's name; the pack that builds it knows where it lives.
    processes = {"web": Process("web", (name,), main_source, default=True)}
    for ptype, args in runs.items():  # the same Procfile line, as it can run: the Procfile pack defers to it
        processes[ptype] = Process(ptype, (name, *args), PROCFILE, default=ptype == "web")
    package_manager = (PackageManager("go modules", "vendor/modules.txt" if vendored else app.workspace or app.go_mod)
                       if app.go_mod else PackageManager("go modules", f"default (no {GO_MOD})"))
    return Detection(
        language="go",
        runtime=Runtime("go", app.go or "any", app.runtime_source),
        package_manager=package_manager,
        framework=framework,
        run_image=run_image,
        processes=tuple(processes.values()),
        warnings=tuple(warnings),
        facts=GoFacts(
            module=app.module,
            main=_rel(main_dir),
            main_reason=why,
            binary=name,
            vendored=vendored,
            cgo=cgo_file is not None or cgo_module is not None,
            go_mod=app.go_mod,
            workspace=app.workspace,
            main_files=main_files,
            go_version=app.go or "any",
            go_version_exact=app.go_exact,
            go_version_source=app.go_source,
        ),
    )
