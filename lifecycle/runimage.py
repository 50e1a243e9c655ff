"""Run images: the base every app image is layered on.

- a stack (lifecycle/stacks): `static`, `cc`, `python`, `node`, optionally `-debian13`;
- `base`: generated, no Debian packages at all (users and groups, /tmp, nsswitch.conf,
  os-release), for static binaries that need no CA bundle or time zones;
- any OCI image given as `oci:DIR` or `tar:FILE`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pack_it.lifecycle import imagefile
from pack_it.lifecycle.archive import timestamp, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import LAYER_GZIP, Descriptor, Image
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import definitions
from pack_it.lifecycle.stacks.generated import NONROOT_UID, base_entries
from pack_it.lifecycle.stacks.lockfile import lock_dir as lockfile_dir
from pack_it.lifecycle import versions
from pack_it.lifecycle.versions import VersionsIndex

DEFAULT_RUN_IMAGE = "static"
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
            node_version: str | None = None, index: VersionsIndex | None = None) -> RunImage:
    """A run image: a stack (`static`, `python-debian13`, ...), `base`, or an image file
    (`oci:DIR`, `tar:FILE`) whose blobs are copied into the cache."""
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
    name, release = definitions.parse_reference(reference)
    index = index or versions.load(cache.root)
    if any(level.node for level in definitions.chain(name, release)):
        # "22" or "lts" names one exact release of the versions index, so the image is keyed by it.
        from pack_it.lifecycle.stacks.node_runtime import INDEX_RUNTIME, exact_version

        node_version = exact_version(node_version, index.releases(INDEX_RUNTIME))
    key = _stack_key(name, release, epoch, node_version)
    record = cache.layer_record("stack-image", reference, key, epoch) if key else None
    if record and cache.verify_blob(record.get("config")):
        image = Image(cache.blob_path(record["digest"]).read_bytes(), cache.blob_path(record["config"]).read_bytes())
        if all(cache.verify_blob(d.digest, d.size) for d in image.layers):  # else: reassembled
            return RunImage(record["reference"], image)
    # The Debian machinery is imported only when a stack has to be (re)assembled.
    from pack_it.lifecycle.stacks import assemble

    stack_ref, image = assemble.build_stack(name, release, cache, epoch, reporter, node_spec=node_version, index=index)
    if key:
        cache.save_layer_record("stack-image", reference, key, epoch, {
            "reference": stack_ref, "digest": image.digest, "config": image.config_descriptor.digest})
    return RunImage(stack_ref, image)


def _stack_key(name: str, release: str, epoch: int, node_version: str | None) -> str:
    """What an assembled stack image depends on: its definitions, locks, the exact runtime
    release it adds, and the code that turns them into layers."""
    h = hashlib.sha256(f"{name}\0{release}\0{epoch}\0{node_version}".encode())
    stacks_dir = Path(definitions.__file__).parent
    for path in sorted([*stacks_dir.glob("*.py"), *(stacks_dir / "definitions").glob("*.toml"),
                        *lockfile_dir().glob(f"*-{release}-*.json")]):
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()
