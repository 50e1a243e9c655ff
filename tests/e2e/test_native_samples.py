"""Native samples beyond "it serves" (test_sample_apps.py runs them in podman): psycopg2's
extension, built from its sdist, links libpq.so.5, so the image carries Debian's libpq5, and
`inspect` names it with the file that needed it; the same sources built on another cache give
the same image, the C extension and the added packages included."""

from __future__ import annotations

import json

import pytest

from pack_it.lifecycle.inspect import describe, render
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import SAMPLE_APPS

pytestmark = pytest.mark.network  # PyPI, the Debian archive

EXTENSION = "/layers/python/deps/site-packages/psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so"


def test_psycopg2_gets_libpq5_and_inspect_names_the_file_that_needed_it(tmp_path, shared_cache):
    first = build(BuildOptions(SAMPLE_APPS / "python-psycopg2", output=f"tar:{tmp_path / 'a.tar'}",
                               cache_dir=shared_cache), REGISTRY)
    info = describe(f"tar:{tmp_path / 'a.tar'}")
    added = {a["package"]: a for a in info["native"]}
    assert added["libpq5"]["soname"] == "libpq.so.5"
    assert added["libpq5"]["needed_by"] == EXTENSION
    assert added["libldap-2.5-0"]["needed_by"] == "libpq5 (Depends)"
    assert "libc6" not in added and "libssl3" not in added  # the python stack has them
    assert f"libpq.so.5, needed by {EXTENSION}" in render(info)
    assert [l["made_by"] for l in info["layers"]][3] == "native/packages"  # right above the run image
    label = json.loads(first.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    assert {a["package"] for a in label["native"]} == set(added)

    other = build(BuildOptions(SAMPLE_APPS / "python-psycopg2", output=f"tar:{tmp_path / 'b.tar'}",
                               cache_dir=tmp_path / "another-cache"), REGISTRY)
    # Every layer (the extension built from the sdist again, the packages resolved again) and
    # the metadata are the same; the revision label follows the checkout, not the build.
    assert other.reused_layers == 0 and other.image.diff_ids == first.image.diff_ids
    assert other.image.config_json["config"]["Labels"]["io.pack-it.metadata"] == \
        first.image.config_json["config"]["Labels"]["io.pack-it.metadata"]
