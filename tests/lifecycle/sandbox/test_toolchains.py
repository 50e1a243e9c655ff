"""Same digests (issue 10, item 6): the sandbox does not change an image, and neither does the
host's own toolchain when pack-it provides it (the default `--toolchain pack-it`)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import SAMPLE_APPS

pytestmark = pytest.mark.network
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (.ci/run installs it)")


def _forget_layers(cache: Path) -> None:
    """The layer records go, so the next build runs every tool again (with warm tool caches:
    the Go standard library is not compiled twice)."""
    shutil.rmtree(cache / "layers")
    (cache / "layers").mkdir()


@needs_bwrap
@pytest.mark.parametrize("app", ["go-hello", "node-express", "python-flask"])
def test_the_sandbox_does_not_change_the_image(app, tmp_path):
    cache = tmp_path / "cache"
    sandboxed = build(BuildOptions(SAMPLE_APPS / app, output=f"oci:{tmp_path / 'a'}", cache_dir=cache), REGISTRY)
    _forget_layers(cache)
    on_host = build(BuildOptions(SAMPLE_APPS / app, output=f"oci:{tmp_path / 'b'}", cache_dir=cache, sandbox="none"),
                    REGISTRY)
    assert on_host.reused_layers == 0
    assert sandboxed.image.digest == on_host.image.digest


def _fake_go(directory: Path, version: str, log: Path) -> Path:
    directory.mkdir()
    go = directory / "go"
    go.write_text(f'#!/bin/sh\necho "$*" >> {log}\n[ "$1 $2" = "env GOVERSION" ] && echo go{version} && exit 0\nexit 3\n')
    go.chmod(go.stat().st_mode | stat.S_IEXEC)
    return directory


@needs_bwrap
def test_a_host_go_of_another_version_does_not_change_the_image(tmp_path, monkeypatch):
    """go-hello asks for `go 1.22`: a host go 1.30 (which would satisfy it under --toolchain
    host) and the machine's real go both leave the image as pack-it's fetched go 1.22.12 makes it."""
    cache, log = tmp_path / "cache", tmp_path / "fake-go.log"
    monkeypatch.setenv("PATH", f"{_fake_go(tmp_path / 'fake', '1.30.0', log)}{os.pathsep}{os.environ['PATH']}")
    with_fake = build(BuildOptions(SAMPLE_APPS / "go-hello", output=f"oci:{tmp_path / 'a'}", cache_dir=cache), REGISTRY)
    assert not log.exists()  # never even asked for its version
    assert with_fake.plan.details["go"].toolchain == "1.22.12"
    _forget_layers(cache)
    monkeypatch.setenv("PATH", os.environ["PATH"].split(os.pathsep, 1)[1])  # the machine's own go, if any
    with_host = build(BuildOptions(SAMPLE_APPS / "go-hello", output=f"oci:{tmp_path / 'b'}", cache_dir=cache), REGISTRY)
    assert with_host.reused_layers == 0
    assert with_host.image.digest == with_fake.image.digest
