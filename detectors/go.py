"""Go: go.mod (module path, `go` and `toolchain` directives, requirements), the main
package to build, and whether the code needs cgo."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pack_it.errors import AMBIGUOUS, UNSUPPORTED, detect_error
from pack_it.detectors.facts import Facts, Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.source import SourceTree

GO_MOD = "go.mod"
MAIN_ENV = "PACK_IT_GO_MAIN"  # e.g. ./cmd/server: which main package to build
VERSION = re.compile(r"^1(\.\d+){1,2}((rc|beta)\d+)?$")
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



@dataclass(frozen=True)
class GoFacts(Facts):
    """What the Go pack builds from."""

    module: str  # go.mod's module path
    main: str  # the main package's directory, as `go build` takes it (".", "./cmd/api")
    main_reason: str  # why that one
    binary: str  # the binary's name: the main package's directory, or the module's last element
    vendored: bool  # vendor/modules.txt is there: build with -mod=vendor
    cgo: bool  # a source file imports "C"

@dataclass(frozen=True)
class GoMod:
    module: str
    go: str | None = None
    toolchain: str | None = None
    requires: tuple[str, ...] = field(default=())


def parse_go_mod(text: str) -> GoMod:
    module = go = toolchain = None
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
                raise detect_error(f"go.mod line {number}: {verb!r} is not a go.mod block directive.",
                                   "Fix go.mod (`go mod tidy` rewrites it).")
            block = verb
            continue
        if verb == "module" and len(words) == 2:
            module = words[1].strip('"')
        elif verb == "go" and len(words) == 2:
            if not VERSION.match(words[1]):
                raise detect_error(f"go.mod line {number}: {words[1]!r} is not a Go version.",
                                   "Write it as `go 1.22` or `go 1.22.3`.")
            go = words[1]
        elif verb == "toolchain" and len(words) == 2:
            toolchain = words[1].removeprefix("go")
        elif verb == "require" and len(words) >= 3:
            requires.append(words[1].strip('"'))
        elif verb not in BLOCK_DIRECTIVES:
            raise detect_error(f"go.mod line {number} is not a go.mod directive: {raw.strip()!r}.",
                               "Fix go.mod (`go mod tidy` rewrites it).")
    if block:
        raise detect_error(f"go.mod has a `{block} (` block that is never closed.",
                           "Add the closing parenthesis.")
    if not module:
        raise detect_error("go.mod has no `module` directive.",
                           "Add `module <path>` as its first line (`go mod init` writes it).")
    return GoMod(module=module, go=go, toolchain=toolchain, requires=tuple(requires))


def _go_sources(tree: SourceTree) -> dict[str, list[str]]:
    """Non-test .go files by package directory, skipping what `go build ./...` skips: vendor,
    testdata, _ and . directories, nested modules, files excluded for linux/amd64."""
    nested = {str(PurePosixPath(f).parent) for f in tree.files() if f.endswith("/go.mod")}
    by_dir: dict[str, list[str]] = {}
    for rel in tree.files():
        path = PurePosixPath(rel)
        if path.suffix != ".go" or path.name.endswith("_test.go"):
            continue
        if any(p in ("vendor", "testdata") or p[0] in "._" for p in path.parts[:-1]):
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


def _choose_main(tree: SourceTree, mod: GoMod, mains: list[str], env: dict[str, str]) -> tuple[str, str]:
    """The main package's directory and what decided it."""
    if MAIN_ENV in env:
        wanted = str(PurePosixPath(env[MAIN_ENV].removeprefix("./") or "."))
        if wanted not in mains:
            raise detect_error(
                f"{MAIN_ENV}={env[MAIN_ENV]} is not a main package of this module.",
                "Main packages found: " + (", ".join(f"./{m}" for m in mains) or "none") + ".",
                exit_code=AMBIGUOUS,
            )
        return wanted, f"--env {MAIN_ENV}"
    if "." in mains:
        return ".", "go.mod directory has package main"
    if len(mains) == 1:
        return mains[0], f"only main package ({mains[0]})"
    named = [m for m in mains if PurePosixPath(m).name == module_name(mod.module)]
    if len(named) == 1:
        return named[0], f"named after the module {mod.module}"
    raise detect_error(
        "This module has several main packages: " + ", ".join(f"./{m}" for m in mains) + ".",
        f"Choose one with `--env {MAIN_ENV}=./{mains[0]}`.",
        exit_code=AMBIGUOUS,
    )


def detect(tree: SourceTree, env: dict[str, str] | None = None) -> Detection | None:
    if not tree.has_file(GO_MOD):
        return None
    env = env or {}
    mod = parse_go_mod(tree.read_text(GO_MOD))
    sources = _go_sources(tree)
    mains = sorted(d for d, files in sources.items() if _package_name(tree, files) == "main")
    if not mains:
        raise detect_error(
            "go.mod is here but no directory holds a `package main`.",
            "Add a main package at the root or under cmd/<name>/.",
            exit_code=UNSUPPORTED,
        )
    main_dir, why = _choose_main(tree, mod, mains, env)
    cgo_file = next((f for files in sources.values() for f in files if uses_cgo(tree.read_text(f))), None)
    # A static binary needs only CA certificates and time zones; cgo links against libc.
    run_image = RunImageChoice("cc", f'{cgo_file} (import "C")') if cgo_file else RunImageChoice("static", "default")

    name = module_name(mod.module) if main_dir == "." else PurePosixPath(main_dir).name
    version, version_source = (mod.toolchain, "go.mod (toolchain)") if mod.toolchain else (mod.go, GO_MOD)
    vendored = tree.has_file("vendor/modules.txt")
    framework = next((Framework(FRAMEWORKS[r], GO_MOD) for r in mod.requires if r in FRAMEWORKS), None)
    main_source = sources[main_dir][0]
    return Detection(
        language="go",
        runtime=Runtime("go", version or "any", version_source if version else "default"),
        package_manager=PackageManager("go modules", "vendor/modules.txt" if vendored else GO_MOD),
        framework=framework,
        run_image=run_image,
        # The command is the binary's name; the pack that builds it knows where it lives.
        processes=(Process("web", (name,), main_source, default=True),),
        facts=GoFacts(
            module=mod.module,
            main="./" + main_dir if main_dir != "." else ".",
            main_reason=why,
            binary=name,
            vendored=vendored,
            cgo=cgo_file is not None,
        ),
    )
