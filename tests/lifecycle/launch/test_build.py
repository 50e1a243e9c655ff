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


def test_only_images_that_use_the_launcher_get_it(tmp_path):
    from pack_it.detectors.facts import Process
    from pack_it.lifecycle.pipeline import launch_layers
    from pack_it.lifecycle.plan import Plan
    from pack_it.lifecycle.reporter import Reporter

    cache = Cache(tmp_path / "cache")
    direct = Plan("x", ("x",), processes=(Process("web", ("gunicorn", "app:app"), "app.py", True, "gunicorn app:app",
                                                  "direct"),))
    launched = Plan("x", ("x",), processes=(Process("web", (LAUNCHER, "cd a && node b"), "Procfile", True,
                                                    "cd a && node b", "launcher"),))
    assert launch_layers(direct, "python-debian12", cache, 0, Reporter(), locked=False) == []
    (layer,) = launch_layers(launched, "python-debian12", cache, 0, Reporter(), locked=False)
    assert (layer.pack, layer.name, layer.image_path) == ("lifecycle", "launcher", "/layers/lifecycle/launcher")
