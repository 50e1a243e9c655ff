"""The python-build-standalone runtime: the index's python section (from uv's download
metadata), downloads from <mirror>/<tag>/<asset> checked against the index's sha256, and an
exact patch pin running that patch in the container.

GitHub is not reachable from the test machines: the mirror is a local directory in PBS's
release layout (<tag>/SHA256SUMS and <tag>/<install_only tarball>), made either from small
synthetic tarballs or from the host's pyenv CPython 3.11.7 (a real, relocatable-enough
interpreter), and the index that names them is a refreshed index in the build's cache."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle import versions
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs.python import runtime

SHIPPED = versions.shipped()
PYENV = Path("/root/.pyenv/versions/3.11.7")
PYENV_TAG = "20240107"
PYENV_ASSET = f"cpython-3.11.7+{PYENV_TAG}-x86_64-unknown-linux-gnu-install_only.tar.gz"
# What the pyenv tarball leaves out: the test suite, caches, installed packages, GUI and
# build-time files (a PBS install_only build has no site-packages either).
PYENV_SKIP = ("lib/python3.11/test/", "lib/python3.11/site-packages/", "lib/python3.11/idlelib/",
              "lib/python3.11/tkinter/", "lib/python3.11/turtledemo/", "lib/python3.11/lib2to3/",
              "lib/python3.11/ensurepip/", "lib/python3.11/config-3.11-x86_64-linux-gnu/")


def _tarball(files: dict[str, tuple[bytes, int]], links: dict[str, str]) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, (content, mode) in sorted(files.items()):
            info = tarfile.TarInfo(f"python/{name}")
            info.size, info.mode = len(content), mode
            tar.addfile(info, io.BytesIO(content))
        for name, target in sorted(links.items()):
            info = tarfile.TarInfo(f"python/{name}")
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return gzip.compress(data.getvalue(), compresslevel=1, mtime=0)  # the same bytes every time


def _synthetic(minor: str) -> bytes:
    # A stand-in interpreter: the build runs it once, to compile bytecode, and it succeeds.
    return _tarball({f"bin/python{minor}": (b"#!/bin/sh\nexit 0\n", 0o755),
                     f"lib/python{minor}/os.py": (b"# the stdlib\n", 0o644)}, {"bin/python3": f"python{minor}"})


def _publish(mirror: Path, tag: str, asset: str, data: bytes) -> dict[str, str]:
    """Puts `data` in the mirror as PBS lays out a release; returns its index entry."""
    release = mirror / tag
    release.mkdir(parents=True, exist_ok=True)
    (release / asset).write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    with open(release / "SHA256SUMS", "a") as sums:
        sums.write(f"{sha256}  {asset}\n")
    return {"tag": tag, "asset": asset, "sha256": sha256}


def _index_in(cache: Path, python: dict[str, dict[str, str]]) -> None:
    """A refreshed versions index in the cache: the shipped one with `python` entries changed."""
    merged = {**SHIPPED.releases("python"), **python}
    versions.update(cache, {"python": lambda: merged}, today=SHIPPED.date)


@pytest.fixture(scope="module")
def pbs_cache(tmp_path_factory) -> Path:
    """One cache for this module's builds (the cc stack is assembled once); each test names
    the index it builds with."""
    return tmp_path_factory.mktemp("pbs-cache")


def _shipped_index_in(cache: Path) -> None:
    versions.refreshed_path(cache).unlink(missing_ok=True)


def _app(tmp_path: Path, files: dict[str, str]) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    for name, text in {"main.py": "import sys\nprint(sys.version)\n", **files}.items():
        (app / name).write_text(text)
    return app


def _metadata(result) -> dict:
    return json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])


# --- the index's python section -------------------------------------------------------------


def test_the_python_section_is_made_from_uvs_download_metadata():
    base = runtime.RELEASES_BASE
    entry = {"name": "cpython", "os": "linux", "libc": "gnu", "variant": None, "prerelease": "",
             "arch": {"family": "x86_64", "variant": None}, "major": 3, "minor": 12, "patch": 3, "sha256": "a" * 64,
             "url": f"{base}/20240415/cpython-3.12.3%2B20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"}
    metadata = {
        "cpython-3.12.3-linux-x86_64-gnu": entry,
        "cpython-3.12.3+debug-linux-x86_64-gnu": {**entry, "variant": "debug", "sha256": "d" * 64},
        "cpython-3.12.3+freethreaded-linux-x86_64-gnu": {**entry, "variant": "freethreaded", "sha256": "f" * 64, "url": entry["url"].replace("-gnu-", "-gnu-freethreaded-")},
        "cpython-3.12.3-linux-x86_64_v3-gnu": {**entry, "arch": {"family": "x86_64", "variant": "v3"}},
        "cpython-3.12.3-linux-x86_64-musl": {**entry, "libc": "musl"},
        "cpython-3.13.0rc1-linux-x86_64-gnu": {**entry, "minor": 13, "patch": 0, "prerelease": "rc1"},
        "cpython-3.8.20-linux-x86_64-gnu": {**entry, "minor": 8, "patch": 20, "url": entry["url"].replace("3.12.3", "3.8.20")},
        "cpython-3.10.0-linux-x86_64-gnu": {**entry, "minor": 10, "patch": 0, "url": f"{base}/20211017/cpython-3.10.0-x86_64-unknown-linux-gnu-pgo%2Blto-20211017T1616.tar.zst"},
        "pypy-3.10.14-linux-x86_64-gnu": {**entry, "name": "pypy"},
    }
    assert runtime.releases_from_metadata(metadata) == {"3.12.3": {
        "tag": "20240415", "asset": "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz",
        "sha256": "a" * 64}}


def test_the_shipped_python_section_is_what_the_pinned_uv_knows():
    assert runtime.releases_from_uv() == SHIPPED.releases("python")


def test_the_python_pack_refreshes_its_section():
    assert REGISTRY.release_fetchers()["python"] is runtime.releases_from_uv


def test_the_shipped_index_has_every_minor_from_3_9_to_3_14():
    minors = {".".join(v.split(".")[:2]) for v in SHIPPED.releases("python")}
    assert {f"3.{m}" for m in range(9, 15)} <= minors


# --- downloads from a mirror ----------------------------------------------------------------


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
@pytest.mark.parametrize("asked, version", [("3.10", "3.10.22"), ("3.12", "3.12.16"), ("3.14", "3.14.10")])
def test_a_minor_pin_downloads_the_shipped_release_from_the_mirror_and_verifies_it(
        tmp_path, pbs_cache, monkeypatch, asked, version):
    """Detection picks the newest patch of the shipped index; the build fetches that release's
    <tag>/<asset> from the mirror and checks it against the index's sha256."""
    shipped = SHIPPED.releases("python")[version]
    mirror = tmp_path / "mirror"
    app = _app(tmp_path, {".python-version": asked + "\n"})
    # The mirror serves other bytes than PBS released under that name: refused (the shipped sha256).
    _publish(mirror, shipped["tag"], shipped["asset"], _synthetic(asked))
    monkeypatch.setenv(runtime.URL_ENV, mirror.as_uri())
    cache = pbs_cache
    _shipped_index_in(cache)
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"oci:{tmp_path / 'refused'}", cache_dir=cache), REGISTRY)
    url = f"{mirror.as_uri()}/{shipped['tag']}/{shipped['asset']}"
    assert err.value.exit_code == 52
    assert err.value.message.startswith(f"{url} is not the CPython {version} build pack-it's versions index names")
    # With an index naming those bytes (same tag and asset), the same mirror builds.
    _index_in(cache, {version: {**shipped, "sha256": hashlib.sha256(_synthetic(asked)).hexdigest()}})
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=cache), REGISTRY)
    assert result.plan.runtime.version == version and result.plan.run_image.name == "cc"
    assert [layer["name"] for layer in _metadata(result)["layers"]] == ["runtime", "app"]
    assert [p.name for p in cache.rglob("*.tar.gz") if "standalone" in p.parts] \
        and any(cache.rglob(f"{hashlib.sha256(_synthetic(asked)).hexdigest()}.tar.gz"))


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_a_tampered_tarball_is_refused_and_nothing_enters_the_cache(tmp_path, pbs_cache, monkeypatch):
    mirror = tmp_path / "mirror"
    released = _tarball({"bin/python3.12": (b"#!/bin/false\n", 0o755), "README": (b"as released\n", 0o644)}, {})
    entry = _publish(mirror, "20260101", "cpython-3.12.16+20260101-x86_64-unknown-linux-gnu-install_only.tar.gz",
                     released)
    (mirror / entry["tag"] / entry["asset"]).write_bytes(released + b"tampered")
    cache = pbs_cache
    _index_in(cache, {"3.12.16": entry})
    monkeypatch.setenv(runtime.URL_ENV, mirror.as_uri())
    app = _app(tmp_path, {".python-version": "3.12.16\n"})
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=cache), REGISTRY)
    assert err.value.exit_code == 52
    assert err.value.message.count(". ") == 0 and err.value.message.endswith("...).")  # one sentence
    assert entry["asset"] in err.value.message and entry["sha256"][:16] in err.value.message
    assert "PACK_IT_PYTHON_STANDALONE_URL" in err.value.hint
    assert not any(cache.rglob(f"{entry['sha256']}*")) and not any(cache.rglob(".partial-*"))
    assert not (tmp_path / "l").exists()


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_an_unreachable_mirror_names_the_address_and_how_to_set_one(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv(runtime.URL_ENV, "http://127.0.0.1:9/pbs/")
    app = _app(tmp_path, {".python-version": "3.12\n"})
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=cache), REGISTRY)
    shipped = SHIPPED.releases("python")["3.12.16"]
    assert err.value.exit_code == 52
    assert err.value.message.startswith(
        f"Could not download CPython 3.12.16 from http://127.0.0.1:9/pbs/{shipped['tag']}/{shipped['asset']} (")
    assert "PACK_IT_PYTHON_STANDALONE_URL" in err.value.hint and "standalone_mirror under [python]" in err.value.hint


