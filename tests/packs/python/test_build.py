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


def _standalone_release(directory, minor="3.12", patch="9"):
    """A directory laid out like a python-build-standalone release: SHA256SUMS and an
    install_only tarball whose contents sit under python/."""
    directory.mkdir()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, content, mode in [
            (f"python/bin/python{minor}", b"#!/bin/false\n", 0o755),
            (f"python/lib/python{minor}/os.py", b"# the stdlib\n", 0o644),
        ]:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), mode
            tar.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("python/bin/python3")
        link.type, link.linkname = tarfile.SYMTYPE, f"python{minor}"
        tar.addfile(link)
    name = f"cpython-{minor}.{patch}+20260101-x86_64-unknown-linux-gnu-install_only.tar.gz"
    (directory / name).write_bytes(data.getvalue())
    (directory / "SHA256SUMS").write_text(f"{hashlib.sha256(data.getvalue()).hexdigest()}  {name}\n")
    return name


@pytest.mark.network
def test_python_3_12_comes_from_a_standalone_release_on_the_cc_stack(tmp_path, shared_cache, monkeypatch):
    _standalone_release(tmp_path / "release")
    monkeypatch.setenv("PACK_IT_PYTHON_STANDALONE_URL", (tmp_path / "release").as_uri())
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text("3.12\n")
    (app / "main.py").write_text("print('a script')\n")
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    assert result.plan.run_image.name == "cc"
    metadata = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    assert metadata["run_image"]["reference"] == "cc-debian12"
    assert [l["name"] for l in metadata["layers"]] == ["runtime", "app"]
    env = dict(e.split("=", 1) for e in result.image.config_json["config"]["Env"])
    assert env["PATH"].startswith("/layers/python/runtime/bin:")


def test_a_tampered_standalone_release_is_refused(tmp_path, shared_cache, monkeypatch):
    name = _standalone_release(tmp_path / "release")
    (tmp_path / "release" / name).write_bytes(b"not what SHA256SUMS says")
    monkeypatch.setenv("PACK_IT_PYTHON_STANDALONE_URL", (tmp_path / "release").as_uri())
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text("3.12\n")
    (app / "main.py").write_text("print('a script')\n")
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert "SHA256" in err.value.message and name in err.value.message
    assert not (tmp_path / "l").exists()


def test_a_version_no_source_provides_names_the_file_and_what_is_available(tmp_path, monkeypatch):
    monkeypatch.delenv("PACK_IT_PYTHON_STANDALONE_URL", raising=False)
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text("3.12\n")
    (app / "main.py").write_text("print('a script')\n")
    proc = subprocess.run([sys.executable, "-m", "pack_it", "detect", str(app)], capture_output=True, text=True)
    assert proc.returncode == 22
    assert ".python-version" in proc.stderr and "3.12" in proc.stderr and "3.11" in proc.stderr
    assert "Traceback" not in proc.stderr


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
