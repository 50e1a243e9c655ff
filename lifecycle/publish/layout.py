"""oci:DIR: an OCI image layout. Blobs are added by content address, then index.json is
rewritten in one rename, replacing any image of the same name; other images stay."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pack_it.errors import export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.cache import Cache, atomic_file, sweep_partials
from pack_it.lifecycle.imagefile import MAX_JSON
from pack_it.lifecycle.oci import Image, canonical_json

OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


def image_blobs(image: Image) -> list[str]:
    return [d.digest for d in image.layers] + [image.config_descriptor.digest, image.digest]


UNFINISHED = {"oci-layout", "blobs"}  # what an interrupted first write leaves (with .partial-* files)


def _looks_unfinished(root: Path) -> bool:
    """A layout whose first write was interrupted: blobs and oci-layout, no index.json yet."""
    names = {n for n in os.listdir(root) if not n.startswith(".partial-")}
    return names <= UNFINISHED and (root / "blobs").is_dir() if names else True


def _read_index(path: Path) -> dict:
    with path.open("rb") as f:
        data = f.read(MAX_JSON + 1)
    try:
        index = json.loads(data) if len(data) <= MAX_JSON else None
    except (ValueError, RecursionError):
        index = None
    if not (isinstance(index, dict) and isinstance(index.get("manifests", []), list)
            and all(isinstance(m, dict) for m in index.get("manifests", []))):
        raise export_error(f"{path} is not an OCI image index pack-it can add to.",
                           "Choose an empty or new directory for --output oci:DIR, or remove that index.json.")
    return index


def _intact(path: Path, digest: str) -> bool:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest() == digest


class LayoutPublisher:
    def __init__(self, directory: str) -> None:
        self.root = Path(directory)

    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        index_path = self.root / "index.json"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not index_path.is_file() and not _looks_unfinished(self.root):
                raise export_error(f"{self.root} exists and is not an OCI image layout.",
                                   "Choose an empty or new directory for --output oci:DIR.")
            index = _read_index(index_path) if index_path.is_file() else {}
            blob_dir = self.root / "blobs" / "sha256"
            for directory in (self.root, blob_dir):
                sweep_partials(directory)  # left by a killed pack-it
            for digest in image_blobs(image):
                target = blob_dir / digest.removeprefix("sha256:")
                if target.is_file() and _intact(target, digest):
                    continue
                with atomic_file(target) as out, blobs.blob_path(digest).open("rb") as src:
                    sha = hashlib.sha256()
                    while chunk := src.read(1 << 20):
                        sha.update(chunk)
                        out.write(chunk)
                    if "sha256:" + sha.hexdigest() != digest:
                        blobs.forget_blob(digest)
                        raise export_error(f"The cache blob {blobs.blob_path(digest)} does not match its digest.",
                                           "It was deleted; build again to rebuild it.")
            with atomic_file(self.root / "oci-layout") as f:
                f.write(OCI_LAYOUT)
            manifests = [m for m in index.get("manifests", [])
                         if (m.get("annotations") or {}).get(oci.REF_NAME) != reference]
            manifests.append(image.descriptor({oci.REF_NAME: reference}).to_json())
            with atomic_file(index_path) as f:
                f.write(canonical_json({"schemaVersion": 2, "mediaType": oci.INDEX, "manifests": manifests}))
        except (OSError, ValueError, AttributeError) as e:
            raise export_error(f"Cannot write the OCI layout {self.root}: {getattr(e, 'strerror', None) or e}.",
                               "Check the directory's permissions and free space.")
        return f"oci:{self.root}"
