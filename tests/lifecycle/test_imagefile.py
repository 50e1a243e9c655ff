"""Input images (run images, `inspect`) of the wrong shape, too large, looping, truncated or
tampered with: one sentence naming the file, exit 62, never a traceback or a hang."""

import copy
import io
import json
import os
import tarfile

import pytest

from pack_it.errors import INVALID_IMAGE, PackItError
from pack_it.lifecycle import oci
from pack_it.lifecycle.archive import file_entry, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.imagefile import MAX_DEPTH, MAX_JSON, open_image
from pack_it.lifecycle.inspect import describe
from pack_it.lifecycle.runimage import resolve


def _digest(data: bytes) -> str:
    return oci.sha256_digest(data)


class Layout:
    """A small OCI image layout on disk, whose parts a test can spoil before writing."""

    def __init__(self, root):
        self.root = root
        self.layers = []
        for n in range(2):
            out = io.BytesIO()
            blob = write_layer([file_entry(f"etc/file{n}", f"layer {n}\n".encode())], out, 315532801)
            self.layers.append((out.getvalue(), blob))
        self.config = {"architecture": "amd64", "os": "linux",
                       "config": {"Env": ["PATH=/usr/bin"], "User": "65532:65532", "Entrypoint": ["/bin/app"],
                                  "Labels": {"a": "b"}},
                       "rootfs": {"type": "layers", "diff_ids": [b.diff_id for _, b in self.layers]},
                       "history": []}

    def blob(self, data: bytes) -> str:
        digest = _digest(data)
        path = self.root / "blobs" / "sha256" / digest.removeprefix("sha256:")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return digest

    def manifest(self, config: bytes | None = None) -> dict:
        config = config if config is not None else oci.canonical_json(self.config)
        return {"schemaVersion": 2, "mediaType": oci.MANIFEST,
                "config": {"mediaType": oci.CONFIG, "digest": self.blob(config), "size": len(config)},
                "layers": [{"mediaType": oci.LAYER_GZIP, "digest": self.blob(data), "size": len(data)}
                           for data, _ in self.layers]}

    def write(self, manifest: dict | bytes | None = None, index: dict | bytes | None = None) -> str:
        manifest = manifest if manifest is not None else self.manifest()
        manifest_bytes = manifest if isinstance(manifest, bytes) else oci.canonical_json(manifest)
        if index is None:
            index = {"schemaVersion": 2, "manifests": [
                {"mediaType": oci.MANIFEST, "digest": self.blob(manifest_bytes), "size": len(manifest_bytes),
                 "annotations": {oci.REF_NAME: "latest"}}]}
        (self.root / "index.json").write_bytes(index if isinstance(index, bytes) else oci.canonical_json(index))
        (self.root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        return f"oci:{self.root}"


@pytest.fixture
def layout(tmp_path):
    return Layout(tmp_path / "image")


def _refused(spec, *, contains=""):
    with pytest.raises(PackItError) as err:
        describe(spec)
    assert err.value.exit_code == INVALID_IMAGE
    assert err.value.message.split(":")[0] in spec, err.value.message  # names the image file
    assert contains in err.value.message, err.value.message
    assert err.value.hint
    return err.value.message


def test_a_good_layout_reads(layout):
    info = describe(layout.write())
    assert info["entrypoint"] == ["/bin/app"] and len(info["layers"]) == 2


def _spoil_config(layout, change):
    config = copy.deepcopy(layout.config)
    change(config)
    return layout.write(layout.manifest(oci.canonical_json(config)))


CONFIG_SHAPES = {
    "rootfs-missing": lambda c: c.pop("rootfs"),
    "rootfs-string": lambda c: c.update(rootfs="layers"),
    "diff-ids-dict": lambda c: c["rootfs"].update(diff_ids={}),
    "diff-id-not-digest": lambda c: c["rootfs"]["diff_ids"].__setitem__(0, "md5:abc"),
    "diff-id-number": lambda c: c["rootfs"]["diff_ids"].__setitem__(0, 7),
    "fewer-diff-ids": lambda c: c["rootfs"]["diff_ids"].pop(),
    "more-diff-ids": lambda c: c["rootfs"]["diff_ids"].append(c["rootfs"]["diff_ids"][0]),
    "config-list": lambda c: c.update(config=[]),
    "env-string": lambda c: c["config"].update(Env="PATH=/bin"),
    "env-numbers": lambda c: c["config"].update(Env=[1, 2]),
    "labels-list": lambda c: c["config"].update(Labels=["a"]),
    "label-value-number": lambda c: c["config"].update(Labels={"a": 1}),
    "entrypoint-string": lambda c: c["config"].update(Entrypoint="/bin/app"),
    "ports-list": lambda c: c["config"].update(ExposedPorts=["8080/tcp"]),
    "user-number": lambda c: c["config"].update(User=65532),
    "history-dict": lambda c: c.update(history={}),
    "metadata-label-garbage": lambda c: c["config"]["Labels"].update({oci.METADATA_LABEL: "{not json"}),
    "metadata-label-wrong-shape": lambda c: c["config"]["Labels"].update({oci.METADATA_LABEL: '{"layers": 5}'}),
    "metadata-label-deep": lambda c: c["config"]["Labels"].update({oci.METADATA_LABEL: "[" * 100_000}),
}


@pytest.mark.parametrize("case", sorted(CONFIG_SHAPES))
def test_config_of_the_wrong_shape_is_refused(layout, case):
    _refused(_spoil_config(layout, CONFIG_SHAPES[case]))


MANIFEST_SHAPES = {
    "list": lambda m: [],
    "no-config": lambda m: {k: v for k, v in m.items() if k != "config"},
    "config-string": lambda m: {**m, "config": "sha256:abc"},
    "config-size-string": lambda m: {**m, "config": {**m["config"], "size": "12"}},
    "config-bad-digest": lambda m: {**m, "config": {**m["config"], "digest": "sha256:../../etc/passwd"}},
    "layers-dict": lambda m: {**m, "layers": {}},
    "layer-string": lambda m: {**m, "layers": ["sha256:abc"]},
    "layer-negative-size": lambda m: {**m, "layers": [{**m["layers"][0], "size": -1}, m["layers"][1]]},
    "layer-digest-path": lambda m: {**m, "layers": [{**m["layers"][0], "digest": "sha256:" + "../" * 21 + "a"}]},
    "deep": lambda m: b"[" * 100_000,
    "not-json": lambda m: b"\xff\xfe not json",
}


@pytest.mark.parametrize("case", sorted(MANIFEST_SHAPES))
def test_manifest_of_the_wrong_shape_is_refused(layout, case):
    _refused(layout.write(MANIFEST_SHAPES[case](layout.manifest())))


INDEX_SHAPES = {
    "list": b"[]",
    "manifests-string": b'{"manifests": "x"}',
    "manifest-entry-string": b'{"manifests": ["x"]}',
    "manifest-entry-no-digest": b'{"manifests": [{"mediaType": "x", "size": 1}]}',
    "empty": b"",
    "deep": b'{"manifests": ' + b"[" * 100_000,
    "nul": b"\0" * 100,
    "annotations-list": None,
}


@pytest.mark.parametrize("case", sorted(INDEX_SHAPES))
def test_index_of_the_wrong_shape_is_refused(layout, case):
    index = INDEX_SHAPES[case]
    if index is None:
        spec = layout.write()
        data = json.loads((layout.root / "index.json").read_text())
        data["manifests"][0]["annotations"] = ["x"]
        (layout.root / "index.json").write_text(json.dumps(data))
        info = describe(spec)  # annotations that are not an object are only ignored
        assert len(info["layers"]) == 2
        return
    _refused(layout.write(index=index))


def test_an_index_pointing_at_itself_is_refused_not_followed_forever(layout):
    # An index blob cannot name its own digest, so the loop is two indexes naming each other...
    # which needs a hash collision; a chain deeper than the limit is what an attacker can build.
    inner = layout.manifest()
    manifest_bytes = oci.canonical_json(inner)
    descriptor = {"mediaType": oci.MANIFEST, "digest": layout.blob(manifest_bytes), "size": len(manifest_bytes),
                  "platform": {"os": "linux", "architecture": "amd64"}}
    for _ in range(MAX_DEPTH + 1):
        index = oci.canonical_json({"schemaVersion": 2, "mediaType": oci.INDEX, "manifests": [descriptor]})
        descriptor = {"mediaType": oci.INDEX, "digest": layout.blob(index), "size": len(index),
                      "platform": {"os": "linux", "architecture": "amd64"}}
    _refused(layout.write(index={"schemaVersion": 2, "manifests": [descriptor]}), contains="nest")


def test_an_index_blob_named_by_a_digest_it_does_not_have_is_refused(layout):
    # The self-loop as it can be written: an index whose blob file is stored under a digest that
    # names itself. Its content does not match that digest, so it is never followed.
    name = "sha256:" + "ab" * 32
    entry = {"mediaType": oci.INDEX, "digest": name, "size": 10, "platform": {"os": "linux", "architecture": "amd64"}}
    body = oci.canonical_json({"schemaVersion": 2, "manifests": [entry]})
    path = layout.root / "blobs" / "sha256" / name.removeprefix("sha256:")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    _refused(layout.write(index={"schemaVersion": 2, "manifests": [{**entry, "size": len(body)}]}),
             contains="does not match")


def test_a_huge_sparse_index_json_is_not_read_whole(layout):
    layout.write()
    with open(layout.root / "index.json", "r+b") as f:
        f.truncate(2 << 30)  # 2 GiB, sparse
    _refused(f"oci:{layout.root}", contains="too large")


def test_tampered_config_and_layers_are_not_shown_as_fact(layout):
    spec = layout.write()
    config_digest = json.loads(layout.config and oci.canonical_json(layout.manifest()))["config"]["digest"]
    path = layout.root / "blobs" / "sha256" / config_digest.removeprefix("sha256:")
    good = path.read_bytes()
    path.write_bytes(good.replace(b"/bin/app", b"/bin/evl"))  # same size
    _refused(spec, contains="config does not match")
    path.write_bytes(good)
    layer = layout.root / "blobs" / "sha256" / layout.manifest()["layers"][1]["digest"].removeprefix("sha256:")
    data = layer.read_bytes()
    layer.write_bytes(data[:-8] + bytes(8))
    _refused(spec, contains="does not match")
    layer.write_bytes(data[:50])
    _refused(spec, contains="does not match")


def test_a_run_image_with_fewer_diff_ids_than_layers_is_refused_before_anything_is_written(layout, tmp_path):
    spec = _spoil_config(layout, CONFIG_SHAPES["fewer-diff-ids"])
    cache = Cache(tmp_path / "cache")
    with pytest.raises(PackItError) as err:
        resolve(spec, cache, 315532801)
    assert err.value.exit_code == INVALID_IMAGE and "1 diff_ids for 2 layers" in err.value.message
    assert list((tmp_path / "cache" / "blobs" / "sha256").iterdir()) == []


def _tarball(layout, tmp_path, docker=False) -> bytes:
    layout.write()
    buffer = io.BytesIO()
    manifest = layout.manifest()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for dirpath, _, names in os.walk(layout.root):
            for name in sorted(names):
                full = os.path.join(dirpath, name)
                tar.add(full, os.path.relpath(full, layout.root))
        if docker:
            entry = [{"Config": "blobs/sha256/" + manifest["config"]["digest"].removeprefix("sha256:"),
                      "RepoTags": ["x:latest"],
                      "Layers": ["blobs/sha256/" + l["digest"].removeprefix("sha256:") for l in manifest["layers"]]}]
            data = json.dumps(entry).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_docker_save_archive_is_read_and_its_digests_checked(layout, tmp_path):
    data = _tarball(layout, tmp_path, docker=True)
    path = tmp_path / "docker.tar"
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(path, "w") as out:
        for member in src.getmembers():
            if member.name != "index.json":  # docker save before Docker 25: no OCI index
                out.addfile(member, src.extractfile(member))
    cache = Cache(tmp_path / "cache")
    run = resolve(f"tar:{path}", cache, 315532801)
    assert run.image.diff_ids == [b.diff_id for _, b in layout.layers]
    for descriptor in [run.image.config_descriptor, *run.image.layers]:
        assert cache.verify_blob(descriptor.digest, descriptor.size)
    with open_image(f"tar:{path}") as source:
        assert [d.digest for d in source.image.layers] == [_digest(d) for d, _ in layout.layers]


@pytest.mark.parametrize("member", ["index.json", "manifest", "config", "layer0", "layer1", "header"])
def test_a_truncated_image_tarball_is_one_sentence(layout, tmp_path, member):
    data = _tarball(layout, tmp_path)
    manifest = layout.manifest()
    names = {"index.json": "index.json", "config": manifest["config"]["digest"],
             "layer0": manifest["layers"][0]["digest"], "layer1": manifest["layers"][1]["digest"],
             "manifest": json.loads((layout.root / "index.json").read_text())["manifests"][0]["digest"]}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name.removeprefix("blobs/sha256/"): m for m in tar.getmembers()}
    if member == "header":
        cut = members["index.json"].offset + 100  # inside a header block
    else:
        found = members[names[member].removeprefix("sha256:")]
        cut = found.offset_data + found.size // 2
    path = tmp_path / "cut.tar"
    path.write_bytes(data[:cut])
    with pytest.raises(PackItError) as err:
        describe(f"tar:{path}")
    assert err.value.exit_code == INVALID_IMAGE and "cut.tar" in err.value.message
    with pytest.raises(PackItError) as err:
        resolve(f"tar:{path}", Cache(tmp_path / "cache"), 315532801)
    assert err.value.exit_code == INVALID_IMAGE and "cut.tar" in err.value.message


def test_oversized_json_inside_a_tarball_is_refused(layout, tmp_path):
    data = _tarball(layout, tmp_path)
    path = tmp_path / "big.tar"
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(path, "w") as out:
        for member in src.getmembers():
            if member.name == "index.json":
                big = b" " * (MAX_JSON + 10) + b"{}"
                member.size = len(big)
                out.addfile(member, io.BytesIO(big))
            else:
                out.addfile(member, src.extractfile(member))
    _refused(f"tar:{path}", contains="too large")
