"""The package-managers section of the versions index, refreshed from a fake npm registry on
127.0.0.1 laid out as the real one is (each package's abbreviated document at /<package>):
every exact pnpm, yarn and Yarn berry release with a sha512 integrity, and npm only at the
version pack-it pins."""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pack_it.lifecycle import versions
from pack_it.packs import node as node_pack
from pack_it.packs.node import tools

SHA512 = "sha512-" + "A" * 86 + "=="
DOCUMENTS = {
    "pnpm": {"9.15.9": SHA512, "10.0.0-rc.1": SHA512, "1.0.0": "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
    "yarn": {"1.22.22": SHA512},
    "@yarnpkg/cli-dist": {"3.2.4": SHA512, "4.9.2": SHA512},
    "npm": {"10.9.2": SHA512, "11.0.0": SHA512},
}


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append((self.path, self.headers.get("Accept")))
        self.path = self.path.rstrip("/") + "/index.json"  # the document, beside its tarballs' folder
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def registry(tmp_path):
    for package, releases in DOCUMENTS.items():
        folder = tmp_path.joinpath(*package.split("/"))
        folder.mkdir(parents=True)
        entries = {v: {"name": package, "version": v, "dist": {"integrity": i}} for v, i in releases.items()}
        (folder / "index.json").write_text(json.dumps({"name": package, "versions": entries}))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(tmp_path)))
    httpd.requests = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_every_release_of_the_package_managers_and_npm_at_its_pin(registry):
    found = tools.releases_from_registry(f"http://127.0.0.1:{registry.server_address[1]}")
    assert sorted(found) == ["@yarnpkg/cli-dist@3.2.4", "@yarnpkg/cli-dist@4.9.2", "npm@10.9.2",
                             "pnpm@9.15.9", "yarn@1.22.22"]  # no pre-release, no sha1-only, one npm
    assert all(v == {"integrity": SHA512} for v in found.values())
    assert {path for path, _ in registry.requests} == {"/pnpm", "/yarn", "/@yarnpkg/cli-dist", "/npm"}
    assert {accept for _, accept in registry.requests} == {"application/vnd.npm.install-v1+json"}


def test_versions_update_refreshes_the_section_and_the_shipped_one_pins_the_defaults():
    assert node_pack.RELEASES[tools.INDEX_SECTION] is tools.releases_from_registry
    pinned = versions.shipped().releases(tools.INDEX_SECTION)
    for package, _, default in tools.PACKAGES.values():
        if package != "@oven/bun-linux-x64":  # Bun's binaries: the bun section
            assert f"{package}@{default}" in pinned
    assert f"npm@{tools.NPM[2]}" in pinned
    assert "@yarnpkg/cli-dist@3.2.4" in pinned  # sample_apps/node-yarn3's packageManager
