"""Stack images built from the shipped locks and the real Debian archive (deb.debian.org).

Downloaded .debs and built layers live in one cache for the session (kept across runs only
where PACK_IT_TEST_CACHE names one), so a session downloads once (~40 MB); the tests that
must prove something from scratch build a second time in a fresh temporary cache."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import ssl
import tarfile
from pathlib import Path

import pytest
from debian import arfile, deb822

from pack_it.errors import PackItError
from pack_it.lifecycle.archive import DEFAULT_EPOCH
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.pipeline import image_sizes
from pack_it.lifecycle.stacks import assemble, lockfile
from pack_it.lifecycle.stacks.deb import read_deb
from pack_it.lifecycle.stacks.definitions import chain, releases

from .helpers import cache_contents, layer_file, layer_files, layer_members, leftovers

pytestmark = pytest.mark.network  # the package registries (see tests/conftest.py)

EPOCH = DEFAULT_EPOCH
BUILDS = [("static", "debian12"), ("cc", "debian12"), ("python", "debian12"), ("static", "debian13"),
          ("python", "debian13")]
MB = 1000 * 1000


@pytest.fixture(scope="module")
def cache(stack_cache_dir) -> Cache:
    return Cache(stack_cache_dir)


@pytest.fixture(scope="module")
def built(cache):
    """reference -> (image, [(level, layer blob path)]) for each of BUILDS."""
    out = {}
    for name, release in BUILDS:
        reference, image = assemble.build_stack(name, release, cache, EPOCH)
        levels = chain(name, release)
        assert len(image.layers) == len(levels)
        out[reference] = (image, [(lvl, cache.blob_path(d.digest)) for lvl, d in zip(levels, image.layers)])
    return out


def deb_path(cache: Cache, package) -> Path:
    return cache.blob_path("sha256:" + package.sha256)


def deb_control_members(deb: Path) -> dict[str, bytes]:
    """control.tar's files, read here without pack-it's reader."""
    ar = arfile.ArFile(str(deb))
    name = next(n for n in ar.getnames() if n.startswith("control.tar"))
    with tarfile.open(fileobj=io.BytesIO(ar.getmember(name).read())) as tar:
        return {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar if m.isreg()}


# The images -------------------------------------------------------------------------------

def test_image_configs(built):
    python, _ = built["python-debian12"]
    config = python.config_json
    assert config["config"]["User"] == "65532:65532"
    env = dict(e.split("=", 1) for e in config["config"]["Env"])
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"  # from static
    assert env["LANG"] == "C.UTF-8" and env["PYTHONDONTWRITEBYTECODE"] == "1"  # from python
    assert env["PATH"].startswith("/usr/local/sbin:/usr/local/bin:")
    assert config["config"]["Labels"]["io.pack-it.stack"] == "python-debian12"
    assert config["created"] == "1980-01-01T00:00:01Z"
    assert [h["created_by"] for h in config["history"]] == [
        "pack-it stack static-debian12", "pack-it stack cc-debian12", "pack-it stack python-debian12"]
    assert (config["architecture"], config["os"]) == ("amd64", "linux")


def test_levels_share_layers(built):
    static = [d.digest for d in built["static-debian12"][0].layers]
    cc = [d.digest for d in built["cc-debian12"][0].layers]
    python = [d.digest for d in built["python-debian12"][0].layers]
    assert len(static) == 1 and cc[:1] == static and python[:2] == cc and len(set(python)) == 3
    assert built["static-debian13"][0].layers[0].digest not in python


def test_layer_blobs_match_their_digests_and_diff_ids(built, cache):
    image, levels = built["python-debian12"]
    for descriptor, diff_id, (_, blob) in zip(image.layers, image.diff_ids, levels):
        data = blob.read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == descriptor.digest
        assert len(data) == descriptor.size
        tar = gzip.decompress(data)
        assert "sha256:" + hashlib.sha256(tar).hexdigest() == diff_id
        assert int.from_bytes(data[-4:], "little") == len(tar)
    assert cache.has_blob(image.digest) and cache.has_blob(image.config_descriptor.digest)


@pytest.mark.parametrize("name", ["static", "python"])
def test_rebuilt_in_a_fresh_cache_gives_the_same_digests(built, tmp_path, name):
    image, _ = built[f"{name}-debian12"]
    fresh = Cache(tmp_path / "fresh")
    reference, again = assemble.build_stack(name, "debian12", fresh, EPOCH)
    assert reference == f"{name}-debian12"
    assert [d.digest for d in again.layers] == [d.digest for d in image.layers], \
        "the persistent cache holds other layers than a fresh build makes: was STACK_LAYER_FORMAT bumped?"
    assert again.diff_ids == image.diff_ids
    assert again.digest == image.digest
    assert leftovers(fresh.root) == [] and cache_contents(fresh.root)["tmp"] == []


@pytest.mark.parametrize("reference, limit", [("static-debian12", 3 * MB), ("static-debian13", 3 * MB),
                                              ("python-debian12", 50 * MB), ("python-debian13", 50 * MB)])
def test_sizes_are_within_budget(built, cache, reference, limit):
    image, _ = built[reference]
    compressed, uncompressed = image_sizes(image, cache)
    assert 0 < compressed < uncompressed <= limit


# Contents ---------------------------------------------------------------------------------

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----\n?", re.S)


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_ca_bundle_holds_every_certificate_of_the_locked_package(built, cache, release):
    _, levels = built[f"static-{release}"]
    bundle = layer_file(levels[0][1], "etc/ssl/certs/ca-certificates.crt").decode("ascii")
    blocks = PEM.findall(bundle)
    assert "".join(blocks) == bundle  # nothing but certificates
    ders = [ssl.PEM_cert_to_DER_cert(b) for b in blocks]
    assert all(d[0] == 0x30 for d in ders)  # DER SEQUENCE
    assert len(set(ders)) == len(ders)

    ca = next(p for p in lockfile.read("static", release) if p.name == "ca-certificates")
    crts = [e for e in read_deb(deb_path(cache, ca)).entries
            if e.path.startswith("usr/share/ca-certificates/") and e.path.endswith(".crt")]
    assert len(crts) > 100
    assert len(ders) == len(crts)


@pytest.mark.parametrize("reference", ["python-debian12", "python-debian13"])
def test_dpkg_status_lists_exactly_each_levels_locked_packages(built, cache, reference):
    _, levels = built[reference]
    for level, blob in levels:
        packages = lockfile.read(level.name, level.release.id)
        assert packages, level.reference
        members = layer_members(blob)
        assert all(m.isfile() for p, m in members.items() if p.startswith("var/lib/dpkg/status.d/"))
        status = {p.removeprefix("var/lib/dpkg/status.d/"): data
                  for p, data in layer_files(blob, "var/lib/dpkg/status.d/").items()}
        controls = {n for n in status if not n.endswith(".md5sums")}
        assert controls == {p.name for p in packages}, level.reference
        expected_sums = set()
        for p in packages:
            from_deb = deb_control_members(deb_path(cache, p))
            text = status[p.name]
            assert text == from_deb["control"]
            para = deb822.Deb822(text.decode())
            assert (para["Package"], para["Version"]) == (p.name, p.version)
            assert para["Architecture"] == p.arch
            if from_deb.get("md5sums"):
                expected_sums.add(f"{p.name}.md5sums")
                assert status[f"{p.name}.md5sums"] == from_deb["md5sums"]
        assert {n for n in status if n.endswith(".md5sums")} == expected_sums
        assert expected_sums  # most Debian packages have md5sums


TRIMMED = re.compile(r"^usr/share/doc/[^/]+/changelog|^usr/share/man(/|$)|^usr/lib/x86_64-linux-gnu/gconv/.*\.so$")


@pytest.mark.parametrize("reference", ["python-debian12", "python-debian13"])
def test_trimmed_paths_are_absent_and_copyrights_present(built, cache, reference):
    _, levels = built[reference]
    in_debs: set[str] = set()
    seen: dict[str, tarfile.TarInfo] = {}
    for level, blob in levels:
        members = layer_members(blob)
        seen.update(members)
        for p in lockfile.read(level.name, level.release.id):
            in_debs.update(e.path for e in read_deb(deb_path(cache, p)).entries if TRIMMED.match(e.path))
        assert [p for p in members if TRIMMED.match(p)] == [], level.reference
        assert not any(p.startswith(("usr/share/locale/", "usr/share/zoneinfo/right/")) for p in members)
        for p in lockfile.read(level.name, level.release.id):
            doc = f"usr/share/doc/{p.name}"
            if doc in members and members[doc].issym():  # shares another package's doc directory
                doc = f"usr/share/doc/{members[doc].linkname}"
            assert f"{doc}/copyright" in seen and seen[f"{doc}/copyright"].isfile(), (level.reference, p.name)
    # The trim did something: the packages do ship all three kinds.
    assert any(p.startswith("usr/share/man/") for p in in_debs)
    assert any("/changelog" in p for p in in_debs)
    assert any(p.endswith(".so") and "/gconv/" in p for p in in_debs)
    assert "usr/share/zoneinfo/Europe/Paris" in seen  # tzdata is kept, only right/ goes


def test_python_links_and_interpreter(built):
    _, levels = built["python-debian12"]
    members = layer_members(levels[2][1])
    for link in ("usr/bin/python3", "usr/bin/python"):
        assert members[link].issym() and members[link].linkname == "python3.11"
    assert members["usr/bin/python3.11"].isfile() and members["usr/bin/python3.11"].mode == 0o755
    cc = layer_members(levels[1][1])
    assert cc["lib64/ld-linux-x86-64.so.2"].issym()


MERGED = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}


def test_debian13_static_layer_has_the_merged_usr_links(built):
    _, levels = built["static-debian13"]
    members = layer_members(levels[0][1])
    assert {k: (members[k].issym(), members[k].linkname) for k in MERGED} == {k: (True, v) for k, v in MERGED.items()}


def test_debian13_upper_layers_write_nothing_under_the_merged_usr_aliases(built):
    """A real directory bin/ or lib/ in a later layer would replace the static layer's link."""
    _, levels = built["python-debian13"]
    for level, blob in levels[1:]:
        clash = [p for p in layer_members(blob) if p.split("/")[0] in MERGED]
        assert clash == [], level.reference


