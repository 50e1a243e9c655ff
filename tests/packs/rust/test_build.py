"""The Rust pack's build, with Debian's rustc (the host's only under --toolchain host): layer
reuse without running cargo, incremental rebuilds of only the changed crates, reproducible
images from different directories and caches, static binaries, Rocket's variables, and clear
errors for compile failures and missing or old toolchains."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pack_it.errors import BUILD_FAILED, MISSING_TOOLCHAIN, PackItError
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.lifecycle.reporter import Reporter
from pack_it.packs import REGISTRY
from pack_it.packs.rust import elf

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rust"




class Recorder(Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, message: str) -> None:
        self.lines.append(message)

    def detail(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warning: " + message)

    def compiled(self) -> list[str]:
        return sorted(line.split()[1] for line in self.lines if line.strip().startswith("Compiling "))

    def ran_cargo(self) -> bool:
        return any(line.startswith("$ ") and "/cargo build" in line for line in self.lines)


def _binary(cache: Path, name: str) -> Path:
    [path] = (cache / "packs" / "rust" / "builds").glob(f"*/target/x86_64-unknown-linux-gnu/release/{name}")
    return path


def _config(archive: Path) -> dict:
    import tarfile

    with tarfile.open(archive) as tar:
        index = json.load(tar.extractfile("index.json"))
        manifest = json.load(tar.extractfile("blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
        return json.load(tar.extractfile("blobs/sha256/" + manifest["config"]["digest"].split(":")[1]))


def _app_layer_files(archive: Path) -> list[str]:
    """The names in the image's top layer (the Rust pack's app layer)."""
    import io
    import tarfile

    with tarfile.open(archive) as tar:
        index = json.load(tar.extractfile("index.json"))
        manifest = json.load(tar.extractfile("blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
        blob = tar.extractfile("blobs/sha256/" + manifest["layers"][-1]["digest"].split(":")[1]).read()
    with tarfile.open(fileobj=io.BytesIO(blob)) as layer:
        return sorted(m.name for m in layer.getmembers() if m.isfile())


def test_reuse_and_a_one_line_change_recompiles_only_what_it_touches(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    cache = tmp_path / "cache"
    options = BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=cache)
    first = build(options, REGISTRY, Recorder())
    assert _binary(cache, "web").is_file()

    again = Recorder()
    second = build(options, REGISTRY, again)
    assert second.image.digest == first.image.digest and second.reused_layers == 1
    assert not again.ran_cargo()

    # The binary's crate changes: the library it uses is not recompiled.
    web = app / "crates/server/src/bin/web.rs"
    web.write_text(web.read_text().replace("rust-workspace web", "the rust-workspace web"))
    changed = Recorder()
    third = build(options, REGISTRY, changed)
    assert changed.ran_cargo() and third.reused_layers == 0
    assert changed.compiled() == ["server"]
    assert third.image.digest != first.image.digest


def test_two_directories_with_separate_caches_give_the_same_image(tmp_path, app_copy):
    one = app_copy("rust-workspace", tmp_path / "a" / "rust-workspace")
    two = app_copy("rust-workspace", tmp_path / "somewhere" / "else" / "rust-workspace")
    first = build(BuildOptions(one, output=f"tar:{tmp_path / 'one.tar'}", cache_dir=tmp_path / "c1"), REGISTRY)
    second = build(BuildOptions(two, output=f"tar:{tmp_path / 'two.tar'}", cache_dir=tmp_path / "c2"), REGISTRY)
    assert first.image.digest == second.image.digest
    binary = _binary(tmp_path / "c1", "web").read_bytes()
    assert str(tmp_path).encode() not in binary  # neither the copy's nor the cache's path
    notes = subprocess.run(["readelf", "-n", str(_binary(tmp_path / "c1", "web"))], capture_output=True, text=True)
    assert "Build ID" not in notes.stdout


def test_paths_are_remapped_out_of_the_binary(tmp_path):
    # The build script writes code under the target directory: its file!() and panic
    # location are absolute paths into the cache.
    results = []
    for n, where in enumerate(["a", "b/deeper"]):
        app = tmp_path / where / "generated-code"
        shutil.copytree(FIXTURES / "generated-code", app)
        results.append(build(BuildOptions(app, output=f"tar:{tmp_path / f'{n}.tar'}", cache_dir=tmp_path / f"c{n}"),
                             REGISTRY))
        binary = _binary(tmp_path / f"c{n}", "generated").read_bytes()
        assert b"/build/target/" in binary  # the generated file's path is there...
        assert str(tmp_path).encode() not in binary  # ...under /build, not the cache's path
    assert results[0].image.digest == results[1].image.digest


def test_the_binary_is_static_and_the_image_has_no_libc(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    linking = elf.read(_binary(tmp_path / "cache", "web"))
    assert linking.static, linking
    assert result.plan.run_image is not None and result.plan.run_image.name == "static-debian13"
    config = _config(tmp_path / "a.tar")
    assert config["config"]["Entrypoint"] == ["/layers/rust/app/bin/web"]


def test_rocket_apps_get_their_address_and_port(tmp_path):
    # A local crate named rocket is enough for the detector, and builds offline in seconds.
    app = tmp_path / "rocket-app"
    (app / "src").mkdir(parents=True)
    (app / "rocket" / "src").mkdir(parents=True)
    (app / "Cargo.toml").write_text('[package]\nname = "rocket-app"\nversion = "0.1.0"\nedition = "2021"\n\n'
                                    '[dependencies]\nrocket = { path = "rocket" }\n')
    (app / "src" / "main.rs").write_text("fn main() { rocket::launch(); }\n")
    (app / "rocket" / "Cargo.toml").write_text('[package]\nname = "rocket"\nversion = "0.5.0"\nedition = "2021"\n')
    (app / "rocket" / "src" / "lib.rs").write_text("pub fn launch() {}\n")
    (app / "Cargo.lock").write_text('version = 4\n\n[[package]]\nname = "rocket"\nversion = "0.5.0"\n\n'
                                    '[[package]]\nname = "rocket-app"\nversion = "0.1.0"\ndependencies = [\n "rocket",\n]\n')
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'r.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert result.plan.framework is not None and result.plan.framework.name == "rocket"
    env = _config(tmp_path / "r.tar")["config"]["Env"]
    assert "ROCKET_ADDRESS=0.0.0.0" in env and "ROCKET_PORT=8080" in env and "PORT=8080" in env


def test_a_compile_error_is_a_build_failure_and_leaves_no_output(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    (app / "crates/greeting/src/lib.rs").write_text("pub fn greeting(who: &str) -> String { undefined(who) }\n")
    out = tmp_path / "out.tar"
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{out}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert err.value.exit_code == BUILD_FAILED
    assert err.value.message.startswith("cargo build --bin web failed")
    assert "undefined" in err.value.message
    assert not out.exists()
    assert list((Cache(tmp_path / "cache").root / "tmp").iterdir()) == []


def test_a_rust_version_newer_than_the_provided_rustc_is_a_clear_error(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    manifest = app / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('rust-version = "1.74"', 'rust-version = "1.999"'))
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message.startswith("Cargo.toml line 7 (rust-version 1.999) asks for rustc 1.999 or newer, "
                                        "and the provided rustc is 1.")


def test_no_rustc_on_path_is_a_clear_error_with_the_hosts_toolchain(tmp_path, app_copy, monkeypatch):
    app = app_copy("rust-workspace")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(PackItError) as err:  # (no bwrap on that PATH either: the sandbox is off)
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache", sandbox="none",
                           toolchain="host"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message == "This is a Rust app, and no `rustc` command is on PATH."


def test_a_rust_toolchain_file_does_not_make_rustup_install_anything(tmp_path, app_copy):
    # rustup's proxies would read this and try to install 1.74.0; the real binaries ignore it.
    app = app_copy("rust-workspace")
    (app / "rust-toolchain.toml").write_text('[toolchain]\nchannel = "1.74.0"\n')
    recorder = Recorder()
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"),
                   REGISTRY, recorder)
    assert result.plan.runtime is not None and result.plan.runtime.version == "1.74.0"
    assert recorder.ran_cargo()


@pytest.mark.network  # openssl-sys and its build dependencies from the crates registry
def test_a_crate_linking_libssl_builds_dynamically_for_the_cc_stack(tmp_path):
    # libssl-dev and pkg-config are the debian13 build root's, never the host's.
    app = tmp_path / "openssl-app"
    shutil.copytree(FIXTURES / "openssl-app", app)
    recorder = Recorder()
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"),
                   REGISTRY, recorder)
    assert result.plan.run_image is not None and result.plan.run_image.name == "cc-debian13"
    assert result.plan.run_image.source == "Cargo.lock (openssl-sys 0.9.118)"
    linking = elf.read(_binary(tmp_path / "cache", "openssl-app"))
    assert {"libssl.so.3", "libcrypto.so.3", "libc.so.6"} <= set(linking.needed)
    assert elf.stack_for(linking) == ("cc", ())
    assert not [line for line in recorder.lines if line.startswith("warning:")]


def test_procfile_binaries_are_built_beside_the_default_one(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    (app / "Procfile").write_text("web: ./target/release/admin\nsecond: cargo run --bin web\n")
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'p.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert _config(tmp_path / "p.tar")["config"]["Entrypoint"] == ["/layers/rust/app/bin/admin"]
    assert {p.type: p.command for p in result.plan.processes}["second"] == ("/layers/rust/app/bin/web",)
    assert _app_layer_files(tmp_path / "p.tar") == ["layers/rust/app/bin/admin", "layers/rust/app/bin/web"]


def _comment(path: Path) -> str:
    return subprocess.run(["readelf", "-p", ".comment", str(path)], capture_output=True, text=True).stdout


def test_pack_its_rustc_is_debians_from_the_cache_never_the_one_on_path(tmp_path, app_copy, monkeypatch):
    # A rustc and cargo on PATH that would fail the build: pack-it's own never look at PATH.
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    for name in ("rustc", "cargo", "rustup"):
        (fake / name).write_text("#!/bin/sh\necho the host toolchain ran >&2\nexit 97\n")
        (fake / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    app = app_copy("rust-workspace")
    recorder = Recorder()
    build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=tmp_path / "cache"), REGISTRY, recorder)
    [ran] = [line for line in recorder.lines if line.startswith("$ ") and "cargo build" in line]
    cargo = Path(ran.split()[1])
    assert cargo.parent.parent.parent.name.startswith("rust-debian13-") and cargo.name == "cargo"
    assert cargo.parent.parent.parent.parent == Path(os.environ["PACK_IT_BUILDROOTS"])  # shared like a build root
    # Debian's rustc, built from its source tarball, linking with trixie's GCC.
    comment = _comment(_binary(tmp_path / "cache", "web"))
    assert "rustc version 1.85.1" in comment and "(built from a source tarball)" in comment
    assert "GCC: (Debian 14." in comment


def test_the_hosts_rustc_under_toolchain_host_gets_a_layer_of_its_own(tmp_path, app_copy, rustc):
    app = app_copy("rust-workspace")
    cache = tmp_path / "cache"
    ours = build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=cache), REGISTRY, Recorder())
    recorder = Recorder()
    host = build(BuildOptions(app, output=f"tar:{tmp_path / 'b.tar'}", cache_dir=cache, toolchain="host"),
                 REGISTRY, recorder)
    assert recorder.ran_cargo() and host.reused_layers == 0  # never the Debian toolchain's layer
    assert host.image.digest != ours.image.digest
    [ran] = [line for line in recorder.lines if line.startswith("$ ") and "cargo build" in line]
    assert "rust-debian13-" not in ran
    assert "(built from a source tarball)" not in _comment(_binary(cache, "web"))  # rustup's, rebuilt in place


def test_a_pin_newer_than_1_85_builds_with_debians_rustc_web(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    (app / "rust-toolchain.toml").write_text('[toolchain]\nchannel = "1.90"\n')
    recorder = Recorder()
    build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=tmp_path / "cache"), REGISTRY, recorder)
    [ran] = [line for line in recorder.lines if line.startswith("$ ") and "cargo build" in line]
    assert Path(ran.split()[1]).parent.parent.parent.name.startswith("rust-web-debian13-")
    comment = _comment(_binary(tmp_path / "cache", "web"))
    assert "rustc version 1.96.0" in comment and "(built from a source tarball)" in comment


def test_a_rust_toolchain_pin_newer_than_debians_names_the_file_and_suggests_the_host(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    (app / "rust-toolchain.toml").write_text('[toolchain]\nchannel = "1.97.0"\n')
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message == ("rust-toolchain.toml line 2 (channel 1.97.0) asks for rustc 1.97.0 or newer, and "
                                 "the provided rustc is 1.96.0 (Debian 13's rustc-web, the newest pack-it provides).")
    assert "--toolchain host" in err.value.hint
    assert not (tmp_path / "o.tar").exists()


def test_a_changed_lock_is_a_new_toolchain_and_a_new_layer(tmp_path, app_copy, monkeypatch):
    from dataclasses import replace

    from pack_it.lifecycle.stacks import lockfile
    from pack_it.packs.rust import debian

    app = app_copy("rust-workspace")
    options = BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=tmp_path / "cache")
    build(options, REGISTRY, Recorder())
    # The same rustc version under another lock (a rebuilt .deb): another identity. Its
    # unpacked tree is the real one, hard-linked (same file system, no copy of 447 MB).
    packages = debian.read_lock()
    moved = [replace(p, sha256="0" * 64) if p.name == "libz3-4" else p for p in packages]
    locks = tmp_path / "locks"
    lockfile.write("rust", "debian13", "buildroot", moved, locks)
    shutil.copy(debian.LOCKS / "rust-web-debian13-amd64.json", locks)
    monkeypatch.setattr(debian, "LOCKS", locks)
    cache = Cache(tmp_path / "cache")
    twin = debian.path(cache, debian.FLAVOURS[0], moved)
    try:
        shutil.copytree(debian.path(cache, debian.FLAVOURS[0], packages), twin, symlinks=True, copy_function=os.link)
        recorder = Recorder()
        result = build(options, REGISTRY, recorder)
        assert recorder.ran_cargo() and result.reused_layers == 0
        [ran] = [line for line in recorder.lines if line.startswith("$ ") and "cargo build" in line]
        assert ran.split()[1] == str(twin / "usr/bin/cargo")
    finally:
        shutil.rmtree(twin, ignore_errors=True)


def test_a_debian_12_run_image_is_a_clear_error_naming_the_way_out(tmp_path, app_copy):
    app = app_copy("rust-workspace")
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=tmp_path / "cache", run_image="static"),
              REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message == ("pack-it's rustc 1.85.1 is Debian 13's and runs on the debian13 build root, and "
                                 "this build's run image is a debian12 one.")
    assert "--run-image static-debian13" in err.value.hint and "--toolchain host" in err.value.hint
    assert not (tmp_path / "o.tar").exists()


def test_a_rust_version_no_debian_rustc_satisfies_downloads_nothing(tmp_path, app_copy, monkeypatch):
    monkeypatch.setenv("PACK_IT_BUILDROOTS", str(tmp_path / "roots"))  # no toolchain unpacked yet
    app = app_copy("rust-workspace")
    manifest = app / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('rust-version = "1.74"', 'rust-version = "1.97"'))
    cache = tmp_path / "cache"
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", cache_dir=cache, sandbox="none"), REGISTRY)
    assert err.value.exit_code == MISSING_TOOLCHAIN and "1.96.0 (Debian 13's rustc-web" in err.value.message
    assert not (tmp_path / "roots").exists()
    assert not [p for p in (cache / "blobs").rglob("*") if p.is_file()]
