"""Turning stacks into images: `lock` resolves a release's packages into lock files;
`build_stack` turns the locks into one layer per stack level (static, cc, then python or
node), each built once per lock and kept compressed in the cache, so every app on a stack
shares the same blobs. Stacks hold Debian packages only: a language runtime that Debian does
not ship at the app's version is a pack's layer (packs/node/runtime.py). A locked version
the archive deleted comes from a retention mirror (retention.py), else the release is
re-locked from the signed index into the cache (relock.py), unless the build is `locked`."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pack_it.errors import EXPORT_FAILED, PackItError
from pack_it.lifecycle.archive import Entry, LayerBlob, file_entry, timestamp, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import INIT_LABEL, LAYER_GZIP, Descriptor, Image
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import lockfile, relock, trim
from pack_it.lifecycle.stacks.deb import read_deb
from pack_it.lifecycle.stacks.debian import Package, release_index, resolve
from pack_it.lifecycle.stacks.definitions import STACKS, Stack, chain, excluded, load, releases
from pack_it.lifecycle.stacks.generated import NONROOT_UID, base_entries
from pack_it.lifecycle.stacks.retention import fetch_locked

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CA_DIR = "usr/share/ca-certificates/"
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
MERGED_USR_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
STACK_LAYER_FORMAT = "1"  # bump when what goes into a stack layer changes
DOWNLOADS = 8


# Locking -------------------------------------------------------------------------------

def resolve_release(release_id: str, reporter: Reporter = Reporter()) -> dict[str, list[Package]]:
    """Every stack of a release resolved from the signed current index: stack -> packages
    (each level without what its parent holds)."""
    index, exclude = release_index(releases()[release_id], reporter), excluded()
    installed: dict[str, set[str]] = {}
    resolved = {}
    for name in STACKS:
        stack = load(name, release_id)
        below = installed.get(stack.parent, set()) if stack.parent else set()
        resolved[name] = resolve(list(stack.packages), index, exclude, below)
        installed[name] = below | {p.name for p in resolved[name]}
    return resolved


def _shipped_or_nothing(name: str, release_id: str, directory: Path | None = None) -> list[Package]:
    try:
        return lockfile.read(name, release_id, directory)
    except Exception:  # no lock yet, or an unreadable one: everything is new
        return []


def lock(release_id: str, directory: Path | None = None, reporter: Reporter = Reporter()) -> dict[str, list[str]]:
    """Re-resolves every stack of a release from the archive and rewrites their lock files;
    returns, per stack, what changed."""
    changed = {}
    for name, level in resolve_release(release_id, reporter).items():
        stack = load(name, release_id)
        old = _shipped_or_nothing(name, release_id, directory)
        lockfile.write(name, release_id, stack.parent, level, directory)
        changed[stack.reference] = lockfile.changes(old, level)
    return changed


def relock_release(release_id: str, cache: Cache, reporter: Reporter = Reporter()) -> relock.Relock:
    """Re-resolves a release whose locked versions left the archive, and keeps the result in
    the cache (the shipped locks are pack-it's, and may not be writable)."""
    resolved = resolve_release(release_id, reporter)
    changes = {name: lockfile.changes(_shipped_or_nothing(name, release_id), level) for name, level in resolved.items()}
    made = relock.Relock(release_id, relock.shipped_digest(release_id), resolved, changes)
    relock.write(cache, made)
    return made


class LockExpired(PackItError):
    """Locked packages no source has any more (the archive deleted them, no retention mirror
    kept them)."""

    def __init__(self, reference: str, gone: list[Package], hint: str) -> None:
        first = gone[0]
        more = f" (and {len(gone) - 1} more packages)" if len(gone) > 1 else ""
        super().__init__(f"{first.name} {first.version}{more}, locked for stack {reference}, is gone from the Debian "
                         f"archive and from every retention mirror.", exit_code=EXPORT_FAILED, phase="export", hint=hint)
        self.reference = reference
        self.gone = gone


RELOCK_HINT = ("Build without --locked to re-lock the stack from the signed Debian index (the newer versions are "
               "security updates), or set PACK_IT_DEBIAN_RETENTION_MIRRORS to a mirror that keeps old versions.")
AGAIN_HINT = "The Debian archive may be mid-update; try again later, or set PACK_IT_DEBIAN_RETENTION_MIRRORS."


def _moved(changes: list[str]) -> str:
    """lockfile.changes() lines as one phrase: "libssl3 3.0.15-1 -> 3.0.16-1, libnew 1.0 (new)"."""
    said = {"~": "", "+": " (new)", "-": " (dropped)"}
    return ", ".join(line[2:] + said[line[0]] for line in changes)


# Building ------------------------------------------------------------------------------

def fetch_debs(packages: list[Package], cache: Cache, reporter: Reporter, what: str = "") -> list[Package]:
    """Downloads the .debs the cache lacks (a stack's, the build root's, a toolchain's), in
    parallel; returns those no source has any more. `what` prefixes the progress line."""
    missing = [p for p in packages if not cache.has_blob("sha256:" + p.sha256)]
    if not missing:
        return []
    reporter.step(f"{what + ': ' if what else ''}downloading {len(missing)} packages "
                  f"({sum(p.size for p in missing) / 1e6:.1f} MB)")
    staging = cache.staging_dir()  # swept by a later build if this one is killed mid-download
    with ThreadPoolExecutor(DOWNLOADS) as pool:
        futures = [pool.submit(fetch_locked, p, cache.blob_path("sha256:" + p.sha256), reporter, staging)
                   for p in missing]
        return [p for p, future in zip(missing, futures) if not future.result()]


def level_entries(stack: Stack, packages: list[Package], cache: Cache) -> list[Entry]:
    """Everything one stack level adds: its packages' files (trimmed), their dpkg status for
    scanners, and for the bottom level the generated files and the CA bundle."""
    entries: list[Entry] = base_entries(os_release=False) if stack.parent is None else []
    certificates: dict[str, bytes] = {}
    for package in packages:
        contents = read_deb(cache.blob_path("sha256:" + package.sha256))
        for entry in contents.entries:
            if entry.path.startswith(CA_DIR) and entry.path.endswith(".crt") and entry.kind == "file":
                assert entry.data is not None  # read_deb's files carry their content inline
                certificates[entry.path] = entry.data
            if not trim.removed(entry.path) and not any(fnmatch.fnmatchcase(entry.path, p) for p in stack.drop):
                entries.append(entry)
        entries.append(file_entry(f"var/lib/dpkg/status.d/{package.name}", contents.control.encode()))
        if contents.md5sums:
            entries.append(file_entry(f"var/lib/dpkg/status.d/{package.name}.md5sums", contents.md5sums.encode()))
    if certificates:
        bundle = b"".join(certificates[path].rstrip(b"\n") + b"\n" for path in sorted(certificates))
        entries.append(file_entry(CA_BUNDLE, bundle))
    present = {e.path for e in entries}
    links = dict(stack.links)
    if stack.parent is None and stack.release.merged_usr:
        links.update({k: v for k, v in MERGED_USR_LINKS.items() if k not in present})
    entries += [Entry(path, "symlink", 0o777, target=target) for path, target in sorted(links.items())]
    return entries


def _level_key(stack: Stack, packages: list[Package]) -> str:
    inputs = {
        "format": STACK_LAYER_FORMAT, "trim": trim.VERSION, "stack": stack.reference,
        "links": stack.links, "packages": [[p.name, p.version, p.sha256] for p in packages],
    }
    if stack.drop:  # only then: the other stacks' cached levels keep their keys
        inputs["drop"] = list(stack.drop)
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _cached_layer(cache: Cache, name: str, key: str, epoch: int, entries_of) -> LayerBlob:
    record = cache.layer_record("stack", name, key, epoch)
    if record:
        return LayerBlob(record["digest"], record["size"], record["diff_id"], record["uncompressed_size"])
    with cache.new_blob() as (f, holder):
        blob = write_layer(entries_of(), f, epoch)
        holder.append(blob.digest)
    cache.save_layer_record("stack", name, key, epoch, {
        "digest": blob.digest, "size": blob.size, "diff_id": blob.diff_id, "uncompressed_size": blob.uncompressed_size,
    })
    return blob


def level_layer(stack: Stack, cache: Cache, epoch: int, reporter: Reporter,
                packages: list[Package] | None = None, hint: str = RELOCK_HINT) -> LayerBlob:
    """One level's layer from `packages` (default: its shipped lock); LockExpired if some of
    them can no longer be fetched."""
    packages = lockfile.read(stack.name, stack.release.id) if packages is None else packages
    key = _level_key(stack, packages)
    if cache.layer_record("stack", stack.reference, key, epoch) is None:
        if gone := fetch_debs(packages, cache, reporter):
            raise LockExpired(stack.reference, gone, hint)
        reporter.step(f"layer {stack.reference}: {len(packages)} packages")
    return _cached_layer(cache, stack.reference, key, epoch, lambda: level_entries(stack, packages, cache))


def build_stack(name: str, release_id: str, cache: Cache, epoch: int, reporter: Reporter = Reporter(),
                locked: bool = False) -> tuple[str, Image]:
    """The stack as an image (its blobs in the cache): (reference, image). From the shipped
    locks, or the cache's newer re-lock; when a locked version is gone from every source,
    re-locks the release from the signed index and builds that, unless `locked`."""
    relocked = None if locked else relock.current(cache, release_id)
    try:
        return _assemble(name, release_id, cache, epoch, reporter, relocked, RELOCK_HINT)
    except LockExpired as expired:
        if locked:
            raise
        relocked = relock_release(release_id, cache, reporter)
        reporter.warn(f"{expired.gone[0].name} {expired.gone[0].version} is gone from the Debian archive "
                      f"and the retention mirrors, so {release_id} was re-locked from the signed index: "
                      f"{_moved([c for lines in relocked.changes.values() for c in lines]) or 'no version moved'} "
                      f"(they are security updates); the new lock is {relock.path(cache, release_id)}.")
        return _assemble(name, release_id, cache, epoch, reporter, relocked, AGAIN_HINT)


def _assemble(name: str, release_id: str, cache: Cache, epoch: int, reporter: Reporter,
              relocked: relock.Relock | None, hint: str) -> tuple[str, Image]:
    levels = chain(name, release_id)
    layers: list[LayerBlob] = []
    history = []
    env = {"PATH": PATH}
    labels = {}
    for stack in levels:
        if stack.packages or stack.links:
            packages = relocked.stacks.get(stack.name, []) if relocked else None
            layers.append(level_layer(stack, cache, epoch, reporter, packages, hint))
            history.append(f"pack-it stack {stack.reference}")
        env.update(stack.env)
        if stack.init:
            labels[INIT_LABEL] = stack.init
    # The image says it is not the shipped lock's, and what moved (exported images keep it).
    moved = _moved([c for stack in levels for c in (relocked.changes.get(stack.name, []) if relocked else [])])
    if moved:
        labels[relock.LABEL] = moved
    config = {
        "architecture": "amd64", "os": "linux", "created": timestamp(epoch),
        "config": {"Env": [f"{k}={v}" for k, v in sorted(env.items())], "User": f"{NONROOT_UID}:{NONROOT_UID}",
                   "Labels": {"io.pack-it.stack": levels[-1].reference, **labels}},
        "rootfs": {"type": "layers", "diff_ids": [b.diff_id for b in layers]},
        "history": [{"created": timestamp(epoch), "created_by": h} for h in history],
    }
    image = Image.assemble(config, [Descriptor(LAYER_GZIP, b.digest, b.size) for b in layers])
    cache.put_bytes(image.config)
    cache.put_bytes(image.manifest)
    return levels[-1].reference, image
