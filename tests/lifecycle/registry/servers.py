"""Test servers on 127.0.0.1: a real `docker-registry` (Debian's distribution 2.8) with
htpasswd auth and TLS from a CA made here with openssl, and a small HTTPS proxy in front of
it that counts requests, injects faults (500, 429 with Retry-After, a dropped connection
mid-upload, a corrupted blob) and can play a bearer-token server."""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import os
import secrets
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import LAYER_GZIP, Descriptor, Image
from tests.conftest import need

USER, PASSWORD = "packer", "s3cret-pw-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ca(directory: Path) -> dict[str, Path]:
    """A CA, and a server certificate it signed for 127.0.0.1 and localhost."""
    openssl = need("openssl", ["version"])
    d = directory
    run = lambda *args: subprocess.run([openssl, *args], cwd=d, check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=pack-it test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                               "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    cert_dir = d / "certs.d"  # what skopeo --src-cert-dir and podman --cert-dir read: *.crt are CAs
    cert_dir.mkdir()
    (cert_dir / "ca.crt").write_bytes((d / "ca.crt").read_bytes())
    return {"ca": d / "ca.crt", "cert": d / "server.crt", "key": d / "server.key", "cert_dir": cert_dir}


def _wait_tls(port: int, ca: Path, process=None, timeout: float = 20) -> None:
    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPSConnection(f"127.0.0.1:{port}", context=context, timeout=2)
            conn.request("GET", "/v2/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if process is not None and process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers HTTPS on 127.0.0.1:{port}")
            time.sleep(0.1)


@dataclass
class TestRegistry:
    host: str
    ca: Path
    cert_dir: Path
    cert: Path
    key: Path
    log: Path
    process: subprocess.Popen
    username: str = USER
    password: str = PASSWORD

    @property
    def creds(self) -> str:
        return f"{self.username}:{self.password}"


def start_registry(directory: Path) -> TestRegistry:
    registry = need("docker-registry", ["--version"])
    htpasswd = need("htpasswd", ["-nbB", "probe", "probe"])
    tls = make_ca(directory)
    users = subprocess.run([htpasswd, "-nbB", USER, PASSWORD], check=True, capture_output=True, text=True).stdout
    (directory / "htpasswd").write_text(users)
    port = free_port()
    config = directory / "config.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {"filesystem": {"rootdirectory": str(directory / "storage")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "tls": {"certificate": str(tls["cert"]), "key": str(tls["key"])}},
        "auth": {"htpasswd": {"realm": "pack-it-test", "path": str(directory / "htpasswd")}},
    }))
    log = directory / "registry.log"
    process = subprocess.Popen([registry, "serve", str(config)], stdout=log.open("wb"), stderr=subprocess.STDOUT)
    _wait_tls(port, tls["ca"], process)
    return TestRegistry(f"127.0.0.1:{port}", tls["ca"], tls["cert_dir"], tls["cert"], tls["key"], log, process)


@dataclass
class Fault:
    """Applied to the first request matching method and path fragment, `times` times."""
    method: str
    path_contains: str
    action: str  # "500", "429", "drop" (mid-body), "corrupt" (flip a byte of the response)
    times: int = 1


@dataclass
class Proxy:
    """HTTPS on 127.0.0.1 in front of a TestRegistry, with the same certificate."""
    upstream: TestRegistry
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    bearer: bool = False  # answer 401 with a Bearer challenge; /token hands out tokens
    token_requests: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.requests.clear(), self.faults.clear(), self.applied.clear(), self.token_requests.clear()

    def blob_writes(self) -> list[tuple[str, str]]:
        """The requests that upload blob data (POST/PATCH/PUT to blobs/uploads)."""
        return [(m, p) for m, p in self.requests if m in ("POST", "PATCH", "PUT") and "/blobs/uploads" in p]

    def take_fault(self, method: str, path: str) -> str | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path_contains in path:
                fault.times -= 1
                self.applied.append(f"{fault.action} {method} {path.split('?')[0]}")
                return fault.action
        return None


def start_proxy(upstream: TestRegistry) -> tuple[Proxy, http.server.ThreadingHTTPServer]:
    proxy = Proxy(upstream)
    client_context = ssl.create_default_context(cafile=str(upstream.ca))
    basic_upstream = "Basic " + base64.b64encode(upstream.creds.encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _reply(self, status: int, headers: dict, body: bytes = b"") -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _token(self) -> None:
            proxy.token_requests.append(self.path)
            if self.headers.get("Authorization") != basic_upstream:
                return self._reply(401, {"Content-Type": "application/json"}, b'{"details":"bad credentials"}')
            token = secrets.token_hex(8)
            proxy.tokens.add(token)
            self._reply(200, {"Content-Type": "application/json"}, json.dumps({"token": token}).encode())

        def _any(self) -> None:
            proxy.requests.append((self.command, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            # Faults hit requests that carry credentials: the first, bare try only fetches a 401.
            action = proxy.take_fault(self.command, self.path) if self.headers.get("Authorization") or proxy.bearer \
                else None
            if action == "drop":
                self.rfile.read(length // 2)  # part of the body, then the connection goes away
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            if action == "500":
                return self._reply(500, {"Content-Type": "text/plain"}, b"injected failure")
            if action == "429":
                return self._reply(429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down")
            if proxy.bearer and self.path.startswith("/token"):
                return self._token()
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "content-length", "transfer-encoding", "authorization")}
            auth = self.headers.get("Authorization", "")
            if proxy.bearer:
                if auth.removeprefix("Bearer ") not in proxy.tokens:
                    challenge = (f'Bearer realm="https://{proxy.host}/token",service="pack-it-test",'
                                 'scope="repository:unknown:pull"')
                    return self._reply(401, {"WWW-Authenticate": challenge, "Content-Type": "application/json"},
                                       b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
                headers["Authorization"] = basic_upstream
            elif auth:
                headers["Authorization"] = auth
            conn = http.client.HTTPSConnection(upstream.host, context=client_context, timeout=60)
            try:
                headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                out = {k: v for k, v in response.getheaders()
                       if k.lower() not in ("connection", "transfer-encoding", "content-length")}
                if self.command == "HEAD":
                    out["Content-Length"] = response.getheader("Content-Length", "0")
                if action == "corrupt" and data:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                self._reply(response.status, out, data)
            finally:
                conn.close()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(upstream.cert), str(upstream.key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    proxy.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return proxy, server


def synthetic_image(cache: Cache, sizes: tuple[int, ...] = (1500, 300_000)) -> Image:
    """A cheap image of random blobs (a registry does not look inside layers)."""
    layers = []
    for size in sizes:
        digest = cache.put_bytes(os.urandom(size))
        layers.append(Descriptor(LAYER_GZIP, digest, size))
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [d.digest for d in layers]}}
    image = Image.assemble(config, layers)
    cache.put_bytes(image.config)
    cache.put_bytes(image.manifest)
    return image
