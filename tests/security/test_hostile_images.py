"""Hostile input images (issue 14, deliver 3): `pack-it inspect` (and `build --run-image`, the
same reader) on image tarballs and OCI layouts holding `../` and absolute member names, links
and hard links leaving the image, device nodes, setuid files, a decompression bomb, digest
mismatches, truncated blobs and archives, self-referencing indexes, oversized and deeply nested
JSON. Each must be exit 62, one sentence naming the image, nothing written outside the cache
(layers are never extracted).

One parametrised test, so the count of hostile images is the count of its cases."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Callable

import pytest

from tests.security.hostile import assert_one_sentence, run_cli

INVALID_IMAGE = 62


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(entries: list[tarfile.TarInfo] | None = None) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for info in entries or []:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
        if not entries:
            info = tarfile.TarInfo("hello.txt")
            info.size = 5
            tar.addfile(info, io.BytesIO(b"hello"))
    return gzip.compress(raw.getvalue(), mtime=0)


def image_files(layer: bytes | None = None, config: dict | None = None, manifest: dict | None = None) -> dict[str, bytes]:
    """A valid single-layer OCI image as {path in the layout: bytes}."""
    layer = layer if layer is not None else _layer()
    diff_id = _digest(gzip.decompress(layer))
    config_bytes = json.dumps(config or {"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/app"]},
                                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    manifest = manifest or {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                       "digest": _digest(config_bytes), "size": len(config_bytes)},
                            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                        "digest": _digest(layer), "size": len(layer)}]}
    manifest_bytes = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                "digest": _digest(manifest_bytes), "size": len(manifest_bytes)}]}
    return {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": json.dumps(index).encode(),
            f"blobs/sha256/{_digest(manifest_bytes)[7:]}": manifest_bytes,
            f"blobs/sha256/{_digest(config_bytes)[7:]}": config_bytes, f"blobs/sha256/{_digest(layer)[7:]}": layer}


def _blob_of(files: dict[str, bytes], kind: str) -> str:
    index = json.loads(files["index.json"])
    manifest_name = "blobs/sha256/" + index["manifests"][0]["digest"][7:]
    if kind == "manifest":
        return manifest_name
    manifest = json.loads(files[manifest_name])
    digest = manifest["config"]["digest"] if kind == "config" else manifest["layers"][0]["digest"]
    return "blobs/sha256/" + digest[7:]


def write_tar(path: Path, files: dict[str, bytes], extra: Callable[[tarfile.TarFile], None] | None = None,
              rename: dict[str, str] | None = None) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo((rename or {}).get(name, name))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra:
            extra(tar)


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> Callable[[tarfile.TarFile], None]:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        tar.addfile(info)
    return add


def _device(name: str) -> Callable[[tarfile.TarFile], None]:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = tarfile.CHRTYPE
        info.devmajor, info.devminor = 1, 3
        tar.addfile(info)
    return add


def _without(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k != name}


def _replace(files: dict[str, bytes], kind: str, data: bytes | Callable[[bytes], bytes]) -> dict[str, bytes]:
    name = _blob_of(files, kind) if kind in ("manifest", "config", "layer") else kind
    out = dict(files)
    out[name] = data(files[name]) if callable(data) else data
    return out


def _index_of(files: dict[str, bytes], index: object) -> dict[str, bytes]:
    return {**files, "index.json": json.dumps(index).encode()}


def _self_index(files: dict[str, bytes]) -> dict[str, bytes]:
    """An index whose only entry is an index naming... itself (a loop through a blob)."""
    nested = {"schemaVersion": 2, "manifests": []}
    body = json.dumps(nested).encode()
    nested["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": _digest(body), "size": len(body)}]
    loop = json.dumps(nested).encode()  # names the previous body; make that body this one
    out = {**files, f"blobs/sha256/{_digest(body)[7:]}": loop}
    return _index_of(out, {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": _digest(body), "size": len(body)}]})


def _bomb() -> bytes:
    """A gzip stream of 256 MiB of zeros (about 250 kB compressed) as the layer."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(256):
            f.write(chunk)
    return out.getvalue()


def _setuid_layer() -> bytes:
    info = tarfile.TarInfo("bin/su")
    info.size, info.mode = 4, 0o4755
    up = tarfile.TarInfo("../../escape.txt")
    up.size = 4
    absolute = tarfile.TarInfo("/etc/evil")
    absolute.size = 4
    link = tarfile.TarInfo("shadow")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    hard = tarfile.TarInfo("hard")
    hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/passwd"
    dev = tarfile.TarInfo("dev/mem")
    dev.type, dev.devmajor, dev.devminor = tarfile.CHRTYPE, 1, 1
    return _layer([info, up, absolute, link, hard, dev])


