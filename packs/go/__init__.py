"""Go pack: one static binary, built with the Go that go.mod asks for, in a layer of its own.

    detect  go.mod, go.work or a lone main.go, the main package (detectors/go.py); the Go
            release from the versions index (toolchain.py) the build fetches when the host's
            go will not do
    build   CGO_ENABLED=0 (1 for cgo apps, which run on the `cc` stack) go build -trimpath -ldflags="-s -w -buildid=" into /layers/go/app/bin;
            GOCACHE and GOMODCACHE live in pack-it's cache dir, so rebuilds are incremental;
            the layer's key covers the source, the Go version and every flag, so an unchanged
            app reuses the layer without running go at all.

Which go builds (PACK_IT_GO_TOOLCHAIN=auto, the default): the host's when it satisfies go.mod
(the same release for a pin, `toolchain go1.22.5` or `go 1.22.5`; at least the minimum for
`go 1.22`, as GOTOOLCHAIN=auto does), else the release the plan names, fetched from the Go
module proxy and checked against the index. `local` never fetches; `download` always does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pack_it.detectors import go as go_detector
from pack_it.detectors.go import GoFacts
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.errors import MISSING_TOOLCHAIN, USAGE, build_error
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.packs.go import toolchain as tc

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

ID = "go"
VERSION = "0.1.0"
LOOKS_FOR = "go.mod, go.work or a main.go"
FACTS = GoFacts
RELEASES: ReleaseFetchers = {tc.INDEX_RUNTIME: tc.releases_from_proxy}
BIN_DIR = f"/layers/{ID}/app/bin"
WORKSPACE = "/workspace"
# What the compiler reads, never the program: left out of the files layer.
BUILD_INPUT_NAMES = frozenset({"go.mod", "go.sum", "go.work", "go.work.sum"})
BUILD_INPUT_DIRS = ("vendor/",)
# pack-it's own end-to-end expectations beside a sample app: read by the tests, not the app.
TEST_EXPECTATIONS = "pack-it-test.json"
GOARCH = tc.GOARCH
LDFLAGS = "-s -w -buildid="


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    detection = go_detector.detect(tree, env)
    if detection is None:
        return None
    facts = detection.facts
    assert isinstance(facts, GoFacts)
    release = tc.choose(facts.go_version, facts.go_version_exact, index.releases(tc.INDEX_RUNTIME))
    return replace(detection, facts=replace(facts, toolchain=release, toolchain_reason=_reason(facts, release)),
                   processes=tuple(replace(p, command=(f"{BIN_DIR}/{p.command[0]}",) + p.command[1:])
                                   for p in detection.processes))


def _reason(facts: GoFacts, release: str | None) -> str:
    asked, where = facts.go_version, facts.go_version_source
    fetched = f"else go {release} from the Go module proxy" if release else \
        "and no release of pack-it's versions index matches"
    if asked == "any":
        return f"no Go version asked for: the host's go, {fetched} (the newest in the versions index)"
    if facts.go_version_exact:
        return f"{where} pins go {asked}: the host's go if it is that release, {fetched}"
    return (f"{where} asks for go {asked} or newer: the host's go if it is new enough, "
            f"{fetched}" + (f" (the newest {asked}.x in the versions index)" if release else ""))


def _go_version(go: str) -> str:
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    match = re.match(r"go(\d+\.\d+(\.\d+)?((rc|beta)\d+)?)", out)
    if not match:
        raise build_error(f"`{go} env GOVERSION` printed {out!r}, not a Go version.",
                          "Check the Go installation on PATH.", exit_code=MISSING_TOOLCHAIN)
    return match.group(1)


def build(ctx: BuildContext) -> list[Layer]:
    facts = ctx.plan.facts(ID, GoFacts)
    go, version, fetched = _toolchain(ctx, facts)
    tools = (Path(go).parent.parent,) if fetched else ()  # GOROOT, read-only in the sandbox
    goflags = ctx.env.get("GOFLAGS", "")
    if facts.vendored and "-mod=" not in goflags:
        goflags = f"{goflags} -mod=vendor".strip()
    targets = list(facts.main_files) or [facts.main]
    argv = [go, "build", "-trimpath", "-buildvcs=false", f"-ldflags={LDFLAGS}", "-o", "OUT", *targets]
    # Go's build and module caches: a cache layer, kept in pack-it's cache dir, never exported.
    go_cache_dir = ctx.cache_dir("go-cache")
    go_cache = Layer(ID, "go-cache", key=version, path=go_cache_dir, cache=True)
    # No go.mod: what `go mod init main` writes, at the toolchain's language version.
    go_mod = None if facts.go_mod else f"module {facts.module}\n\ngo {'.'.join(version.split('.')[:2])}\n"

    def go_build(layer: Path) -> None:
        argv[argv.index("OUT")] = str(layer / "bin" / facts.binary)
        what = " ".join(targets)
        ctx.reporter.step(f"  go build {what} (go {version}{', fetched' if fetched else ''}, {facts.main_reason})")
        # go reads the directory it is given, links leaving the tree included: it builds a copy
        # of what SourceTree admits (-trimpath keeps the copy's path out of the binary).
        source = ctx.copy_source(ctx.work / "go-src")
        if go_mod is not None:  # in the copy only: the app's directory is never written
            (source / go_detector.GO_MOD).write_text(go_mod)
        ctx.run(argv, cwd=source, what=f"go build {what}", tools=tools, env={
            "CGO_ENABLED": "1" if facts.cgo else "0", "GOOS": "linux", "GOARCH": GOARCH, "GOFLAGS": goflags,
            "GOTOOLCHAIN": "local",  # never download another toolchain behind the user's back
            # The app's go.work, or none: never one above the copy.
            "GOWORK": str(source / facts.workspace) if facts.workspace else "off",
            "GOCACHE": str(go_cache_dir / "build"),
            "GOMODCACHE": str(go_cache_dir / "mod"),
            "GOPATH": str(go_cache_dir / "path"),
        })

    inputs = {"go": version, "argv": argv[1:], "goflags": goflags, "cgo": facts.cgo,
              "goarch": GOARCH, "source": ctx.tree.digest(ctx.tree.source_files())}
    if fetched:
        inputs["toolchain"] = fetched
    if go_mod is not None:
        inputs["go_mod"] = go_mod
    app = ctx.layer("app", inputs, go_build, unchanged=f"go {version}, source unchanged")
    layers = [app]
    files = run_time_files(ctx.tree.source_files())
    if files:
        ctx.reporter.step(f"  keeping {len(files)} non-Go file(s) in {WORKSPACE} ({_summary(files)})")
        layers.append(ctx.layer("files", {"files": ctx.tree.digest(files)},
                                lambda directory: ctx.copy_source(directory, files),
                                at=WORKSPACE, unchanged="files unchanged"))
    return [*layers, go_cache]


def run_time_files(source: tuple[str, ...] | list[str]) -> list[str]:
    """The module's files that are not the compiler's inputs: what the program may read at run time."""
    return [f for f in source
            if not f.endswith(".go") and PurePosixPath(f).name not in BUILD_INPUT_NAMES
            and not f.startswith(BUILD_INPUT_DIRS) and f != TEST_EXPECTATIONS]


def _summary(files: list[str]) -> str:
    tops = sorted({f.split("/", 1)[0] + ("/" if "/" in f else "") for f in files})
    return ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "")


def _mode(ctx: BuildContext) -> str:
    """auto, local or download. With pack-it's toolchains (every build but --toolchain host)
    always download: the host's go is never what builds, so its version cannot change the image."""
    mode = (ctx.env.get(tc.MODE_ENV) or os.environ.get(tc.MODE_ENV) or "auto").strip().lower()
    if mode not in tc.MODES:
        raise build_error(f"{tc.MODE_ENV}={mode} is not one of {', '.join(tc.MODES)}.",
                          "auto uses the host's go when it will do, local never downloads, download always does.",
                          exit_code=USAGE)
    if ctx.provided_toolchains:
        if mode == "local":
            raise build_error(f"{tc.MODE_ENV}=local builds with the host's go, and this build uses pack-it's "
                              "toolchains.", "Add --toolchain host to build with the host's go.", exit_code=USAGE)
        return "download"
    return mode


