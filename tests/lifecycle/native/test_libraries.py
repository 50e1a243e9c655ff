"""The native-libraries step end to end against a tiny signed archive on 127.0.0.1 (no
network): a program in a launch layer needs libgreet.so.1 and libcore.so.1; the run image
(the archive's cc stack) has libcore1, so libgreet1 and its dependency libdep1 are added,
with their status.d files, locked, and the same layer comes back without any index."""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
from pathlib import Path

import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle import native
from pack_it.lifecycle.archive import DEFAULT_EPOCH
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.runimage import RunImage
from pack_it.lifecycle.stacks import assemble, definitions, lockfile
from pack_it.lifecycle.stacks.debian import Package
from tests.lifecycle.stacks.helpers import M, layer_members, leftovers, make_deb
from tests.lifecycle.stacks.test_expired_locks import clearsign, paragraph, server, signing_key  # noqa: F401

from .elfs import library, program

RELEASE = "fake1"
LIB = "usr/lib/x86_64-linux-gnu"
DEFINITIONS = {
    "static": 'description = "test static"\npackages = ["base-data"]\n',
    "cc": 'description = "test cc"\nparent = "static"\npackages = ["libcore1"]\n',
    "python": 'description = "test python"\nparent = "cc"\n',
    "node": 'description = "test node"\nparent = "static"\n',
    "exclude": 'packages = ["dpkg"]\n',
}
# name -> (files it ships, Depends)
PACKAGES = {
    "base-data": ([], ""),
    "libcore1": ([f"{LIB}/libcore.so.1", "lib/x86_64-linux-gnu/libc.so.6"], ""),  # stands in for libc6 too
    "libgreet1": ([f"{LIB}/libgreet.so.1"], "libdep1 (>= 1.0), libcore1, dpkg"),
    "libdep1": ([f"{LIB}/libdep.so.1"], ""),
    "greet-tools": ([f"{LIB}/libgreet.so.1"], ""),  # the same file name in a program's package
}


def _deb(tmp: Path, name: str, files: list[str], depends: str) -> bytes:
    control = (f"Package: {name}\nVersion: 1.0\nArchitecture: amd64\nMaintainer: T <t@example.com>\n"
               + (f"Depends: {depends}\n" if depends else "") + "Description: test\n")
    data = [M("./", "dir", mode=0o755)]
    for d in sorted({str(Path(f).parent) for f in files} | {"usr", "usr/lib", "lib"}):
        data.append(M(f"./{d}/", "dir", mode=0o755))
    data += [M(f"./{f}", data=f"{name}:{f}".encode()) for f in files]
    return make_deb(tmp / f"{name}.deb", data, control=control).read_bytes()


class Archive:
    def __init__(self, tmp: Path, server, home: Path, keyring: Path) -> None:
        self.server, self.tmp = server, tmp
        paragraphs, contents, self.debs = [], [], {}
        for name, (files, depends) in PACKAGES.items():
            data = self.debs[name] = _deb(tmp, name, files, depends)
            pool = f"pool/main/{name}_1.0_amd64.deb"
            server.routes[f"/debian/{pool}"] = data
            paragraphs.append(paragraph(name, "1.0", "amd64", pool, data, depends=depends))
            contents += [f"{f}    libs/{name}" for f in files]
        self.packages_xz = lzma.compress("\n".join(paragraphs).encode())
        self.contents_gz = gzip.compress(("\n".join(sorted(contents)) + "\n").encode(), mtime=0)
        self.home = home
        self.publish()
        security = lzma.compress(b"")
        release = ("Origin: Test\nSuite: fake-security\nSHA256:\n"
                   f" {hashlib.sha256(security).hexdigest()} {len(security)} main/binary-amd64/Packages.xz\n")
        server.routes["/debian-security/dists/fake-security/InRelease"] = clearsign(home, release.encode())
        server.routes["/debian-security/dists/fake-security/main/binary-amd64/Packages.xz"] = security

    def publish(self, contents_listed: bytes | None = None) -> None:
        listed = self.contents_gz if contents_listed is None else contents_listed
        release = ("Origin: Test\nSuite: fake\nDate: Mon, 01 Dec 2026 00:00:00 UTC\nSHA256:\n"
                   f" {hashlib.sha256(self.packages_xz).hexdigest()} {len(self.packages_xz)} main/binary-amd64/Packages.xz\n"
                   f" {hashlib.sha256(listed).hexdigest()} {len(listed)} main/Contents-amd64.gz\n")
        self.server.routes["/debian/dists/fake/InRelease"] = clearsign(self.home, release.encode())
        self.server.routes["/debian/dists/fake/main/binary-amd64/Packages.xz"] = self.packages_xz
        self.server.routes["/debian/dists/fake/main/Contents-amd64.gz"] = self.contents_gz

    def sha(self, name: str) -> str:
        return hashlib.sha256(self.debs[name]).hexdigest()


