"""Publishers: output-directory errors, interrupted writes resumed, damaged outputs rewritten."""

import hashlib
import io
import json
import os
import tarfile
import time

import pytest

from pack_it.errors import EXPORT_FAILED, PackItError
from pack_it.lifecycle.archive import file_entry, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import LAYER_GZIP, Descriptor, Image
from pack_it.lifecycle.publish import publisher_for
from pack_it.lifecycle.publish.layout import image_blobs


@pytest.fixture
def image(tmp_path):
    cache = Cache(tmp_path / "cache")
    with cache.new_blob() as (f, holder):
        blob = write_layer([file_entry("app/x", b"hello" * 1000)], f, 315532801)
        holder.append(blob.digest)
    config = {"architecture": "amd64", "os": "linux", "config": {"User": "65532:65532"},
              "rootfs": {"type": "layers", "diff_ids": [blob.diff_id]}}
    img = Image.assemble(config, [Descriptor(LAYER_GZIP, blob.digest, blob.size)])
    cache.put_bytes(img.config)
    cache.put_bytes(img.manifest)
    return img, cache


def _blob_files(root):
    return sorted(os.listdir(root / "blobs" / "sha256"))


def test_an_interrupted_first_layout_write_is_resumed(tmp_path, image):
    img, cache = image
    out = tmp_path / "layout"
    # What a pack-it killed during its first write to oci:DIR leaves: some blobs, partial files, no index.json.
    (out / "blobs" / "sha256").mkdir(parents=True)
    first = img.layers[0].digest.removeprefix("sha256:")
    (out / "blobs" / "sha256" / first).write_bytes(cache.blob_path(img.layers[0].digest).read_bytes())
    (out / "blobs" / "sha256" / ".partial-abc").write_bytes(b"half")
    (out / ".partial-def").write_bytes(b"half")
    assert publisher_for(f"oci:{out}").publish(img, cache, "app:latest") == f"oci:{out}"
    index = json.loads((out / "index.json").read_text())
    assert [m["digest"] for m in index["manifests"]] == [img.digest]
    assert _blob_files(out) == sorted(d.removeprefix("sha256:") for d in image_blobs(img))
    assert sorted(os.listdir(out)) == ["blobs", "index.json", "oci-layout"]


@pytest.mark.parametrize("content", ["notes.txt", "blobs-file"])
def test_a_directory_that_is_not_a_layout_is_refused(tmp_path, image, content):
    img, cache = image
    out = tmp_path / "dir"
    out.mkdir()
    if content == "blobs-file":
        (out / "blobs").write_text("a file, not a directory")
    else:
        (out / content).write_text("mine")
    with pytest.raises(PackItError) as err:
        publisher_for(f"oci:{out}").publish(img, cache, "app:latest")
    assert err.value.exit_code == EXPORT_FAILED and str(out) in err.value.message
    assert "not an OCI image layout" in err.value.message


@pytest.mark.parametrize("index", [b"", b"[]", b'{"manifests": 3}', b'{"manifests": ["x"]}', b"[" * 100_000])
def test_a_layout_with_a_broken_index_is_one_sentence(tmp_path, image, index):
    img, cache = image
    out = tmp_path / "layout"
    out.mkdir()
    (out / "index.json").write_bytes(index)
    with pytest.raises(PackItError) as err:
        publisher_for(f"oci:{out}").publish(img, cache, "app:latest")
    assert err.value.exit_code == EXPORT_FAILED and "index.json" in err.value.message
    assert (out / "index.json").read_bytes() == index  # left as it was


@pytest.mark.parametrize("kind", ["oci", "tar"])
def test_an_output_path_under_a_file_is_one_sentence(tmp_path, image, kind):
    img, cache = image
    (tmp_path / "blocker").write_text("")
    target = tmp_path / "blocker" / ("out" if kind == "oci" else "out.tar")
    with pytest.raises(PackItError) as err:
        publisher_for(f"{kind}:{target}").publish(img, cache, "app:latest")
    assert err.value.exit_code == EXPORT_FAILED and str(target) in err.value.message


