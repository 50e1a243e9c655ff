"""The Go image keeps the module's non-Go files (templates, static, config) in /workspace: the
program opens them at run time, relative to its working directory."""

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs.go import run_time_files

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network


def _layer_names(result, layout: Path, name: str) -> set[str] | None:
    labels = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    diff_ids = [l["diff_id"] for l in labels["layers"] if l["name"] == name]
    if not diff_ids:
        return None
    layer = result.image.layers[result.image.diff_ids.index(diff_ids[0])]
    blob = (layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
        return {m.name for m in tar.getmembers() if m.isfile()}


def test_the_compilers_inputs_are_not_run_time_files():
    source = ("main.go", "go.mod", "go.sum", "go.work", "go.work.sum", "internal/x/x.go", "vendor/modules.txt",
              "vendor/github.com/a/b/b.go", "templates/index.tmpl", "static/app.css", "config/app.yaml",
              "pack-it-test.json", "sub/go.mod", "vendored/readme.txt")
    assert run_time_files(source) == ["templates/index.tmpl", "static/app.css", "config/app.yaml",
                                      "vendored/readme.txt"]


def test_templates_and_static_files_ship_in_the_workspace_and_ignored_ones_do_not(tmp_path, app_copy, shared_cache,
                                                                                go_tool):
    app = app_copy("go-templates")
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    files = _layer_names(result, layout, "files")
    assert files == {"workspace/templates/index.tmpl", "workspace/static/site.css", "workspace/.dockerignore"}

    # a module with nothing but Go files gets no files layer (the image is what it was)
    (app / "templates" / "index.tmpl").unlink()
    (app / "static" / "site.css").unlink()
    (app / ".dockerignore").unlink()
    (app / "drafts" / "secret-plan.txt").unlink()
    bare = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    assert _layer_names(bare, layout, "files") is None
