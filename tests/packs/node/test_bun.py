"""Bun binaries against a fake npm registry on 127.0.0.1 laid out as registry.npmjs.org is
(@oven/bun-linux-x64's abbreviated package document and its tarballs): the versions index's
sha512 decides, a tampered tarball is refused and leaves nothing in the cache. Then a real Bun
app built and run (network)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import stat
import subprocess
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pack_it.errors import MISSING_TOOLCHAIN, PackItError
from pack_it.lifecycle import versions
from pack_it.packs import node as node_pack
from pack_it.packs.node import bun
from tests.packs.node.test_runtime import Server, _tar

PACKAGE_DIR = ("@oven", "bun-linux-x64")
VERSIONS = ["1.1.30", "1.2.19", "1.3.0-canary.20250801.1"]


def _fake_bun(version: str) -> bytes:
    return f"#!/bin/sh\necho {version}\n".encode()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _registry(server: Server, bun_member=None) -> dict[str, dict[str, str]]:
    """The package document and one tarball per version; returns the index's view (integrities)."""
    folder = server.root.joinpath(*PACKAGE_DIR)
    (folder / "-").mkdir(parents=True)
    entries, index = {}, {}
    for v in VERSIONS:
        tgz = folder / "-" / f"bun-linux-x64-{v}.tgz"
        data = _tar(tgz, [("package/package.json", b"{}"), ("package/bin/bun", bun_member or _fake_bun(v)),
                          ("package/../../escaped.txt", b"must never be written")], "w:gz")
        entries[v] = {"name": "@oven/bun-linux-x64", "version": v,
                      "dist": {"tarball": f"{server.url}/@oven/bun-linux-x64/-/{tgz.name}", "integrity": _sri(data)}}
        index[v] = {"integrity": _sri(data)}
    (folder / "index.json").write_text(json.dumps({"name": "@oven/bun-linux-x64", "versions": entries}))
    return index


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append((self.path, self.headers.get("Accept")))
        if self.path == "/@oven/bun-linux-x64":  # the package document, beside its tarballs' folder
            self.path = "/@oven/bun-linux-x64/index.json"
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def registry(tmp_path):
    """A fake npm registry on 127.0.0.1 (Server's shape: root, url, requests)."""
    server = Server.__new__(Server)
    server.root, server.requests = tmp_path / "registry", []
    server.root.mkdir()
    server.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(server.root)))
    server.httpd.requests = server.requests
    server.url = f"http://127.0.0.1:{server.httpd.server_address[1]}"
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    yield server
    server.stop()


def _leftovers(cache: Path) -> list[str]:
    folder = cache / "bun"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_releases_come_from_the_abbreviated_package_document(registry):
    index = _registry(registry)
    found = bun.releases_from_registry(bun.BunRegistrySource(registry.url))
    assert found == {v: index[v] for v in ("1.1.30", "1.2.19")}  # canaries are not releases
    assert registry.requests == [("/@oven/bun-linux-x64", "application/vnd.npm.install-v1+json")]
    assert node_pack.RELEASES[bun.INDEX_RUNTIME] is bun.releases_from_registry  # `versions update` refreshes it


def test_fetch_checks_the_index_integrity_caches_and_asks_once(registry, tmp_path):
    index = _registry(registry)
    (registry.root.joinpath(*PACKAGE_DIR) / "index.json").unlink()  # the registry's own list is never read
    cache = tmp_path / "cache"
    binary = bun.fetch_bun("1.2.19", cache, bun.BunRegistrySource(registry.url), releases=index)
    assert binary == cache / "bun" / "1.2.19-x64" / "bin" / "bun"
    assert stat.S_IMODE(binary.stat().st_mode) == 0o755
    assert subprocess.run([binary], capture_output=True, text=True).stdout == "1.2.19\n"
    assert sorted(p.relative_to(cache / "bun").as_posix() for p in (cache / "bun").rglob("*")) == \
        ["1.2.19-x64", "1.2.19-x64/bin", "1.2.19-x64/bin/bun"]
    assert not (tmp_path / "escaped.txt").exists()
    assert [p for p, _ in registry.requests] == ["/@oven/bun-linux-x64/-/bun-linux-x64-1.2.19.tgz"]
    registry.requests.clear()
    assert bun.fetch_bun("1.2.19", cache, bun.BunRegistrySource(registry.url), releases=index) == binary
    assert registry.requests == []


