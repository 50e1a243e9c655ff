"""Image names as the user gives them (`name[:tag]`), and the forms each tool expects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pack_it.errors import USAGE, PackItError

# An optional registry host (with its port) first: 127.0.0.1:5000/team/app.
NAME = re.compile(r"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class Reference:
    name: str
    tag: str = "latest"

    def __str__(self) -> str:
        return f"{self.name}:{self.tag}"

    @property
    def fully_qualified(self) -> str:
        """What Docker records for a short name (docker.io/library/...)."""
        first = self.name.split("/", 1)[0]
        if "/" in self.name and ("." in first or ":" in first or first == "localhost"):
            return str(self)
        name = self.name if "/" in self.name else f"library/{self.name}"
        return f"docker.io/{name}:{self.tag}"


def parse(value: str) -> Reference:
    name, tag = value, "latest"
    last = value.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = value.rsplit(":", 1)
    if not NAME.match(name) or not TAG.match(tag):
        raise PackItError(f"{value!r} is not a valid image name.", exit_code=USAGE, phase="export",
                          hint="Use lowercase letters, digits and . _ - / for the name, e.g. -t myapp:1.0.")
    return Reference(name, tag)


def from_directory(dirname: str) -> Reference:
    """The default name: the app directory's name, made valid."""
    name = re.sub(r"[^a-z0-9._-]+", "-", dirname.lower()).strip("._-") or "app"
    return Reference(name)
