"""The OCI image model: media types, descriptors, and an image as plain data whose blobs
live in the cache. Serialisation is canonical (sorted keys, no spaces) so digests are stable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
REF_NAME = "org.opencontainers.image.ref.name"

METADATA_LABEL = "io.pack-it.metadata"  # JSON: packs, processes, layers, run image
INIT_LABEL = "io.pack-it.init"  # on a run image: the init the app's process runs under


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @classmethod
    def from_json(cls, value: dict) -> "Descriptor":
        return cls(value["mediaType"], value["digest"], int(value["size"]), value.get("annotations") or {})


@dataclass(frozen=True)
class Image:
    """A single-platform image: the manifest and config bytes, and the layer descriptors,
    whose blobs are in the cache (or whichever store produced the image)."""

    manifest: bytes
    config: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)

    @property
    def manifest_json(self) -> dict:
        return json.loads(self.manifest)

    @property
    def config_json(self) -> dict:
        return json.loads(self.config)

    @property
    def config_descriptor(self) -> Descriptor:
        return Descriptor.from_json(self.manifest_json["config"])

    @property
    def layers(self) -> list[Descriptor]:
        return [Descriptor.from_json(d) for d in self.manifest_json["layers"]]

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config_json["rootfs"]["diff_ids"])

    def descriptor(self, annotations: dict | None = None) -> Descriptor:
        media_type = self.manifest_json.get("mediaType", MANIFEST)
        return Descriptor(media_type, self.digest, len(self.manifest), annotations or {})

    @classmethod
    def assemble(cls, config: dict, layers: list[Descriptor]) -> "Image":
        config_bytes = canonical_json(config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": Descriptor(CONFIG, sha256_digest(config_bytes), len(config_bytes)).to_json(),
            "layers": [d.to_json() for d in layers],
        }
        return cls(canonical_json(manifest), config_bytes)
