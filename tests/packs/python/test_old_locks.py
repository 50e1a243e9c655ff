"""Older lock formats keep their hashes: Poetry 1.1's and old pdm locks' [metadata.files]."""

import shutil
from pathlib import Path

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs.python import dependencies

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "python"
WHEEL = "sha256:c56d67fd6e87c2ee598b76abdd4e96cfad1f24cacdea5078d382b1f9d7b5ed2e"
SDIST = "sha256:682aaaf2af0c44ada4abfb70ded36393f0e307f4ab9456a215ce0020baefc31f"


@pytest.mark.parametrize("fixture, lines", [
    ("poetry-1.1-lock", dependencies._poetry),
    ("pdm-old-lock", dependencies._pdm),
])
def test_the_hashes_under_metadata_files_are_kept(fixture, lines):
    assert lines(SourceTree(FIXTURES / fixture)) == [
        f"waitress==3.0.2 \\\n    --hash={WHEEL} \\\n    --hash={SDIST}"]


@pytest.mark.network
@pytest.mark.parametrize("fixture", ["poetry-1.1-lock", "pdm-old-lock"])
def test_an_old_lock_installs_with_require_hashes(fixture, tmp_path, shared_cache):
    app = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, app)
    build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache), REGISTRY)
