"""The Go pack's build: layer reuse without running go, compile errors, missing or old toolchains.

These are the host-toolchain behaviours (`--toolchain host`, outside the sandbox, as before
issue 10): spies and fake toolchains on the host's PATH. The default, pack-it's toolchain in
the sandbox, is tested in tests/lifecycle/sandbox/test_toolchains.py."""

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
    options = BuildOptions(app, sandbox="none", toolchain="host", output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache)

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
        build(BuildOptions(app, sandbox="none", toolchain="host", output=f"tar:{out}", cache_dir=shared_cache), REGISTRY)
    assert err.value.exit_code == BUILD_FAILED
    assert "undefined" in err.value.message
    assert not out.exists()
    assert list((Cache(shared_cache).root / "tmp").iterdir()) == []


def test_missing_go_is_a_clear_error_when_downloads_are_off(tmp_path, app_copy, monkeypatch):
    # (With downloads on, the default, a missing go is fetched: go 1.22.12 for go-hello's `go 1.22`.)
    app = app_copy("go-hello")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, sandbox="none", toolchain="host", output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache",
                           env={"PACK_IT_GO_TOOLCHAIN": "local"}), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message == ("go.mod line 3 (go 1.22) asks for go 1.22 or newer, and no `go` command is on "
                                 "PATH (PACK_IT_GO_TOOLCHAIN=local does not download one).")


def test_go_mod_asking_for_a_newer_go_than_installed_fails_clearly(tmp_path, app_copy, go_tool):
    app = app_copy("go-hello")
    (app / "go.mod").write_text("module example.com/go-hello\n\ngo 1.99\n")
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, sandbox="none", toolchain="host", output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert "1.99" in err.value.message


# --- the Go the app asks for (toolchain.py), go.work, a lone main.go, Procfile `go run` -------

import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tarfile  # noqa: E402

from tests.packs.go.test_toolchain import FAKE, FakeProxy, ZIP_PATH, fake_toolchain, tamper, write_index  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "go"


def _binary(result, layout: Path, dest: Path) -> Path:
    """The Go binary of the image's app layer, written to `dest`."""
    labels = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    diff_id = next(l["diff_id"] for l in labels["layers"] if l["name"] == "app")
    layer = result.image.layers[result.image.diff_ids.index(diff_id)]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress((layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes()))) as tar:
        member = next(m for m in tar.getmembers() if m.isfile() and "/bin/" in m.name)
        dest.write_bytes(tar.extractfile(member).read())
    return dest


def _cache_sharing_go_caches(tmp_path: Path, shared_cache: Path) -> Path:
    """A cache of its own (its versions index differs) whose Go build cache is the session's,
    so the standard library is not compiled again."""
    cache = tmp_path / "cache"
    shared = Cache(shared_cache).pack_dir("go", "go-cache")
    own = Cache(cache).pack_dir("go", "go-cache")
    own.rmdir()
    own.symlink_to(shared)
    return cache


def _go_version_of(binary: Path, go: str) -> str:
    return subprocess.run([go, "version", str(binary)], capture_output=True, text=True, check=True).stdout.split()[-1]


def test_a_toolchain_pin_newer_than_the_host_builds_with_the_fetched_toolchain(tmp_path, app_copy, go_tool, monkeypatch,
                                                                              shared_cache):
    app = app_copy("go-hello")
    (app / "go.mod").write_text(f"module example.com/go-hello\n\ngo 1.22\n\ntoolchain go{FAKE}\n")
    log = tmp_path / "fetched-go.log"
    data, h1 = fake_toolchain(tmp_path, go_tool, log)
    cache = _cache_sharing_go_caches(tmp_path, shared_cache)
    write_index(cache, {FAKE: {"h1": h1}})
    proxy = FakeProxy({ZIP_PATH: data})
    monkeypatch.setenv("PACK_IT_GOPROXY", proxy.url)
    try:
        result = build(BuildOptions(app, sandbox="none", toolchain="host", output=f"oci:{tmp_path / 'l'}", run_image="base", cache_dir=cache), REGISTRY)
    finally:
        proxy.close()
    assert proxy.requests == [ZIP_PATH]
    assert "build" in log.read_text().split()  # the fetched go ran the build
    facts = result.plan.details["go"]
    assert (facts.toolchain, facts.go_version_exact, facts.go_version_source) == (FAKE, True, f"go.mod line 5 (toolchain go{FAKE})")
    assert (Cache(cache).root / "packs" / "go" / "toolchains" / f"go{FAKE}.linux-amd64" / "bin" / "go").is_file()


