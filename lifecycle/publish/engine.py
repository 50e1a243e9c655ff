"""docker: load the image into a Docker-compatible engine (lifecycle/engine.py says which),
tagged. The engine gets the same docker-save archive tar:FILE writes, through the docker
SDK's images.load; the client is injected, so tests can hand in their own."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pack_it.errors import export_error
from pack_it.lifecycle import engine
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.publish.tarball import TarballPublisher

if TYPE_CHECKING:
    from docker import DockerClient


class EnginePublisher:
    def __init__(self, make_client: Callable[[], DockerClient] = engine.client, address: str | None = None) -> None:
        self.make_client = make_client
        self.address = address or engine.engine_address() or "the engine"

    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        import docker

        scratch = Path(tempfile.mkdtemp(dir=blobs.root / "tmp", prefix="engine-"))
        archive = scratch / "image.tar"
        try:
            TarballPublisher(str(archive)).publish(image, blobs, reference)
            client = self.make_client()
            try:
                with archive.open("rb") as f:
                    client.images.load(f)
                # The archive names the image; checking it is there catches an engine that
                # loaded it untagged (it then gets the tag here).
                loaded = client.images.get(image.config_descriptor.digest)
                if not any(t.endswith(reference) for t in loaded.tags):
                    loaded.tag(reference)
            finally:
                client.close()
        except (docker.errors.DockerException, OSError) as e:
            raise export_error(f"The engine at {self.address} could not load {reference}: {_short(e)}.",
                               "Check that the engine runs (docker info / podman info), or use --output tar:FILE.")
        finally:
            Cache.remove(scratch)
        return f"docker:{reference}"


def _short(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:200]
