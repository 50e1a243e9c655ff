"""Docker-compatible engines (Docker, or podman's Docker-API service), through the docker SDK.

Which engine: `$DOCKER_HOST`, else Docker's default socket /var/run/docker.sock. Podman's
socket is used only when DOCKER_HOST names it: an engine is something the user set up to
receive images, not something pack-it goes looking for.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pack_it.errors import INVALID_IMAGE, export_error

DEFAULT_SOCKET = Path("/var/run/docker.sock")
PING_TIMEOUT = 1.0  # seconds: choosing the default output must not slow a build down
PING_TIMEOUT_ENV = "PACK_IT_ENGINE_PING_TIMEOUT"  # for a slow engine (podman's API under load)
API_TIMEOUT = 300  # loading or saving a large image takes a while


def engine_address(env=os.environ) -> str | None:
    """Where an engine would be, or None when nothing is configured (no DOCKER_HOST, no socket)."""
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"]
    return f"unix://{DEFAULT_SOCKET}" if DEFAULT_SOCKET.exists() else None


def client(address: str | None = None, timeout: float = API_TIMEOUT):
    import docker  # imported only when an engine is used: it costs a fifth of a second

    address = address or engine_address()
    if address is None:
        raise export_error("No container engine is configured: DOCKER_HOST is unset and "
                           f"{DEFAULT_SOCKET} does not exist.",
                           "Set DOCKER_HOST (for podman: podman system service, then "
                           "DOCKER_HOST=unix:///path/to/podman.sock), or use --output tar:FILE.")
    # types-docker says int; docker hands the timeout to requests, which takes fractions.
    return docker.DockerClient(base_url=address, timeout=timeout)  # type: ignore[arg-type]


def answers(env=os.environ) -> str | None:
    """The engine's address if one answers a ping within PING_TIMEOUT (or $PACK_IT_ENGINE_PING_TIMEOUT
    seconds), else None."""
    address = engine_address(env)
    if address is None:
        return None
    try:
        timeout = float(env.get(PING_TIMEOUT_ENV) or PING_TIMEOUT)
    except ValueError:
        timeout = PING_TIMEOUT
    try:
        c = client(address, timeout)
        try:
            return address if c.ping() else None
        finally:
            c.close()
    except Exception:  # any failure to answer means: no engine (the default falls back to a file)
        return None


@contextmanager
def saved_image(reference: str, scratch: Path) -> Iterator[Path]:
    """The engine's image `reference` as a `docker save` archive in `scratch`."""
    import docker

    directory = Path(tempfile.mkdtemp(dir=scratch, prefix="engine-"))
    try:
        c = client()
        try:
            image = c.images.get(reference)
            path = directory / "image.tar"
            with path.open("wb") as f:
                for chunk in image.save(named=True):
                    f.write(chunk)
        except docker.errors.ImageNotFound:
            raise export_error(f"The engine at {engine_address()} has no image {reference}.",
                               "List its images (docker images / podman images).", exit_code=INVALID_IMAGE)
        except (docker.errors.DockerException, OSError) as e:
            raise export_error(f"Cannot read the image {reference} from the engine at {engine_address()}: "
                               f"{type(e).__name__}.", "Check that the engine is running.", exit_code=INVALID_IMAGE)
        finally:
            c.close()
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
