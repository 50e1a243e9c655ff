"""Go pack: one static binary, built with the host's `go`, in a layer of its own.

    detect  go.mod, the main package (detectors/golang.py)
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

from packaging.version import Version

from pack_it.detectors import golang
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.layers import Layer, layer_key

ID = "go"
VERSION = "0.1.0"
LOOKS_FOR = "go.mod"
BIN_DIR = f"/layers/{ID}/app/bin"
GOARCH = "amd64"
LDFLAGS = "-s -w -buildid="


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    detection = golang.detect(tree, env)
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
    go = shutil.which("go", path=ctx.build_env.get("PATH"))
    if go is None:
        raise build_error("go.mod asks for Go, and no `go` command is on PATH.",
                          "Install Go (https://go.dev/dl/) and run pack-it again.",
                          exit_code=MISSING_TOOLCHAIN)
    host_version = _go_version(go)
    wanted = ctx.plan.runtime.version if ctx.plan.runtime else "any"
    if wanted != "any" and ctx.plan.runtime.source == golang.GO_MOD and Version(host_version) < Version(wanted):
        raise build_error(f"go.mod asks for go {wanted}, and the installed Go is {host_version}.",
                          f"Install Go {wanted} or newer.", exit_code=MISSING_TOOLCHAIN)

    details = ctx.plan.details[ID]
    if details["cgo"] and shutil.which("gcc", path=ctx.build_env.get("PATH")) is None:
        raise build_error("This app uses cgo, and no C compiler (gcc) is on PATH.",
                          "Install gcc (apt-get install gcc) or remove the cgo code.", exit_code=MISSING_TOOLCHAIN)
    goflags = ctx.env.get("GOFLAGS", "")
    if details["vendored"] and "-mod=" not in goflags:
        goflags = f"{goflags} -mod=vendor".strip()
    argv = [go, "build", "-trimpath", "-buildvcs=false", f"-ldflags={LDFLAGS}",
            "-o", "OUT", details["main"]]
    key = layer_key(pack=VERSION, go=host_version, argv=argv[1:], goflags=goflags, cgo=details["cgo"],
                    goarch=GOARCH, source=ctx.tree.digest())

    # Go's build and module caches: a cache layer, kept in pack-it's cache dir, never exported.
    go_cache = Layer(ID, "go-cache", key=host_version, path=ctx.cache_dir("go-cache"), cache=True)
    reused = ctx.reuse("app", key)
    if reused:
        ctx.reporter.step(f"  reusing layer app (go {host_version}, source unchanged)")
        return [reused, go_cache]

    layer = ctx.layer_dir("app")
    binary = layer / "bin" / details["binary"]
    argv[argv.index("OUT")] = str(binary)
    ctx.reporter.step(f"  go build {details['main']} (go {host_version}, {details['main_reason']})")
    # go reads the directory it is given, links leaving the tree included: it builds a copy
    # of what SourceTree admits (-trimpath keeps the copy's path out of the binary).
    source = ctx.copy_source(ctx.work / "go-src")
    ctx.run(argv, cwd=source, what=f"go build {details['main']}", env={
        "CGO_ENABLED": "1" if details["cgo"] else "0", "GOOS": "linux", "GOARCH": GOARCH, "GOFLAGS": goflags,
        "GOTOOLCHAIN": "local",  # never download another toolchain behind the user's back
        "GOCACHE": str(go_cache.path / "build"),
        "GOMODCACHE": str(go_cache.path / "mod"),
        "GOPATH": str(go_cache.path / "path"),
    })
    return [Layer(ID, "app", key, path=layer, launch=True), go_cache]
