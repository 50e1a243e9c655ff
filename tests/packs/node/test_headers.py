"""The C headers node-gyp builds addons against come from the same verified tarball as
bin/node, and extracting them writes nothing outside include/node/."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from pack_it.packs.node import runtime


def _tarball(path: Path, members: list[tuple[str, str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755
                tar.addfile(info, io.BytesIO(data))
    return path


def test_headers_are_kept_beside_bin_node_and_nothing_leaves_include_node(tmp_path):
    archive = _tarball(tmp_path / "node.tgz", [
        ("package/bin/node", "file", b"\x7fELF node"),
        ("package/LICENSE", "file", b"MIT"),
        ("package/include/node/common.gypi", "file", b"{}"),
        ("package/include/node/node.h", "file", b"#define NODE 1\n"),
        ("package/include/node/uv/uv.h", "file", b"/* uv */\n"),
        ("package/include/node/../../../escape.h", "file", b"outside"),
        ("package/include/node/link.h", "symlink", b"/etc/passwd"),
        ("package/lib/node_modules/npm/package.json", "file", b"{}"),
    ])
    out = tmp_path / "out"
    runtime.NpmRegistrySource().extract(archive, "24.0.0", out)
    assert (out / "bin" / "node").read_bytes() == b"\x7fELF node"
    assert runtime.headers_dir(out / "bin" / "node") == out
    assert (out / "include" / "node" / "uv" / "uv.h").read_bytes() == b"/* uv */\n"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "node.tgz", "out/LICENSE", "out/bin/node", "out/include/node/common.gypi", "out/include/node/node.h",
        "out/include/node/uv/uv.h"]


def test_a_runtime_without_headers_gives_no_nodedir(tmp_path):
    archive = _tarball(tmp_path / "node.tgz", [("package/bin/node", "file", b"node")])
    runtime.NpmRegistrySource().extract(archive, "24.0.0", tmp_path / "out")
    assert runtime.headers_dir(tmp_path / "out" / "bin" / "node") is None
