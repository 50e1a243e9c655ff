"""Registry references: `HOST[:PORT]/REPO[:TAG]` or `HOST[:PORT]/REPO@sha256:...`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pack_it.errors import USAGE, PackItError

REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"  # where docker.io's distribution API answers


@dataclass(frozen=True)
class RegistryRef:
    host: str  # as written, with its port: 127.0.0.1:5000
    repository: str
    tag: str = "latest"
    digest: str | None = None

    @property
    def reference(self) -> str:
        """What goes after /manifests/: the digest if there is one, else the tag."""
        return self.digest or self.tag

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.host == DOCKER_HUB else self.host

    def __str__(self) -> str:
        return f"{self.host}/{self.repository}" + (f"@{self.digest}" if self.digest else f":{self.tag}")


def names_registry(value: str) -> bool:
    """Whether a plain reference starts with a registry host (a dot, a port, or localhost),
    as Docker decides it: `app:1` and `team/app` are local names, `ghcr.io/team/app` is not."""
    first, sep, _ = value.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def parse(value: str) -> RegistryRef:
    text = value.removeprefix("registry:").removeprefix("docker://")
    if not names_registry(text):
        raise _bad(value)
    host, _, rest = text.partition("/")
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not DIGEST.match(digest):
            raise _bad(value)
    repository, tag = rest, "latest"
    if ":" in rest.rsplit("/", 1)[-1]:
        repository, tag = rest.rsplit(":", 1)
    if not REPOSITORY.match(repository) or not TAG.match(tag) or not re.match(r"^[A-Za-z0-9.-]+(:[0-9]+)?$", host):
        raise _bad(value)
    if host == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return RegistryRef(host, repository, tag, digest)


def _bad(value: str) -> PackItError:
    return PackItError(f"{value!r} is not a registry image reference.", exit_code=USAGE, phase="usage",
                       hint="Write HOST[:PORT]/REPOSITORY[:TAG], e.g. registry.example.com/team/app:1.0.")
