"""A locked .deb the Debian archive has deleted, against a tiny signed archive served on
127.0.0.1 (no network): fetched from a retention mirror (pool layout, or a fake of
snapshot.debian.org's API) with the lock's digests, else the release is re-locked from the
signed index into the cache, or, `locked`, refused.

The archive: `base-data 1.0` in fake (static), `hello 1.0-2` in fake-security (cc); the
lock names `hello 1.0-1`, which the archive no longer serves."""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pack_it.errors import EXPORT_FAILED, PackItError
from pack_it.lifecycle.archive import DEFAULT_EPOCH
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import assemble, definitions, lockfile, relock, retention
from pack_it.lifecycle.stacks.debian import Package

from .helpers import M, cache_contents, layer_file, leftovers, make_deb

RELEASE = "fake1"
OLD, NEW = "1.0-1", "1.0-2"
HELLO_POOL = "pool/updates/main/h/hello/hello_{}_amd64.deb"
BASE_POOL = "pool/main/b/base-data/base-data_1.0_all.deb"
LIBNEW_POOL = "pool/updates/main/libn/libnew/libnew_1.0_amd64.deb"
MOVED = f"libnew 1.0 (new), hello {OLD} -> {NEW}"


# A signing key, an archive, a server ----------------------------------------------------

@pytest.fixture(scope="module")
def signing_key(tmp_path_factory):
    """(gpg home, exported public keyring) of a throwaway ed25519 key."""
    gpg = shutil.which("gpg")
    if gpg is None:
        pytest.fail("gpg is not installed: it signs the test archive (apt-get install gnupg)")
    home = tmp_path_factory.mktemp("gpg")
    home.chmod(0o700)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([gpg, "--batch", "--passphrase", "", "--quick-gen-key", "Test Archive <archive@example.com>",
                    "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    keyring = home / "archive.gpg"
    keyring.write_bytes(subprocess.run([gpg, "--export"], env=env, check=True, capture_output=True).stdout)
    yield home, keyring
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True)


def clearsign(home: Path, text: bytes) -> bytes:
    return subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--clearsign"],
                          input=text, env={"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"},
                          check=True, capture_output=True).stdout


def deb(tmp: Path, name: str, version: str, arch: str, payload: bytes) -> bytes:
    control = (f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"
               f"Maintainer: Test <test@example.com>\nDescription: test package\n")
    data = [M("./", "dir", mode=0o755), M("./usr/", "dir", mode=0o755), M("./usr/share/", "dir", mode=0o755),
            M(f"./usr/share/{name}", data=payload),
            M("./usr/share/doc/", "dir", mode=0o755), M(f"./usr/share/doc/{name}/", "dir", mode=0o755),
            M(f"./usr/share/doc/{name}/copyright", data=b"MIT\n")]
    return make_deb(tmp / f"{name}_{version}.deb", data, control=control).read_bytes()


def paragraph(name: str, version: str, arch: str, filename: str, data: bytes, depends: str = "") -> str:
    lines = [f"Package: {name}", f"Version: {version}", f"Architecture: {arch}", f"Filename: {filename}",
             f"Size: {len(data)}", f"SHA256: {hashlib.sha256(data).hexdigest()}"]
    return "\n".join(lines + ([f"Depends: {depends}"] if depends else [])) + "\n"


def suite_files(home: Path, suite: str, paragraphs: list[str]) -> dict[str, bytes]:
    """dists/<suite>/{InRelease, main/binary-amd64/Packages.xz}, the index signed."""
    index = lzma.compress("\n".join(paragraphs).encode())
    release = (f"Origin: Test\nSuite: {suite}\nCodename: {suite}\nArchitectures: amd64\nComponents: main\nSHA256:\n"
               f" {hashlib.sha256(index).hexdigest()} {len(index)} main/binary-amd64/Packages.xz\n")
    return {f"dists/{suite}/InRelease": clearsign(home, release.encode()),
            f"dists/{suite}/main/binary-amd64/Packages.xz": index}


