"""Where a built image goes, one destination per module (as ko's pkg/publish):

    oci:DIR    an OCI image layout directory       (layout.py)
    tar:FILE   a tarball docker load / podman load accept, carrying the tag (tarball.py)

`publisher_for` is the one place an --output value is turned into a publisher.
"""

from __future__ import annotations

from typing import Protocol

from pack_it.errors import USAGE, PackItError
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.publish.layout import LayoutPublisher
from pack_it.lifecycle.publish.tarball import TarballPublisher


class Publisher(Protocol):
    def publish(self, image: Image, blobs: Cache, reference: str) -> str:
        """Writes the image (all or nothing); returns where it went, for the user."""


def publisher_for(output: str) -> Publisher:
    kind, sep, target = output.partition(":")
    if sep and target and kind == "oci":
        return LayoutPublisher(target)
    if sep and target and kind == "tar":
        return TarballPublisher(target)
    raise PackItError(f"--output {output!r} is not a destination pack-it knows.",
                      exit_code=USAGE, phase="export",
                      hint="Use oci:DIR (an OCI image layout) or tar:FILE (for docker/podman load).")
