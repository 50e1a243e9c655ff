"""The root's install hooks and build scripts (postinstall, prepare, heroku-postbuild...) run with
the app's source, after an install made from the manifests alone: a hook that reads the app's
files works, what it writes to node_modules ships, and a source-only change installs nothing."""

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs import node as node_pack

pytestmark = pytest.mark.network  # the package registries (see tests/conftest.py)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "node" / "builds"


def _layer_file(result, layout: Path, layer_name: str, path: str) -> str | None:
    """The text of `path` (e.g. workspace/dist/server.js) in the image's layer `layer_name`."""
    labels = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    diff_id = next(l["diff_id"] for l in labels["layers"] if l["name"] == layer_name)
    layer = result.image.layers[result.image.diff_ids.index(diff_id)]
    blob = gzip.decompress((layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        try:
            return tar.extractfile(path).read().decode()
        except KeyError:
            return None


def _no_installer(*args, **kwargs):
    raise AssertionError("a package manager installed after a source-only change")


def test_a_postinstall_reading_the_apps_files_builds_the_start_target(tmp_path, app_copy, shared_cache, monkeypatch):
    app = app_copy("node-postinstall")  # postinstall: node scripts/setup.js && tsc; start: node dist/server.js
    layout = tmp_path / "layout"
    options = BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache)
    first = build(options, REGISTRY)
    assert first.plan.details["node"].scripts.steps == ("postinstall",)
    server = _layer_file(first, layout, "build", "workspace/dist/server.js")
    assert server is not None and "GREETING" in server
    assert "set up by scripts/setup.js" in _layer_file(first, layout, "build", "workspace/src/generated.ts")

    # a source-only change: the hooks run again, the dependencies are not installed again
    (app / "src" / "server.ts").write_text((app / "src" / "server.ts").read_text().replace("GREETING + ", "'v2 ' + GREETING + "))
    monkeypatch.setattr(node_pack, "_install_full", _no_installer)
    second = build(options, REGISTRY)
    assert "'v2 ' + generated_1.GREETING" in _layer_file(second, layout, "build", "workspace/dist/server.js")


def test_what_patch_package_writes_to_node_modules_ships_and_the_cached_install_stays_clean(tmp_path, shared_cache,
                                                                                          monkeypatch):
    app = tmp_path / "npm-patch-package"
    shutil.copytree(FIXTURES / "npm-patch-package", app)
    layout = tmp_path / "layout"
    options = BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache)
    first = build(options, REGISTRY)
    patched = _layer_file(first, layout, "node_modules", "workspace/node_modules/ms/index.js")
    assert patched.count("module.exports.patched = true;") == 1
    assert _layer_file(first, layout, "node_modules", "workspace/node_modules/patch-package/package.json") is None
    cached = list(Cache(shared_cache).pack_dir("node", "modules").glob("*/node_modules/ms/index.js"))
    assert cached and all("patched" not in p.read_text() for p in cached)  # the hook ran on a copy

    (app / "server.js").write_text((app / "server.js").read_text().replace("patched:", "patched now:"))
    monkeypatch.setattr(node_pack, "_install_full", _no_installer)
    second = build(options, REGISTRY)
    again = _layer_file(second, layout, "node_modules", "workspace/node_modules/ms/index.js")
    assert again.count("module.exports.patched = true;") == 1
