"""A link to a host file outside the app never reaches a layer (issue 14, item 4): every
pack's tools see only what SourceTree admits, so a `.go`/`.py`/`.js` link leading out of the
tree is neither compiled, installed nor copied."""

from __future__ import annotations

import shutil
from types import SimpleNamespace
import tarfile
from pathlib import Path

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.lifecycle.context import BuildContext
from pack_it.packs import node as node_pack

SECRET = "TOPSECRET-host-file-3f9c1e"


def host_secret(tmp_path: Path, name: str, text: str) -> Path:
    """A file outside the app's tree, as a host secret would be."""
    outside = tmp_path / "host"
    outside.mkdir(exist_ok=True)
    (outside / name).write_text(text)
    return outside / name


def layer_contents(result, cache_dir: Path) -> tuple[set[str], bytes]:
    """(every entry name, all file bytes) of the image's layers, read from the layer tars."""
    names: set[str] = set()
    data = b""
    for layer in result.image.layers:
        with tarfile.open(Cache(cache_dir).blob_path(layer.digest), "r:*") as tar:
            for member in tar:
                names.add(member.name)
                if member.isfile():
                    data += tar.extractfile(member).read()
    return names, data


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_a_go_file_linked_to_a_host_file_is_not_compiled(tmp_path, app_copy, go_tool):
    app = app_copy("go-hello")
    # Valid Go that main.go does not need: compiled in only if go sees the link.
    secret = host_secret(tmp_path, "secret.go",
                         f'package main\n\nvar hostSecret = "{SECRET}"\n\nfunc init() {{ println(hostSecret) }}\n')
    (app / "secret.go").symlink_to(secret)
    cache = tmp_path / "cache"
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", run_image="base", cache_dir=cache), REGISTRY)
    names, data = layer_contents(result, cache)
    assert SECRET.encode() not in data
    assert not any(n.endswith("secret.go") for n in names)


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_a_python_file_linked_to_a_host_file_is_not_in_any_layer(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text('print("hello")\n')
    (app / ".python-version").write_text("3.11\n")
    (app / "settings.py").symlink_to(host_secret(tmp_path, "settings.py", f'TOKEN = "{SECRET}"\n'))
    (app / "data").mkdir()
    (app / "data" / "shadow").symlink_to(host_secret(tmp_path, "shadow", SECRET))
    cache = tmp_path / "cache"
    result = build(BuildOptions(app, output=f"tar:{tmp_path / 'o.tar'}", run_image="base", cache_dir=cache), REGISTRY)
    names, data = layer_contents(result, cache)
    assert any(n.endswith("workspace/main.py") for n in names)  # the app layer is there
    assert SECRET.encode() not in data
    assert not any(n.endswith(("settings.py", "shadow")) or "settings." in n for n in names)


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_a_node_file_linked_to_a_host_file_is_not_copied_into_the_layers(tmp_path):
    # What the node pack hands to npm and puts in its layers: the manifests and the source.
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "version": "1.0.0", "main": "server.js"}\n')
    (app / "server.js").write_text('console.log("hello")\n')
    (app / "config.js").symlink_to(host_secret(tmp_path, "config.js", f'module.exports = "{SECRET}"\n'))
    (app / ".npmrc").symlink_to(host_secret(tmp_path, ".npmrc", f"//registry.npmjs.org/:_authToken={SECRET}\n"))
    tree = SourceTree(app)
    ctx = SimpleNamespace(tree=tree)
    for files in (tree.source_files(), node_pack._manifest_files(tree)):
        dest = tmp_path / "layer"
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir()
        BuildContext.copy_source(ctx, dest, files)  # type: ignore[arg-type]
        copied = sorted(p for p in dest.rglob("*") if p.is_file())
        assert all(SECRET not in p.read_text() for p in copied)
        assert not {"config.js", ".npmrc"} & {p.name for p in copied}
