"""End to end for the static pack: the sample sites built, run in podman, and asked with raw
HTTP requests (http.client sends the path as written, so `/../` and `%2e%2e/` reach nginx):
SPA deep links, 404 pages, cache headers, gzip and precompressed files, HEAD, 304s, ranges,
and what must never be served."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import re
import socket
import subprocess
import time
from typing import Iterator

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import SAMPLE_APPS

pytestmark = [pytest.mark.network, pytest.mark.engine]
IMMUTABLE = "public, max-age=31536000, immutable"


class Site:
    def __init__(self, port: int, container: str, podman: str) -> None:
        self.port, self.container, self.podman = port, container, podman

    def logs(self) -> str:
        out = subprocess.run([self.podman, "logs", self.container], capture_output=True, text=True)
        return out.stdout + out.stderr

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(app: str, tmp_path, cache, podman: str, env: dict[str, str] | None = None) -> Iterator[Site]:
    image = f"localhost/pack-it-static-{app}:test"
    archive = tmp_path / f"{app}.tar"
    build(BuildOptions(SAMPLE_APPS / app, tag=image, output=f"tar:{archive}", cache_dir=cache, env=env or {}),
          REGISTRY)
    load = subprocess.run([podman, "load", "-i", str(archive)], capture_output=True, text=True)
    assert load.returncode == 0, load.stderr
    port = _free_port()
    container = f"pack-it-static-{app}-{port}"
    try:
        run = subprocess.run([podman, "run", "-d", "--name", container, "--read-only", "--tmpfs", "/tmp",
                              "-p", f"127.0.0.1:{port}:8080", image], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        site = Site(port, container, podman)
        deadline = time.monotonic() + 30
        while True:
            try:
                site.request("/_health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    logs = subprocess.run([podman, "logs", container], capture_output=True, text=True)
                    pytest.fail(f"{app} did not answer; logs:\n{logs.stdout}{logs.stderr}")
                time.sleep(0.2)
        yield site
    finally:
        subprocess.run([podman, "rm", "-f", container], capture_output=True)
        subprocess.run([podman, "rmi", "-f", image], capture_output=True)


def _never_served(site: Site, spa_index: bytes | None = None) -> None:
    """None of these reach a file; an SPA answers its index.html for paths with no file."""
    for path in ("/.env", "/.hidden.txt", "/.private/notes.txt", "/.git/config", "/passwd", "/hostetc/passwd",
                 "/../etc/passwd", "/%2e%2e/etc/passwd", "/css/%2e%2e/%2e%2e/etc/passwd", "/..%2fetc/passwd",
                 "/layers/static/site/nginx.conf", "/nginx.conf", "/../nginx.conf", "/%2e%2e/nginx.conf"):
        status, _, body = site.request(path)
        assert status in (400, 404) or (spa_index is not None and status == 200 and body == spa_index), (path, status)
        assert b"root:x:" not in body and b"SECRET" not in body and b"private notes" not in body, path
        assert b"worker_processes" not in body, path
    for directory in ("/css/", "/assets/", "/images/") if spa_index is None else ("/assets/",):
        status, _, body = site.request(directory)
        assert status == 404, (directory, status)
        assert b"Index of" not in body and b"site.css" not in body


def test_plain_site(tmp_path, shared_cache, podman):
    with served("static-html", tmp_path, shared_cache, podman) as site:
        status, headers, body = site.request("/")
        assert status == 200 and b"Hello from static-html!" in body
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-cache"
        assert headers["x-content-type-options"] == "nosniff"
        assert "etag" not in headers and "last-modified" not in headers  # same mtimes: no honest validator
        assert "nginx/" not in headers.get("server", "")  # no version

        # MIME types from media-types, charset for text
        assert site.request("/css/site.css")[1]["content-type"] == "text/css; charset=utf-8"
        assert site.request("/assets/app-9f86d081.js")[1]["content-type"].startswith("text/javascript")
        assert site.request("/images/pixel.bin")[1]["content-type"] == "application/octet-stream"

        # multi-page, no 404.html: a plain 404
        status, headers, body = site.request("/no/such/page")
        assert status == 404 and b"Not Found" in body

        # a link inside the site is served as the file it names
        assert site.request("/alias.html")[2] == site.request("/index.html")[2]

        # gzip on the fly, and the build's own .gz when accepted
        status, headers, body = site.request("/css/site.css", headers={"Accept-Encoding": "gzip"})
        assert headers["content-encoding"] == "gzip" and "accept-encoding" in headers["vary"].lower()
        assert b"font-family" in gzip.decompress(body)
        status, headers, body = site.request("/precompressed.txt", headers={"Accept-Encoding": "gzip"})
        assert gzip.decompress(body) == b"served from precompressed.txt.gz\n"
        assert site.request("/precompressed.txt")[2] == b"the original precompressed.txt\n"
        status, headers, body = site.request("/precompressed.txt", headers={"Accept-Encoding": "br"})
        assert headers["content-encoding"] == "br" and body == b"stand-in for brotli bytes\n"  # brotli_static

        # HEAD: headers, no body
        status, headers, body = site.request("/css/site.css", method="HEAD")
        assert status == 200 and body == b"" and int(headers["content-length"]) > 1000

        # hashed names: immutable, with validators that answer 304
        status, headers, body = site.request("/assets/app-9f86d081.js")
        assert headers["cache-control"] == IMMUTABLE
        assert site.request("/assets/app-9f86d081.js", headers={"If-None-Match": headers["etag"]})[0] == 304
        assert site.request("/assets/app-9f86d081.js",
                            headers={"If-Modified-Since": headers["last-modified"]})[0] == 304
        assert site.request("/assets/app-9f86d081.js", headers={"If-None-Match": '"other"'})[0] == 200

        # byte ranges
        status, headers, body = site.request("/images/pixel.bin", headers={"Range": "bytes=10-19"})
        assert status == 206 and body == bytes(range(10, 20)) and headers["content-range"] == "bytes 10-19/2048"
        assert site.request("/images/pixel.bin", headers={"Range": "bytes=5000-"})[0] == 416

        # the health path
        status, headers, body = site.request("/_health")
        assert status == 200 and body == b"ok\n" and headers["cache-control"] == "no-store"

        _never_served(site)
        # nginx started clean (no duplicate types, no error log it cannot open) and logs requests
        logs = site.logs()
        assert "[warn]" not in logs and "[emerg]" not in logs and "[alert]" not in logs, logs
        assert '"GET /css/site.css HTTP/1.1" 200' in logs


def test_multipage_site_answers_its_404_page(tmp_path, shared_cache, podman):
    with served("static-multipage", tmp_path, shared_cache, podman,
                env={"PACK_IT_STATIC_HEADERS": "X-Frame-Options: DENY|Referrer-Policy: no-referrer"}) as site:
        for path in ("/no/such/page", "/missing.js", "/blog/nope"):
            status, headers, body = site.request(path)
            assert status == 404 and b"static-multipage: no such page" in body, path
        assert site.request("/about")[2] == site.request("/about.html")[2]
        status, headers, body = site.request("/blog/")
        assert status == 200 and b"The static-multipage blog" in body
        assert site.request("/blog")[0] == 301  # to /blog/, relative
        assert site.request("/blog")[1]["location"] == "/blog/"
        # --env PACK_IT_STATIC_HEADERS on every response, the static pack's own beside them
        for path in ("/", "/assets/app-5d41402a.js"):
            headers = site.request(path)[1]
            assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer", path
        assert site.request("/assets/app-5d41402a.js")[1]["cache-control"] == IMMUTABLE


def test_vite_spa_deep_links_and_hashed_assets(tmp_path, shared_cache, podman):
    with served("static-vite-react", tmp_path, shared_cache, podman) as site:
        status, headers, index = site.request("/")
        assert status == 200 and headers["cache-control"] == "no-cache"
        for path in ("/users/42", "/users/42/", "/some/deep/link"):
            status, headers, body = site.request(path)
            assert status == 200 and body == index and headers["cache-control"] == "no-cache", path
            assert headers["content-type"] == "text/html; charset=utf-8"
        assets = re.findall(rb'(/assets/[^"]+\.(?:js|css))', index)
        assert len(assets) == 2, index
        for asset in assets:
            status, headers, body = site.request(asset.decode())
            assert status == 200 and headers["cache-control"] == IMMUTABLE, asset
            assert site.request(asset.decode(), headers={"If-None-Match": headers["etag"]})[0] == 304
        # a missing file is a 404 even in an SPA
        assert site.request("/assets/missing-3f2a1c9b.js")[0] == 404
        assert site.request("/favicon.png")[0] == 404
        _never_served(site, spa_index=index)
