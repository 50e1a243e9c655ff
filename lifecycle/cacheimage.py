"""--cache-image, --cache-from, --cache-to: pack-it's cache carried between stateless CI
workers as an OCI image in a registry (as BuildKit's registry cache and the CNB lifecycle's
cache image do).

What it holds, for the packs of one build:
- the records of the build's layers (pack, layer name, key, epoch: what `BuildContext.reuse`
  looks up), each with its layer blob as one of the image's layers: a second worker whose
  inputs have the same keys (same lockfiles, versions, stack, architecture) reuses those
  layers and runs no installer;
- each pack's persistent cache directory (`packs/<pack>/<name>`: a full dependency install,
  a compiler's build cache, downloaded tools) as one reproducible layer;
- the run image, when it is a stack pack-it assembles (`python-debian13`): its record, manifest
  and config in the label, its layers as layers, so a fresh worker neither downloads its
  Debian packages nor assembles it again (a registry that has the app's image has those
  layers already: nothing is uploaded twice).

It is an image like any other (OCI manifest, image config, gzip layers), so any registry stores
it and skopeo can copy it; what each layer is, is in the config's `io.pack-it.cache` label.
Restoring never replaces what the local cache has: a record is written only where none
exists, a directory entry only where the local one is missing. Everything read back is
verified by digest; directory layers are unpacked with tarfile's `data` filter (no absolute
paths, no `..`, no links out, no devices, no setuid bits).

A cache image is trusted as the cache directory is (its layers are reused as they are): read
only images your own builds push.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from pack_it.errors import INVALID_IMAGE, PackItError, export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.archive import Entry, dir_entry, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.oci import Descriptor, Image
from pack_it.lifecycle.reporter import Reporter

if TYPE_CHECKING:  # the registry client (http.client, ssl) is imported only when a cache image is used
    from pack_it.lifecycle.registry.client import RegistryOptions

LABEL = "io.pack-it.cache"
FORMAT = 1
ARCHITECTURE = "amd64"
PARTIAL = ".partial-"  # a writer's staging entry (lifecycle/cache.py), never carried


@dataclass(frozen=True)
class CacheRecord:
    """One layer record: what `Cache.layer_record(pack, name, key, epoch)` returns."""

    pack: str
    name: str
    key: str
    epoch: int
    record: dict

    def to_json(self) -> dict:
        return {"pack": self.pack, "name": self.name, "key": self.key, "epoch": self.epoch, "record": self.record}

    @classmethod
    def from_json(cls, value: object) -> "CacheRecord":
        if not isinstance(value, dict):
            raise ValueError("a record is not an object")
        record = value.get("record")
        if not (all(isinstance(value.get(k), str) for k in ("pack", "name", "key"))
                and type(value.get("epoch")) is int and isinstance(record, dict)
                and isinstance(record.get("digest"), str) and record["digest"].startswith("sha256:")
                and type(record.get("size")) is int and isinstance(record.get("diff_id"), str)):
            raise ValueError("a record lacks its pack, name, key, epoch, digest, size or diff_id")
        _safe_name(value["pack"])
        return cls(value["pack"], value["name"], value["key"], value["epoch"], record)


@dataclass(frozen=True)
class CacheDir:
    """One pack cache directory, `packs/<pack>/<name>`, as the layer `digest`."""

    pack: str
    name: str
    digest: str

    def to_json(self) -> dict:
        return {"pack": self.pack, "name": self.name, "digest": self.digest}

    @classmethod
    def from_json(cls, value: object) -> "CacheDir":
        if not (isinstance(value, dict) and all(isinstance(value.get(k), str) for k in ("pack", "name", "digest"))
                and value["digest"].startswith("sha256:")):
            raise ValueError("a directory entry lacks its pack, name or digest")
        return cls(_safe_name(value["pack"]), _safe_name(value["name"]), value["digest"])


@dataclass(frozen=True)
class CacheStack:
    """An assembled stack run image: the record `runimage.resolve` looks up under the stack's
    key, and its manifest and config (small JSON, carried in the label as text)."""

    name: str  # the reference it was chosen by: python-debian13
    key: str
    epoch: int
    record: dict  # {reference, digest, config}
    manifest: str
    config: str

    def to_json(self) -> dict:
        return {"name": self.name, "key": self.key, "epoch": self.epoch, "record": self.record,
                "manifest": self.manifest, "config": self.config}

    @classmethod
    def from_json(cls, value: object) -> "CacheStack":
        if not (isinstance(value, dict) and all(isinstance(value.get(k), str) for k in ("name", "key", "manifest", "config"))
                and type(value.get("epoch")) is int and isinstance(value.get("record"), dict)):
            raise ValueError("a stack lacks its name, key, epoch, record, manifest or config")
        record = value["record"]
        for field_, data in (("digest", value["manifest"]), ("config", value["config"])):
            if record.get(field_) != "sha256:" + hashlib.sha256(data.encode()).hexdigest():
                raise ValueError(f"a stack's {field_} does not match its record")
        if not isinstance(record.get("reference"), str):
            raise ValueError("a stack record lacks its reference")
        return cls(value["name"], value["key"], value["epoch"], record, value["manifest"], value["config"])

    @property
    def image(self) -> Image:
        return Image(self.manifest.encode(), self.config.encode())


def _stack(reference: str | None, cache: Cache, epoch: int, locked: bool) -> CacheStack | None:
    """The assembled stack `reference` names, as the local cache holds it; None for any other
    run image (pulled, a file, `base`) or a stack not recorded."""
    from pack_it.lifecycle import runimage
    from pack_it.lifecycle.stacks import definitions

    if not reference or reference.partition("-")[0] not in definitions.STACKS:
        return None
    try:
        name, release = definitions.parse_reference(reference)
    except PackItError:
        return None
    key = runimage._stack_key(name, release, epoch, cache, locked)
    record = cache.layer_record("stack-image", reference, key, epoch)
    if not (record and cache.verify_blob(record.get("digest")) and cache.verify_blob(record.get("config"))):
        return None
    return CacheStack(reference, key, epoch, record, cache.blob_path(record["digest"]).read_text(),
                      cache.blob_path(record["config"]).read_text())


def _safe_name(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name or name.startswith(PARTIAL):
        raise ValueError(f"{name!r} is not a cache directory name")
    return name


# Save ---------------------------------------------------------------------------------------


def save(target: str, packs: Iterable[str], layers: Iterable[Layer], cache: Cache, epoch: int,
         registry: RegistryOptions | None, reporter: Reporter, run_image: str | None = None,
         locked: bool = False) -> Image | None:
    """Pushes the cache image for a finished build to `target` (--cache-to). A failure is a
    warning: the build's image is already written, and a missing cache only costs time.
    `run_image`: the run image as chosen (a stack is carried, `_stack`)."""
    from pack_it.lifecycle.registry import names
    from pack_it.lifecycle.registry.client import RegistryClient, RegistryOptions

    try:
        image = assemble(packs, layers, cache, epoch, _stack(run_image, cache, epoch, locked))
        client = RegistryClient(names.parse(target), registry or RegistryOptions(), push=True)
        report = client.push(image, cache)
    except PackItError as e:
        reporter.warn(f"The cache image was not pushed to {target}: {e.message}")
        return None
    uploaded = [d for d in report.uploaded if d != image.config_descriptor.digest]  # the config is not a layer
    reporter.step(f"cache image {target}: {len(image.layers)} layers, {len(uploaded)} uploaded "
                  f"({report.bytes_sent} bytes sent)")
    return image


def assemble(packs: Iterable[str], layers: Iterable[Layer], cache: Cache, epoch: int,
             stack: CacheStack | None = None) -> Image:
    """The cache image of a build: its layers' records and blobs, then its packs' cache
    directories, then the stack run image's layers. The same cache gives the same image
    (reproducible directory layers)."""
    records: list[CacheRecord] = []
    descriptors: dict[str, tuple[Descriptor, str]] = {}  # digest -> (descriptor, diff_id)
    for layer in layers:
        record = cache.layer_record(layer.pack, layer.name, layer.key, epoch)
        if record is None:  # not recorded (the source changed during the build)
            continue
        records.append(CacheRecord(layer.pack, layer.name, layer.key, epoch, record))
        descriptors.setdefault(record["digest"], (Descriptor(oci.LAYER_GZIP, record["digest"], record["size"]),
                                                  record["diff_id"]))
    dirs: list[CacheDir] = []
    for pack in sorted(set(packs)):
        root = cache.root / "packs" / pack
        for directory in sorted(root.iterdir()) if root.is_dir() else []:
            if not directory.is_dir() or directory.name.startswith(PARTIAL):
                continue
            with cache.new_blob() as (f, holder):
                blob = write_layer(_dir_entries(directory, f"{pack}/{directory.name}"), f, epoch)
                holder.append(blob.digest)
            dirs.append(CacheDir(pack, directory.name, blob.digest))
            descriptors.setdefault(blob.digest, (Descriptor(oci.LAYER_GZIP, blob.digest, blob.size), blob.diff_id))
    if stack is not None:
        stack_image = stack.image
        for descriptor, diff_id in zip(stack_image.layers, stack_image.config_json["rootfs"]["diff_ids"]):
            descriptors.setdefault(descriptor.digest, (descriptor, diff_id))
    label = {"format": FORMAT, "architecture": ARCHITECTURE,
             "records": [r.to_json() for r in records], "dirs": [d.to_json() for d in dirs],
             "stacks": [stack.to_json()] if stack is not None else []}
    config = {
        "architecture": ARCHITECTURE, "os": "linux",
        "config": {"Labels": {LABEL: json.dumps(label, sort_keys=True)}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in descriptors.values()]},
    }
    image = Image.assemble(config, [d for d, _ in descriptors.values()])
    cache.put_bytes(image.config)
    cache.put_bytes(image.manifest)
    return image


def _restored_mode(mode: int, is_dir: bool) -> int:
    """The mode a file or directory has once restored (tarfile's `data` filter, which keeps
    no setuid/setgid/sticky or group/other write bit, and makes directories by the umask), so a
    restored cache archives to the same layer and a second worker pushes none of it again."""
    if is_dir:
        return 0o755
    mode &= 0o755
    return (mode if mode & 0o100 else mode & ~0o111) | 0o600


def _dir_entries(directory: Path, prefix: str) -> list[Entry]:
    """A cache directory as archive entries, without other writers' partial files. Modes are
    the ones restoring gives (`_restored_mode`: a tool's cache may care about the executable
    bits), owners and mtimes normalised."""
    entries = [dir_entry(prefix)]
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(PARTIAL))
        rel = Path(dirpath).relative_to(directory).as_posix()
        base = prefix if rel == "." else f"{prefix}/{rel}"
        for name in dirnames + sorted(f for f in filenames if not f.startswith(PARTIAL)):
            full = Path(dirpath, name)
            st = full.lstat()
            if os.path.islink(full):
                entries.append(Entry(f"{base}/{name}", "symlink", 0o777, target=os.readlink(full)))
            elif full.is_dir():
                entries.append(dir_entry(f"{base}/{name}", _restored_mode(st.st_mode, True)))
            elif full.is_file():
                entries.append(Entry(f"{base}/{name}", "file", _restored_mode(st.st_mode, False), source=full))
    return entries


# Restore ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    records: int = 0  # layer records written
    dirs: int = 0  # directory entries placed
    stacks: int = 0  # stack run images recorded


def restore(source: str, cache: Cache, registry: RegistryOptions | None, reporter: Reporter) -> Restored:
    """Fills the local cache from the cache image at `source` (--cache-from). A missing or
    unreadable image is a warning: the build goes on with what the local cache has."""
    from pack_it.lifecycle.registry import names
    from pack_it.lifecycle.registry.client import RegistryClient, RegistryOptions

    try:
        client = RegistryClient(names.parse(source), registry or RegistryOptions())
        image = client.pull_config(cache)
        records, dirs, stacks = _contents(image, source)
        sizes = {d.digest: d.size for d in image.layers}
        restored = Restored(_restore_records(records, client, cache), _restore_dirs(dirs, sizes, client, cache),
                            _restore_stacks(stacks, client, cache))
    except PackItError as e:
        reporter.warn(f"The cache image {source} was not used: {e.message}")
        return Restored()
    reporter.step(f"cache image {source}: {restored.records} layer records, {restored.dirs} cache entries, "
                  f"{restored.stacks} run images restored")
    return restored


def _contents(image: Image, source: str) -> tuple[list[CacheRecord], list[CacheDir], list[CacheStack]]:
    try:
        labels = (image.config_json.get("config") or {}).get("Labels") or {}
        label = json.loads(labels[LABEL])
        if label.get("format") != FORMAT:
            raise ValueError(f"format {label.get('format')!r}, this pack-it reads {FORMAT}")
        if label.get("architecture") != ARCHITECTURE:
            raise ValueError(f"made for {label.get('architecture')!r}")
        layers = {d.digest for d in image.layers}
        records = [CacheRecord.from_json(r) for r in label.get("records", [])]
        dirs = [CacheDir.from_json(d) for d in label.get("dirs", [])]
        stacks = [CacheStack.from_json(s) for s in label.get("stacks", [])]
        if (any(r.record["digest"] not in layers for r in records) or any(d.digest not in layers for d in dirs)
                or any(d.digest not in layers for s in stacks for d in s.image.layers)):
            raise ValueError("its label names a layer the image does not have")
    except (KeyError, ValueError, TypeError, AttributeError, RecursionError) as e:
        raise export_error(f"{source} is not a pack-it cache image ({e}).",
                           "Name the image a --cache-to (or --cache-image) build pushed.", exit_code=INVALID_IMAGE)
    return records, dirs, stacks


def _restore_records(records: list[CacheRecord], client, cache: Cache) -> int:
    written = 0
    for r in records:
        if cache.layer_record(r.pack, r.name, r.key, r.epoch) is not None:
            continue
        client.fetch_blob(Descriptor(oci.LAYER_GZIP, r.record["digest"], r.record["size"]), cache)
        cache.save_layer_record(r.pack, r.name, r.key, r.epoch, r.record)
        written += 1
    return written


def _restore_stacks(stacks: list[CacheStack], client, cache: Cache) -> int:
    """Each stack's layers (verified as they arrive), manifest and config, then its record, so
    `runimage.resolve` finds it assembled; never over a record the local cache has."""
    written = 0
    for s in stacks:
        if cache.layer_record("stack-image", s.name, s.key, s.epoch) is not None:
            continue
        for descriptor in s.image.layers:
            client.fetch_blob(descriptor, cache)
        cache.put_bytes(s.manifest.encode())
        cache.put_bytes(s.config.encode())
        cache.save_layer_record("stack-image", s.name, s.key, s.epoch, s.record)
        written += 1
    return written


def _restore_dirs(dirs: list[CacheDir], sizes: dict[str, int], client, cache: Cache) -> int:
    """Each directory layer's top-level entries that the local cache lacks (a full install
    under its key, a build cache's shard), placed whole."""
    placed = 0
    for d in dirs:
        target = cache.root / "packs" / d.pack / d.name
        client.fetch_blob(Descriptor(oci.LAYER_GZIP, d.digest, sizes[d.digest]), cache)
        staging = cache.staging_dir() / f"cache-image-{d.digest.removeprefix('sha256:')[:16]}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            with tarfile.open(cache.blob_path(d.digest), "r:gz") as tar:
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, OSError, EOFError) as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise export_error(f"The cache layer {d.digest} of {d.pack}/{d.name} cannot be unpacked: {e}.",
                               "Push the cache image again (--cache-to).", exit_code=INVALID_IMAGE)
        unpacked = staging / d.pack / d.name
        for child in sorted(unpacked.iterdir()) if unpacked.is_dir() else []:
            if not (target / child.name).exists():
                cache.place_dir(child, target / child.name) if child.is_dir() else _place_file(child, target)
                placed += 1
        shutil.rmtree(staging, ignore_errors=True)
    return placed


def _place_file(child: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    os.replace(child, target / child.name)
