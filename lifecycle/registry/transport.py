"""HTTP to one registry: HTTPS verified against the system's CAs (or `--registry-ca`), plain
HTTP only for a host named by `--insecure-registry`; retries with backoff on 429 (honouring
Retry-After), 5xx and dropped connections; redirects followed without the Authorization
header when they leave the registry (blob storage is often a signed URL elsewhere)."""

from __future__ import annotations

import email.utils
import http.client
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Protocol

from pack_it.errors import PackItError, export_error

ATTEMPTS = 5
FIRST_BACKOFF = 0.5  # seconds, doubled each attempt
MAX_WAIT = 30.0  # the longest Retry-After we honour
TIMEOUT = 60.0
READ = 1 << 20
RETRIED_STATUSES = {429, 500, 502, 503, 504}
REDIRECTS = {301, 302, 303, 307, 308}


class Unreachable(PackItError):
    """The registry could not be reached, or the connection kept dropping."""


class Sink(Protocol):
    """Where a streamed response body goes; reset() before each attempt."""

    def reset(self) -> None: ...

    def write(self, data: bytes) -> object: ...


@dataclass(frozen=True)
class FileRange:
    """A request body read from a file: `length` bytes from `offset` (a chunk of a blob)."""
    path: Path
    offset: int
    length: int


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    url: str

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class TransportOptions:
    ca_file: Path | None = None
    insecure_hosts: frozenset[str] = frozenset()  # plain HTTP, only for these
    sleep: Callable[[float], None] = time.sleep
    attempts: int = ATTEMPTS
    timeout: float = TIMEOUT
    on_retry: Callable[[str], None] = field(default=lambda message: None)


class _Bounded:
    """A file object that yields only `length` bytes (http.client reads bodies by read())."""

    def __init__(self, f: BinaryIO, length: int) -> None:
        self.f, self.left = f, length

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n) if n else b""
        self.left -= len(data)
        return data


class Transport:
    def __init__(self, host: str, options: TransportOptions, exit_code: int) -> None:
        self.host = host
        self.options = options
        self.exit_code = exit_code  # 61 when pushing, 62 when reading an input image
        self.scheme = "http" if host in options.insecure_hosts else "https"
        self._tls = None if self.scheme == "http" else self._tls_context()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def _tls_context(self) -> ssl.SSLContext:
        try:
            # create_default_context verifies the chain and the host name; --registry-ca is
            # trusted besides the system's CAs (a token server may use a public one).
            context = ssl.create_default_context()
            if self.options.ca_file:
                context.load_verify_locations(cafile=str(self.options.ca_file))
            return context
        except (OSError, ssl.SSLError) as e:
            raise export_error(f"Cannot read the CA file {self.options.ca_file} for {self.host}: {e}.",
                               "Give --registry-ca a PEM file of the CA that signed the registry's certificate.",
                               exit_code=self.exit_code)

    def request(self, method: str, url: str, headers: dict[str, str] | None = None,
                body: bytes | FileRange | None = None, sink: Sink | None = None,
                retry: bool = True) -> Response:
        """One request, retried (when `retry`) on 429, 5xx and dropped connections; the last
        response is returned whatever its status, for the caller to judge."""
        attempt = 0
        while True:
            attempt += 1
            try:
                if sink is not None:
                    sink.reset()
                response = self._follow(method, url, dict(headers or {}), body, sink)
            except ssl.SSLCertVerificationError as e:
                raise export_error(
                    f"The TLS certificate of the registry {self.host} cannot be verified ({e.verify_message}).",
                    "Give the CA that signed it with --registry-ca FILE; plain HTTP needs --insecure-registry HOST.",
                    exit_code=self.exit_code)
            except (OSError, http.client.HTTPException) as e:
                if not retry or attempt >= self.options.attempts:
                    raise Unreachable(
                        f"The registry {self.host} cannot be reached: {_describe(e)}.",
                        hint="Check the host and port, and that the registry is running"
                        + ("" if self.scheme == "http" else " and speaks HTTPS (plain HTTP needs --insecure-registry HOST)")
                        + ".", exit_code=self.exit_code, phase="export")
                self._wait(attempt, None, f"{method} to {self.host}: {_describe(e)}")
                continue
            if retry and response.status in RETRIED_STATUSES and attempt < self.options.attempts:
                self._wait(attempt, response.header("retry-after"), f"{method} to {self.host}: HTTP {response.status}")
                continue
            return response

    def _wait(self, attempt: int, retry_after: str | None, why: str) -> None:
        delay = _retry_after(retry_after)
        if delay is None:
            delay = FIRST_BACKOFF * 2 ** (attempt - 1)
        self.options.on_retry(f"{why}; retrying in {delay:.1f}s")
        self.options.sleep(min(delay, MAX_WAIT))

    def _follow(self, method, url, headers, body, sink) -> Response:
        for _ in range(5):
            response = self._once(method, url, headers, body, sink)
            location = response.header("location")
            if method not in ("GET", "HEAD") or response.status not in REDIRECTS or not location:
                return response
            target = urllib.parse.urljoin(url, location)
            if urllib.parse.urlsplit(target).netloc != urllib.parse.urlsplit(url).netloc:
                # The registry's credentials are for the registry, not for its blob store.
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            url = target
            if sink is not None:
                sink.reset()
        return response

    def _once(self, method: str, url: str, headers: dict, body, sink) -> Response:
        parts = urllib.parse.urlsplit(url)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.netloc, timeout=self.options.timeout,
                                               context=self._tls or self._tls_context())
        elif parts.scheme == "http" and parts.netloc in self.options.insecure_hosts:
            conn = http.client.HTTPConnection(parts.netloc, timeout=self.options.timeout)
        else:
            # A redirect to plain HTTP would undo the TLS the user asked for.
            raise export_error(f"The registry {self.host} redirected to {parts.scheme}://{parts.netloc}, "
                               "which is not HTTPS.", "Name that host with --insecure-registry if it is meant.",
                               exit_code=self.exit_code)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            if isinstance(body, FileRange):
                headers["Content-Length"] = str(body.length)
                with body.path.open("rb") as f:
                    f.seek(body.offset)
                    conn.request(method, path, body=_Bounded(f, body.length), headers=headers)
            else:
                if body is not None or method in ("PUT", "POST", "PATCH"):
                    headers["Content-Length"] = str(len(body or b""))
                conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            status = raw.status
            names = {k.lower(): v for k, v in raw.getheaders()}
            data = b""
            if method != "HEAD":
                if sink is not None and 200 <= status < 300:
                    while chunk := raw.read(READ):
                        sink.write(chunk)
                else:
                    data = raw.read()
            return Response(status, names, data, url)
        finally:
            conn.close()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(e: BaseException) -> str:
    if isinstance(e, socket.timeout):
        return "timed out"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "the connection was dropped"
    if isinstance(e, socket.gaierror):
        return "unknown host"
    return type(e).__name__ + (f" ({e.strerror})" if isinstance(e, OSError) and e.strerror else "")
