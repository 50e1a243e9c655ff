"""tar:FILE: one archive that is both an OCI image layout (index.json, blobs/) and a
`docker save` archive (manifest.json with RepoTags), as Docker 25+ writes it, so that
`docker load` and `podman load` both accept it and tag the image. The archive itself is
deterministic, and appears only once complete."""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from pathlib import Path

from pack_it.errors import export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.archive import DEFAULT_EPOCH, Entry, file_entry, write_tar
from pack_it.lifecycle.cache import Cache, atomic_file, sweep_partials
from pack_it.lifecycle.imagefile import MAX_JSON
from pack_it.lifecycle.oci import Image, canonical_json

MIN_SIZE = 1024  # a tar archive is at least its two end blocks
from pack_it.lifecycle.publish import reference as refs
from pack_it.lifecycle.publish.layout import OCI_LAYOUT, image_blobs


class TarballPublisher:
    def __init__(self, path: str) -> None:
        self.path = path

    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        ref = refs.parse(reference)
        if _holds(Path(self.path), image, str(ref)):
            return f"tar:{self.path}"  # a no-op rebuild: the file already is this image
        name_of = lambda digest: "blobs/sha256/" + digest.removeprefix("sha256:")  # noqa: E731
        index = {"schemaVersion": 2, "mediaType": oci.INDEX, "manifests": [image.descriptor({
            "io.containerd.image.name": ref.fully_qualified,
            oci.REF_NAME: ref.tag,
        }).to_json()]}
        docker_manifest = [{
            "Config": name_of(image.config_descriptor.digest),
            "RepoTags": [str(ref)],
            "Layers": [name_of(d.digest) for d in image.layers],
        }]
        entries = [Entry(name_of(d), "file", 0o644, source=blobs.blob_path(d)) for d in image_blobs(image)]
        entries += [
            file_entry("index.json", canonical_json(index)),
            file_entry("manifest.json", json.dumps(docker_manifest, separators=(",", ":")).encode()),
            file_entry("oci-layout", OCI_LAYOUT),
        ]
        try:
            sweep_partials(Path(self.path).absolute().parent)  # left by a killed pack-it
            with atomic_file(Path(self.path)) as f:
                write_tar(entries, f, DEFAULT_EPOCH)
        except OSError as e:
            raise export_error(f"Cannot write {self.path}: {e.strerror or e}.",
                               "Check that the directory exists and is writable.")
        return f"tar:{self.path}"


def _holds(path: Path, image: Image, reference: str) -> bool:
    """Whether `path` is already a pack-it tarball of exactly this image under this name."""
    if not path.is_file():
        return False
    try:
        if path.stat().st_size < MIN_SIZE:
            return False
        with tarfile.open(path) as tar:
            index_file, manifest_file = tar.extractfile("index.json"), tar.extractfile("manifest.json")
            if index_file is None or manifest_file is None:  # not regular files: not ours
                return False
            index = json.loads(index_file.read(MAX_JSON))
            manifest = json.loads(manifest_file.read(MAX_JSON))
            if not ([m.get("digest") for m in index.get("manifests", [])] == [image.digest]
                    and manifest[0].get("RepoTags") == [reference]):
                return False
            # Every blob is there and intact (a damaged file is rewritten, not kept as "done").
            for digest in image_blobs(image):
                if not _intact(tar, "blobs/sha256/" + digest.removeprefix("sha256:"), digest):
                    return False
    except (tarfile.TarError, OSError, KeyError, ValueError, TypeError, AttributeError, IndexError, EOFError,
            RecursionError, zlib.error):
        return False
    return True


def _intact(tar: tarfile.TarFile, name: str, digest: str) -> bool:
    try:
        member = tar.getmember(name)
    except KeyError:
        return False
    f = tar.extractfile(member)
    if f is None:
        return False
    sha = hashlib.sha256()
    while chunk := f.read(1 << 20):
        sha.update(chunk)
    return "sha256:" + sha.hexdigest() == digest