@pytest.fixture
def archive(tmp_path, server, signing_key, monkeypatch) -> Archive:  # noqa: F811
    home, keyring = signing_key
    made = Archive(tmp_path, server, home, keyring)
    defs = tmp_path / "definitions"
    defs.mkdir()
    for name, text in DEFINITIONS.items():
        (defs / f"{name}.toml").write_text(text)
    (defs / "releases.toml").write_text(
        f'[{RELEASE}]\ncodename = "fake"\nmerged_usr = false\n'
        'suites = [{ archive = "debian", suite = "fake" }, { archive = "debian-security", suite = "fake-security" }]\n'
        f'keyrings = ["{keyring}"]\n')
    monkeypatch.setattr(definitions, "DEFINITIONS", defs)
    locks = tmp_path / "locks"
    locks.mkdir()
    for stack, names in {"static": ["base-data"], "cc": ["libcore1"], "python": [], "node": []}.items():
        lockfile.write(stack, RELEASE, None, [Package(n, "1.0", "amd64", f"pool/main/{n}_1.0_amd64.deb", made.sha(n),
                                                      len(made.debs[n]), "debian") for n in names], locks)
    for var, value in {"PACK_IT_DEBIAN_MIRROR": f"{server.url}/debian",
                       "PACK_IT_DEBIAN_SECURITY_MIRROR": f"{server.url}/debian-security",
                       "PACK_IT_LOCK_DIR": str(locks), "PACK_IT_CONFIG": str(tmp_path / "no-config.toml"),
                       "PACK_IT_DEBIAN_RETENTION_MIRRORS": f"{server.url}/empty"}.items():
        monkeypatch.setenv(var, value)
    return made


def run_image(cache: Cache) -> RunImage:
    reference, image = assemble.build_stack("cc", RELEASE, cache, DEFAULT_EPOCH)
    return RunImage(reference, image)


def app_layer(tmp_path: Path, with_own_greet: bool = False) -> Layer:
    """/layers/app/app: bin/prog needs libgreet.so.1 and libcore.so.1 (stub libraries made
    here only to link against; they are not in the layer unless `with_own_greet`)."""
    stubs = tmp_path / "stubs"
    greet = library(stubs, "libgreet.so.1", "libgreet.so.1")
    core = library(stubs, "libcore.so.1", "libcore.so.1")
    layer = tmp_path / "layer"
    flags = ["-Wl,-rpath,$ORIGIN/../lib"] if with_own_greet else []
    program(layer / "bin" / "prog", [greet, core], flags)
    if with_own_greet:
        (layer / "lib").mkdir()
        (layer / "lib" / "libgreet.so.1").write_bytes(greet.read_bytes())
    return Layer("app", "app", key="k1" if not with_own_greet else "k2", path=layer, launch=True)


def test_missing_libraries_are_added_with_their_dependencies_minus_the_run_image(archive, tmp_path):
    cache = Cache(tmp_path / "cache")
    result = native.libraries(run_image(cache), [app_layer(tmp_path)], cache, DEFAULT_EPOCH)
    assert [(a.package, a.soname, a.needed_by) for a in result.added] == [
        ("libdep1", None, "libgreet1 (Depends)"),
        ("libgreet1", "libgreet.so.1", "/layers/app/app/bin/prog"),
    ]
    assert {a.sha256 for a in result.added} == {archive.sha("libdep1"), archive.sha("libgreet1")}
    assert result.layer is not None and result.layer.blob is not None and not result.layer.reused
    members = layer_members(cache.blob_path(result.layer.blob.digest))
    assert f"{LIB}/libgreet.so.1" in members and f"{LIB}/libdep.so.1" in members
    assert "var/lib/dpkg/status.d/libgreet1" in members and "var/lib/dpkg/status.d/libgreet1.md5sums" in members
    assert f"{LIB}/libcore.so.1" not in members  # the run image has it
    assert not any("greet-tools" in m for m in members)
    assert leftovers(cache.root) == []


def test_a_rebuild_reads_no_index_and_gives_the_same_layer(archive, tmp_path, monkeypatch):
    from pack_it.lifecycle.native import archive as indices

    cache = Cache(tmp_path / "cache")
    run = run_image(cache)
    first = native.libraries(run, [app_layer(tmp_path)], cache, DEFAULT_EPOCH)
    archive.server.requests.clear()
    archive.server.routes.clear()  # the archive is gone: nothing may be asked
    for name in ("snapshot", "soname_index", "package_index"):  # nor any index read again
        monkeypatch.setattr(indices, name, lambda *a: pytest.fail(f"the rebuild read the index ({a})"))
    again = native.libraries(run, [app_layer(tmp_path)], cache, DEFAULT_EPOCH)
    assert archive.server.requests == []
    assert again.layer is not None and first.layer is not None
    assert again.layer.blob == first.layer.blob and again.layer.reused and again.added == first.added


def test_the_same_sonames_on_another_cache_give_the_same_digest(archive, tmp_path):
    one = native.libraries(run_image(Cache(tmp_path / "a")), [app_layer(tmp_path)], Cache(tmp_path / "a"), DEFAULT_EPOCH)
    two = native.libraries(run_image(Cache(tmp_path / "b")), [app_layer(tmp_path)], Cache(tmp_path / "b"), DEFAULT_EPOCH)
    assert one.layer is not None and two.layer is not None and one.layer.blob == two.layer.blob


