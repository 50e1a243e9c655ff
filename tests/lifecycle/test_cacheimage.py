"""--cache-to / --cache-from / --cache-image against the real registry (TLS, htpasswd): a second
"worker" with an empty cache directory and only the cache image rebuilds a source-only change
without installing dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pack_it.errors import USAGE, PackItError
from pack_it.lifecycle import cacheimage
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.lifecycle.registry.client import RegistryClient, RegistryOptions
from pack_it.lifecycle.registry.credentials import Credentials
from pack_it.lifecycle.registry import names
from pack_it.lifecycle.reporter import Reporter
from pack_it.packs import REGISTRY
from pack_it.packs import node as node_pack
from tests.lifecycle.registry.conftest import registry  # noqa: F401
from tests.lifecycle.registry.servers import PASSWORD, USER

pytestmark = pytest.mark.network  # the package registries the first worker installs from


class Recorder(Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warning: " + message)


def _options(registry) -> RegistryOptions:  # noqa: F811
    return RegistryOptions(credentials=Credentials(USER, PASSWORD), ca_file=registry.ca, env={})


def _worker(tmp_path, name: str):
    return tmp_path / f"cache-{name}"


def _layers(result) -> dict[str, str]:
    labels = result.image.config_json["config"]["Labels"]
    return {f"{l['pack']}/{l['name']}": l["diff_id"] for l in json.loads(labels["io.pack-it.metadata"])["layers"]}


def test_a_fresh_worker_reuses_dependency_layers_and_runs_no_installer(tmp_path, app_copy, registry, monkeypatch):  # noqa: F811
    app = app_copy("node-ts")  # a build script (tsc): the full install must come from the cache image too
    ref = f"{registry.host}/cache/node-ts:cache"
    first = build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=_worker(tmp_path, "a"),
                               registry=_options(registry), cache_to=ref), REGISTRY)

    (app / "src" / "server.ts").write_text((app / "src" / "server.ts").read_text().replace("Hello from", "Hi from"))

    def no_installer(*args, **kwargs):
        raise AssertionError("a package manager installed or pruned on the worker that had the cache image")

    monkeypatch.setattr(node_pack, "_install_full", no_installer)
    monkeypatch.setattr(node_pack, "_prune", no_installer)
    reporter = Recorder()
    second = build(BuildOptions(app, output=f"tar:{tmp_path / 'b.tar'}", cache_dir=_worker(tmp_path, "b"),
                                registry=_options(registry), cache_from=ref), REGISTRY, reporter)
    assert _layers(second)["node/node_modules"] == _layers(first)["node/node_modules"]
    assert _layers(second)["node/build"] != _layers(first)["node/build"]  # tsc ran, on the restored install
    assert any("reusing layer node_modules" in line for line in reporter.lines), reporter.lines
    assert not any(line.startswith("warning: The cache image") for line in reporter.lines), reporter.lines


def test_a_fresh_worker_builds_go_modules_offline_from_the_cache_image(tmp_path, app_copy, registry, go_tool):  # noqa: F811
    """go-deps needs modules from the proxy; with GOPROXY=off the second worker can only
    build if its module cache came from the cache image."""
    app = app_copy("go-deps")
    ref = f"{registry.host}/cache/go-deps:cache"
    build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=_worker(tmp_path, "a"),
                       registry=_options(registry), cache_to=ref), REGISTRY)
    offline = {"GOPROXY": "off"}
    with pytest.raises(PackItError) as without:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'c.tar'}", cache_dir=_worker(tmp_path, "c"), env=offline),
              REGISTRY)
    assert "GOPROXY=off" in without.value.message  # the check below is not vacuous
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'b.tar'}", cache_dir=_worker(tmp_path, "b"),
                                registry=_options(registry), cache_from=ref, env=offline), REGISTRY)
    assert result.image.digest


def test_an_unchanged_cache_image_pushes_no_layer_again(tmp_path, app_copy, registry, go_tool):  # noqa: F811
    app = app_copy("go-hello")
    ref = f"{registry.host}/cache/go-hello:cache"
    cache_dir = _worker(tmp_path, "a")
    pushed = []
    for _ in range(2):
        reporter = Recorder()
        build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=cache_dir,
                           registry=_options(registry), cache_to=ref), REGISTRY, reporter)
        pushed.append(next(line for line in reporter.lines if line.startswith("cache image")))
    assert " 0 uploaded" in pushed[1], pushed  # the same cache gives the same layers
    assert " 0 uploaded" not in pushed[0], pushed


def test_a_missing_cache_image_is_a_warning_and_the_build_goes_on(tmp_path, app_copy, registry, go_tool):  # noqa: F811
    reporter = Recorder()
    result = build(BuildOptions(app_copy("go-hello"), output=f"tar:{tmp_path / 'a.tar'}",
                                cache_dir=_worker(tmp_path, "a"), registry=_options(registry),
                                cache_from=f"{registry.host}/cache/never-pushed:cache"), REGISTRY, reporter)
    assert result.image.digest
    assert any("The cache image" in line and "was not used" in line and "has no image" in line
               for line in reporter.lines), reporter.lines


def test_an_image_that_is_not_a_cache_image_is_refused_by_restore(tmp_path, registry, skopeo):  # noqa: F811
    """Any other image in the repository (the app itself, say) is named, not unpacked."""
    cache = Cache(tmp_path / "cache")
    from pack_it.lifecycle import runimage

    run = runimage.resolve(runimage.GENERATED, cache, 0)
    target = names.parse(f"{registry.host}/cache/not-a-cache:1")
    RegistryClient(target, _options(registry), push=True).push(run.image, cache)
    reporter = Recorder()
    restored = cacheimage.restore(str(target), Cache(tmp_path / "fresh"), _options(registry), reporter)
    assert restored == cacheimage.Restored()
    assert any("is not a pack-it cache image" in line for line in reporter.lines), reporter.lines


@pytest.mark.parametrize("label", [
    {"format": 1, "architecture": "amd64", "records": [{"pack": "../x", "name": "n", "key": "k", "epoch": 0,
                                                        "record": {"digest": "sha256:" + "0" * 64, "size": 1,
                                                                   "diff_id": "sha256:" + "0" * 64}}]},
    {"format": 1, "architecture": "amd64", "dirs": [{"pack": "go", "name": "..", "digest": "sha256:" + "0" * 64}]},
    {"format": 1, "architecture": "arm64"},
    {"format": 2, "architecture": "amd64"},
    {"format": 1, "architecture": "amd64", "dirs": [{"pack": "go", "name": "x", "digest": "sha256:" + "1" * 64}]},
    {"format": 1, "architecture": "amd64", "stacks": [{"name": "python-debian13", "key": "k", "epoch": 0,
                                                       # well formed, but not what its record names
                                                       "manifest": '{"layers": []}', "config": '{"rootfs": {}}',
                                                       "record": {"reference": "r", "digest": "sha256:" + "0" * 64,
                                                                  "config": "sha256:" + "0" * 64}}]},
])
def test_a_cache_label_out_of_shape_is_refused_before_anything_is_written(label):
    from pack_it.lifecycle.oci import Image

    image = Image.assemble({"config": {"Labels": {cacheimage.LABEL: json.dumps(label)}},
                            "rootfs": {"type": "layers", "diff_ids": []}}, [])
    with pytest.raises(PackItError) as e:
        cacheimage._contents(image, "example/x:cache")
    assert "is not a pack-it cache image" in e.value.message


@pytest.mark.parametrize("flag", ["--cache-image", "--cache-from", "--cache-to"])
def test_a_cache_image_outside_a_registry_is_a_usage_error(flag, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pack_it", "build", str(tmp_path), flag, "oci:./x"],
                          capture_output=True, text=True)
    assert proc.returncode == USAGE, proc.stderr
    assert "oci:./x" in proc.stderr and "registry" in proc.stderr and "Traceback" not in proc.stderr


class _CopyingClient:
    """A registry client that serves blobs out of another cache (no registry needed)."""

    def __init__(self, source: Cache) -> None:
        self.source = source
        self.fetched: list[str] = []

    def fetch_blob(self, descriptor, cache: Cache) -> None:
        self.fetched.append(descriptor.digest)
        assert cache.put_bytes(self.source.blob_path(descriptor.digest).read_bytes()) == descriptor.digest


def test_a_stack_run_image_travels_in_the_cache_image_and_is_not_assembled_again(tmp_path, monkeypatch):
    """A fresh worker finds the stack the first one assembled (its record, manifest, config and
    layers) and never downloads a Debian package for it."""
    from pack_it.lifecycle import runimage
    from pack_it.lifecycle.stacks import assemble

    first = Cache(tmp_path / "first")
    stack = runimage.resolve(runimage.GENERATED, first, 0).image  # any image stands in for the assembled stack
    key = runimage._stack_key("python", "debian13", 0, first, False)
    first.save_layer_record("stack-image", "python-debian13", key, 0, {
        "reference": "python-debian13@x", "digest": first.put_bytes(stack.manifest),
        "config": first.put_bytes(stack.config)})
    image = cacheimage.assemble([], [], first, 0, cacheimage._stack("python-debian13", first, 0, False))
    assert {d.digest for d in stack.layers} <= {d.digest for d in image.layers}
    assert cacheimage._stack("cc-debian13", first, 0, False) is None  # not assembled here
    assert cacheimage._stack(runimage.GENERATED, first, 0, False) is None

    _, _, stacks = cacheimage._contents(image, "example/x:cache")
    fresh, client = Cache(tmp_path / "fresh"), _CopyingClient(first)
    assert cacheimage._restore_stacks(stacks, client, fresh) == 1
    assert client.fetched == [d.digest for d in stack.layers]

    def no_assembly(*args, **kwargs):
        raise AssertionError("the stack was assembled again on the worker that had the cache image")

    monkeypatch.setattr(assemble, "build_stack", no_assembly)
    run = runimage.resolve("python-debian13", fresh, 0)
    assert (run.reference, run.image.digest) == ("python-debian13@x", stack.digest)
    assert cacheimage._restore_stacks(stacks, client, fresh) == 0  # never over a local record


def test_a_restored_cache_directory_archives_to_the_same_layer(tmp_path):
    """A second worker's unchanged cache pushes no directory layer again: what restoring leaves
    (no group/other write bits, directories by the umask) is what was archived."""
    import os

    first = Cache(tmp_path / "first")
    install = first.root / "packs" / "python" / "installed" / "k1"
    (install / "site-packages" / "flask").mkdir(parents=True)
    (install / "site-packages" / "flask" / "__init__.py").write_text("x")
    (install / "bin").mkdir()
    (install / "bin" / "gunicorn").write_text("#!/usr/bin/python3\n")
    os.chmod(install / "site-packages" / "flask" / "__init__.py", 0o664)
    os.chmod(install / "bin" / "gunicorn", 0o775)
    os.chmod(install / "bin", 0o700)  # as tempfile.mkdtemp makes it
    os.chmod(install / "site-packages" / "flask", 0o775)
    image = cacheimage.assemble(["python"], [], first, 0)
    _, dirs, _ = cacheimage._contents(image, "example/x:cache")
    second = Cache(tmp_path / "second")
    assert cacheimage._restore_dirs(dirs, {d.digest: d.size for d in image.layers}, _CopyingClient(first), second) == 1
    assert os.access(second.root / "packs" / "python" / "installed" / "k1" / "bin" / "gunicorn", os.X_OK)
    assert cacheimage.assemble(["python"], [], second, 0).layers == image.layers
