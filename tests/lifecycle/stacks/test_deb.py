"""Reading .debs without dpkg: small real .deb files built here (ar archive with
debian-binary, control.tar.*, data.tar.*), their contents as layer entries, and the refusal
of members that would write outside the image root or create device nodes, before
anything reaches the cache."""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
from pathlib import Path

import pytest

from pack_it.errors import INVALID_IMAGE, PackItError
from pack_it.lifecycle.archive import DEFAULT_EPOCH
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import definitions
from pack_it.lifecycle.stacks.assemble import level_entries, level_layer
from pack_it.lifecycle.stacks.deb import read_deb
from pack_it.lifecycle.stacks.debian import Package

from .helpers import CONTROL, M, ar_archive, cache_contents, layer_file, layer_members, leftovers, make_deb, tar_bytes

GOOD = [
    M("./", "dir", mode=0o755),
    M("./usr/", "dir", mode=0o755),
    M("./usr/bin/", "dir", mode=0o755),
    M("./usr/bin/hello", data=b"\x7fELF hello", mode=0o755),
    M("./usr/bin/su-hello", data=b"\x7fELF setuid", mode=0o4755),
    M("./usr/bin/hello-again", "hardlink", mode=0o755, target="./usr/bin/hello"),
    M("./usr/bin/hi", "symlink", mode=0o777, target="hello"),
    M("./usr/share/doc/hello/", "dir", mode=0o755),
    M("./usr/share/doc/hello/copyright", data=b"MIT\n"),
    M("./usr/share/doc/hello/changelog.Debian.gz", data=b"changes"),
    M("./usr/share/man/man1/hello.1.gz", data=b"manpage"),
    M("./var/lib/hello/", "dir", mode=0o2750, uid=0, gid=50),
    M("./var/lib/hello/state", data=b"state", mode=0o640, uid=1000, gid=50),
    M("./usr/lib/x86_64-linux-gnu/libhello.so.1", "symlink", target="../../../usr/lib/libhello.so.1.0"),
    M("./usr/lib/libhello.so.1.0", data=b"lib"),
    M("./etc/alternatives/hello", "symlink", target="/usr/bin/hello"),  # absolute: inside the image's root
]


def by_path(entries):
    return {e.path: e for e in entries}


# read_deb ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data_compression, control_compression", [("xz", "gz"), ("zst", "xz"), ("gz", ""), ("", "zst")])
def test_read_deb_returns_control_md5sums_and_entries(tmp_path, data_compression, control_compression):
    deb = make_deb(tmp_path / "hello_1.2-3_amd64.deb", GOOD, data_compression=data_compression,
                   control_compression=control_compression)
    contents = read_deb(deb)
    assert contents.control == CONTROL
    assert f"{hashlib.md5(b'MIT' + bytes([10])).hexdigest()}  usr/share/doc/hello/copyright\n" in contents.md5sums
    assert len(contents.md5sums.splitlines()) == 7  # the regular files, not links or dirs

    entries = by_path(contents.entries)
    assert "" not in entries and "." not in entries  # the root entry is dropped
    assert all(not p.startswith(("./", "/")) for p in entries)
    assert len(contents.entries) == len(GOOD) - 1

    hello = entries["usr/bin/hello"]
    assert (hello.kind, hello.mode, hello.data, hello.uid, hello.gid) == ("file", 0o755, b"\x7fELF hello", 0, 0)
    assert entries["usr/bin/su-hello"].mode == 0o4755  # setuid kept
    again = entries["usr/bin/hello-again"]  # a hard link becomes a copy of its target
    assert (again.kind, again.data, again.mode) == ("file", b"\x7fELF hello", 0o755)
    assert (entries["usr/bin/hi"].kind, entries["usr/bin/hi"].target) == ("symlink", "hello")
    state = entries["var/lib/hello/state"]
    assert (state.mode, state.uid, state.gid, state.data) == (0o640, 1000, 50, b"state")
    var = entries["var/lib/hello"]
    assert (var.kind, var.mode, var.uid, var.gid) == ("dir", 0o2750, 0, 50)
    assert entries["etc/alternatives/hello"].target == "/usr/bin/hello"
    assert entries["usr/lib/x86_64-linux-gnu/libhello.so.1"].target == "../../../usr/lib/libhello.so.1.0"