def _toolchain(ctx: BuildContext, facts: GoFacts) -> tuple[str, str, str | None]:
    """The `go` command, its version, and the h1: hash when it was fetched: the host's go
    when it satisfies what the app asks for (unless PACK_IT_GO_TOOLCHAIN=download), else the
    plan's release of the versions index, from the module proxy."""
    mode = _mode(ctx)
    asked, exact, where = facts.go_version, facts.go_version_exact, facts.go_version_source
    wants = "Go" if asked == "any" else f"go {asked}" + ("" if exact else " or newer")
    source = where if asked != "any" else (facts.workspace or facts.go_mod or "The app's main.go")
    host = shutil.which("go", path=ctx.build_env.get("PATH")) if mode != "download" else None
    host_version = _go_version(host) if host else None
    if host and host_version and tc.satisfies(host_version, asked, exact):
        go, version, fetched = host, host_version, None
    elif mode == "local":
        if host is None:
            raise build_error(f"{source} asks for {wants}, and no `go` command is on PATH "
                              f"({tc.MODE_ENV}=local does not download one).",
                              "Install Go (https://go.dev/dl/), or unset PACK_IT_GO_TOOLCHAIN to fetch it.",
                              exit_code=MISSING_TOOLCHAIN)
        raise build_error(f"{source} asks for {wants}, and the installed Go is {host_version} "
                          f"({tc.MODE_ENV}=local does not download one).",
                          f"Install Go {asked}, or unset {tc.MODE_ENV} to fetch it.", exit_code=MISSING_TOOLCHAIN)
    else:
        release = facts.toolchain
        h1 = ctx.index.releases(tc.INDEX_RUNTIME).get(release or "", {}).get("h1")
        if release is None or h1 is None:
            have = f"the installed Go is {host_version}" if host_version else "no `go` command is on PATH"
            raise build_error(f"{source} asks for {wants}, {have}, and pack-it's versions index has no "
                              "such Go release to fetch.",
                              "Ask for a released Go version (`pack-it versions show go`), run `pack-it versions "
                              "update`, or install that Go.", exit_code=MISSING_TOOLCHAIN)
        ctx.reporter.step(f"  Go {release}: " + ("fetching" if tc.cached(ctx.cache_dir("toolchains"), release)
                                                  is None else "cached") +
                          f" ({'host has ' + host_version if host_version else 'no host go' if mode != 'download' else tc.MODE_ENV + '=download'})")
        goroot = tc.fetch(release, h1, ctx.cache_dir("toolchains"), tc.proxy_base(ctx.env), ctx.cache.root)
        go, version, fetched = str(goroot / "bin" / "go"), release, h1
    # The build root has gcc; on the host it must be installed.
    if facts.cgo and ctx.sandbox.root is None and shutil.which("gcc", path=ctx.build_env.get("PATH")) is None:
        raise build_error("This app uses cgo, and no C compiler (gcc) is on PATH.",
                          "Install gcc (apt-get install gcc) or remove the cgo code.", exit_code=MISSING_TOOLCHAIN)
    return go, version, fetched
