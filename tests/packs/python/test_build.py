"""The Python pack's build, for real (uv, PyPI): layers, caching, runtimes."""

import sys
import gzip
import hashlib
import io
import json
import subprocess
import tarfile

import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs.python import dependencies


def _layers(result) -> dict[str, str]:
    """made-by (pack/layer) -> diff_id, from the image's pack-it label."""
    labels = result.image.config_json["config"]["Labels"]
    return {f"{l['pack']}/{l['name']}": l["diff_id"] for l in json.loads(labels["io.pack-it.metadata"])["layers"]}


@pytest.mark.network
def test_a_source_only_change_keeps_the_dependency_layer_and_runs_no_installer(tmp_path, app_copy, shared_cache, monkeypatch):
    app = app_copy("python-flask")
    options = BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache)
    first = build(options, REGISTRY)
    (app / "app.py").write_text((app / "app.py").read_text().replace("Hello from", "Hi from"))

    def no_installer(*args, **kwargs):
        raise AssertionError("the installer ran after a source-only change")

    monkeypatch.setattr(dependencies, "install", no_installer)
    second = build(options, REGISTRY)
    assert _layers(second)["python/deps"] == _layers(first)["python/deps"]
    assert _layers(second)["python/app"] != _layers(first)["python/app"]


@pytest.mark.network
def test_the_dependency_layer_holds_the_locked_versions_for_the_target_python(tmp_path, app_copy, shared_cache):
    app = app_copy("python-pipenv")  # Pipfile.lock, Python 3.11 (Debian 12)
    build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    locked = json.loads((app / "Pipfile.lock").read_text())["default"]
    index = json.loads((tmp_path / "l" / "index.json").read_text())
    manifest = json.loads((tmp_path / "l" / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
    names = set()
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress((tmp_path / "l" / "blobs" / "sha256" / layer["digest"][7:]).read_bytes()))) as tar:
            names |= set(tar.getnames())
    for name, spec in locked.items():
        version = spec["version"].removeprefix("==")
        assert any(n.startswith("layers/python/deps/site-packages/") and n.lower().endswith(f"/{name.replace('-', '_')}-{version}.dist-info")
                   for n in names), (name, version)
    # Host Python 3.11 = target 3.11: bytecode is compiled, with hash-based (reproducible) pycs.
    assert any(n.startswith("layers/python/deps/site-packages/flask/__pycache__/") and n.endswith(".cpython-311.pyc") for n in names)
    assert "workspace/app.py" in names


@pytest.mark.network
def test_pip_installs_when_uv_is_not_there(tmp_path, app_copy, monkeypatch):
    monkeypatch.setattr(dependencies, "find_uv", lambda: None)
    app = app_copy("python-flask")  # Python 3.13 on the host's 3.11: wheels only, for the target
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=tmp_path / "cache"), REGISTRY)
    index = json.loads((tmp_path / "l" / "index.json").read_text())
    manifest = json.loads((tmp_path / "l" / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
    deps_blob = manifest["layers"][-2]["digest"][7:]  # deps, then app
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress((tmp_path / "l" / "blobs" / "sha256" / deps_blob).read_bytes()))) as tar:
        names = tar.getnames()
    assert any(n.startswith("layers/python/deps/site-packages/flask-") for n in names)
    assert any(n.startswith("layers/python/deps/site-packages/gunicorn-27.0.1") for n in names)
    assert any(n.endswith("markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so") for n in names)  # a wheel for 3.13
    assert "layers/python/deps/bin/gunicorn" in names
    assert result.plan.details["python"].to_json()["added"] == ["gunicorn"]


@pytest.mark.network
def test_bytecode_for_python_3_13_is_compiled_by_the_run_images_own_interpreter(tmp_path, app_copy, shared_cache):
    app = app_copy("python-flask")  # 3.13 (Debian 13), on a host whose Python is another version
    build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    index = json.loads((tmp_path / "l" / "index.json").read_text())
    manifest = json.loads((tmp_path / "l" / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
    names = set()
    for layer in manifest["layers"][-2:]:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress((tmp_path / "l" / "blobs" / "sha256" / layer["digest"][7:]).read_bytes()))) as tar:
            names |= set(tar.getnames())
    assert "layers/python/deps/site-packages/flask/__pycache__/__init__.cpython-313.pyc" in names
    assert "workspace/__pycache__/app.cpython-313.pyc" in names
