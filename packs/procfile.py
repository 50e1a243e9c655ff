"""Procfile pack: contributes the processes a Procfile names; builds nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pack_it.detectors import procfile
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.versions import VersionsIndex

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

ID = "procfile"
VERSION = "0.1.0"
LOOKS_FOR = "Procfile"
FACTS = None
RELEASES: ReleaseFetchers = {}


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    return procfile.detect(tree)


def build(ctx: BuildContext) -> list[Layer]:
    return []
