"""What the Node detector tests share: the fixture trees, a fixed list of Node releases, and
small trees written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_it.detectors.node import detect
from pack_it.detectors.source import SourceTree
from tests.detectors.trees import write_tree  # noqa: F401  (re-exported for the tests here)
from pack_it.errors import PackItError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "node"
# A registry's list, out of order as registries are; 23 is the newest release, 22 the newest LTS.
NODE_VERSIONS = ["20.11.0", "22.12.0", "18.20.5", "16.20.2", "23.5.0", "20.18.1", "21.7.3",
                 "22.11.0", "18.20.4", "24.0.0-rc.1", "not-a-version"]
# Bun's releases, as the index lists them (canaries are never listed); 1.2.19 is the newest.
BUN_VERSIONS = ["1.1.30", "1.2.19", "1.0.0", "1.2.2", "0.8.1"]
SERVER = 'require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT || 3000);\n'


def versions() -> list[str]:
    return list(NODE_VERSIONS)


def bun_versions() -> list[str]:
    return list(BUN_VERSIONS)


def fixture(name: str) -> SourceTree:
    return SourceTree(FIXTURES / name)




def app(root: Path, package: dict, files: dict[str, object] | None = None) -> SourceTree:
    """A tree with this package.json, a package-lock.json, and `files` (server.js by default)."""
    extra = {"server.js": SERVER} if files is None else files
    return write_tree(root, {"package.json": package, "package-lock.json": "{}", **extra})


def run(tree: SourceTree, node_versions=versions, bun_versions=bun_versions):
    return detect(tree, {}, node_versions, bun_versions)


def refused(tree: SourceTree, node_versions=versions, bun_versions=bun_versions) -> PackItError:
    with pytest.raises(PackItError) as err:
        detect(tree, {}, node_versions, bun_versions)
    assert err.value.phase == "detect"
    return err.value
