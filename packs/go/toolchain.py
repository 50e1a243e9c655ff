"""Go toolchains: which release a go.mod asks for, and fetching it as `GOTOOLCHAIN` does.

The Go project publishes every release as the module `golang.org/toolchain`, version
`v0.0.1-go<version>.<goos>-<goarch>`, on the module proxy; the checksum database records its
`h1:` hash (Go's dirhash: sha256 over the sorted "<sha256>  <name>\\n" lines of the zip's files,
base64), the hash `go` checks before running a downloaded toolchain. pack-it's versions index
holds that hash for every release (`go` section: version -> {"h1": ...}), taken from the
checksum database by `pack-it versions update` (releases_from_proxy); a build checks the zip it
downloads against the index, so no build depends on what the proxy or the database say on the
day. Unpacked toolchains are kept per release:

    <cache>/packs/go/toolchains/go<version>.linux-amd64/bin/go
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import stat
import time
import zipfile
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import Iterator, Mapping
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from pack_it.errors import MISSING_TOOLCHAIN, PackItError, build_error
from pack_it.lifecycle.cache import scratch_dir

PROXY = "https://proxy.golang.org"
PROXY_ENV = "PACK_IT_GOPROXY"  # a GOPROXY-style base URL (one, http or https)
MODE_ENV = "PACK_IT_GO_TOOLCHAIN"  # auto (default) | local | download
MODES = ("auto", "local", "download")
MODULE = "golang.org/toolchain"
SUMDB = "sum.golang.org"
INDEX_RUNTIME = "go"  # the versions index's section for Go
GOOS, GOARCH = "linux", "amd64"
TIMEOUT = 60
_LISTED = re.compile(r"v0\.0\.1-go(1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)\." + f"{GOOS}-{GOARCH}")
_NETWORK_HINT = f"Check the network connection, or set {PROXY_ENV} to a reachable Go module proxy."


def _fail(message: str, hint: str = _NETWORK_HINT) -> PackItError:
    return build_error(message, hint, exit_code=MISSING_TOOLCHAIN)


# Which release ------------------------------------------------------------------------------

def key(version: str) -> Version:
    try:
        return Version(version)
    except ValueError:  # InvalidVersion, or a number over 4300 digits
        return Version("0")


def stable(version: str) -> bool:
    return re.fullmatch(r"1\.\d+\.\d+", version) is not None


def choose(version: str, exact: bool, releases: Mapping[str, Mapping[str, str]]) -> str | None:
    """The release of the index the build fetches when the host's go will not do: the pinned
    one (exact), else the newest stable patch of the asked minor (`go 1.22` means 1.22.0 or
    newer, and a newer patch is a bug-fix release of the same language), else for no version
    the newest stable release. None when the index has none."""
    if exact:
        return version if version in releases else None
    found = sorted((v for v in releases if stable(v)), key=key)
    if version != "any":
        found = [v for v in found if v.rsplit(".", 1)[0] == version]
    return found[-1] if found else None


def satisfies(host: str, version: str, exact: bool) -> bool:
    """Whether the host's go builds what go.mod asks: the same release for a pin, at least the
    minimum otherwise (as GOTOOLCHAIN=auto uses a local go that is new enough)."""
    if version == "any":
        return True
    return host == version if exact else key(host) >= key(version)


def module_version(version: str) -> str:
    return f"v0.0.1-go{version}.{GOOS}-{GOARCH}"


def proxy_base(env: Mapping[str, str] | None = None) -> str:
    base = ((env or {}).get(PROXY_ENV) or os.environ.get(PROXY_ENV) or PROXY).rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise build_error(f"{PROXY_ENV}={base} is not an http(s) URL.",
                          f"Set {PROXY_ENV} to a Go module proxy's base URL, e.g. {PROXY}.", exit_code=1)
    return base


# Network ------------------------------------------------------------------------------------

def _stream(url: str) -> Iterator[bytes]:
    from http.client import HTTPException
    from urllib.error import HTTPError
    from urllib.request import urlopen

    try:
        with urlopen(url, timeout=TIMEOUT) as r:
            while chunk := r.read(1 << 20):
                yield chunk
    except HTTPError as e:
        e.close()
        raise _fail(f"{url} answered HTTP {e.code} {e.reason}.") from None
    except (OSError, HTTPException) as e:
        raise _fail(f"Could not reach {url} ({getattr(e, 'reason', e)}).") from None


def _text(url: str) -> str:
    return b"".join(_stream(url)).decode("utf-8", "replace")


# The h1: hash -------------------------------------------------------------------------------

def dirhash(archive: Path) -> str:
    """Go's `h1:` hash of a module zip (golang.org/x/mod/sumdb/dirhash.HashZip)."""
    lines = []
    with zipfile.ZipFile(archive) as z:
        for name in sorted(i.filename for i in z.infolist()):
            if "\n" in name:
                raise _fail(f"{archive.name} holds a file name with a newline; refusing it.", _SOURCE_HINT)
            digest = hashlib.sha256()
            with z.open(name) as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            lines.append(f"{digest.hexdigest()}  {name}\n")
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


