"""Packages without a wheel for the target are built from their sdists, C extensions included,
by a Python of the target's minor version; without one, the error says why and how."""

from __future__ import annotations

import sys

import pytest

from pack_it.errors import BUILD_FAILED, PackItError
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs.python import dependencies

pytestmark = pytest.mark.network  # PyPI

HOST = f"{sys.version_info.major}.{sys.version_info.minor}"


def _app(tmp_path, python: str):
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text(python + "\n")
    (app / "requirements.txt").write_text("markupsafe==1.1.1\n")  # no wheel for 3.10+: sdist only
    (app / "main.py").write_text("import markupsafe\nprint(markupsafe.escape('<'))\n")
    return app


def test_the_build_python_is_the_one_running_pack_it_or_python3x_on_path(monkeypatch, tmp_path):
    assert dependencies.build_python(HOST) == sys.executable
    monkeypatch.setenv("PATH", str(tmp_path))
    assert dependencies.build_python("3.13" if HOST != "3.13" else "3.12") is None
    fake = tmp_path / "python3.99"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert dependencies.build_python("3.99") == str(fake)


@pytest.mark.skipif(HOST != "3.11", reason="the sample targets Debian 12's Python 3.11, which pack-it must run on")
def test_an_sdist_with_a_c_extension_is_built_for_the_target(tmp_path, shared_cache):
    import tarfile

    result = build(BuildOptions(_app(tmp_path, "3.11"), output=f"tar:{tmp_path / 'out.tar'}", cache_dir=shared_cache),
                   REGISTRY)
    deps = next(d for d, l in zip(result.image.layers, result.image.config_json["history"][-len(result.image.layers):])
                if "python/deps" in l["created_by"])
    with tarfile.open(shared_cache / "blobs" / "sha256" / deps.digest.removeprefix("sha256:")) as tar:
        names = tar.getnames()
    assert any(n.startswith("layers/python/deps/site-packages/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so")
               for n in names), names


def test_without_a_python_of_the_target_version_the_error_says_why_and_how(tmp_path, shared_cache, monkeypatch):
    target = "3.13" if HOST != "3.13" else "3.12"
    monkeypatch.setattr(dependencies, "build_python", lambda python: None)
    with pytest.raises(PackItError) as e:
        # On the host (--sandbox none, a CI container's choice): this machine's Pythons build sdists.
        build(BuildOptions(_app(tmp_path, target), output=f"tar:{tmp_path / 'out.tar'}", cache_dir=shared_cache,
                           sandbox="none"), REGISTRY)
    assert e.value.exit_code == BUILD_FAILED
    assert "markupsafe" in e.value.message
    assert f"built from its sdist only by a Python {target}" in e.value.hint and f"python{target}" in e.value.hint
    assert not (tmp_path / "out.tar").exists()