# name -> (how the tarball is written from the valid image's files, or None to keep it valid)
Case = Callable[[Path, dict[str, bytes]], None]
TAR_CASES: dict[str, Case] = {
    "no-index": lambda p, f: write_tar(p, _without(f, "index.json")),
    "index-dot-dot": lambda p, f: write_tar(p, f, rename={"index.json": "../index.json"}),
    "index-absolute": lambda p, f: write_tar(p, f, rename={"index.json": "/index.json"}),
    "index-symlink-to-host": lambda p, f: write_tar(p, _without(f, "index.json"), _link("index.json", "/etc/passwd")),
    "index-hardlink-to-host": lambda p, f: write_tar(p, _without(f, "index.json"), _link("index.json", "/etc/passwd", tarfile.LNKTYPE)),
    "index-device": lambda p, f: write_tar(p, _without(f, "index.json"), _device("index.json")),
    "manifest-symlink-to-host": lambda p, f: write_tar(p, _without(f, _blob_of(f, "manifest")), _link(_blob_of(f, "manifest"), "/etc/passwd")),
    "config-hardlink-out": lambda p, f: write_tar(p, _without(f, _blob_of(f, "config")), _link(_blob_of(f, "config"), "../../etc/passwd", tarfile.LNKTYPE)),
    "layer-device": lambda p, f: write_tar(p, _without(f, _blob_of(f, "layer")), _device(_blob_of(f, "layer"))),
    "manifest-digest-mismatch": lambda p, f: write_tar(p, _replace(f, "manifest", lambda b: b.replace(b'"schemaVersion": 2', b'"schemaVersion":  2'))),
    "config-digest-mismatch": lambda p, f: write_tar(p, _replace(f, "config", lambda b: b.replace(b"/app", b"/evil"))),
    "layer-digest-mismatch": lambda p, f: write_tar(p, _replace(f, "layer", lambda b: b[:-1] + bytes([b[-1] ^ 1]))),
    "layer-truncated": lambda p, f: write_tar(p, _replace(f, "layer", lambda b: b[: len(b) // 2])),
    "config-truncated": lambda p, f: write_tar(p, _replace(f, "config", lambda b: b[:10])),
    "layer-missing": lambda p, f: write_tar(p, _without(f, _blob_of(f, "layer"))),
    "archive-truncated": lambda p, f: (write_tar(p, f), os.truncate(p, 1200)),  # inside the first members
    "archive-empty": lambda p, f: p.write_bytes(b""),
    "archive-not-tar": lambda p, f: p.write_bytes(b"\x7fELF" + b"\0" * 600),
    "index-not-json": lambda p, f: write_tar(p, {**f, "index.json": b"{not json"}),
    "index-deep-json": lambda p, f: write_tar(p, {**f, "index.json": b"[" * 100_000 + b"]" * 100_000}),
    "index-array": lambda p, f: write_tar(p, _index_of(f, [])),
    "index-manifests-string": lambda p, f: write_tar(p, _index_of(f, {"manifests": "x"})),
    "index-entry-number": lambda p, f: write_tar(p, _index_of(f, {"manifests": [5]})),
    "index-digest-not-sha256": lambda p, f: write_tar(p, _index_of(f, {"manifests": [{"mediaType": "x", "digest": "md5:00", "size": 1}]})),
    "index-digest-dot-dot": lambda p, f: write_tar(p, _index_of(f, {"manifests": [{"mediaType": "x", "digest": "sha256:../../../../etc/passwd", "size": 1}]})),
    "index-size-negative": lambda p, f: write_tar(p, _index_of(f, {"manifests": [{**json.loads(f["index.json"])["manifests"][0], "size": -1}]})),
    "index-loop": lambda p, f: write_tar(p, _self_index(f)),
    "index-huge": lambda p, f: write_tar(p, {**f, "index.json": b" " * (20 << 20) + b"{}"}),
    "config-diff-ids-short": lambda p, f: write_tar(p, _rewrap(f, config={"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})),
    "config-wrong-shape": lambda p, f: write_tar(p, _rewrap(f, config={"rootfs": "x", "config": 5})),
    "manifest-layers-string": lambda p, f: write_tar(p, _rewrap(f, manifest_patch={"layers": "x"})),
    "manifest-config-missing": lambda p, f: write_tar(p, _rewrap(f, manifest_patch={"config": None})),
    "decompression-bomb-layer": lambda p, f: write_tar(p, _rewrap(f, layer=_bomb(), wrong_diff_id=True)),
    "hostile-layer-entries-wrong-diff-id": lambda p, f: write_tar(p, _rewrap(f, layer=_setuid_layer(), wrong_diff_id=True)),
    "docker-config-dot-dot": lambda p, f: write_tar(p, {"manifest.json": json.dumps([{"Config": "../../etc/passwd", "Layers": []}]).encode()}),
    "docker-layer-absolute": lambda p, f: write_tar(p, {"manifest.json": json.dumps([{"Config": "c.json", "Layers": ["/etc/passwd"]}]).encode(),
                                                        "c.json": b'{"rootfs": {"diff_ids": ["sha256:' + b"0" * 64 + b'"]}}'}),
    "docker-manifest-object": lambda p, f: write_tar(p, {"manifest.json": b'{"Config": "x"}'}),
    "docker-manifest-empty-list": lambda p, f: write_tar(p, {"manifest.json": b"[]"}),
}


def _rewrap(files: dict[str, bytes], *, config: dict | None = None, layer: bytes | None = None,
            manifest_patch: dict | None = None, wrong_diff_id: bool = False) -> dict[str, bytes]:
    """The image rebuilt with consistent digests around one hostile part."""
    if layer is not None and wrong_diff_id:
        config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}
    base = image_files(layer=layer, config=config)
    if manifest_patch is None:
        return base
    manifest = json.loads(base[_blob_of(base, "manifest")])
    manifest.update(manifest_patch)
    rebuilt = {k: v for k, v in base.items() if k != _blob_of(base, "manifest")}
    body = json.dumps(manifest).encode()
    rebuilt[f"blobs/sha256/{_digest(body)[7:]}"] = body
    return _index_of(rebuilt, {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                                   "digest": _digest(body), "size": len(body)}]})


# OCI layout directories: what links and odd files do on a real filesystem.
LAYOUT_CASES: dict[str, Case] = {
    "layout-index-symlink-to-host": lambda d, f: _layout(d, _without(f, "index.json"), links={"index.json": "/etc/passwd"}),
    "layout-blob-symlink-to-host": lambda d, f: _layout(d, _without(f, _blob_of(f, "config")), links={_blob_of(f, "config"): "/etc/hostname"}),
    "layout-blobs-dir-symlink-out": lambda d, f: _layout(d, {k: v for k, v in f.items() if not k.startswith("blobs/")},
                                                          links={"blobs": str(d.parent / "elsewhere")}),
    "layout-index-fifo": lambda d, f: (_layout(d, _without(f, "index.json")), os.mkfifo(d / "index.json")),
    "layout-index-directory": lambda d, f: (_layout(d, _without(f, "index.json")), (d / "index.json").mkdir()),
    "layout-index-sparse-2GiB": lambda d, f: (_layout(d, _without(f, "index.json")), os.truncate(_touch(d / "index.json"), 2 << 30)),
    "layout-layer-truncated": lambda d, f: _layout(d, _replace(f, "layer", lambda b: b[:20])),
}


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _layout(directory: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> None:
    (directory.parent / "elsewhere" / "sha256").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    for name, target in (links or {}).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).symlink_to(target)


# Read, never extracted: layers are copied as blobs, so their entries (setuid, `../`, links out,
# devices) and a bomb's inflated size never touch the disk; inspect checks the compressed
# blob's digest, not the diff_id (that would inflate the bomb).
ACCEPTED = {"decompression-bomb-layer": 0, "hostile-layer-entries-wrong-diff-id": 0}
CASES = [("tar", name) for name in TAR_CASES] + [("oci", name) for name in LAYOUT_CASES]


@pytest.mark.parametrize("kind,name", CASES, ids=[name for _, name in CASES])
def test_a_hostile_image_is_refused_naming_it(tmp_path, monkeypatch, capsys, kind, name):
    files = image_files()
    if kind == "tar":
        target = tmp_path / "image.tar"
        TAR_CASES[name](target, files)
        spec = f"tar:{target}"
    else:
        target = tmp_path / "layout"
        target.mkdir()
        LAYOUT_CASES[name](target, files)
        spec = f"oci:{target}"
    monkeypatch.chdir(tmp_path)
    answer = run_cli(monkeypatch, capsys, ["inspect", spec], watch=(tmp_path,))
    assert_one_sentence(answer, (str(target),), ACCEPTED.get(name, INVALID_IMAGE))
    assert not Path("/etc/evil").exists() and not (tmp_path.parent.parent / "escape.txt").exists()


def test_the_valid_image_these_are_made_from_is_read(tmp_path, monkeypatch, capsys):
    """The control: without the hostile part, the same image inspects (so each case fails for its own reason)."""
    write_tar(tmp_path / "image.tar", image_files())
    _layout(tmp_path / "layout", image_files())
    for spec in (f"tar:{tmp_path / 'image.tar'}", f"oci:{tmp_path / 'layout'}"):
        answer = run_cli(monkeypatch, capsys, ["inspect", spec], watch=(tmp_path,))
        assert answer.code == 0, answer.stderr
        assert "/app" in answer.stdout


def test_there_are_many_hostile_images():
    assert len(CASES) >= 40
