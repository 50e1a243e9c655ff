"""tar:FILE: one archive that is both an OCI image layout (index.json, blobs/) and a
`docker save` archive (manifest.json with RepoTags), as Docker 25+ writes it, so that
`docker load` and `podman load` both accept it and tag the image. The archive itself is
deterministic, and appears only once complete."""

from __future__ import annotations

import hashlib
import json
import tarfile
import time
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
        path = Path(self.path)
        if _recorded(blobs, path, image, str(ref)):
            return f"tar:{self.path}"  # a no-op rebuild: the file already is this image
        if _holds(path, image, str(ref)):
            _record(blobs, path, image, str(ref))  # checked whole: the next no-op trusts the record
            return f"tar:{self.path}"
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
        _record(blobs, path, image, str(ref))
        return f"tar:{self.path}"


# A tarball pack-it wrote or checked whole is recorded in the cache with its file identity, as
# the cache's own blobs are: a no-op rebuild then need not hash every blob again (80 ms for
# node-express's 46 MB). Any write to the file, or a replacement, changes its mtime or ctime or
# inode, and it is checked whole again. As git does for racily clean files, a file changed in
# the last RACY_NS is not recorded: file times come from a clock that ticks every few ms, so a
# write in the same tick as the one recorded would keep the same times.
RACY_NS = 2_000_000_000

def _identity(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _record_path(blobs: Cache, path: Path) -> Path:
    return blobs.root / "outputs" / (hashlib.sha256(str(path.absolute()).encode()).hexdigest() + ".json")


def _recorded(blobs: Cache, path: Path, image: Image, reference: str) -> bool:
    try:
        record = json.loads(_record_path(blobs, path).read_text())
        return bool(record == {"digest": image.digest, "reference": reference, "identity": _identity(path)})
    except (OSError, ValueError):
        return False


def _record(blobs: Cache, path: Path, image: Image, reference: str) -> None:
    try:
        identity = _identity(path)
        if time.time_ns() - max(identity[3], identity[4]) < RACY_NS:
            return
        record = _record_path(blobs, path)
        record.parent.mkdir(parents=True, exist_ok=True)
        sweep_partials(record.parent)  # a killed pack-it's
        with atomic_file(record) as f:
            f.write(json.dumps({"digest": image.digest, "reference": reference, "identity": identity}).encode())
    except OSError:
        pass  # only a shortcut for the next build: without it, that build checks the file whole


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
