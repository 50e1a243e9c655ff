"""A layer a pack built, described as the CNB spec does by three flags:

| launch | build | cache | meaning                                                      |
|--------|-------|-------|--------------------------------------------------------------|
| yes    | -     | -     | goes into the image                                          |
| -      | yes   | -     | its bin/ and env are visible to the packs that build after it |
| -      | -     | yes   | kept in pack-it's cache dir between builds, never exported    |

A launch layer's contents sit at /layers/<pack>/<name> in the image (or at `at`, for the
app's source in /workspace); if it has a bin/ directory, that goes on the image's PATH.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the archive writer (gzip, tarfile) is the export's: imported where used, so detect never loads it
    from pack_it.lifecycle.archive import LayerBlob

# The app's directory. Its files are the image user's, as under CNB's launcher (whose app
# directory belongs to the build user the app runs as): apps write beside their code, a
# session key (FastHTML's .sesskey), an SQLite file, Next.js's .next/cache. The layers under
# /layers stay root's.
WORKSPACE = "/workspace"


@dataclass(frozen=True)
class Layer:
    pack: str
    name: str
    key: str  # made from the layer's inputs (content hashes, versions), never timestamps
    path: Path | None = None  # the built directory; None when reused from the cache
    launch: bool = False
    build: bool = False
    cache: bool = False
    env: dict = field(default_factory=dict)  # variables the layer sets in the image
    blob: LayerBlob | None = None  # set once the layer is exported (or reused)
    has_bin: bool = False  # set with `blob`: the layer has a bin/ directory
    reused: bool = False
    at: str | None = None  # where the contents go in the image, if not /layers/<pack>/<name>

    @property
    def image_path(self) -> str:
        return self.at or f"/layers/{self.pack}/{self.name}"

    @property
    def owner(self) -> int:
        """The uid and gid of the layer's files in the image."""
        return owner_of(self.image_path)


def owner_of(image_path: str | None) -> int:
    from pack_it.lifecycle.archive import ROOT
    from pack_it.lifecycle.stacks.generated import NONROOT_UID

    return NONROOT_UID if image_path == WORKSPACE else ROOT


def layer_key(**inputs) -> str:
    """A layer's cache key: a hash of everything that went into it (JSON-able values)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
