"""registry:HOST/REPO[:TAG]: push to a registry with no engine, uploading only the blobs it
lacks (lifecycle/registry/client.py). When the run image came from a repository of the same
registry, its layers are mounted from there instead of uploaded."""

from __future__ import annotations

import json

from pack_it.errors import PackItError
from pack_it.lifecycle import oci
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.registry import names
from pack_it.lifecycle.registry.client import PushReport, RegistryClient, RegistryOptions
from pack_it.lifecycle.reporter import Reporter


class RegistryPublisher:
    def __init__(self, target: str, options: RegistryOptions, reporter: Reporter = Reporter(),
                 make_client=RegistryClient) -> None:
        self.ref = names.parse(target)
        self.options = options
        self.reporter = reporter
        self.make_client = make_client  # injected, as ko's WithDockerClient: tests may hand in their own
        self.report: PushReport | None = None

    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        mount_from, mountable = run_image_origin(image, self.ref)
        client = self.make_client(self.ref, self.options, push=True, mount_from=mount_from)
        self.report = client.push(image, blobs, mountable)
        r = self.report
        self.reporter.step(f"pushed {len(r.uploaded)} blobs ({r.bytes_sent} bytes) to {self.ref.host}; "
                           f"{len(r.present)} already there" + (f", {len(r.mounted)} mounted from {mount_from}" if r.mounted else ""))
        return f"registry:{self.ref}"


def run_image_origin(image: Image, target: names.RegistryRef) -> tuple[str | None, frozenset[str]]:
    """(repository, layer digests) of the run image when it was pulled from target's registry:
    the metadata label records the run image's reference and how many layers it has."""
    labels = (image.config_json.get("config") or {}).get("Labels") or {}
    try:
        run = json.loads(labels.get(oci.METADATA_LABEL, "{}")).get("run_image") or {}
        reference = run.get("reference", "")
        if not names.names_registry(reference.removeprefix("registry:")):
            return None, frozenset()
        origin = names.parse(reference)
    except (ValueError, AttributeError, PackItError):
        return None, frozenset()
    if origin.host != target.host or origin.repository == target.repository:
        return None, frozenset()
    return origin.repository, frozenset(d.digest for d in image.layers[: int(run.get("layers", 0))])