def test_an_unwritable_output_directory_is_one_sentence(tmp_path, image):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    img, cache = image
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    with pytest.raises(PackItError) as err:
        publisher_for(f"tar:{ro / 'x.tar'}").publish(img, cache, "app:latest")
    assert err.value.exit_code == EXPORT_FAILED


def test_a_damaged_blob_in_the_layout_is_replaced(tmp_path, image):
    img, cache = image
    out = tmp_path / "layout"
    publisher_for(f"oci:{out}").publish(img, cache, "app:latest")
    layer = out / "blobs" / "sha256" / img.layers[0].digest.removeprefix("sha256:")
    layer.write_bytes(b"")
    publisher_for(f"oci:{out}").publish(img, cache, "app:latest")
    assert "sha256:" + hashlib.sha256(layer.read_bytes()).hexdigest() == img.layers[0].digest


def test_a_damaged_cache_blob_is_not_published(tmp_path, image):
    img, cache = image
    path = cache.blob_path(img.layers[0].digest)
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    with pytest.raises(PackItError) as err:
        publisher_for(f"oci:{tmp_path / 'layout'}").publish(img, cache, "app:latest")
    assert err.value.exit_code == EXPORT_FAILED and "does not match its digest" in err.value.message
    assert not path.exists()  # deleted: the next build rebuilds it
    assert not (tmp_path / "layout" / "index.json").exists()


@pytest.mark.parametrize("damage", ["layer", "truncate"])
def test_a_damaged_tarball_is_rewritten_not_kept_as_done(tmp_path, image, damage):
    img, cache = image
    out = tmp_path / "app.tar"
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")
    good = out.read_bytes()
    data = bytearray(good)
    if damage == "layer":
        with tarfile.open(out) as tar:
            member = tar.getmember("blobs/sha256/" + img.layers[0].digest.removeprefix("sha256:"))
        data[member.offset_data + 10] ^= 0xFF  # same names, same index: one byte of a layer
    else:
        data = data[:len(data) // 2]
    out.write_bytes(bytes(data))
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")
    assert out.read_bytes() == good


def test_dead_partials_beside_a_tarball_are_removed(tmp_path, image):
    img, cache = image
    (tmp_path / ".partial-dead").write_bytes(b"x" * 100)
    publisher_for(f"tar:{tmp_path / 'app.tar'}").publish(img, cache, "app:latest")
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith(".partial-")) == []


def test_a_recorded_tarball_is_not_hashed_again_until_it_changes(tmp_path, image, monkeypatch):
    """A no-op rebuild trusts the record of a tarball it checked (its file identity), and a
    write to the file after that record makes it check, and rewrite, the file whole."""
    from pack_it.lifecycle.publish import tarball

    img, cache = image
    out = tmp_path / "app.tar"
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")
    good = out.read_bytes()
    monkeypatch.setattr(tarball, "RACY_NS", 0)  # the file is seconds old, as it is at a rebuild
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")  # checked whole, recorded
    real_intact = tarball._intact
    monkeypatch.setattr(tarball, "_intact", lambda *a: (_ for _ in ()).throw(AssertionError("hashed again")))
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")  # the record: no hashing
    monkeypatch.setattr(tarball, "_intact", real_intact)
    time.sleep(0.05)  # a later clock tick than the record's times
    data = bytearray(good)
    with tarfile.open(out) as tar:
        member = tar.getmember("blobs/sha256/" + img.layers[0].digest.removeprefix("sha256:"))
    data[member.offset_data + 10] ^= 0xFF  # same size, same names: only the times tell
    with open(out, "r+b") as f:  # the same inode
        f.write(bytes(data))
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")
    assert out.read_bytes() == good


def test_a_just_written_tarball_is_not_recorded(tmp_path, image):
    img, cache = image
    out = tmp_path / "app.tar"
    publisher_for(f"tar:{out}").publish(img, cache, "app:latest")
    assert not (cache.root / "outputs").exists() or not any((cache.root / "outputs").iterdir())