_SOURCE_HINT = f"The proxy is not serving the Go project's toolchain zip; check {PROXY_ENV}."


# Unpacking ----------------------------------------------------------------------------------

def _safe_members(z: zipfile.ZipFile, prefix: str, name: str) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every entry with its path below `prefix`; refuses absolute paths, `..`, links and
    entries outside the module's directory before anything is written."""
    members = []
    for info in z.infolist():
        mode = info.external_attr >> 16
        path = PurePosixPath(info.filename)
        if info.filename.startswith("/") or "\\" in info.filename or ".." in path.parts:
            raise _fail(f"{name} has an entry with an unsafe path ({info.filename!r}); refusing it.", _SOURCE_HINT)
        if stat.S_ISLNK(mode) or (mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
            raise _fail(f"{name} has an entry that is a link or special file ({info.filename!r}); refusing it.",
                        _SOURCE_HINT)
        if not info.filename.startswith(prefix):
            raise _fail(f"{name} has an entry outside {prefix} ({info.filename!r}); refusing it.", _SOURCE_HINT)
        if not info.is_dir():
            members.append((info, PurePosixPath(info.filename[len(prefix):])))
    return members


def unpack(archive: Path, version: str, dest: Path) -> None:
    """The toolchain's files, without the `golang.org/toolchain@<v>/` prefix, into `dest`;
    executables keep their mode (bin/go, pkg/tool/...), everything else is 0644."""
    prefix = f"{MODULE}@{module_version(version)}/"
    try:
        with zipfile.ZipFile(archive) as z:
            members = _safe_members(z, prefix, archive.name)
            for info, rel in members:
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                target.chmod(0o755 if (info.external_attr >> 16) & 0o111 else 0o644)
    except zipfile.BadZipFile as e:
        raise _fail(f"{archive.name} is not a readable zip archive ({e}).", _SOURCE_HINT) from None
    if not (dest / "bin" / "go").is_file():
        raise _fail(f"{archive.name} has no bin/go.", _SOURCE_HINT)


# Fetching -----------------------------------------------------------------------------------

def cached(toolchains: Path, version: str) -> Path | None:
    home = toolchains / f"go{version}.{GOOS}-{GOARCH}"
    return home if (home / "bin" / "go").is_file() else None


def fetch(version: str, h1: str, toolchains: Path, proxy: str, cache_root: Path) -> Path:
    """GOROOT of Go `version`: from the cache, else downloaded from `proxy`, checked against
    `h1` (the versions index's hash) and unpacked into a scratch directory of the cache at
    `cache_root` that is renamed into place only when complete; on any failure (a kill
    included: the next build sweeps it) nothing is left."""
    if hit := cached(toolchains, version):
        return hit
    url = f"{proxy}/{MODULE}/@v/{module_version(version)}.zip"
    try:
        toolchains.mkdir(parents=True, exist_ok=True)
        scratch = ExitStack()  # left by `with scratch` below
        staging = scratch.enter_context(scratch_dir(cache_root, "go-toolchain-"))
    except OSError as e:
        raise _fail(f"Cannot write Go toolchains into the cache {toolchains}: {e.strerror or e}.",
                    "Pass a writable cache directory with --cache-dir.") from None
    with scratch:
        archive = staging / f"go{version}.zip"
        with open(archive, "wb") as out:
            for chunk in _stream(url):
                out.write(chunk)
        try:
            got = dirhash(archive)
        except zipfile.BadZipFile as e:
            raise _fail(f"{url} is not a readable zip archive ({e}).", _SOURCE_HINT) from None
        if got != h1:
            raise _fail(f"The Go {version} toolchain from {url} does not match the {h1} hash that pack-it's "
                        f"versions index records for it (got {got}); refusing it.",
                        f"Try again; if it persists, {PROXY_ENV} or a proxy in between serves a different file.")
        unpack(archive, version, staging / "go")
        try:
            os.rename(staging / "go", toolchains / f"go{version}.{GOOS}-{GOARCH}")
        except OSError:
            if cached(toolchains, version) is None:
                raise  # else another build put the same release in place first
    return cached(toolchains, version)  # type: ignore[return-value]


# The versions index -------------------------------------------------------------------------

def _lookup(sumdb: str, version: str) -> str:
    """The h1: hash the checksum database records for the toolchain module."""
    mv = module_version(version)
    text = _text(f"{sumdb}/lookup/{MODULE}@{mv}")
    for line in text.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == MODULE and words[1] == mv and words[2].startswith("h1:"):
            return words[2]
    raise _fail(f"{sumdb} has no h1: hash for {MODULE}@{mv}.", _NETWORK_HINT)


def _served(url: str) -> bool:
    """Whether the proxy serves `url` (200), or answers that it has no such version."""
    from urllib.error import HTTPError
    from urllib.request import urlopen

    for attempt in range(3):  # a refresh asks ~200 of these: a resolver hiccup is tried again
        try:
            with urlopen(url, timeout=TIMEOUT):
                return True
        except HTTPError as e:
            e.close()
            if e.code in (403, 404, 410):  # the proxy's "no such version" answers
                return False
            raise _fail(f"{url} answered HTTP {e.code} {e.reason}.") from None
        except OSError as e:
            if attempt == 2:
                raise _fail(f"Cannot reach {url}: {getattr(e, 'reason', None) or e}.") from None
            time.sleep(1 + attempt)
    return False


def _unlisted(base: str, listed: list[str]) -> list[str]:
    """The stable releases the proxy serves but leaves out of its list (its list holds only the
    versions someone fetched through it: go 1.22.3 and 1.25.14 were missing): each patch
    below a minor's newest listed one, and the ones after it up to the first it does not serve."""
    newest: dict[str, int] = {}
    for version in filter(stable, listed):
        minor, patch = version.rsplit(".", 1)
        newest[minor] = max(newest.get(minor, 0), int(patch))
    gaps = [f"{minor}.{n}" for minor, top in newest.items()
            for n in range(0 if key(minor) >= Version("1.21") else 1, top)  # before 1.21 the .0 is named 1.x
            if f"{minor}.{n}" not in listed]
    from concurrent.futures import ThreadPoolExecutor  # here: only `versions update` probes the proxy

    with ThreadPoolExecutor(8) as pool:
        found = [v for v, ok in zip(gaps, pool.map(lambda v: _served(_info_url(base, v)), gaps)) if ok]
    for minor, top in newest.items():
        after = top + 1
        while _served(_info_url(base, f"{minor}.{after}")):
            found.append(f"{minor}.{after}")
            after += 1
    return found


def _info_url(base: str, version: str) -> str:
    return f"{base}/{MODULE}/@v/{module_version(version)}.info"


def releases_from_proxy(proxy: str | None = None) -> dict[str, dict[str, str]]:
    """Every linux-amd64 release the proxy serves (its list, and the stable releases its list
    leaves out), with the h1: hash the checksum database records for it (asked through the
    proxy, as `go` does when GOPROXY serves /sumdb/)."""
    base = proxy or proxy_base()
    listed = sorted({m.group(1) for line in _text(f"{base}/{MODULE}/@v/list").split()
                     if (m := _LISTED.fullmatch(line))}, key=key)
    every = sorted({*listed, *_unlisted(base, listed)}, key=key)
    sumdb = f"{base}/sumdb/{SUMDB}"
    from concurrent.futures import ThreadPoolExecutor  # here: only `versions update` asks the checksum database

    with ThreadPoolExecutor(8) as pool:
        hashes = list(pool.map(lambda v: _lookup(sumdb, v), every))
    return {v: {"h1": h} for v, h in zip(every, hashes)}
