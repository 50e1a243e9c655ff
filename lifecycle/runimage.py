"""Run images: the base every app image is layered on.

For now pack-it generates one itself, `base`: an empty root plus the files every minimal
image needs (users and groups, /tmp, nsswitch.conf, os-release). Any OCI image given as
`oci:DIR` or `tar:FILE` can be used instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from pack_it.errors import INVALID_IMAGE, export_error
from pack_it.lifecycle import imagefile
from pack_it.lifecycle.archive import dir_entry, file_entry, timestamp, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import LAYER_GZIP, Descriptor, Image

NONROOT_UID = 65532
DEFAULT_RUN_IMAGE = "base"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PASSWD = """\
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
"""
GROUP = """\
root:x:0:
nobody:x:65534:
nonroot:x:65532:
"""
NSSWITCH = """\
passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
"""
OS_RELEASE = """\
PRETTY_NAME="pack-it base"
NAME="pack-it base"
ID=pack-it-base
VERSION_ID="1"
HOME_URL="https://pypi.org/project/pack-it/"
"""


@dataclass(frozen=True)
class RunImage:
    reference: str
    image: Image  # its blobs are in the cache


def _base(cache: Cache, epoch: int) -> RunImage:
    entries = [
        file_entry("etc/passwd", PASSWD.encode()),
        file_entry("etc/group", GROUP.encode()),
        file_entry("etc/nsswitch.conf", NSSWITCH.encode()),
        file_entry("etc/os-release", OS_RELEASE.encode()),
        dir_entry("tmp", mode=0o1777),
        dir_entry("root", mode=0o700),
        dir_entry("home/nonroot", mode=0o700, uid=NONROOT_UID, gid=NONROOT_UID),
        dir_entry("workspace"),
    ]
    with cache.new_blob() as (f, holder):
        blob = write_layer(entries, f, epoch)
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
    return RunImage(DEFAULT_RUN_IMAGE, image)


def resolve(reference: str, cache: Cache, epoch: int) -> RunImage:
    """A run image by name (`base`), or from `oci:DIR` / `tar:FILE`, its blobs copied into the cache."""
    if reference == DEFAULT_RUN_IMAGE:
        return _base(cache, epoch)
    if reference.startswith(("oci:", "tar:")):
        with imagefile.open_image(reference) as source:
            for descriptor in [source.image.config_descriptor, *source.image.layers]:
                if not cache.has_blob(descriptor.digest):
                    with cache.new_blob() as (f, holder):
                        source.copy_blob(descriptor.digest, f)
                        holder.append(descriptor.digest)
            cache.put_bytes(source.image.manifest)
            return RunImage(reference, source.image)
    raise export_error(
        f"Unknown run image {reference!r}.",
        f"Use `{DEFAULT_RUN_IMAGE}`, `oci:DIR` or `tar:FILE`.",
        exit_code=INVALID_IMAGE,
    )