def test_a_library_the_app_ships_itself_adds_nothing_and_reads_no_index(archive, tmp_path):
    cache = Cache(tmp_path / "cache")
    run = run_image(cache)
    archive.server.requests.clear()
    result = native.libraries(run, [app_layer(tmp_path, with_own_greet=True)], cache, DEFAULT_EPOCH)
    assert result.layer is None and result.added == ()
    assert not any("InRelease" in r or "Contents" in r for r in archive.server.requests)


def test_a_contents_index_not_matching_inrelease_is_refused_and_nothing_is_kept(archive, tmp_path):
    cache = Cache(tmp_path / "cache")
    run = run_image(cache)
    archive.publish(contents_listed=gzip.compress(b"something else\n", mtime=0))
    with pytest.raises(PackItError) as e:
        native.libraries(run, [app_layer(tmp_path)], cache, DEFAULT_EPOCH)
    assert "SHA256" in e.value.message and e.value.exit_code == 61
    assert not (cache.root / "native" / f"snapshot-{RELEASE}-amd64.json").exists()
    assert not list((cache.root / "native").glob("resolutions/*"))
    assert leftovers(cache.root) == []


def test_an_unsigned_index_is_refused(archive, tmp_path):
    cache = Cache(tmp_path / "cache")
    run = run_image(cache)
    archive.server.routes["/debian/dists/fake/InRelease"] = b"Origin: Test\nSHA256:\n"
    with pytest.raises(PackItError) as e:
        native.libraries(run, [app_layer(tmp_path)], cache, DEFAULT_EPOCH)
    assert "signature" in e.value.message


def test_a_soname_no_package_ships_is_a_warning_not_a_layer(archive, tmp_path):
    cache = Cache(tmp_path / "cache")
    stubs = tmp_path / "stubs"
    unknown = library(stubs, "libnowhere.so.3", "libnowhere.so.3")
    layer = tmp_path / "layer"
    program(layer / "bin" / "prog", [unknown])

    class Warnings(native.Reporter):
        said: list[str] = []

        def warn(self, message: str) -> None:
            self.said.append(message)

    reporter = Warnings()
    result = native.libraries(run_image(cache), [Layer("app", "app", "k3", path=layer, launch=True)], cache,
                              DEFAULT_EPOCH, reporter)
    assert result.layer is None and result.unresolved == {"libnowhere.so.3": ["/layers/app/app/bin/prog"]}
    assert any("/layers/app/app/bin/prog needs libnowhere.so.3" in w for w in reporter.said)


def test_a_reused_layer_is_scanned_from_its_blob_when_no_scan_was_recorded(archive, tmp_path):
    from pack_it.lifecycle.export import compress_layer

    cache = Cache(tmp_path / "cache")
    built = compress_layer(app_layer(tmp_path), cache, DEFAULT_EPOCH)
    reused = Layer("app", "app", key="other", launch=True, blob=built.blob, reused=True)
    result = native.libraries(run_image(cache), [reused], cache, DEFAULT_EPOCH)
    assert [a.package for a in result.added] == ["libdep1", "libgreet1"]


def test_inspect_lists_each_package_and_the_file_that_needed_it(archive, tmp_path):
    from pack_it.lifecycle import inspect as inspect_image

    cache = Cache(tmp_path / "cache")
    result = native.libraries(run_image(cache), [app_layer(tmp_path)], cache, DEFAULT_EPOCH)
    metadata = json.dumps({"layers": [], "native": [a.to_json() for a in result.added]})
    info = {"image": "x", "digest": "d", "run_image": None, "packs": [], "processes": [], "entrypoint": None,
            "cmd": None, "user": "", "working_dir": "", "env": [], "ports": [], "labels": {}, "layers": [],
            "native": inspect_image._metadata({"io.pack-it.metadata": metadata}, "x").get("native", [])}
    text = inspect_image.render(info)
    assert "libgreet1 1.0: libgreet.so.1, needed by /layers/app/app/bin/prog" in text
    assert "libdep1 1.0: needed by libgreet1 (Depends)" in text


def test_a_run_image_layer_that_cannot_be_listed_is_a_warning_not_a_traceback(tmp_path):
    from types import SimpleNamespace

    from pack_it.lifecycle.oci import LAYER_GZIP, Descriptor

    cache = Cache(tmp_path / "cache")
    digest = cache.put_bytes(b"\x28\xb5\x2f\xfd not a tar this reader knows")
    run = SimpleNamespace(reference="oci:odd", image=SimpleNamespace(layers=[Descriptor(LAYER_GZIP, digest, 10)],
                                                                    digest="sha256:" + "1" * 64))

    class Warnings(native.Reporter):
        def __init__(self) -> None:
            self.said: list[str] = []

        def warn(self, message: str) -> None:
            self.said.append(message)

    reporter = Warnings()
    scan = native.image_scan(run, cache, reporter)  # type: ignore[arg-type]
    assert scan.libraries == set() and len(reporter.said) == 1 and "cannot be read" in reporter.said[0]
