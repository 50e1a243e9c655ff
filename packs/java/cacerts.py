"""The Java trust store (lib/security/cacerts) made from the CA bundle of the static stack's
ca-certificates package, as distroless' java images do: Debian generates its cacerts in
ca-certificates-java's maintainer script, which a run image never runs, so the JDK's
cacerts link would name nothing. Written as a JKS file (the format Java's default trust
store reads; certificates only, no private keys), deterministic: aliases from each
certificate's file name, every timestamp the layers' epoch.

JKS: magic FEEDFEED, version 2, the entry count; per entry: tag 2 (trusted certificate), the
alias (Java modified UTF-8 with a 2-byte length), the time in ms, "X.509", the DER length and
bytes; then SHA-1 over the store password as UTF-16BE, "Mighty Aphrodite" and everything
before it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
from pathlib import Path

from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter

PASSWORD = "changeit"  # the JDK's default trust store password
STORE_FORMAT = "1"  # bump when what build_store() writes changes
BUILD_EPOCH = 315532801  # the build tools' trust store never reaches an image: any fixed time
CA_DIR = "usr/share/ca-certificates/"
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.*?)-----END CERTIFICATE-----", re.S)


def _utf(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">H", len(data)) + data


def jks(certificates: dict[str, bytes], epoch: int) -> bytes:
    """A JKS trust store of `certificates` (alias -> DER), sorted by alias."""
    out = bytearray(struct.pack(">III", 0xFEEDFEED, 2, len(certificates)))
    for alias in sorted(certificates):
        der = certificates[alias]
        out += struct.pack(">I", 2) + _utf(alias) + struct.pack(">q", epoch * 1000) + _utf("X.509")
        out += struct.pack(">I", len(der)) + der
    digest = hashlib.sha1(PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite" + bytes(out)).digest()
    return bytes(out) + digest


def der_certificates(pem_files: dict[str, bytes]) -> dict[str, bytes]:
    """alias -> DER for every certificate in `pem_files` (path -> PEM text); the alias is the
    file name, lowercased, as Debian's update-ca-certificates names them (`debian:<name>`)."""
    found = {}
    for path, data in pem_files.items():
        name = path.rsplit("/", 1)[-1].lower()
        for number, match in enumerate(_PEM.finditer(data)):
            alias = f"debian:{name}" + (f"-{number}" if number else "")
            found[alias] = base64.b64decode(b"".join(match.group(1).split()))
    return found


def host_bundle() -> dict[str, bytes]:
    """The host's CA bundle (SSL_CERT_FILE, else OpenSSL's default file), as one PEM file."""
    import os
    import ssl

    path = os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().cafile
    try:
        return {"host-ca-bundle": open(path, "rb").read()} if path else {}
    except OSError:
        return {}


def for_build(release: str, cache: Cache, reporter: Reporter) -> bytes:
    """The build tools' trust store: the stack's CA certificates and the host's. Maven and
    Gradle reach their registries from the host, through whatever proxy the host trusts (its
    CA is in the host's bundle, not in Debian's package); the run image trusts only the
    stack's (from_stack)."""
    return jks({**stack_certificates(release, cache, reporter), **der_certificates(host_bundle())}, BUILD_EPOCH)


def build_store(release: str, cache: Cache, reporter: Reporter, directory: Path) -> Path:
    """for_build's trust store as a file in `directory` (the pack's cache), made once per stack
    package and host bundle: parsing some 150 certificates cost every build 80 ms."""
    from pack_it.lifecycle.stacks import lockfile

    package = next(p for p in lockfile.read("static", release) if p.name == "ca-certificates")
    host = host_bundle()
    h = hashlib.sha256(f"{STORE_FORMAT}\0{release}\0{package.sha256}\0{BUILD_EPOCH}\0".encode())
    for data in host.values():
        h.update(data)
    path = directory / f"{h.hexdigest()[:32]}.jks"
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.partial")
        tmp.write_bytes(jks({**stack_certificates(release, cache, reporter), **der_certificates(host)}, BUILD_EPOCH))
        tmp.replace(path)
    return path


def from_stack(release: str, cache: Cache, reporter: Reporter, epoch: int) -> bytes:
    """The trust store of the static stack's CA certificates for `release`."""
    return jks(stack_certificates(release, cache, reporter), epoch)


def stack_certificates(release: str, cache: Cache, reporter: Reporter) -> dict[str, bytes]:
    """alias -> DER of the static stack's CA certificates for `release` (its locked
    ca-certificates .deb, fetched if the cache lacks it)."""
    from pack_it.lifecycle.stacks import lockfile
    from pack_it.lifecycle.stacks.deb import read_deb
    from pack_it.lifecycle.stacks.retention import fetch_locked
    from pack_it.errors import export_error

    package = next(p for p in lockfile.read("static", release) if p.name == "ca-certificates")
    blob = cache.blob_path("sha256:" + package.sha256)
    if not cache.has_blob("sha256:" + package.sha256) and not fetch_locked(package, blob, reporter):
        raise export_error(f"ca-certificates {package.version} is gone from the Debian archive and every "
                           "retention mirror.", "Set PACK_IT_DEBIAN_RETENTION_MIRRORS, or update pack-it's locks.")
    pem = {e.path: e.data for e in read_deb(blob).entries
           if e.path.startswith(CA_DIR) and e.path.endswith(".crt") and e.kind == "file" and e.data}
    return der_certificates(pem)
