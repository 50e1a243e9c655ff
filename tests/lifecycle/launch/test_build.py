"""The launcher shipped in pack-it is what the pinned Go makes from launcher/main.go, byte for
byte (lifecycle/launch/build.py); and its layer is the same blob in every image."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import pytest

from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.launch import LAUNCHER, build
from pack_it.lifecycle.launch.layers import BINARY, launcher_layer


@pytest.mark.network  # the pinned Go comes from the module proxy when the host's is another version
def test_the_shipped_launcher_is_rebuilt_bit_for_bit(tmp_path):
    fresh = tmp_path / "launcher"
    build.build(fresh, build.go_tool(tmp_path / "cache"))  # a fresh build directory and Go cache
    assert fresh.read_bytes() == BINARY.read_bytes()


def test_the_launcher_is_a_small_static_executable():
    data = BINARY.read_bytes()
    assert data[:4] == b"\x7fELF" and b"/lib64/ld-linux" not in data  # no interpreter: static
    assert len(data) < 2_000_000


def test_the_launcher_layer_holds_only_the_launcher(tmp_path):
    cache = Cache(tmp_path / "cache")
    layer = launcher_layer(cache, 0)
    again = launcher_layer(cache, 0)
    assert again.reused and again.blob == layer.blob
    with gzip.open(cache.blob_path(layer.blob.digest)) as f:
        members = {m.name: m for m in tarfile.open(fileobj=io.BytesIO(f.read()))}
    binary = members[LAUNCHER.lstrip("/")]
    assert binary.mode == 0o755 and (binary.uid, binary.gid) == (0, 0)
    assert sorted(members) == ["layers", "layers/lifecycle", "layers/lifecycle/launcher", LAUNCHER.lstrip("/")]
    data = tarfile.open(fileobj=io.BytesIO(gzip.open(cache.blob_path(layer.blob.digest)).read())).extractfile(binary)
    assert hashlib.sha256(data.read()).digest() == hashlib.sha256(BINARY.read_bytes()).digest()
