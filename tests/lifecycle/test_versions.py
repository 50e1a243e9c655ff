"""The versions index: shipped, refreshed into the cache on request, named by every plan."""

from __future__ import annotations

import json

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.errors import INVALID_INPUT, PackItError
from pack_it.lifecycle import versions
from pack_it.lifecycle.detect import detect, detect_cached
from tests.conftest import SAMPLE_APPS
from tests.detectors.trees import write_tree


def _node_app(tmp_path):
    return write_tree(tmp_path / "app", {"package.json": {"name": "a", "engines": {"node": "22.x"}},
                                         "package-lock.json": "{}", "server.js": "require('http')"})


def test_the_shipped_index_is_valid_and_knows_node_releases():
    index = versions.shipped()
    assert index.origin == "shipped" and index.digest.startswith("sha256:")
    node = index.releases("node")
    assert len(node) > 100
    assert all(facts["integrity"].startswith("sha512-") for facts in node.values())


def test_update_writes_a_refreshed_index_that_detection_then_uses(tmp_path):
    cache = tmp_path / "cache"
    tree = _node_app(tmp_path)
    before = detect(tree, index=versions.load(cache))
    fresh = {"22.99.0": {"integrity": "sha512-AAAA"}, "24.0.0": {"integrity": "sha512-BBBB"}}
    index, counts = versions.update(cache, {"node": lambda: fresh}, today="2999-01-01")
    assert counts["node"][1] == 2
    assert versions.refreshed_path(cache).is_file()
    loaded = versions.load(cache)
    assert loaded.digest == index.digest and loaded.date == "2999-01-01"
    after = detect(tree, index=loaded)
    assert after.runtime.version == "22.99.0" != before.runtime.version
    assert after.versions_index == {"date": "2999-01-01", "digest": index.digest}
    # The cached plan is keyed by the index: a refresh is never hidden by an older plan.
    assert detect_cached(tree, {}, cache, versions.shipped()).runtime.version == before.runtime.version
    assert detect_cached(tree, {}, cache, loaded).runtime.version == "22.99.0"


def test_a_refreshed_index_older_than_the_shipped_one_is_ignored(tmp_path):
    cache = tmp_path / "cache"
    versions.update(cache, {"node": lambda: {"1.0.0": {}}}, today="2000-01-01")
    assert versions.load(cache).origin == "shipped"


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"format": 2}', b"[" * 100000,
                                     b'{"format": 1, "date": "2999-01-01", "runtimes": {"node": []}}',
                                     b'{"format": 1, "date": "2999-01-01", "runtimes": {"node": {"1.0.0": 5}}}'])
def test_a_broken_refreshed_index_is_one_sentence_naming_it(tmp_path, content):
    path = versions.refreshed_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(PackItError) as err:
        versions.load(tmp_path)
    assert err.value.exit_code == INVALID_INPUT
    assert str(path) in err.value.message and "pack-it versions update" in err.value.hint


def test_detect_never_depends_on_the_day(tmp_path):
    """Two detections with the same index give the same plan, whatever the registry serves."""
    tree = SourceTree(SAMPLE_APPS / "node-engines")
    index = versions.shipped()
    assert detect(tree, index=index).to_json() == detect(tree, index=index).to_json()
    recorded = json.loads((SAMPLE_APPS.parent / "tests" / "snapshots" / "node-engines.json").read_text())
    assert recorded["runtime"]["version"] in index.versions("node")
