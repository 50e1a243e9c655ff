"""Small source trees for the detectors' tests."""

from __future__ import annotations

import json
from pathlib import Path

from pack_it.detectors.source import SourceTree


def write_tree(root: Path, files: dict[str, object]) -> SourceTree:
    """Files by relative path; a dict or list value is written as JSON."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return SourceTree(root)