def test_the_default_address_is_pbs_official_release_and_config_names_a_mirror(tmp_path, monkeypatch):
    assert runtime.mirror() == "https://github.com/astral-sh/python-build-standalone/releases/download"
    config = tmp_path / f"config-{uuid.uuid4().hex}.toml"
    config.write_text('[python]\nstandalone_mirror = "https://artifactory.example/pbs/"\n')
    monkeypatch.setenv("PACK_IT_CONFIG", str(config))
    assert runtime.mirror() == "https://artifactory.example/pbs"
    monkeypatch.setenv(runtime.URL_ENV, "file:///srv/pbs")
    assert runtime.mirror() == "file:///srv/pbs"  # the environment wins


# --- a real interpreter at the pinned patch, in the container --------------------------------


def _pyenv_tarball() -> bytes:
    """The host's pyenv CPython 3.11.7 as a PBS install_only tarball (python/{bin,lib,include}:
    the headers too, which build C extensions from sdists). Its
    executable finds libpython through an absolute RUNPATH into the pyenv prefix; PBS builds
    use $ORIGIN/../lib, and so does this copy (the same-length string, NUL-padded)."""
    files: dict[str, tuple[bytes, int]] = {}
    links: dict[str, str] = {}
    for path in sorted(PYENV.rglob("*")):
        rel = path.relative_to(PYENV).as_posix()
        top = rel.split("/")[0]
        if top not in ("bin", "lib", "include") or "__pycache__" in rel or any(rel.startswith(s) for s in PYENV_SKIP):
            continue
        if top == "bin" and rel not in ("bin/python3.11", "bin/python3", "bin/python"):
            continue
        if top == "lib" and not (rel.startswith("lib/python3.11/") or rel.startswith("lib/libpython3.11")):
            continue
        if path.is_symlink():
            links[rel] = os.readlink(path)
        elif path.is_file():
            files[rel] = (path.read_bytes(), path.stat().st_mode & 0o777)
    old = str(PYENV / "lib").encode() + b"\0"
    new = b"$ORIGIN/../lib\0"
    python, mode = files["bin/python3.11"]
    assert python.count(old) == 1
    files["bin/python3.11"] = (python.replace(old, new + b"\0" * (len(old) - len(new))), mode)
    return _tarball(files, links)