def test_a_tampered_tarball_is_refused_and_leaves_nothing(registry, tmp_path):
    index = _registry(registry)
    tgz = registry.root.joinpath(*PACKAGE_DIR) / "-" / "bun-linux-x64-1.2.19.tgz"
    tgz.write_bytes(tgz.read_bytes() + b"tampered")  # the registry now serves other bytes
    cache = tmp_path / "cache"
    with pytest.raises(PackItError) as err:
        bun.fetch_bun("1.2.19", cache, bun.BunRegistrySource(registry.url), releases=index)
    assert err.value.exit_code == MISSING_TOOLCHAIN == 52
    assert err.value.message == (f"The download {registry.url}/@oven/bun-linux-x64/-/bun-linux-x64-1.2.19.tgz "
                                 "does not match its published sha512 hash; refusing it.")
    assert err.value.hint
    assert _leftovers(cache) == []


def test_a_version_without_integrity_in_the_index_is_refused_unfetched(registry, tmp_path):
    _registry(registry)
    with pytest.raises(PackItError) as err:
        bun.fetch_bun("1.2.19", tmp_path / "cache", bun.BunRegistrySource(registry.url), releases={"1.2.19": {}})
    assert err.value.exit_code == 52 and "Bun 1.2.19 has no integrity in pack-it's versions index" in err.value.message
    assert "pack-it versions update" in err.value.hint
    assert registry.requests == [] and _leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_a_bin_bun_that_is_a_link_is_refused(registry, tmp_path, kind):
    link = tarfile.TarInfo("package/bin/bun")
    link.type, link.linkname = kind, "/bin/sh"
    index = _registry(registry, bun_member=link)
    with pytest.raises(PackItError) as err:
        bun.fetch_bun("1.2.19", tmp_path / "cache", bun.BunRegistrySource(registry.url), releases=index)
    assert "package/bin/bun" in err.value.message and "not a regular file" in err.value.message
    assert _leftovers(tmp_path / "cache") == []


def test_the_registry_comes_from_the_environment(registry, tmp_path, monkeypatch):
    index = _registry(registry)
    monkeypatch.setenv("PACK_IT_NPM_REGISTRY", registry.url)
    assert bun.fetch_bun("1.1.30", tmp_path / "cache", releases=index).is_file()


def test_the_shipped_index_has_bun_releases_with_integrities():
    releases = versions.shipped().releases(bun.INDEX_RUNTIME)
    assert "1.2.19" in releases
    assert all(r["integrity"].startswith("sha512-") for r in releases.values())


def _layer_files(result, layout: Path, name: str) -> dict[str, int]:
    import gzip
    import io

    labels = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    diff_id = next(l["diff_id"] for l in labels["layers"] if l["name"] == name)
    layer = result.image.layers[result.image.diff_ids.index(diff_id)]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress((layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes()))) as tar:
        return {m.name: m.size for m in tar if m.isreg()}


@pytest.mark.network
def test_a_bun_app_installs_builds_and_prunes_with_the_index_bun(tmp_path, shared_cache, monkeypatch):
    """The real @oven/bun-linux-x64: bun installs (frozen), runs the build script, prunes to
    production; the runtime layer holds bin/bun only, and no installer or node ran."""
    from pack_it.lifecycle.context import BuildContext
    from pack_it.lifecycle.pipeline import BuildOptions, build
    from pack_it.packs import REGISTRY

    app = tmp_path / "bun-ms"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures" / "node" / "builds" / "bun-ms", app)
    package = json.loads((app / "package.json").read_text())
    package["scripts"]["build"] = "node -e \"require('fs').writeFileSync('built.txt', process.versions.bun)\""
    (app / "package.json").write_text(json.dumps(package))
    ran = []
    real_run = BuildContext.run

    def spy(self, argv, env, cwd, what):
        ran.append(argv)
        return real_run(self, argv, env, cwd, what)

    monkeypatch.setattr(BuildContext, "run", spy)
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    assert result.plan.runtime.name == "bun" and result.plan.runtime.version == "1.2.19"  # packageManager
    binary = shared_cache / "bun" / "1.2.19-x64" / "bin" / "bun"
    assert [a[:2] for a in ran] == [[str(binary), "install"], [str(binary), "install"], [str(binary), "run"]]
    assert ran[0][2:] == ["--frozen-lockfile"] and ran[1][2:] == ["--production", "--frozen-lockfile"]
    runtime = _layer_files(result, tmp_path / "l", "runtime")
    assert list(runtime) == ["layers/node/runtime/bin/bun"] and runtime["layers/node/runtime/bin/bun"] > 50_000_000
    assert "workspace/built.txt" in _layer_files(result, tmp_path / "l", "build")  # written by node -> bun
    modules = {n.split("/")[2] for n in _layer_files(result, tmp_path / "l", "node_modules")}
    assert "ms" in modules and "is-number" not in modules
    assert result.plan.processes[0].command == ("bun", "server.js")
