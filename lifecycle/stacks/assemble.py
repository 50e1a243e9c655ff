"""Turning stacks into images: `lock` resolves a release's packages into lock files;
`build_stack` turns the locks into one layer per stack level (static, cc, then python or
node), each built once per lock and kept compressed in the cache, so every app on a stack
shares the same blobs."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pack_it.lifecycle.archive import Entry, LayerBlob, file_entry, timestamp, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import INIT_LABEL, LAYER_GZIP, Descriptor, Image
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import lockfile, trim
from pack_it.lifecycle.stacks.deb import read_deb
from pack_it.lifecycle.stacks.debian import Index, Package, download, load_suite, resolve
from pack_it.lifecycle.stacks.definitions import STACKS, Stack, chain, excluded, load, releases
from pack_it.lifecycle.stacks.generated import NONROOT_UID, base_entries
from pack_it.lifecycle.versions import VersionsIndex

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CA_DIR = "usr/share/ca-certificates/"
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
MERGED_USR_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
STACK_LAYER_FORMAT = "1"  # bump when what goes into a stack layer changes
DOWNLOADS = 8


# Locking -------------------------------------------------------------------------------

def lock(release_id: str, directory: Path | None = None, reporter: Reporter = Reporter()) -> dict[str, list[str]]:
    """Re-resolves every stack of a release from the archive and rewrites their lock files;
    returns, per stack, what changed."""
    release = releases()[release_id]
    packages: list[Package] = []
    for archive, suite in release.suites:
        reporter.step(f"{archive} {suite}: verifying InRelease, reading Packages")
        packages += load_suite(archive, suite, list(release.keyrings))
    index, exclude = Index(packages), excluded()
    installed: dict[str, set[str]] = {}
    changed = {}
    for name in STACKS:
        stack = load(name, release_id)
        below = installed.get(stack.parent, set()) if stack.parent else set()
        level = resolve(list(stack.packages), index, exclude, below)
        installed[name] = below | {p.name for p in level}
        try:
            old = lockfile.read(name, release_id, directory)
        except Exception:  # no lock yet, or an unreadable one: everything is new
            old = []
        lockfile.write(name, release_id, stack.parent, level, directory)
        changed[stack.reference] = lockfile.changes(old, level)
    return changed


# Building ------------------------------------------------------------------------------

def _fetch_debs(packages: list[Package], cache: Cache, reporter: Reporter) -> None:
    missing = [p for p in packages if not cache.has_blob("sha256:" + p.sha256)]
    if not missing:
        return
    reporter.step(f"downloading {len(missing)} packages ({sum(p.size for p in missing) / 1e6:.1f} MB)")
    with ThreadPoolExecutor(DOWNLOADS) as pool:
        for future in [pool.submit(download, p.url(), cache.blob_path("sha256:" + p.sha256), p.sha256) for p in missing]:
            future.result()


def level_entries(stack: Stack, packages: list[Package], cache: Cache) -> list[Entry]:
    """Everything one stack level adds: its packages' files (trimmed), their dpkg status for
    scanners, and for the bottom level the generated files and the CA bundle."""
    entries: list[Entry] = base_entries(os_release=False) if stack.parent is None else []
    certificates: dict[str, bytes] = {}
    for package in packages:
        contents = read_deb(cache.blob_path("sha256:" + package.sha256))
        for entry in contents.entries:
            if entry.path.startswith(CA_DIR) and entry.path.endswith(".crt") and entry.kind == "file":
                certificates[entry.path] = entry.data
            if not trim.removed(entry.path):
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
    return hashlib.sha256(json.dumps({
        "format": STACK_LAYER_FORMAT, "trim": trim.VERSION, "stack": stack.reference,
        "links": stack.links, "packages": [[p.name, p.version, p.sha256] for p in packages],
    }, sort_keys=True).encode()).hexdigest()


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


def level_layer(stack: Stack, cache: Cache, epoch: int, reporter: Reporter) -> LayerBlob:
    packages = lockfile.read(stack.name, stack.release.id)
    key = _level_key(stack, packages)
    if cache.layer_record("stack", stack.reference, key, epoch) is None:
        _fetch_debs(packages, cache, reporter)
        reporter.step(f"layer {stack.reference}: {len(packages)} packages")
    return _cached_layer(cache, stack.reference, key, epoch, lambda: level_entries(stack, packages, cache))


def _strip_version() -> str | None:
    strip = shutil.which("strip")
    if strip is None:
        return None
    return subprocess.run([strip, "--version"], capture_output=True, text=True).stdout.split("\n")[0]


def node_layer(node_spec: str | None, cache: Cache, epoch: int, reporter: Reporter,
               index: VersionsIndex | None = None) -> tuple[LayerBlob, str]:
    """bin/node and its LICENSE. The official binary carries 18 MB of symbol tables; they are
    stripped (as Alpine's and Debian's node are) when binutils' strip is there, which keeps the
    node stack within budget. Native stack symbols are lost; JavaScript stack traces are not."""
    from pack_it.lifecycle.stacks.node_runtime import INDEX_RUNTIME, fetch_node

    runtime = fetch_node(node_spec, cache.root, releases=index.releases(INDEX_RUNTIME) if index else None)
    strip = _strip_version()
    key = hashlib.sha256(json.dumps({"format": STACK_LAYER_FORMAT, "node": runtime.version,
                                     "size": runtime.node.stat().st_size, "strip": strip}).encode()).hexdigest()

    def entries() -> list[Entry]:
        reporter.step(f"layer node {runtime.version}" + (" (stripped)" if strip else ""))
        node = runtime.node
        if strip:
            node = cache.work_dir() / "node"
            subprocess.run(["strip", "-o", str(node), str(runtime.node)], check=True)
        out = [Entry("usr/local/bin/node", "file", 0o755, data=node.read_bytes())]
        if strip:
            Cache.remove(node.parent)
        if runtime.license:
            out.append(Entry("usr/local/share/doc/nodejs/LICENSE", "file", 0o644, source=runtime.license))
        return out

    return _cached_layer(cache, f"node-{runtime.version}", key, epoch, entries), runtime.version


def build_stack(name: str, release_id: str, cache: Cache, epoch: int, reporter: Reporter = Reporter(),
                node_spec: str | None = None, index: VersionsIndex | None = None) -> tuple[str, Image]:
    """The stack as an image (its blobs in the cache): (reference, image)."""
    levels = chain(name, release_id)
    layers: list[LayerBlob] = []
    history = []
    env = {"PATH": PATH}
    labels = {}
    for stack in levels:
        if stack.packages or stack.links:  # the node level adds no Debian package
            layers.append(level_layer(stack, cache, epoch, reporter))
            history.append(f"pack-it stack {stack.reference}")
        env.update(stack.env)
        if stack.init:
            labels[INIT_LABEL] = stack.init
        if stack.node:
            blob, version = node_layer(node_spec, cache, epoch, reporter, index)
            layers.append(blob)
            history.append(f"pack-it stack {stack.reference}: node {version}")
            labels["io.pack-it.node-version"] = version
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