@pytest.fixture(scope="session")
def pyenv_release(tmp_path_factory):
    if not (PYENV / "bin" / "python3.11").is_file():
        pytest.skip(f"no pyenv CPython 3.11.7 at {PYENV} to make a python-build-standalone mirror from")
    mirror = tmp_path_factory.mktemp("pbs-mirror")
    return mirror, _publish(mirror, PYENV_TAG, PYENV_ASSET, _pyenv_tarball())


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_runtime_txt_python_3_11_7_runs_3_11_7_in_the_container(tmp_path, pbs_cache, monkeypatch, podman,
                                                                pyenv_release):
    mirror, entry = pyenv_release
    cache = pbs_cache
    _index_in(cache, {"3.11.7": entry})
    monkeypatch.setenv(runtime.URL_ENV, mirror.as_uri())
    app = _app(tmp_path, {"runtime.txt": "python-3.11.7\n"})
    archive = tmp_path / "app.tar"
    result = build(BuildOptions(app, output=f"tar:{archive}", tag=f"pyver-{uuid.uuid4().hex[:8]}:latest",
                                cache_dir=cache), REGISTRY)
    assert (result.plan.runtime.version, result.plan.run_image.name) == ("3.11.7", "cc")  # not Debian's 3.11.2
    image = result.reference
    load = subprocess.run([podman, "load", "-i", str(archive)], capture_output=True, text=True)
    assert load.returncode == 0, load.stderr
    try:
        version = subprocess.run([podman, "run", "--rm", "--entrypoint", "python", image, "--version"],
                                 capture_output=True, text=True, timeout=120)
        assert (version.returncode, version.stdout.strip()) == (0, "Python 3.11.7"), version.stderr
        app_run = subprocess.run([podman, "run", "--rm", image], capture_output=True, text=True, timeout=120)
        assert app_run.returncode == 0, app_run.stderr
        assert app_run.stdout.startswith("3.11.7 ")  # the app's own sys.version
    finally:
        subprocess.run([podman, "rmi", "-f", image], capture_output=True)


