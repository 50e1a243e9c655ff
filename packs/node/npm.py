"""npm itself, the release detection chose for the app's Node (detectors/node/npm.py): its
tarball from the npm registry, checked against the versions index's integrity, unpacked once
into pack-it's cache and run as `node <npm>/bin/npm-cli.js`. The host's npm is never used: a
newer npm refuses old Nodes, an older one misreads newer lockfiles."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Mapping

from pack_it.detectors.node.npm import INDEX_RUNTIME
from pack_it.packs.node import runtime

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

CLI = "bin/npm-cli.js"


def releases_from_registry() -> dict[str, dict[str, str]]:
    """Every npm release with its tarball's integrity and engines.node, for the versions index."""
    url = f"{runtime.npm_registry().rstrip('/')}/npm"
    doc = runtime._get_json(url, runtime.ABBREVIATED)
    versions = doc.get("versions") if isinstance(doc, dict) else None
    if not isinstance(versions, dict):
        raise runtime._fail(f"{url} is not an npm package document (no 'versions').")
    found = {}
    for version, entry in versions.items():
        dist = entry.get("dist") if isinstance(entry, dict) else None
        integrity = dist.get("integrity") if isinstance(dist, dict) else None
        engines = entry.get("engines") if isinstance(entry, dict) else None
        node = engines.get("node") if isinstance(engines, dict) else None
        if runtime._EXACT.fullmatch(version) and isinstance(integrity, str) and runtime._sri(integrity):
            found[version] = {"integrity": integrity, "node": node if isinstance(node, str) else "*"}
    return found


def cli(ctx: BuildContext, version: str, releases: Mapping[str, Mapping[str, str]]) -> Path:
    """npm-cli.js of npm `version`, fetched and verified on first use."""
    home = ctx.cache_dir("tools") / f"npm-{version}"
    target = home / CLI
    if target.is_file():
        return target
    facts = releases.get(version, {})
    pinned = runtime._sri(facts.get("integrity", ""))
    if pinned is None:
        raise runtime._fail(f"pack-it's versions index has no integrity for npm {version}; refusing an unverified npm.",
                            "Run `pack-it versions update`, or pin another Node.js version.")
    staging = ctx.cache_dir("tools") / f".partial-npm-{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        archive = staging / "npm.tgz"
        ctx.reporter.step(f"  fetching npm {version} (the npm line of the app's Node.js)")
        runtime._download(f"{runtime.npm_registry().rstrip('/')}/npm/-/npm-{version}.tgz", archive, *pinned)
        _unpack(archive, staging / "npm")
        archive.unlink()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    ctx.cache.place_dir(staging / "npm", home, ready=target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _unpack(archive: Path, dest: Path) -> None:
    """The tarball's package/ directory at `dest`: regular files and directories only, each
    path checked to stay inside (links, devices, absolute paths and '..' are refused)."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if not parts or parts[0] != "package" or member.name.startswith("/") or ".." in parts:
                raise runtime._fail(f"{archive.name} holds {member.name!r}, outside its package/ directory; refusing it.")
            if member.isdir():
                (dest.joinpath(*parts[1:])).mkdir(parents=True, exist_ok=True)
                continue
            if not member.isreg():
                raise runtime._fail(f"{archive.name} holds {member.name!r}, which is not a regular file; refusing it.")
            target = dest.joinpath(*parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            assert src is not None
            with src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            target.chmod(0o755 if member.mode & 0o100 else 0o644)
