"""oci:DIR: an OCI image layout. Blobs are added by content address, then index.json is
rewritten in one rename, replacing any image of the same name; other images stay."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pack_it.errors import export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.cache import Cache, atomic_file
from pack_it.lifecycle.oci import Image, canonical_json

OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


def image_blobs(image: Image) -> list[str]:
    return [d.digest for d in image.layers] + [image.config_descriptor.digest, image.digest]


class LayoutPublisher:
    def __init__(self, directory: str) -> None:
        self.root = Path(directory)

    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        index_path = self.root / "index.json"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if any(self.root.iterdir()) and not index_path.is_file():
                raise export_error(f"{self.root} exists and is not an OCI image layout.",
                                   "Choose an empty or new directory for --output oci:DIR.")
            index = json.loads(index_path.read_text()) if index_path.is_file() else {}
            for digest in image_blobs(image):
                target = self.root / "blobs" / "sha256" / digest.removeprefix("sha256:")
                if not target.is_file():
                    with atomic_file(target) as out, blobs.blob_path(digest).open("rb") as src:
                        shutil.copyfileobj(src, out)
            with atomic_file(self.root / "oci-layout") as f:
                f.write(OCI_LAYOUT)
            manifests = [m for m in index.get("manifests", [])
                         if (m.get("annotations") or {}).get(oci.REF_NAME) != reference]
            manifests.append(image.descriptor({oci.REF_NAME: reference}).to_json())
            with atomic_file(index_path) as f:
                f.write(canonical_json({"schemaVersion": 2, "mediaType": oci.INDEX, "manifests": manifests}))
        except (OSError, ValueError) as e:
            raise export_error(f"Cannot write the OCI layout {self.root}: {e}.",
                               "Check the directory's permissions and free space.")
        return f"oci:{self.root}"