def test_read_deb_without_md5sums(tmp_path):
    contents = read_deb(make_deb(tmp_path / "x.deb", [M("./etc/x", data=b"x")], md5sums=""))
    assert contents.md5sums == ""
    assert [e.path for e in contents.entries] == ["etc/x"]


def test_deb_without_control_file_is_refused(tmp_path):
    deb = tmp_path / "nocontrol.deb"
    deb.write_bytes(ar_archive([("debian-binary", b"2.0\n"), ("control.tar.gz", gzip.compress(tar_bytes([M("./x")]))),
                                ("data.tar.xz", lzma.compress(tar_bytes([M("./etc/x")])))]))
    with pytest.raises(PackItError) as e:
        read_deb(deb)
    assert e.value.exit_code == INVALID_IMAGE and "nocontrol.deb" in e.value.message


def test_deb_without_data_member_is_refused(tmp_path):
    deb = tmp_path / "nodata.deb"
    deb.write_bytes(ar_archive([("debian-binary", b"2.0\n"),
                                ("control.tar.gz", gzip.compress(tar_bytes([M("./control", data=CONTROL.encode())])))]))
    with pytest.raises(PackItError) as e:
        read_deb(deb)
    assert e.value.exit_code == INVALID_IMAGE and "data.tar" in e.value.message


EVIL = {
    "dotdot": [M("./usr/", "dir"), M("../evil", data=b"x")],
    "dotdot-inside": [M("./usr/../../evil", data=b"x")],
    "dotdot-dir": [M("./../", "dir")],
    "absolute": [M("/etc/x", data=b"x")],
    "symlink-up": [M("./a", "symlink", target="../../..")],
    "symlink-up-deep": [M("./usr/lib/a", "symlink", target="../../../etc")],
    "symlink-named-outside": [M("../a", "symlink", target="etc")],
    "hardlink-missing": [M("./usr/bin/x", "hardlink", target="./usr/bin/missing")],
    "hardlink-later": [M("./b", "hardlink", target="./a"), M("./a", data=b"a")],
    "hardlink-outside": [M("./b", "hardlink", target="../../etc/shadow")],
    "char-device": [M("./dev/null", "chr", mode=0o666)],
    "block-device": [M("./dev/sda", "blk", mode=0o660)],
    "fifo": [M("./run/fifo", "fifo")],
}


@pytest.mark.parametrize("case", sorted(EVIL))
def test_unsafe_member_is_refused(tmp_path, case):
    deb = make_deb(tmp_path / f"evil-{case}_1_amd64.deb", [M("./usr/bin/ok", data=b"ok"), *EVIL[case]])
    with pytest.raises(PackItError) as e:
        read_deb(deb)
    assert e.value.exit_code == INVALID_IMAGE == 62
    assert f"evil-{case}_1_amd64.deb" in e.value.message
    assert "refusing" in e.value.message


# The layer builder writes nothing for a refused package -----------------------------------

def _lock_dir(tmp_path: Path, packages: list[Package]) -> Path:
    """A lock directory whose static-debian12 level is `packages`."""
    locks = tmp_path / "locks"
    locks.mkdir()
    (locks / "static-debian12-amd64.json").write_text(json.dumps({
        "stack": "static", "release": "debian12", "arch": "amd64", "parent": None,
        "packages": [{k: getattr(p, k) for k in ("name", "version", "arch", "sha256", "size", "filename", "archive")}
                     for p in packages]}))
    return locks


def _cached_deb(cache: Cache, deb: Path, name: str) -> Package:
    data = deb.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    cache.blob_path("sha256:" + sha).write_bytes(data)
    return Package(name, "1.2-3", "amd64", f"pool/main/h/{name}/{deb.name}", sha, len(data), "debian")