def test_debian12_adds_no_merged_usr_links(built):
    _, levels = built["static-debian12"]
    members = layer_members(levels[0][1])
    assert not releases()["debian12"].merged_usr
    assert [k for k in MERGED if k in members and members[k].issym()] == []
    assert members["bin"].isdir() and members["lib"].isdir()  # base-files' own directories


def test_generated_files(built):
    _, levels = built["static-debian12"]
    blob = levels[0][1]
    members = layer_members(blob)
    assert b"nonroot:x:65532:65532:" in layer_file(blob, "etc/passwd")
    assert (members["home/nonroot"].uid, members["home/nonroot"].mode) == (65532, 0o700)
    assert members["tmp"].mode == 0o1777
    assert b"Debian GNU/Linux 12" in layer_file(blob, "usr/lib/os-release")  # base-files names the image
    assert {m.mtime for m in members.values()} == {EPOCH}


# A tampered lock --------------------------------------------------------------------------

def test_tampered_lock_sha256_fails_and_writes_nothing_half_done(tmp_path, monkeypatch):
    locks = tmp_path / "locks"
    shutil.copytree(lockfile.SHIPPED, locks)
    path = locks / "static-debian12-amd64.json"
    data = json.loads(path.read_text())
    victim = next(p for p in data["packages"] if p["name"] == "netbase")
    genuine = victim["sha256"]
    victim["sha256"] = hashlib.sha256(b"something else").hexdigest()
    path.write_text(json.dumps(data))
    monkeypatch.setenv("PACK_IT_LOCK_DIR", str(locks))

    fresh = Cache(tmp_path / "fresh")
    with pytest.raises(PackItError) as e:
        assemble.build_stack("static", "debian12", fresh, EPOCH)
    assert "netbase" in e.value.message and "SHA256" in e.value.message
    assert victim["sha256"] in e.value.message and genuine in e.value.message

    held = cache_contents(fresh.root)
    # At most the other packages' verified .debs: no stack layer, no config, no manifest.
    others = {p["sha256"] for p in data["packages"]} - {victim["sha256"]}
    assert set(held["blobs"]) <= others
    assert victim["sha256"] not in held["blobs"] and genuine not in held["blobs"]
    assert held["layers"] == [] and held["tmp"] == []
    assert leftovers(fresh.root) == []