@dataclass
class Server:
    """Files by URL path (query included); anything else is 404. Logs every request."""

    routes: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def server():
    served = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            served.requests.append(self.path)
            body = served.routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    served.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield served
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Archive:
    server: Server
    old_deb: bytes  # hello 1.0-1: in the lock, gone from the archive
    new_deb: bytes
    locks: Path
    tmp: Path

    def serve_old_on_the_archive(self) -> None:
        self.server.routes[f"/debian-security/{HELLO_POOL.format(OLD)}"] = self.old_deb

    def cache(self, name: str) -> Cache:
        return Cache(self.tmp / name)


DEFINITIONS = {
    "static": 'description = "test static"\npackages = ["base-data"]\n',
    "cc": 'description = "test cc"\nparent = "static"\npackages = ["hello"]\n',
    "python": 'description = "test python"\nparent = "cc"\n',
    "node": 'description = "test node"\nparent = "static"\n',
    "exclude": "packages = []\n",
}


@pytest.fixture
def archive(tmp_path, server, signing_key, monkeypatch) -> Archive:
    home, keyring = signing_key
    base = deb(tmp_path, "base-data", "1.0", "all", b"base")
    old = deb(tmp_path, "hello", OLD, "amd64", b"hello, the locked version")
    new = deb(tmp_path, "hello", NEW, "amd64", b"hello, the security update")
    for path, data in suite_files(home, "fake", [paragraph("base-data", "1.0", "all", BASE_POOL, base)]).items():
        server.routes[f"/debian/{path}"] = data
    server.routes[f"/debian/{BASE_POOL}"] = base
    # The security update also needs a new library (as security fixes sometimes do).
    libnew = deb(tmp_path, "libnew", "1.0", "amd64", b"libnew")
    hello = paragraph("hello", NEW, "amd64", HELLO_POOL.format(NEW), new, depends="base-data, libnew")
    security = [hello, paragraph("libnew", "1.0", "amd64", LIBNEW_POOL, libnew)]
    for path, data in suite_files(home, "fake-security", security).items():
        server.routes[f"/debian-security/{path}"] = data
    server.routes[f"/debian-security/{HELLO_POOL.format(NEW)}"] = new
    server.routes[f"/debian-security/{LIBNEW_POOL}"] = libnew

    defs = tmp_path / "definitions"
    defs.mkdir()
    for name, text in DEFINITIONS.items():
        (defs / f"{name}.toml").write_text(text)
    for name in set(definitions.STACKS) - set(DEFINITIONS):  # every other stack: an empty level, same parent
        parent = definitions.load(name, definitions.DEFAULT_RELEASE).parent
        (defs / f"{name}.toml").write_text(f'description = "test {name}"\nparent = "{parent}"\n')
    (defs / "releases.toml").write_text(
        f'[{RELEASE}]\ncodename = "fake"\npython = "3.11"\nmerged_usr = false\n'
        'suites = [{ archive = "debian", suite = "fake" }, { archive = "debian-security", suite = "fake-security" }]\n'
        f'keyrings = ["{keyring}"]\n')
    monkeypatch.setattr(definitions, "DEFINITIONS", defs)

    locks = tmp_path / "locks"
    locks.mkdir()
    locked = {"static": [Package("base-data", "1.0", "all", BASE_POOL, hashlib.sha256(base).hexdigest(), len(base), "debian")],
              "cc": [Package("hello", OLD, "amd64", HELLO_POOL.format(OLD), hashlib.sha256(old).hexdigest(), len(old),
                             "debian-security")],
              "python": [], "node": []}
    for stack, packages in locked.items():
        lockfile.write(stack, RELEASE, None if stack == "static" else "x", packages, locks)
    for var, value in {"PACK_IT_DEBIAN_MIRROR": f"{server.url}/debian",
                       "PACK_IT_DEBIAN_SECURITY_MIRROR": f"{server.url}/debian-security",
                       "PACK_IT_LOCK_DIR": str(locks), "PACK_IT_CONFIG": str(tmp_path / "no-config.toml"),
                       "PACK_IT_DEBIAN_RETENTION_MIRRORS": f"{server.url}/empty-retention"}.items():
        monkeypatch.setenv(var, value)
    return Archive(server, old, new, locks, tmp_path)


