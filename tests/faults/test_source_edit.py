"""A source file edited while its layer is built never lands in the cache under the old
content's key: the layer is not recorded, and the next build of the original content gives
the clean build's image."""

from __future__ import annotations

import shutil

import pytest

from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.lifecycle.reporter import Reporter
from tests.conftest import SAMPLE_APPS

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network


class Warnings(Reporter):
    def __init__(self):
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def test_an_edit_during_the_build_is_not_cached_under_the_old_key(tmp_path, cache_copy, warm, monkeypatch):
    app = tmp_path / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", app)
    original = (app / "main.go").read_text()
    copy_source = BuildContext.copy_source

    def edited_meanwhile(self, dest, files=None):
        # The key was made from the original content; the user saves an edit before go reads it.
        (app / "main.go").write_text(original.replace("Hello from go-hello!", "Edited during the build"))
        return copy_source(self, dest, files)

    monkeypatch.setattr(BuildContext, "copy_source", edited_meanwhile)
    reporter = Warnings()
    first = build(BuildOptions(app, output=f"tar:{tmp_path / 'edited.tar'}", cache_dir=cache_copy), REGISTRY, reporter)
    assert any("source changed during the build" in w for w in reporter.warnings)
    assert first.image.digest != warm[1]["go"]

    monkeypatch.undo()
    (app / "main.go").write_text(original)  # back to the content the first key was made from
    again = build(BuildOptions(app, output=f"tar:{tmp_path / 'clean.tar'}", cache_dir=cache_copy), REGISTRY)
    assert again.reused_layers == 0  # nothing was recorded for the edited build
    assert again.image.digest == warm[1]["go"]
    # That build was recorded: an unchanged rebuild reuses it.
    assert build(BuildOptions(app, output=f"tar:{tmp_path / 'noop.tar'}", cache_dir=cache_copy), REGISTRY).reused_layers == 1
