"""The Node pack's build, for real (the npm registry, the app's own package manager)."""

import json
import subprocess

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import node as node_pack


def _layers(result) -> dict[str, str]:
    labels = result.image.config_json["config"]["Labels"]
    return {f"{l['pack']}/{l['name']}": l["diff_id"] for l in json.loads(labels["io.pack-it.metadata"])["layers"]}


def test_a_source_only_change_keeps_node_modules_and_runs_no_installer(tmp_path, app_copy, shared_cache, monkeypatch):
    app = app_copy("node-ts")  # a build script (tsc) that needs devDependencies
    options = BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=shared_cache)
    first = build(options)
    (app / "src" / "server.ts").write_text((app / "src" / "server.ts").read_text().replace("Hello from", "Hi from"))

    def no_installer(*args, **kwargs):
        raise AssertionError("a package manager installed or pruned after a source-only change")

    monkeypatch.setattr(node_pack, "_install_full", no_installer)
    monkeypatch.setattr(node_pack, "_prune", no_installer)
    second = build(options)
    assert _layers(second)["node/node_modules"] == _layers(first)["node/node_modules"]
    assert _layers(second)["node/build"] != _layers(first)["node/build"]  # tsc ran again


def test_node_engines_image_runs_the_pinned_major(tmp_path, app_copy, shared_cache, podman):
    app = app_copy("node-engines")  # engines.node 22.x; the host has another major
    image = "localhost/pack-it-test-node-engines:test"
    build(BuildOptions(app, tag=image, output=f"tar:{tmp_path / 'i.tar'}", cache_dir=shared_cache))
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
