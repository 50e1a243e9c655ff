"""The Node pack's build, for real (the npm registry, the app's own package manager)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs import node as node_pack

pytestmark = pytest.mark.network  # the package registries (see tests/conftest.py)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "node" / "builds"


def _layers(result) -> dict[str, str]:
    labels = result.image.config_json["config"]["Labels"]
    return {f"{l['pack']}/{l['name']}": l["diff_id"] for l in json.loads(labels["io.pack-it.metadata"])["layers"]}


def test_a_source_only_change_keeps_node_modules_and_runs_no_installer(tmp_path, app_copy, shared_cache, monkeypatch):
    app = app_copy("node-ts")  # a build script (tsc) that needs devDependencies
    options = BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache)
    first = build(options, REGISTRY)
    (app / "src" / "server.ts").write_text((app / "src" / "server.ts").read_text().replace("Hello from", "Hi from"))

    def no_installer(*args, **kwargs):
        raise AssertionError("a package manager installed or pruned after a source-only change")

    monkeypatch.setattr(node_pack, "_install_full", no_installer)
    monkeypatch.setattr(node_pack, "_prune", no_installer)
    second = build(options, REGISTRY)
    assert _layers(second)["node/node_modules"] == _layers(first)["node/node_modules"]
    assert _layers(second)["node/build"] != _layers(first)["node/build"]  # tsc ran again


def test_node_engines_image_runs_the_pinned_major(tmp_path, app_copy, shared_cache, podman):
    app = app_copy("node-engines")  # engines.node 22.x; the host has another major
    image = "localhost/pack-it-test-node-engines:test"
    build(BuildOptions(app, tag=image, output=f"tar:{tmp_path / 'i.tar'}", cache_dir=shared_cache), REGISTRY)
    subprocess.run([podman, "load", "-i", str(tmp_path / "i.tar")], check=True, capture_output=True)
    try:
        proc = subprocess.run([podman, "run", "--rm", "--entrypoint", "node", image, "--version"],
                              capture_output=True, text=True)
        host = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("v22.")
        assert proc.stdout.split(".")[0] != host.split(".")[0]
    finally:
        subprocess.run([podman, "rmi", "-f", image], capture_output=True)


def _node_modules(result, layout) -> set[str]:
    """The top-level packages in the image's node_modules layer."""
    import gzip
    import io
    import tarfile

    labels = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    diff_id = next(l["diff_id"] for l in labels["layers"] if l["name"] == "node_modules")
    layer = result.image.layers[result.image.diff_ids.index(diff_id)]
    data = gzip.decompress((layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {n.split("/")[2] for n in tar.getnames() if n.count("/") >= 2 and not n.split("/")[2].startswith(".")}


@pytest.mark.parametrize("fixture", ["npm-ms", "pnpm-ms", "yarn-ms", "berry-ms", "bun-ms"])
def test_each_package_manager_installs_frozen_and_prunes_to_production(fixture, tmp_path, shared_cache):
    app = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, app)
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    assert result.plan.package_manager.name == {"npm-ms": "npm", "pnpm-ms": "pnpm", "yarn-ms": "yarn", "berry-ms": "yarn-berry", "bun-ms": "bun"}[fixture]
    modules = _node_modules(result, tmp_path / "l")
    assert "ms" in modules
    assert "is-number" not in modules  # a devDependency, pruned


def test_a_node_14_app_installs_with_npm_6_not_the_hosts_npm(tmp_path, shared_cache, monkeypatch):
    # The host's npm (11 here) refuses Node 14: "npm v11... is known not to run on Node.js v14".
    from pack_it.packs.node import tools

    def no_host_npm():
        raise AssertionError("the host's npm was used")

    monkeypatch.setattr(tools, "host_npm_cli", no_host_npm)
    app = tmp_path / "npm-node14"
    shutil.copytree(FIXTURES / "npm-node14", app)
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    assert result.plan.runtime.version == "14.21.3"
    assert result.plan.details["node"].npm == "6.14.18"
    modules = _node_modules(result, tmp_path / "l")
    assert "ms" in modules and "is-number" not in modules


def test_a_pnpm_5_4_lockfile_installs_frozen_with_pnpm_7(tmp_path, shared_cache):
    # pnpm 9 (the default) would rewrite a lockfileVersion 5.4 lockfile, which --frozen-lockfile refuses.
    app = tmp_path / "pnpm-lock-5.4"
    shutil.copytree(FIXTURES / "pnpm-lock-5.4", app)
    result = build(BuildOptions(app, output=f"oci:{tmp_path / 'l'}", cache_dir=shared_cache), REGISTRY)
    assert result.plan.details["node"].package_manager.version == "7.33.7"
    assert result.plan.package_manager.source == "pnpm-lock.yaml (lockfileVersion 5.4)"
    assert "ms" in _node_modules(result, tmp_path / "l")


def test_a_start_bin_no_production_dependency_provides_fails_the_build_naming_it(tmp_path, shared_cache):
    from pack_it.errors import UNSUPPORTED, PackItError

    app = tmp_path / "npm-ms"
    shutil.copytree(FIXTURES / "npm-ms", app)
    pkg = json.loads((app / "package.json").read_text())
    pkg["scripts"]["start"] = "serve-my-app --port 8080"
    (app / "package.json").write_text(json.dumps(pkg))
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache), REGISTRY)
    assert err.value.exit_code == UNSUPPORTED
    assert err.value.message.startswith("package.json (scripts.start) runs `serve-my-app`, and no production "
                                        "dependency's package.json has a bin named serve-my-app")
    assert not (tmp_path / "a.tar").exists()
