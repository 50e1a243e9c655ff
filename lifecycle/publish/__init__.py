"""Where a built image goes, one destination per module (as ko's pkg/publish):

    oci:DIR        an OCI image layout directory       (layout.py)
    tar:FILE       a tarball docker load / podman load accept, carrying the tag (tarball.py)
    registry:REF   a registry, pushed with no engine   (registry.py)
    docker         a Docker-compatible engine, loaded through the docker SDK (engine.py)

`publisher_for` is the one place an --output value is turned into a publisher;
`default_output` the one place the default is chosen.
"""

from __future__ import annotations

from typing import Protocol

from pack_it.errors import USAGE, PackItError
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.publish.layout import LayoutPublisher
from pack_it.lifecycle.publish.tarball import TarballPublisher
from pack_it.lifecycle.reporter import Reporter


class Publisher(Protocol):
    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        """Writes the image (all or nothing); returns where it went, for the user."""


def publisher_for(output: str, registry=None, reporter: Reporter = Reporter()) -> Publisher:
    """`registry` is the RegistryOptions (credentials, CA, insecure hosts) for registry:REF."""
    kind, sep, target = output.partition(":")
    if sep and target and kind == "oci":
        return LayoutPublisher(target)
    if sep and target and kind == "tar":
        return TarballPublisher(target)
    if sep and target and kind == "registry":
        from pack_it.lifecycle.publish.registry import RegistryPublisher
        from pack_it.lifecycle.registry.client import RegistryOptions

        return RegistryPublisher(target, registry or RegistryOptions(), reporter)
    if output == "docker":
        from pack_it.lifecycle.publish.engine import EnginePublisher

        return EnginePublisher()
    raise PackItError(f"--output {output!r} is not a destination pack-it knows.",
                      exit_code=USAGE, phase="export",
                      hint="Use oci:DIR (an OCI image layout), tar:FILE (for docker/podman load), "
                           "registry:HOST/REPO[:TAG] (push), or docker (load into the engine at DOCKER_HOST).")


def default_output(file_name: str) -> tuple[str, str]:
    """(output, why): the engine when one answers quickly (DOCKER_HOST, or Docker's default
    socket), else the tarball `file_name`; `why` is the line that tells the user."""
    from pack_it.lifecycle import engine

    address = engine.answers()
    if address:
        return "docker", f"output: the engine at {address} (--output tar:FILE writes a file instead)"
    where = engine.engine_address() or f"DOCKER_HOST or {engine.DEFAULT_SOCKET}"
    return f"tar:{file_name}", f"output: tar:{file_name} (no engine answered at {where})"
