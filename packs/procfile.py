"""Procfile pack: contributes the processes a Procfile names; builds nothing."""

from __future__ import annotations

from pack_it.detectors import procfile
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.versions import VersionsIndex

ID = "procfile"
VERSION = "0.1.0"
LOOKS_FOR = "Procfile"


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    return procfile.detect(tree)


def build(ctx) -> list:
    return []
