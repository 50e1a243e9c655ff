"""Bun binaries (bin/bun): the Node pack's runtime layer for a Bun app, and the tool that
installs its dependencies and runs its build script.

The binary comes from the npm package @oven/bun-linux-x64 (its package/bin/bun), which the
Bun project publishes for every release. Which versions exist, and each tarball's sha512
integrity, come from pack-it's versions index (its `bun` section), never from what the
registry lists on the day; `pack-it versions update` asks the registry's abbreviated
package document (releases_from_registry). fetch_bun() keeps each version:

    <cache>/bun/<version>-x64/bin/bun

bun is linked against glibc only (libc, libpthread, libdl, libm: `readelf -d`), so it runs on
the node stack, which has libc6 (and the C++ runtime Node needs, 2.3 MB bun does not use).
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.lifecycle import versions as versions_index
from pack_it.lifecycle.cache import scratch_dir
from pack_it.lifecycle.layers import Layer
from pack_it.packs.node import runtime

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

INDEX_RUNTIME = "bun"  # the versions index's section for Bun
PACKAGE = "@oven/bun-linux-x64"
ARCH = "x64"  # the only architecture the index records
_EXACT = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_HINT = ("Check the network connection, or set PACK_IT_NPM_REGISTRY to a reachable npm registry "
         f"that serves {PACKAGE}.")


def _fail(message: str, hint: str = _HINT):
    return build_error(message, hint, exit_code=MISSING_TOOLCHAIN)


class BunRegistrySource:
    """The npm package @oven/bun-linux-x64 on a registry laid out as registry.npmjs.org is."""

    def __init__(self, registry: str | None = None) -> None:
        self.url = f"{runtime.npm_registry(registry).rstrip('/')}/{PACKAGE}"

    def tarball(self, version: str) -> str:
        return f"{self.url}/-/{PACKAGE.rsplit('/', 1)[1]}-{version}.tgz"

    def releases(self) -> dict[str, dict[str, str]]:
        """Every release (x.y.z, no canaries) with its tarball's integrity, for the versions index."""
        doc = runtime._get_json(self.url, runtime.ABBREVIATED, _HINT)
        listed = doc.get("versions") if isinstance(doc, dict) else None
        if not isinstance(listed, dict):
            raise _fail(f"{self.url} is not an npm package document (no 'versions').")
        found = {}
        for version, entry in listed.items():
            dist = entry.get("dist") if isinstance(entry, dict) else None
            integrity = dist.get("integrity") if isinstance(dist, dict) else None
            if _EXACT.fullmatch(version) and isinstance(integrity, str) and runtime._sri(integrity):
                found[version] = {"integrity": integrity}
        return found


def releases_from_registry(source: BunRegistrySource | None = None) -> dict[str, dict[str, str]]:
    """The current Bun releases, for `pack-it versions update`."""
    return (source or BunRegistrySource()).releases()


def _cached(bun_dir: Path, version: str) -> Path | None:
    binary = bun_dir / f"{version}-{ARCH}" / "bin" / "bun"
    return binary if binary.is_file() else None


def fetch_bun(version: str, cache_dir: Path, source: BunRegistrySource | None = None,
              releases: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """bin/bun of exactly `version` from the cache, else downloaded from `source` (default: the
    npm registry), checked against the sha512 the versions index records for it, and put in the
    cache whole. Nothing is left in the cache when the download or the check fails."""
    if releases is None:
        releases = versions_index.load(cache_dir).releases(INDEX_RUNTIME)
    bun_dir = Path(cache_dir) / "bun"
    if hit := _cached(bun_dir, version):
        return hit
    pinned = runtime._sri(releases.get(version, {}).get("integrity", ""))
    if pinned is None:
        raise _fail(f"Bun {version} has no integrity in pack-it's versions index, so it cannot be verified.",
                    "Ask for a version `pack-it versions show bun` lists; `pack-it versions update` refreshes it.")
    source = source or BunRegistrySource()
    try:
        bun_dir.mkdir(parents=True, exist_ok=True)
        scratch = ExitStack()  # left by `with scratch` below
        staging = scratch.enter_context(scratch_dir(cache_dir, "bun-"))
    except OSError as e:
        raise build_error(f"Cannot write Bun into the cache {bun_dir}: {e.strerror or e}.",
                          "Pass a writable cache directory with --cache-dir.") from None
    with scratch:
        archive = runtime._download(source.tarball(version), staging / f"bun-{version}.tgz", *pinned, hint=_HINT)
        runtime._extract(archive, "package/bin/bun", "package/LICENSE", staging / "out", binary="bun")
        try:
            os.rename(staging / "out", bun_dir / f"{version}-{ARCH}")
        except OSError:
            if _cached(bun_dir, version) is None:
                raise  # else another process put the same version in place first
    binary = _cached(bun_dir, version)
    assert binary is not None  # just renamed into place
    return binary


def node_shim(work: Path, bun: Path) -> Path:
    """A directory holding `node`, a link to bun (which then behaves as node), for the front of
    PATH while bun installs and builds: lifecycle and build scripts that call node run on the
    image's Bun, not on the host's Node."""
    shim = work / "bun-as-node"
    shim.mkdir(parents=True, exist_ok=True)
    link = shim / "node"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(bun)
    return shim


def layer(ctx: BuildContext, version: str, bun: Callable[[], Path]) -> Layer:
    """bin/bun at /layers/node/runtime (its bin/ on the image's PATH), byte for byte the verified
    binary: unlike node's, its symbol table is 48 kB, not worth altering what was checked."""
    integrity = ctx.index.releases(INDEX_RUNTIME).get(version, {}).get("integrity")

    def fill(directory: Path) -> None:
        (directory / "bin").mkdir(parents=True, exist_ok=True)
        target = directory / "bin" / "bun"
        ctx.reporter.step(f"  layer runtime: Bun {version}")
        shutil.copyfile(bun(), target)
        target.chmod(0o755)

    return ctx.layer("runtime", {"bun": version, "integrity": integrity}, fill, unchanged=f"Bun {version}")