class Recorder(Reporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def build(cache: Cache, reporter: Reporter | None = None, locked: bool = False):
    return assemble.build_stack("cc", RELEASE, cache, DEFAULT_EPOCH, reporter or Reporter(), locked=locked)[1]


@pytest.fixture
def original(archive) -> str:
    """The image digest of the original lock, built while the archive still had its file."""
    archive.serve_old_on_the_archive()
    digest = build(archive.cache("original")).digest
    del archive.server.routes[f"/debian-security/{HELLO_POOL.format(OLD)}"]
    return digest


def serve_snapshot(archive: Archive, prefix: str = "/snapshot") -> None:
    """snapshot.debian.org's answer for hello 1.0-1: the file's SHA1 and fileinfo, then
    /file/<sha1>; plus an i386 build of the same version, which is not the one wanted."""
    sha1 = hashlib.sha1(archive.old_deb).hexdigest()
    decoy = b"the i386 build"
    info = lambda arch: [{"archive_name": "debian-security", "first_seen": "20250101T000000Z",  # noqa: E731
                             "name": f"hello_{OLD}_{arch}.deb", "path": "/pool/updates/main/h/hello", "size": 1}]
    answer = {"binary": "hello", "binary_version": OLD,
              "result": [{"architecture": "i386", "hash": hashlib.sha1(decoy).hexdigest()},
                         {"architecture": "amd64", "hash": sha1}],
              "fileinfo": {hashlib.sha1(decoy).hexdigest(): info("i386"), sha1: info("amd64")}}
    archive.server.routes[f"{prefix}/mr/binary/hello/{OLD}/binfiles?fileinfo=1"] = json.dumps(answer).encode()
    archive.server.routes[f"{prefix}/file/{sha1}"] = archive.old_deb
    archive.server.routes[f"{prefix}/file/{hashlib.sha1(decoy).hexdigest()}"] = decoy


def no_inrelease_asked(archive: Archive) -> bool:
    return not any(r.endswith("/InRelease") for r in archive.server.requests)


def nothing_half_written(cache: Cache) -> bool:
    return leftovers(cache.root) == [] and cache_contents(cache.root)["tmp"] == []


# (a), (b), (e): a retention mirror has the file -------------------------------------------

def test_a_pool_layout_retention_mirror_serves_it_with_the_original_digests(archive, original, monkeypatch):
    archive.server.routes[f"/retention/{HELLO_POOL.format(OLD)}"] = archive.old_deb
    monkeypatch.setenv("PACK_IT_DEBIAN_RETENTION_MIRRORS", f"{archive.server.url}/nothing {archive.server.url}/retention")
    cache, reporter = archive.cache("fresh"), Recorder()
    assert build(cache, reporter).digest == original
    assert reporter.warnings == []
    assert f"/debian-security/{HELLO_POOL.format(OLD)}" in archive.server.requests  # the archive was asked first
    assert f"/nothing/{HELLO_POOL.format(OLD)}" in archive.server.requests  # then each mirror in order
    assert not relock.path(cache, RELEASE).exists() and no_inrelease_asked(archive)
    assert nothing_half_written(cache)


def test_b_the_snapshot_api_serves_it_with_the_original_digests(archive, original, monkeypatch):
    serve_snapshot(archive)
    monkeypatch.setenv("PACK_IT_DEBIAN_RETENTION_MIRRORS", f"snapshot+{archive.server.url}/snapshot")
    cache, reporter = archive.cache("fresh"), Recorder()
    assert build(cache, reporter).digest == original
    assert reporter.warnings == []  # the i386 file of the same version was not even tried
    assert f"/snapshot/mr/binary/hello/{OLD}/binfiles?fileinfo=1" in archive.server.requests
    assert not relock.path(cache, RELEASE).exists() and no_inrelease_asked(archive)


def test_e_a_retention_mirror_serving_wrong_bytes_is_refused_and_the_next_one_asked(archive, original, monkeypatch):
    archive.server.routes[f"/bad/{HELLO_POOL.format(OLD)}"] = archive.old_deb + b"tampered"
    serve_snapshot(archive)
    monkeypatch.setenv("PACK_IT_DEBIAN_RETENTION_MIRRORS",
                       f"{archive.server.url}/bad snapshot+{archive.server.url}/snapshot")
    cache, reporter = archive.cache("fresh"), Recorder()
    assert build(cache, reporter).digest == original
    [warning] = reporter.warnings
    assert f"/bad/{HELLO_POOL.format(OLD)} does not match its SHA256" in warning and "Refused" in warning
    assert not cache.has_blob("sha256:" + hashlib.sha256(archive.old_deb + b"tampered").hexdigest())
    assert nothing_half_written(cache)


def test_wrong_bytes_from_the_archive_itself_stay_an_error_and_no_mirror_is_asked(archive, monkeypatch):
    """Only a file the archive no longer has is looked for elsewhere: a tampered one is not
    papered over by a retention mirror, nor by a re-lock."""
    archive.server.routes[f"/debian-security/{HELLO_POOL.format(OLD)}"] = b"not the locked file"
    archive.server.routes[f"/retention/{HELLO_POOL.format(OLD)}"] = archive.old_deb
    monkeypatch.setenv("PACK_IT_DEBIAN_RETENTION_MIRRORS", f"{archive.server.url}/retention")
    cache = archive.cache("fresh")
    with pytest.raises(PackItError) as e:
        build(cache)
    assert "does not match its SHA256" in e.value.message
    assert not any(r.startswith("/retention/") for r in archive.server.requests) and no_inrelease_asked(archive)


# (c), (d): no source has it ---------------------------------------------------------------

def test_c_no_mirror_has_it_the_release_is_relocked_into_the_cache_and_built(archive, original):
    shipped = {p.name: p.read_bytes() for p in archive.locks.iterdir()}
    cache, reporter = archive.cache("fresh"), Recorder()
    image = build(cache, reporter)

    [warning] = reporter.warnings
    assert f"hello {OLD} is gone" in warning and MOVED in warning
    assert "security updates" in warning and str(relock.path(cache, RELEASE)) in warning
    assert image.digest != original
    assert image.config_json["config"]["Labels"][relock.LABEL] == MOVED
    cc_layer = cache.blob_path(image.layers[1].digest)
    assert f"Version: {NEW}\n" in layer_file(cc_layer, "var/lib/dpkg/status.d/hello").decode()
    assert layer_file(cc_layer, "usr/share/hello") == b"hello, the security update"

    made = relock.read(cache, RELEASE)
    assert [(p.name, p.version) for p in made.stacks["cc"]] == [("hello", NEW), ("libnew", "1.0")]
    assert made.changes["cc"] == ["+ libnew 1.0", f"~ hello {OLD} -> {NEW}"] and made.changes["static"] == []
    assert layer_file(cc_layer, "usr/share/libnew") == b"libnew"
    assert {p.name: p.read_bytes() for p in archive.locks.iterdir()} == shipped  # the shipped locks untouched
    assert nothing_half_written(cache)

    # A later build uses the re-lock: no index read, no warning, the same image.
    archive.server.requests.clear()
    again = Recorder()
    assert build(cache, again).digest == image.digest and again.warnings == []
    assert no_inrelease_asked(archive)
    fresh = archive.cache("fresh2")  # ... and a cold cache with the same re-lock gives the same digests
    relock.path(fresh, RELEASE).parent.mkdir(parents=True)
    shutil.copy(relock.path(cache, RELEASE), relock.path(fresh, RELEASE))
    assert build(fresh).digest == image.digest and no_inrelease_asked(archive)


def test_static_alone_is_unchanged_by_a_relock_of_cc(archive):
    cache = archive.cache("fresh")
    build(cache, Recorder())
    _, static = assemble.build_stack("static", RELEASE, cache, DEFAULT_EPOCH)
    assert relock.LABEL not in static.config_json["config"]["Labels"]


def test_d_locked_refuses_in_one_sentence_and_writes_no_relock(archive):
    cache = archive.cache("fresh")
    with pytest.raises(PackItError) as e:
        build(cache, Recorder(), locked=True)
    assert e.value.exit_code == EXPORT_FAILED == 61
    assert e.value.message == (f"hello {OLD}, locked for stack cc-{RELEASE}, is gone from the Debian archive and "
                               "from every retention mirror.")
    assert "--locked" in e.value.hint and "PACK_IT_DEBIAN_RETENTION_MIRRORS" in e.value.hint
    assert not relock.path(cache, RELEASE).exists() and no_inrelease_asked(archive)
    assert not cache.has_blob("sha256:" + hashlib.sha256(archive.new_deb).hexdigest())
    assert nothing_half_written(cache)


def test_d_locked_ignores_a_cached_relock(archive):
    cache = archive.cache("fresh")
    build(cache, Recorder())  # re-locks
    with pytest.raises(PackItError) as e:
        build(cache, Recorder(), locked=True)
    assert f"hello {OLD}" in e.value.message


def test_d_stacks_build_locked_exits_61_with_two_lines(archive, monkeypatch, capsys):
    from pack_it import cli

    monkeypatch.setattr(sys, "argv", ["pack-it", "stacks", "build", f"cc-{RELEASE}", "--locked",
                                      "--cache-dir", str(archive.tmp / "cli-cache")])
    with pytest.raises(SystemExit) as exit:
        cli.main()
    assert exit.value.code == 61
    err = capsys.readouterr().err.splitlines()
    assert err[-2] == f"error: hello {OLD}, locked for stack cc-{RELEASE}, is gone from the Debian archive and " \
                      "from every retention mirror."
    assert err[-1].startswith("hint: Build without --locked")
    assert not (archive.tmp / "cli-cache" / "stacks").exists()


def test_locked_on_a_warm_cache_does_not_reuse_the_relocked_stack_image(archive):
    """Through runimage, which keeps assembled stack images by what they were made from."""
    from pack_it.lifecycle import runimage

    cache = archive.cache("fresh")
    relocked = runimage.resolve(f"cc-{RELEASE}", cache, DEFAULT_EPOCH, Recorder())
    assert relock.LABEL in relocked.image.config_json["config"]["Labels"]
    assert runimage.resolve(f"cc-{RELEASE}", cache, DEFAULT_EPOCH).image.digest == relocked.image.digest
    with pytest.raises(PackItError) as e:
        runimage.resolve(f"cc-{RELEASE}", cache, DEFAULT_EPOCH, locked=True)
    assert e.value.exit_code == 61 and f"hello {OLD}" in e.value.message


def test_d_pack_it_build_locked_reaches_the_stack(archive, monkeypatch, capsys):
    """`pack-it build --locked` down to the run image (the app's own layers left out: the
    option only matters to the stack; so is the sandbox, whose build root is another lock)."""
    from pack_it import cli
    from pack_it.lifecycle import pipeline

    monkeypatch.setattr(pipeline.build_phase, "build", lambda *args: [])
    app = Path(__file__).parents[2] / "fixtures" / "go" / "go-root-main"
    monkeypatch.setattr(sys, "argv", ["pack-it", "build", str(app), "--run-image", f"cc-{RELEASE}", "--locked", "--sandbox", "none",
                                      "--cache-dir", str(archive.tmp / "cli-cache"), "-o", f"tar:{archive.tmp}/app.tar"])
    with pytest.raises(SystemExit) as exit:
        cli.main()
    assert exit.value.code == 61
    assert f"error: hello {OLD}, locked for stack cc-{RELEASE}, is gone" in capsys.readouterr().err
    assert not (archive.tmp / "cli-cache" / "stacks").exists() and not (archive.tmp / "app.tar").exists()


def test_relock_trusts_only_a_signed_index_and_writes_nothing_otherwise(archive, tmp_path):
    """A mirror serving a forged index (Release re-signed by another key) cannot choose what a
    re-lock installs."""
    other = tmp_path / "other-gpg"
    other.mkdir(mode=0o700)
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Mallory <m@example.com>", "ed25519",
                    "sign", "never"], env={"GNUPGHOME": str(other), "PATH": "/usr/bin:/bin"}, check=True,
                   capture_output=True)
    signed = archive.server.routes["/debian-security/dists/fake-security/InRelease"]
    text = subprocess.run(["gpg", "--batch", "--decrypt"], input=signed, capture_output=True,
                          env={"GNUPGHOME": str(other), "PATH": "/usr/bin:/bin"}).stdout
    assert text.startswith(b"Origin: Test\n")
    archive.server.routes["/debian-security/dists/fake-security/InRelease"] = clearsign(other, text)
    cache = archive.cache("fresh")
    try:
        with pytest.raises(PackItError) as e:
            build(cache, Recorder())
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={"GNUPGHOME": str(other)}, capture_output=True)
    assert "signature does not verify" in e.value.message
    assert not relock.path(cache, RELEASE).exists() and nothing_half_written(cache)


