"""Go pack: one static binary, built with the host's `go`, in a layer of its own.

    detect  go.mod, the main package (detectors/go.py)
    build   CGO_ENABLED=0 (1 for cgo apps, which run on the `cc` stack) go build -trimpath -ldflags="-s -w -buildid=" into /layers/go/app/bin;
            GOCACHE and GOMODCACHE live in pack-it's cache dir, so rebuilds are incremental;
            the layer's key covers the source, the Go version and every flag, so an unchanged
            app reuses the layer without running go at all.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from packaging.version import Version

from pack_it.detectors import go as go_detector
from pack_it.detectors.go import GoFacts
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer

ID = "go"
VERSION = "0.1.0"
LOOKS_FOR = "go.mod"
FACTS = GoFacts
RELEASES: ReleaseFetchers = {}
BIN_DIR = f"/layers/{ID}/app/bin"
GOARCH = "amd64"
LDFLAGS = "-s -w -buildid="


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    detection = go_detector.detect(tree, env)
    if detection is None:
        return None
    return replace(detection, processes=tuple(
        replace(p, command=(f"{BIN_DIR}/{p.command[0]}",) + p.command[1:]) for p in detection.processes
    ))


def _go_version(go: str) -> str:
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    match = re.match(r"go(\d+\.\d+(\.\d+)?)", out)
    if not match:
        raise build_error(f"`{go} env GOVERSION` printed {out!r}, not a Go version.",
                          "Check the Go installation on PATH.", exit_code=MISSING_TOOLCHAIN)
    return match.group(1)


def build(ctx: BuildContext) -> list[Layer]:
    facts = ctx.plan.facts(ID, GoFacts)
    go, version = _toolchain(ctx, facts)
    goflags = ctx.env.get("GOFLAGS", "")
    if facts.vendored and "-mod=" not in goflags:
        goflags = f"{goflags} -mod=vendor".strip()
    argv = [go, "build", "-trimpath", "-buildvcs=false", f"-ldflags={LDFLAGS}", "-o", "OUT", facts.main]
    # Go's build and module caches: a cache layer, kept in pack-it's cache dir, never exported.
    go_cache_dir = ctx.cache_dir("go-cache")
    go_cache = Layer(ID, "go-cache", key=version, path=go_cache_dir, cache=True)

    def go_build(layer: Path) -> None:
        argv[argv.index("OUT")] = str(layer / "bin" / facts.binary)
        ctx.reporter.step(f"  go build {facts.main} (go {version}, {facts.main_reason})")
        # go reads the directory it is given, links leaving the tree included: it builds a copy
        # of what SourceTree admits (-trimpath keeps the copy's path out of the binary).
        source = ctx.copy_source(ctx.work / "go-src")
        ctx.run(argv, cwd=source, what=f"go build {facts.main}", env={
            "CGO_ENABLED": "1" if facts.cgo else "0", "GOOS": "linux", "GOARCH": GOARCH, "GOFLAGS": goflags,
            "GOTOOLCHAIN": "local",  # never download another toolchain behind the user's back
            "GOCACHE": str(go_cache_dir / "build"),
            "GOMODCACHE": str(go_cache_dir / "mod"),
            "GOPATH": str(go_cache_dir / "path"),
        })

    app = ctx.layer("app", {"go": version, "argv": argv[1:], "goflags": goflags, "cgo": facts.cgo,
                            "goarch": GOARCH, "source": ctx.tree.digest(ctx.tree.source_files())},
                    go_build, unchanged=f"go {version}, source unchanged")
    return [app, go_cache]


def _toolchain(ctx: BuildContext, facts: GoFacts) -> tuple[str, str]:
    """The `go` command and its version, checked against what go.mod asks for."""
    go = shutil.which("go", path=ctx.build_env.get("PATH"))
    if go is None:
        raise build_error("go.mod asks for Go, and no `go` command is on PATH.",
                          "Install Go (https://go.dev/dl/) and run pack-it again.",
                          exit_code=MISSING_TOOLCHAIN)
    version = _go_version(go)
    runtime = ctx.plan.runtime
    if runtime and runtime.version != "any" and runtime.source == go_detector.GO_MOD \
            and Version(version) < Version(runtime.version):
        raise build_error(f"go.mod asks for go {runtime.version}, and the installed Go is {version}.",
                          f"Install Go {runtime.version} or newer.", exit_code=MISSING_TOOLCHAIN)
    if facts.cgo and shutil.which("gcc", path=ctx.build_env.get("PATH")) is None:
        raise build_error("This app uses cgo, and no C compiler (gcc) is on PATH.",
                          "Install gcc (apt-get install gcc) or remove the cgo code.", exit_code=MISSING_TOOLCHAIN)
    return go, version
