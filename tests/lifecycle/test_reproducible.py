"""Same source, two builds in two directories at two times, separate caches: one digest."""

import os
import time

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY

pytestmark = pytest.mark.network  # the package registries (see tests/conftest.py)


def test_two_builds_of_the_same_source_give_the_same_digest(tmp_path, app_copy, shared_cache, go_tool, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = app_copy("go-deps", tmp_path / "checkout-one" / "go-deps")
    time.sleep(1.1)
    second = app_copy("go-deps", tmp_path / "elsewhere" / "two" / "go-deps")
    for path in second.rglob("*"):
        os.utime(path, (time.time() + 3600, time.time() + 3600))
    one = build(BuildOptions(first, output=f"tar:{tmp_path / 'one.tar'}", cache_dir=shared_cache), REGISTRY)
    two = build(BuildOptions(second, output=f"tar:{tmp_path / 'two.tar'}", cache_dir=tmp_path / "fresh-cache"), REGISTRY)
    assert two.reused_layers == 0  # really built twice
    assert one.image.digest == two.image.digest
    assert (tmp_path / "one.tar").read_bytes() == (tmp_path / "two.tar").read_bytes()


def test_source_date_epoch_changes_the_digest(tmp_path, app_copy, shared_cache, go_tool, monkeypatch):
    app = app_copy("go-hello")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    default = build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache), REGISTRY)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pinned = build(BuildOptions(app, output=f"tar:{tmp_path / 'b.tar'}", cache_dir=shared_cache), REGISTRY)
    assert pinned.image.digest != default.image.digest
    assert pinned.image.config_json["created"] == "2023-11-14T22:13:20Z"
    assert pinned.reused_layers == 0  # the layer's mtimes change with the epoch
    assert pinned.image.diff_ids[-1] != default.image.diff_ids[-1]
