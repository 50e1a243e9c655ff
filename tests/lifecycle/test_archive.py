import gzip
import io
import os
import tarfile

from pack_it.lifecycle.archive import (DEFAULT_EPOCH, dir_entry, file_entry, source_date_epoch,
                                       tree_entries, uncompressed_size, write_layer, write_tar)


def _members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmembers()


def _tree(root):
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "tool").write_text("#!/bin/true\n")
    (root / "bin" / "tool").chmod(0o700)
    (root / "data.txt").write_text("hello")
    (root / "data.txt").chmod(0o600)
    os.symlink("bin/tool", root / "link")
    return root


def test_entries_are_sorted_with_explicit_parents_fixed_time_and_owners(tmp_path):
    out = io.BytesIO()
    write_tar([file_entry("b/c/file", b"x"), file_entry("a", b"y")], out, 1234)
    members = _members(out.getvalue())
    assert [m.name for m in members] == ["a", "b", "b/c", "b/c/file"]
    assert {m.mtime for m in members} == {1234}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert all(not m.pax_headers for m in members)  # no PAX time records


def test_modes_are_normalised(tmp_path):
    out = io.BytesIO()
    write_tar(tree_entries(_tree(tmp_path / "src"), "layers/x/y"), out, DEFAULT_EPOCH)
    by_name = {m.name: m for m in _members(out.getvalue())}
    assert by_name["layers/x/y/bin/tool"].mode == 0o755
    assert by_name["layers/x/y/data.txt"].mode == 0o644
    assert by_name["layers/x/y/bin"].mode == 0o755
    assert by_name["layers/x/y/link"].issym() and by_name["layers/x/y/link"].linkname == "bin/tool"
    assert by_name["layers"].isdir()


def test_special_modes_and_owners_are_kept_when_given():
    out = io.BytesIO()
    write_tar([dir_entry("tmp", mode=0o1777), dir_entry("home/nonroot", 0o700, 65532, 65532)], out, 1)
    by_name = {m.name: m for m in _members(out.getvalue())}
    assert by_name["tmp"].mode == 0o1777
    assert (by_name["home/nonroot"].uid, by_name["home/nonroot"].mode) == (65532, 0o700)
    assert by_name["home"].uid == 0


def test_same_tree_gives_same_layer_whatever_the_timestamps(tmp_path):
    first = _tree(tmp_path / "one")
    second = _tree(tmp_path / "two")
    os.utime(second / "data.txt", (1, 1))
    blobs = []
    for root in (first, second):
        out = io.BytesIO()
        blobs.append((write_layer(tree_entries(root, "app"), out, DEFAULT_EPOCH), out.getvalue()))
    assert blobs[0][0] == blobs[1][0]
    assert blobs[0][1] == blobs[1][1]


def test_gzip_header_has_no_time_or_name_and_sizes_are_right(tmp_path):
    out = io.BytesIO()
    blob = write_layer([file_entry("f", b"x" * 1000)], out, DEFAULT_EPOCH)
    data = out.getvalue()
    assert data[4:8] == b"\0\0\0\0"  # MTIME
    assert data[3] & 0x08 == 0  # no FNAME flag
    assert blob.size == len(data)
    assert blob.uncompressed_size == len(gzip.decompress(data))
    assert uncompressed_size(io.BytesIO(data), "application/vnd.oci.image.layer.v1.tar+gzip") == blob.uncompressed_size


def test_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert source_date_epoch() == DEFAULT_EPOCH
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch() == 1700000000
