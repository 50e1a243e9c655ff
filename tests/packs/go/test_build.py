"""The Go pack's build: layer reuse without running go, compile errors, missing or old toolchains."""

import os
import stat
from pathlib import Path

import pytest

from pack_it.errors import BUILD_FAILED, MISSING_TOOLCHAIN, PackItError
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY


def _go_spy(tmp_path: Path, go: str) -> tuple[Path, Path]:
    """A `go` on PATH that logs its arguments and runs the real one."""
    bin_dir = tmp_path / "spy"
    bin_dir.mkdir()
    log = tmp_path / "go-calls.log"
    spy = bin_dir / "go"
    spy.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {go} "$@"\n')
    spy.chmod(spy.stat().st_mode | stat.S_IEXEC)
    return bin_dir, log


@pytest.mark.network
def test_unchanged_source_reuses_the_layer_without_running_go_build(tmp_path, app_copy, shared_cache, go_tool, monkeypatch):
    app = app_copy("go-hello")
    bin_dir, log = _go_spy(tmp_path, go_tool)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    options = BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache)

    first = build(options, REGISTRY)
    log.write_text("")
    second = build(options, REGISTRY)
    assert second.image.digest == first.image.digest
    assert second.reused_layers == 1
    assert "build" not in log.read_text().split()

    (app / "main.go").write_text((app / "main.go").read_text().replace("Hello from", "Hi from"))
    third = build(options, REGISTRY)
    assert third.reused_layers == 0
    assert "build" in log.read_text().split()
    assert third.image.digest != first.image.digest


def test_a_compile_error_is_a_build_failure_and_leaves_no_output(tmp_path, app_copy, shared_cache, go_tool):
    app = app_copy("go-hello")
    (app / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")
    out = tmp_path / "out.tar"
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{out}", cache_dir=shared_cache), REGISTRY)
    assert err.value.exit_code == BUILD_FAILED
    assert "undefined" in err.value.message
    assert not out.exists()
    assert list((Cache(shared_cache).root / "tmp").iterdir()) == []


def test_missing_go_is_a_clear_error(tmp_path, app_copy, monkeypatch):
    app = app_copy("go-hello")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "go" in err.value.message


def test_go_mod_asking_for_a_newer_go_than_installed_fails_clearly(tmp_path, app_copy, go_tool):
    app = app_copy("go-hello")
    (app / "go.mod").write_text("module example.com/go-hello\n\ngo 1.99\n")
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "1.99" in err.value.message
