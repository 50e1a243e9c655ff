"""Run images: the base every app image is layered on.

- a stack (lifecycle/stacks): `static`, `cc`, `python`, `node`, optionally `-debian13`;
- `base`: generated, no Debian packages at all (users and groups, /tmp, nsswitch.conf,
  os-release), for static binaries that need no CA bundle or time zones;
- any OCI image given as `oci:DIR` or `tar:FILE`;
- an image in a registry, `HOST/REPO[:TAG]` or `registry:HOST/REPO[:TAG]`, every blob verified.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pack_it.lifecycle import imagefile
from pack_it.lifecycle.archive import timestamp, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import LAYER_GZIP, Descriptor, Image
from pack_it.lifecycle.registry import names
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import definitions
from pack_it.lifecycle.stacks.generated import NONROOT_UID, base_entries
from pack_it.lifecycle.stacks.lockfile import lock_dir as lockfile_dir
from pack_it.lifecycle.stacks.relock import path as relock_path

DEFAULT_RUN_IMAGE = definitions.STACKS[0]  # the bottom stack (static; parents sort first): a name the static pack shares
GENERATED = "base"  # no Debian packages at all: for static binaries that need no CA bundle or tzdata
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class RunImage:
    reference: str
    image: Image  # its blobs are in the cache


def _base(cache: Cache, epoch: int) -> RunImage:
    with cache.new_blob() as (f, holder):
        blob = write_layer(base_entries(os_release=True), f, epoch)
        holder.append(blob.digest)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": timestamp(epoch),
        "config": {"Env": [f"PATH={PATH}"], "User": f"{NONROOT_UID}:{NONROOT_UID}"},
        "rootfs": {"type": "layers", "diff_ids": [blob.diff_id]},
        "history": [{"created": timestamp(epoch), "created_by": "pack-it: base files"}],
    }
    image = Image.assemble(config, [Descriptor(LAYER_GZIP, blob.digest, blob.size)])
    cache.put_bytes(image.config)
    cache.put_bytes(image.manifest)
    return RunImage(GENERATED, image)


def resolve(reference: str, cache: Cache, epoch: int, reporter: Reporter = Reporter(),
            locked: bool = False, registry=None) -> RunImage:
    """A run image: a stack (`static`, `python-debian13`, ...), `base`, or an image file
    (`oci:DIR`, `tar:FILE`) whose blobs are copied into the cache. `locked`: a stack is built
    from its shipped lock only, never re-locked."""
    if reference == GENERATED:
        return _base(cache, epoch)
    if reference.startswith(("oci:", "tar:")):
        with imagefile.open_image(reference) as source:
            for descriptor in [source.image.config_descriptor, *source.image.layers]:
                if not cache.verify_blob(descriptor.digest, descriptor.size):
                    with cache.new_blob() as (f, holder):
                        source.copy_blob(descriptor.digest, f)
                        holder.append(descriptor.digest)
            cache.put_bytes(source.image.manifest)
            return RunImage(reference, source.image)
    if reference.startswith("registry:") or names.names_registry(reference):
        return _pulled(reference, cache, reporter, registry)
    name, release = definitions.parse_reference(reference)
    key = _stack_key(name, release, epoch, cache, locked)
    record = cache.layer_record("stack-image", reference, key, epoch)
    if record and cache.verify_blob(record.get("config")):
        image = Image(cache.blob_path(record["digest"]).read_bytes(), cache.blob_path(record["config"]).read_bytes())
        if all(cache.verify_blob(d.digest, d.size) for d in image.layers):  # else: reassembled
            return RunImage(record["reference"], image)
    # The Debian machinery is imported only when a stack has to be (re)assembled.
    from pack_it.lifecycle.stacks import assemble

    stack_ref, image = assemble.build_stack(name, release, cache, epoch, reporter, locked=locked)
    key = _stack_key(name, release, epoch, cache, locked)  # a re-lock changes it
    cache.save_layer_record("stack-image", reference, key, epoch, {
        "reference": stack_ref, "digest": image.digest, "config": image.config_descriptor.digest})
    return RunImage(stack_ref, image)


def _pulled(reference: str, cache: Cache, reporter: Reporter, registry) -> RunImage:
    from pack_it.lifecycle.registry.client import RegistryClient, RegistryOptions

    ref = names.parse(reference)
    image = RegistryClient(ref, registry or RegistryOptions()).pull(cache)
    reporter.step(f"pulled {ref} ({image.digest[:19]}), {len(image.layers)} layers verified")
    return RunImage(str(ref), image)


def _stack_key(name: str, release: str, epoch: int, cache: Cache, locked: bool) -> str:
    """What an assembled stack image depends on: its definitions, locks (and the cache's
    re-lock, unless `locked`) and the code that turns them into layers."""
    h = hashlib.sha256(f"{name}\0{release}\0{epoch}".encode())
    stacks_dir = Path(definitions.__file__).parent
    relocked = [] if locked else [p for p in [relock_path(cache, release)] if p.is_file()]
    for path in sorted([*stacks_dir.glob("*.py"), *(stacks_dir / "definitions").glob("*.toml"),
                        *lockfile_dir().glob(f"*-{release}-*.json"), *relocked]):
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()