def test_relock_that_fails_while_written_leaves_nothing(archive, monkeypatch):
    monkeypatch.setattr(relock, "FORMAT", object())  # the JSON cannot be made: fails mid-write
    cache = archive.cache("fresh")
    with pytest.raises(TypeError):
        build(cache, Recorder())
    assert not relock.path(cache, RELEASE).exists() and nothing_half_written(cache)


def test_relock_that_fails_too_is_an_error_not_a_loop(archive):
    """The re-resolved version is gone as well (the archive mid-update): one error."""
    del archive.server.routes[f"/debian-security/{HELLO_POOL.format(NEW)}"]
    with pytest.raises(PackItError) as e:
        build(archive.cache("fresh"), Recorder())
    assert f"hello {NEW}" in e.value.message and "try again" in e.value.hint


# When the re-lock is used -----------------------------------------------------------------

def pkg(name: str, version: str) -> Package:
    return Package(name, version, "amd64", f"pool/{name}_{version}.deb", "0" * 64, 1, "debian")


def made_from(stacks: dict, replaces: str = "other shipped locks") -> relock.Relock:
    return relock.Relock(RELEASE, replaces, stacks, {s: [] for s in stacks})


@pytest.mark.parametrize("shipped, newer", [
    ({"cc": [pkg("hello", OLD)]}, True),  # the re-lock moved past the shipped lock
    ({"cc": [pkg("hello", NEW)]}, True),  # the same versions
    ({"cc": [pkg("hello", "1.0-3")]}, False),  # pack-it now ships a newer lock
    ({"cc": [pkg("hello", OLD), pkg("extra", "1")]}, False),  # the stack gained a package since
])
def test_relock_is_used_only_while_newer_than_the_shipped_lock(archive, shipped, newer):
    assert relock.is_newer(made_from({"cc": [pkg("hello", NEW)]}), shipped) is newer


