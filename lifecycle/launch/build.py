"""Builds the launcher (launcher/main.go) reproducibly: the same bytes on every machine.

    python -m pack_it.lifecycle.launch.build            rewrite launcher-linux-amd64
    python -m pack_it.lifecycle.launch.build --check    rebuild and compare (exit 1 if different)

Go makes bit-for-bit identical binaries from the same source with the same toolchain version,
target and flags, whatever the host (no cgo, -trimpath, no build id, GOAMD64=v1, no module
downloads): so the toolchain is pinned here (GO_VERSION). The host's `go` is used when it is
that version, else that release is fetched from the Go module proxy and checked against the
versions index, as the Go pack does for apps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pack_it.lifecycle.launch.layers import BINARY

GO_VERSION = "1.26.8"
SOURCE = Path(__file__).parent / "launcher"
FLAGS = ["-trimpath", "-ldflags=-s -w -buildid=", "-buildvcs=false"]


def _host_go() -> str | None:
    go = shutil.which("go")
    if go is None:
        return None
    found = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True,
                           env={**os.environ, "GOTOOLCHAIN": "local"})
    return go if found.stdout.strip() == f"go{GO_VERSION}" else None


def go_tool(cache_root: Path) -> str:
    """The pinned Go: the host's if it is that version, else downloaded into the cache."""
    if go := _host_go():
        return go
    from pack_it.lifecycle.versions import shipped
    from pack_it.packs.go import toolchain

    h1 = shipped().releases(toolchain.INDEX_RUNTIME)[GO_VERSION]["h1"]
    root = toolchain.fetch(GO_VERSION, h1, cache_root / "toolchains" / "go", toolchain.proxy_base())
    return str(root / "bin" / "go")


def build(out: Path, go: str) -> None:
    with tempfile.TemporaryDirectory(prefix="pack-it-launcher-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(SOURCE, src)  # a fixed path's content, never the checkout's location
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "GOCACHE": f"{tmp}/cache",
               "GOPATH": f"{tmp}/gopath", "GOFLAGS": "", "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64",
               "GOAMD64": "v1", "GOTOOLCHAIN": "local", "GOPROXY": "off", "GO111MODULE": "on", "GOEXPERIMENT": ""}
        subprocess.run([go, "build", *FLAGS, "-o", str(out), "."], cwd=src, env=env, check=True)


def main(argv: list[str]) -> int:
    from pack_it.lifecycle.cache import default_cache_dir

    go = go_tool(default_cache_dir())
    if "--check" not in argv:
        build(BINARY, go)
        print(f"{BINARY}: {BINARY.stat().st_size} bytes")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "launcher"
        build(fresh, go)
        same = fresh.read_bytes() == BINARY.read_bytes()
    print("identical" if same else f"{BINARY} differs from what Go {GO_VERSION} builds from {SOURCE}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