def test_layer_from_a_good_deb_is_written_to_the_cache(tmp_path, monkeypatch):
    """The positive control for the next test: the same steps do write a blob and a record."""
    cache = Cache(tmp_path / "cache")
    package = _cached_deb(cache, make_deb(tmp_path / "hello.deb", GOOD), "hello")
    monkeypatch.setenv("PACK_IT_LOCK_DIR", str(_lock_dir(tmp_path, [package])))
    stack = definitions.load("static", "debian12")
    blob = level_layer(stack, cache, DEFAULT_EPOCH, Reporter())
    held = cache_contents(cache.root)
    assert held["blobs"] == sorted([package.sha256, blob.digest.removeprefix("sha256:")])
    assert len(held["layers"]) == 1 and held["tmp"] == []

    members = layer_members(cache.blob_path(blob.digest))
    assert members["usr/bin/hello"].mode == 0o755
    assert members["var/lib/hello/state"].uid == 1000
    assert members["usr/share/doc/hello/copyright"].isfile()
    assert "usr/share/doc/hello/changelog.Debian.gz" not in members  # trimmed
    assert not any(p.startswith("usr/share/man") for p in members)
    assert layer_file(cache.blob_path(blob.digest), "var/lib/dpkg/status.d/hello").decode() == CONTROL
    assert "usr/bin/hello" in layer_file(cache.blob_path(blob.digest), "var/lib/dpkg/status.d/hello.md5sums").decode()
    assert layer_file(cache.blob_path(blob.digest), "etc/passwd").startswith(b"root:x:0:0:")  # the bottom level's
    assert {m.mtime for m in members.values()} == {DEFAULT_EPOCH}


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink-up", "hardlink-missing", "char-device"])
def test_refused_deb_writes_nothing_to_the_cache(tmp_path, monkeypatch, case):
    cache = Cache(tmp_path / "cache")
    good = _cached_deb(cache, make_deb(tmp_path / "hello.deb", GOOD), "hello")
    evil = _cached_deb(cache, make_deb(tmp_path / f"evil-{case}.deb", [M("./usr/bin/ok", data=b"ok"), *EVIL[case]]),
                       "zz-evil")  # after the good one: entries were already collected when it is refused
    monkeypatch.setenv("PACK_IT_LOCK_DIR", str(_lock_dir(tmp_path, [good, evil])))
    stack = definitions.load("static", "debian12")
    before = cache_contents(cache.root)
    with pytest.raises(PackItError) as e:
        level_layer(stack, cache, DEFAULT_EPOCH, Reporter())
    assert e.value.exit_code == INVALID_IMAGE
    assert cache_contents(cache.root) == before == {"blobs": sorted([good.sha256, evil.sha256]), "layers": [], "tmp": []}
    assert leftovers(cache.root) == []
    with pytest.raises(PackItError):  # level_entries itself, for the record
        level_entries(stack, [good, evil], cache)


def test_level_entries_status_files_follow_the_debs(tmp_path):
    cache = Cache(tmp_path / "cache")
    with_sums = _cached_deb(cache, make_deb(tmp_path / "a.deb", [M("./etc/a", data=b"a")],
                                            control=CONTROL.replace("hello", "pkg-a")), "pkg-a")
    without = _cached_deb(cache, make_deb(tmp_path / "b.deb", [M("./etc/b", data=b"b")], md5sums="",
                                          control=CONTROL.replace("hello", "pkg-b")), "pkg-b")
    stack = definitions.load("cc", "debian12")  # a level with a parent: no generated files
    entries = by_path(level_entries(stack, [with_sums, without], cache))
    status = sorted(p for p in entries if p.startswith("var/lib/dpkg/status.d/"))
    assert status == ["var/lib/dpkg/status.d/pkg-a", "var/lib/dpkg/status.d/pkg-a.md5sums",
                      "var/lib/dpkg/status.d/pkg-b"]
    assert entries["var/lib/dpkg/status.d/pkg-a"].data.decode().startswith("Package: pkg-a\n")
    assert entries["var/lib/dpkg/status.d/pkg-a.md5sums"].data == f"{hashlib.md5(b'a').hexdigest()}  etc/a\n".encode()
    assert "etc/passwd" not in entries


def test_level_entries_concatenate_the_ca_certificates(tmp_path):
    cache = Cache(tmp_path / "cache")
    certs = [M("./usr/share/ca-certificates/mozilla/B.crt", data=b"-----B-----\n"),
             M("./usr/share/ca-certificates/mozilla/A.crt", data=b"-----A-----"),
             M("./usr/share/ca-certificates/mozilla/README", data=b"not a cert")]
    package = _cached_deb(cache, make_deb(tmp_path / "ca.deb", certs), "ca-certificates")
    entries = by_path(level_entries(definitions.load("static", "debian12"), [package], cache))
    assert entries["etc/ssl/certs/ca-certificates.crt"].data == b"-----A-----\n-----B-----\n"
    assert not any(p.startswith("usr/share/ca-certificates") for p in entries)  # trimmed once bundled
