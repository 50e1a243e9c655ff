"""The Maven wrapper's distribution, installed by pack-it where `./mvnw` looks for it, so the
script only execs Maven.

Why: an only-script `mvnw` (wrapper 3.3, what Spring Initializr generates) downloads Maven
itself with wget or curl and unpacks it with unzip; the build root has none of the three.
Without unzip the script fetches the .tar.gz instead of the .zip its distributionSha256Sum
is for, and fails the checksum ("your Maven distribution might be compromised"). pack-it
fetches the .zip the properties name, checks it against distributionSha256Sum (naming the
file and line when it does not match) and unpacks it at the path the script computes:

    $MAVEN_USER_HOME/wrapper/dists/<apache-maven-V>/<hash>/    hash: Java's String.hashCode
                                                               of the URL, unsigned, in hex

The jar-based wrapper (distributionType bin or source, .mvn/wrapper/maven-wrapper.jar)
downloads and unpacks in Java, which the build root can run: it is left to itself.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.errors import MISSING_TOOLCHAIN, build_error

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

PROPERTIES = ".mvn/wrapper/maven-wrapper.properties"
# The script's MVNW_REPOURL rewrites the URL from this path on (mvnw: _MVNW_REPO_PATTERN).
REPO_PATTERN = "/org/apache/maven/"


@dataclass(frozen=True)
class Distribution:
    url: str  # as the script computes it (MVNW_REPOURL applied)
    sha256: str | None
    sha256_line: int  # where distributionSha256Sum is, for the error
    type: str

    @property
    def name(self) -> str:
        """apache-maven-3.9.16, the script's distributionUrlNameMain."""
        return posixpath.basename(self.url).rsplit(".", 1)[0].removesuffix("-bin")

    def home(self, user_home: Path) -> Path:
        return user_home / "wrapper" / "dists" / self.name / hash_string(self.url)


def hash_string(text: str) -> str:
    """mvnw's hash_string: Java's String.hashCode over the bytes, modulo 2**32, in hex."""
    h = 0
    for byte in text.encode():
        h = (h * 31 + byte) % 4294967296
    return format(h, "x")


def read_properties(path: Path) -> dict[str, tuple[str, int]]:
    """key -> (value, line) of a .properties file as the only-script wrapper reads it: split
    at the first `=`, the value's whitespace (a CRLF file's \\r) removed, no escapes undone."""
    found = {}
    for number, line in enumerate(path.read_text(errors="replace").split("\n"), 1):
        key, _, value = line.partition("=")  # the script's `IFS="=" read -r key value`: the key as written
        found[key] = ("".join(value.split()), number)
    return found


def distribution(source: Path, env: dict[str, str]) -> Distribution | None:
    """What the only-script wrapper of the project copied to `source` would download, or
    None when the wrapper downloads by other means (the jar, mvnd)."""
    props = read_properties(source / PROPERTIES)
    url = props.get("distributionUrl", ("", 0))[0]
    kind = props.get("distributionType", ("", 0))[0]
    if kind != "only-script" or not url.endswith("-bin.zip") or "/maven-mvnd-" in url:
        return None
    repo = env.get("MVNW_REPOURL")
    if repo and REPO_PATTERN in url:
        url = repo + REPO_PATTERN + url.split(REPO_PATTERN, 1)[1]
    sha, line = props.get("distributionSha256Sum", ("", 0))
    return Distribution(url, sha.lower() or None, line, kind)


def install(ctx: BuildContext, dist: Distribution, user_home: Path, mirror: tuple[str, str] | None = None) -> Path:
    """MAVEN_HOME for `dist` under `user_home`, downloaded and unpacked once. `mirror`
    (original prefix, replacement) fetches the same file from a Maven Central mirror."""
    home = dist.home(user_home)
    if (home / "bin" / "mvn").is_file():
        return home
    from pack_it.packs.node.runtime import _stream

    fetch_url = dist.url
    if mirror and fetch_url.startswith(mirror[0] + "/"):
        fetch_url = mirror[1] + fetch_url[len(mirror[0]):]
    ctx.reporter.step(f"  Maven wrapper: fetching {dist.name} from {fetch_url}")
    staging = ctx.work / "mvnw-dist"
    staging.mkdir(parents=True, exist_ok=True)
    archive = staging / posixpath.basename(dist.url)
    digest = hashlib.sha256()
    with archive.open("wb") as out:
        for chunk in _stream(fetch_url, hint="Check the network, or set PACK_IT_MAVEN_CENTRAL to a Maven Central "
                             "mirror (MVNW_REPOURL through --env for the wrapper's own repository)."):
            digest.update(chunk)
            out.write(chunk)
    if dist.sha256 is not None and digest.hexdigest() != dist.sha256:
        raise build_error(f"{PROPERTIES}, line {dist.sha256_line}: distributionSha256Sum does not match "
                          f"{fetch_url} (its SHA-256 is {digest.hexdigest()}); refusing it.",
                          "Set distributionSha256Sum to the published checksum of that distribution, or check "
                          "that the URL (and any mirror) serves the official file.", exit_code=MISSING_TOOLCHAIN)
    top = _unzip(archive, staging / "out")
    (top / "mvnw.url").write_text(dist.url + "\n")
    ctx.cache.place_dir(top, home, ready=home / "bin" / "mvn")
    shutil.rmtree(staging, ignore_errors=True)
    return home


def _unzip(archive: Path, dest: Path) -> Path:
    """Unpacks the distribution (no absolute names, no `..`, no links); returns the directory
    holding bin/mvn, as the script finds it."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            name = posixpath.normpath(info.filename)
            mode = info.external_attr >> 16
            if name.startswith(("/", "../")) or name == ".." or (mode & 0o170000) == 0o120000:
                raise build_error(f"The Maven distribution {archive.name} holds an unsafe entry {info.filename!r}.",
                                  "Point distributionUrl at an official Maven distribution.",
                                  exit_code=MISSING_TOOLCHAIN)
            target = dest / name
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
            target.chmod(0o755 if mode & 0o111 else 0o644)
    found = sorted(p.parent.parent for p in dest.glob("*/bin/mvn"))
    if not found:
        raise build_error(f"The Maven distribution {archive.name} has no */bin/mvn.",
                          "Point distributionUrl at a Maven binary distribution (-bin.zip).", exit_code=MISSING_TOOLCHAIN)
    return found[0]