def test_a_tampered_toolchain_stops_the_build_with_exit_52_and_leaves_nothing(tmp_path, app_copy, go_tool, monkeypatch):
    app = app_copy("go-hello")
    (app / "go.mod").write_text(f"module example.com/go-hello\n\ngo 1.22\n\ntoolchain go{FAKE}\n")
    data, h1 = fake_toolchain(tmp_path, go_tool, tmp_path / "log")
    cache = tmp_path / "cache"
    write_index(cache, {FAKE: {"h1": h1}})
    proxy = FakeProxy({ZIP_PATH: tamper(data)})
    monkeypatch.setenv("PACK_IT_GOPROXY", proxy.url)
    out = tmp_path / "o.tar"
    try:
        with pytest.raises(PackItError) as err:
            build(BuildOptions(app, sandbox="none", toolchain="host", output=f"tar:{out}", run_image="base", cache_dir=cache), REGISTRY)
    finally:
        proxy.close()
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message.count(". ") == 0 and err.value.message.endswith("refusing it.")  # one sentence
    assert f"does not match the {h1} hash" in err.value.message
    assert not out.exists()
    assert list((Cache(cache).root / "packs" / "go" / "toolchains").iterdir()) == []


def test_local_mode_never_downloads(tmp_path, app_copy, go_tool):
    app = app_copy("go-hello")
    (app / "go.mod").write_text("module example.com/go-hello\n\ngo 1.22\n\ntoolchain go1.22.5\n")
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, sandbox="none", toolchain="host", output=f"tar:{tmp_path / 'o.tar'}", run_image="base", cache_dir=tmp_path / "c",
                           env={"PACK_IT_GO_TOOLCHAIN": "local"}), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message.startswith("go.mod line 5 (toolchain go1.22.5) asks for go 1.22.5, and the installed Go is")


@pytest.mark.network
def test_real_toolchain_from_the_go_module_proxy(tmp_path, app_copy, go_tool, shared_cache):
    """go1.26.9 (newer than the host's 1.26.8 here; any host that is not 1.26.9 downloads it),
    checked against the index's h1: from sum.golang.org."""
    app = app_copy("go-hello")
    (app / "go.mod").write_text("module example.com/go-hello\n\ngo 1.22\n\ntoolchain go1.26.9\n")
    result = build(BuildOptions(app, sandbox="none", toolchain="host", output=f"oci:{tmp_path / 'l'}", run_image="base",
                                cache_dir=_cache_sharing_go_caches(tmp_path, shared_cache)), REGISTRY)
    assert result.plan.details["go"].toolchain == "1.26.9"
    assert _go_version_of(_binary(result, tmp_path / "l", tmp_path / "bin"), go_tool) == "go1.26.9"


def test_a_lone_main_go_builds_as_module_main_without_writing_into_the_app(tmp_path, app_copy, shared_cache, go_tool):
    app = app_copy("go-nomod")
    before = sorted(p.name for p in app.iterdir())
    result = build(BuildOptions(app, sandbox="none", toolchain="host", output=f"oci:{tmp_path / 'l'}", run_image="base", cache_dir=shared_cache), REGISTRY)
    assert sorted(p.name for p in app.iterdir()) == before  # no go.mod written there
    assert result.image.config_json["config"]["Entrypoint"] == ["/layers/go/app/bin/main"]
    host = subprocess.run([go_tool, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    assert _go_version_of(_binary(result, tmp_path / "l", tmp_path / "bin"), go_tool) == host


def test_a_go_work_workspace_builds_its_member_with_a_main_package(tmp_path, shared_cache, go_tool):
    app = tmp_path / "ws"
    shutil.copytree(FIXTURES / "go-work", app)
    (app / "go.work").write_text((app / "go.work").read_text().replace("toolchain go1.22.5\n", ""))
    result = build(BuildOptions(app, sandbox="none", toolchain="host", output=f"oci:{tmp_path / 'l'}", run_image="base", cache_dir=shared_cache), REGISTRY)
    assert result.image.config_json["config"]["Entrypoint"] == ["/layers/go/app/bin/api"]
    binary = _binary(result, tmp_path / "l", tmp_path / "api")
    binary.chmod(0o755)
    assert subprocess.run([str(binary)], capture_output=True, text=True).stdout == "hello from the workspace\n"


def test_procfile_go_run_files_builds_those_files_and_runs_the_binary(tmp_path, shared_cache, go_tool):
    app = tmp_path / "runner"
    shutil.copytree(FIXTURES / "go-procfile-run", app)
    result = build(BuildOptions(app, sandbox="none", toolchain="host", output=f"oci:{tmp_path / 'l'}", run_image="base", cache_dir=shared_cache), REGISTRY)
    assert result.image.config_json["config"]["Entrypoint"] == ["/layers/go/app/bin/runner", "--verbose"]
    assert result.plan.warnings == ("Procfile line 2 `web: go run main.go greet.go --verbose`: the image has no "
                                    "Go toolchain; pack-it builds main.go greet.go and runs the binary instead.",)
