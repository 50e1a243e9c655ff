"""The app's directory belongs to the image's user (apps write beside their code: FastHTML's
.sesskey, an SQLite file, Next.js's .next/cache), as under CNB's launcher; the layers under
/layers stay root's, and the owner is part of the layer's key."""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

from pack_it.lifecycle.archive import DEFAULT_EPOCH
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.export import compress_layer
from pack_it.lifecycle.layers import WORKSPACE, Layer
from pack_it.lifecycle.stacks.generated import NONROOT_UID


def _owners(cache: Cache, layer: Layer) -> dict[str, tuple[int, int]]:
    assert layer.blob is not None
    with tarfile.open(fileobj=gzip.open(cache.blob_path(layer.blob.digest))) as tar:
        return {m.name.rstrip("/"): (m.uid, m.gid) for m in tar}


def _layer(tmp_path: Path, name: str, at: str | None) -> Layer:
    directory = tmp_path / name
    (directory / "static").mkdir(parents=True)
    (directory / "main.py").write_text("print(1)\n")
    (directory / "static" / "app.css").write_text("body{}\n")
    return Layer("python", name, key=name, path=directory, launch=True, at=at)


def test_the_workspace_is_the_image_users_and_layers_are_roots(tmp_path):
    cache = Cache(tmp_path / "cache")
    app = compress_layer(_layer(tmp_path, "app", WORKSPACE), cache, DEFAULT_EPOCH)
    deps = compress_layer(_layer(tmp_path, "deps", None), cache, DEFAULT_EPOCH)
    owners = _owners(cache, app)
    assert owners["workspace"] == owners["workspace/main.py"] == owners["workspace/static/app.css"] \
        == (NONROOT_UID, NONROOT_UID)
    assert set(_owners(cache, deps).values()) == {(0, 0)}


def test_the_owner_is_part_of_a_workspace_layers_key():
    from types import SimpleNamespace

    from pack_it.lifecycle.context import BuildContext

    keys = {}
    for at in (WORKSPACE, "/elsewhere"):
        made = []
        ctx = SimpleNamespace(key=lambda **inputs: made.append(inputs) or "k", reuse=lambda *a: None,
                              work=Path("/nonexistent"), pack="python")
        try:
            BuildContext.layer(ctx, "app", {"source": "x"}, lambda d: None, at=at)  # type: ignore[arg-type]
        except Exception:
            pass  # only the key it asked for matters here
        keys[at] = made[0]
    assert keys[WORKSPACE] == {"source": "x", "owner": NONROOT_UID} and keys["/elsewhere"] == {"source": "x"}