def test_relock_made_from_these_very_shipped_locks_is_used(archive):
    """Even when a security update dropped a dependency the shipped lock still names."""
    stacks = {"cc": [pkg("hello", NEW)]}
    shipped = {"cc": [pkg("hello", OLD), pkg("dropped", "1")]}
    assert not relock.is_newer(made_from(stacks), shipped)
    assert relock.is_newer(made_from(stacks, relock.shipped_digest(RELEASE)), shipped)


def test_unreadable_relock_is_ignored(archive):
    cache = archive.cache("fresh")
    relock.path(cache, RELEASE).parent.mkdir(parents=True)
    relock.path(cache, RELEASE).write_text("{not json")
    assert relock.current(cache, RELEASE) is None


# Configuration ----------------------------------------------------------------------------

def test_retention_mirrors_env_wins_over_the_config_file_which_wins_over_the_default(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    monkeypatch.setenv("PACK_IT_CONFIG", str(config))
    monkeypatch.delenv("PACK_IT_DEBIAN_RETENTION_MIRRORS", raising=False)
    assert retention.retention_mirrors() == ["snapshot+https://snapshot.debian.org"]
    config.write_text('[debian]\nretention_mirrors = ["https://art.example/debian/", "snapshot+http://snap.example"]\n')
    from pack_it.lifecycle import config as config_module
    config_module._read.cache_clear()
    assert retention.retention_mirrors() == ["https://art.example/debian", "snapshot+http://snap.example"]
    monkeypatch.setenv("PACK_IT_DEBIAN_RETENTION_MIRRORS", "http://a.example  http://b.example")
    assert retention.retention_mirrors() == ["http://a.example", "http://b.example"]
    monkeypatch.delenv("PACK_IT_DEBIAN_RETENTION_MIRRORS")
    config.write_text("[debian]\nretention_mirrors = []\n")
    config_module._read.cache_clear()
    assert retention.retention_mirrors() == []
    config.write_text('[debian]\nretention_mirrors = "http://a.example"\n')
    config_module._read.cache_clear()
    with pytest.raises(PackItError) as e:
        retention.retention_mirrors()
    assert "retention_mirrors" in e.value.message and str(config) in e.value.message
    config_module._read.cache_clear()


@pytest.mark.parametrize("mirror, snapshot", [
    ("https://snapshot.debian.org", True), ("snapshot+http://127.0.0.1:8000", True),
    ("https://artifactory.example/debian", False), ("https://snapshot.debian.org.example", False),
])
def test_which_mirrors_speak_the_snapshot_api(mirror, snapshot):
    assert retention.is_snapshot(mirror) is snapshot