def test_detection_chooses_from_the_index_the_build_uses(tmp_path):
    """A refreshed index's new release is what the pack detects (not the shipped index's)."""
    cache = tmp_path / "cache"
    _index_in(cache, {"3.12.99": {"tag": "20991231", "asset": "x.tar.gz", "sha256": "0" * 64}})
    from pack_it.detectors.source import SourceTree

    found = REGISTRY.by_id("python").detect(SourceTree(_app(tmp_path, {".python-version": "3.12\n"})), {},
                                            versions.load(cache))
    assert found is not None and found.runtime.version == "3.12.99"


@pytest.mark.network  # PyPI
def test_a_standalone_target_builds_an_sdist_with_its_own_interpreter(tmp_path, pbs_cache, monkeypatch,
                                                                      pyenv_release):
    """markupsafe 1.1.1 has no wheel for 3.11: in the sandbox, the python-build-standalone
    release the image gets builds it (with the build root's compiler), not wheels only."""
    mirror, entry = pyenv_release
    _index_in(pbs_cache, {"3.11.7": entry})
    monkeypatch.setenv(runtime.URL_ENV, mirror.as_uri())
    app = _app(tmp_path, {"runtime.txt": "python-3.11.7\n", "requirements.txt": "markupsafe==1.1.1\n"})
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=pbs_cache), REGISTRY)
    assert result.plan.runtime.version == "3.11.7"
    deps = next(layer for layer, made in zip(result.image.layers, result.image.config_json["history"][-len(result.image.layers):])
                if "python/deps" in made["created_by"])
    site = tmp_path / "deps"
    with tarfile.open(layout / "blobs" / "sha256" / deps.digest.removeprefix("sha256:")) as tar:
        tar.extractall(site, filter="data")
    packages = site / "layers" / "python" / "deps" / "site-packages"
    assert list(packages.glob("markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"))
    # The extension loads in that interpreter: built against its headers, for its ABI.
    python = next(pbs_cache.glob("packs/python/interpreters/standalone-3.11.7-*/bin/python3.11"))
    loaded = subprocess.run([str(python), "-c", "import markupsafe._speedups as s; print(s.escape('<'))"],
                            env={"PYTHONPATH": str(packages)}, capture_output=True, text=True)
    assert (loaded.returncode, loaded.stdout.strip()) == (0, "&lt;"), loaded.stderr
