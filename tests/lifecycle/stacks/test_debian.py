"""The Debian archive client: dependency resolution on synthetic indices (no network), the
newest-version index, InRelease signature checks against the shipped keys (one real
InRelease from deb.debian.org) and verified downloads from a local HTTP server."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pack_it.errors import EXPORT_FAILED, PackItError
from pack_it.lifecycle.stacks import debian
from pack_it.lifecycle.stacks.debian import Index, Package, download, load_suite, resolve, verify_release
from pack_it.lifecycle.stacks.definitions import releases

INRELEASE_URL = "http://deb.debian.org/debian/dists/bookworm/InRelease"


def pkg(name: str, version: str = "1.0", depends: str = "", pre_depends: str = "", provides: str = "",
        arch: str = "amd64", archive: str = "debian") -> Package:
    return Package(name=name, version=version, arch=arch, filename=f"pool/main/{name[0]}/{name}/{name}_{version}.deb",
                   sha256=hashlib.sha256(f"{name} {version} {archive}".encode()).hexdigest(), size=1000,
                   archive=archive, depends=depends, pre_depends=pre_depends, provides=provides)


def names(packages: list[Package]) -> list[str]:
    return [p.name for p in packages]


# resolve() --------------------------------------------------------------------------------

def test_depends_and_pre_depends_are_followed_recursively():
    index = Index([
        pkg("app", depends="liba, libb (>= 1.0)", pre_depends="libpre"),
        pkg("liba", depends="libc6 (>= 2.36)"),
        pkg("libb", version="1.2"),
        pkg("libpre", pre_depends="libpre-dep"),
        pkg("libpre-dep"),
        pkg("libc6", version="2.36-9"),
        pkg("unused", depends="libc6"),
    ])
    result = resolve(["app"], index, exclude=set())
    assert names(result) == ["app", "liba", "libb", "libc6", "libpre", "libpre-dep"]  # sorted by name
    assert {p.name: p.version for p in result}["libc6"] == "2.36-9"
    assert all(isinstance(p, Package) and p is index.by_name[p.name] for p in result)


def test_each_package_appears_once_even_when_many_depend_on_it():
    index = Index([pkg("app", depends="a, b, c"), pkg("a", depends="c"), pkg("b", depends="c, a"), pkg("c", depends="a")])
    assert names(resolve(["app", "a"], index, set())) == ["a", "app", "b", "c"]


def test_alternative_takes_the_first_that_exists():
    index = Index([pkg("app", depends="ghost | second | third"), pkg("second"), pkg("third")])
    assert names(resolve(["app"], index, set())) == ["app", "second"]


def test_alternative_already_chosen_wins_over_the_first():
    index = Index([pkg("app", depends="first | second"), pkg("first"), pkg("second")])
    # second was chosen (as a root, processed first) before app's group is looked at.
    assert names(resolve(["second", "app"], index, set())) == ["app", "second"]
    # ... or deeper: app -> y, mid; mid -> lib; lib -> x | y, with y chosen by then.
    index = Index([pkg("app", depends="y, mid"), pkg("mid", depends="lib"), pkg("lib", depends="x | y"),
                   pkg("x"), pkg("y")])
    assert names(resolve(["app"], index, set())) == ["app", "lib", "mid", "y"]


@pytest.mark.parametrize("roots, depends", [
    (["app", "second"], "first | second"),  # second is a root too, listed after app
    (["app"], "second, first | second"),  # second is already required by app itself
])
def test_alternative_satisfied_by_a_package_being_installed_adds_nothing(roots, depends):
    index = Index([pkg("app", depends=depends), pkg("first"), pkg("second")])
    assert names(resolve(roots, index, set())) == ["app", "second"]


def test_virtual_package_is_satisfied_by_a_provider():
    index = Index([
        pkg("app", depends="mail-transport-agent"),
        pkg("postfix", provides="mail-transport-agent"),
        pkg("exim4", provides="mail-transport-agent, mail-reader"),
    ])
    assert index.providers["mail-transport-agent"] == ["exim4", "postfix"]
    # No real package of that name: the first provider (by name) is taken.
    assert names(resolve(["app"], index, set())) == ["app", "exim4"]
    # A provider already chosen satisfies it.
    assert names(resolve(["postfix", "app"], index, set())) == ["app", "postfix"]
    # So does a provider installed by the parent stack.
    assert names(resolve(["app"], index, set(), installed={"postfix"})) == ["app"]


def test_real_alternative_is_preferred_to_a_virtual_one():
    index = Index([pkg("app", depends="virtual-thing | real"), pkg("provider", provides="virtual-thing"), pkg("real")])
    assert names(resolve(["app"], index, set())) == ["app", "real"]


@pytest.mark.parametrize("relation, candidate, expected", [
    ("liba (>= 2.0) | libb", "1.5", "libb"),  # too old: the next alternative
    ("liba (>= 2.0) | libb", "2.0", "liba"),
    ("liba (>= 1.0) | libb", "1.0~rc1", "libb"),  # ~ sorts before the release
    ("liba (>= 2.0) | libb", "1:1.0", "liba"),  # an epoch beats any upstream version
    ("liba (>> 1.0) | libb", "1.0", "libb"),
    ("liba (>> 1.0) | libb", "1.0+deb12u1", "liba"),
    ("liba (<< 2.0) | libb", "2.0", "libb"),
    ("liba (<= 2.0) | libb", "2.0", "liba"),
    ("liba (= 1.0-1) | libb", "1.0-2", "libb"),
    ("liba (= 1.0-1) | libb", "1.0-1", "liba"),
])
def test_version_constraints(relation, candidate, expected):
    index = Index([pkg("app", depends=relation), pkg("liba", version=candidate), pkg("libb")])
    assert names(resolve(["app"], index, set())) == ["app", expected]


def test_no_candidate_new_enough_is_an_error_naming_both_packages():
    index = Index([pkg("app", depends="liba (>= 3.0)"), pkg("liba", version="2.9")])
    with pytest.raises(PackItError) as e:
        resolve(["app"], index, set())
    assert "'app'" in e.value.message and "liba" in e.value.message
    assert e.value.exit_code == EXPORT_FAILED


def test_excluded_packages_count_as_satisfied_and_are_not_followed():
    index = Index([
        pkg("app", depends="perl-base, dash | bash, libz", pre_depends="awk"),
        pkg("perl-base", depends="libperl"), pkg("libperl"),
        pkg("dash"), pkg("bash"),
        pkg("mawk", provides="awk"),
        pkg("libz"),
    ])
    result = resolve(["app"], index, exclude={"perl-base", "bash", "awk"})
    # perl-base and its dependency left out; "dash | bash" satisfied by the excluded bash;
    # the virtual awk satisfied without pulling mawk.
    assert names(result) == ["app", "libz"]


def test_excluded_provider_is_not_added():
    index = Index([pkg("app", depends="debconf-2.0"), pkg("debconf", provides="debconf-2.0")])
    assert names(resolve(["app"], index, exclude={"debconf"})) == ["app"]


def test_parent_stack_packages_are_not_repeated():
    index = Index([
        pkg("libc6", version="2.36"), pkg("libssl3", depends="libc6 (>= 2.34)"),
        pkg("python", depends="libc6, libssl3, libpython"), pkg("libpython", depends="libc6"),
    ])
    result = resolve(["python", "libssl3"], index, set(), installed={"libc6", "libssl3"})
    assert names(result) == ["libpython", "python"]


def test_missing_root_is_an_error_naming_it():
    index = Index([pkg("present")])
    with pytest.raises(PackItError) as e:
        resolve(["present", "no-such-package"], index, set())
    assert "'no-such-package'" in e.value.message
    assert e.value.hint


def test_missing_dependency_is_an_error_naming_it_and_its_dependent():
    index = Index([pkg("app", depends="libghost1 | libghost2")])
    with pytest.raises(PackItError) as e:
        resolve(["app"], index, set())
    assert "'app'" in e.value.message and "libghost1 | libghost2" in e.value.message


# Index ------------------------------------------------------------------------------------

@pytest.mark.parametrize("older, newer", [
    ("2.0", "1:1.0"),  # epoch
    ("1.0~rc1", "1.0"),  # tilde sorts first
    ("1.0", "1.0+deb12u1"),
    ("2.36-9+deb12u9", "2.36-9+deb12u10"),  # numeric, not lexical
    ("1.0-1", "1.0-1+b1"),  # binNMU
])
@pytest.mark.parametrize("order", ["older-first", "newer-first"])
def test_index_keeps_the_newest_version_across_suites(older, newer, order):
    a = pkg("libx", version=older, archive="debian")
    b = pkg("libx", version=newer, archive="debian-security")
    index = Index([a, b] if order == "older-first" else [b, a])
    assert index.by_name["libx"].version == newer
    assert index.by_name["libx"].archive == "debian-security"


def test_index_ignores_other_architectures_and_keeps_arch_all():
    index = Index([pkg("native", arch="amd64"), pkg("data", arch="all"), pkg("foreign", arch="arm64"),
                   pkg("native", version="9.0", arch="i386")])
    assert sorted(index.by_name) == ["data", "native"]
    assert index.by_name["native"].version == "1.0"


def test_index_satisfies():
    index = Index([pkg("liba", version="1:2.0-1")])
    assert index.satisfies("liba", None)
    assert index.satisfies("liba", (">=", "3.0"))
    assert not index.satisfies("liba", (">>", "1:2.0-1"))
    assert not index.satisfies("missing", None)


# verify_release ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inrelease() -> bytes:
    with urllib.request.urlopen(INRELEASE_URL, timeout=60) as response:
        return response.read()


@pytest.fixture(scope="module")
def bookworm_keyrings() -> list[Path]:
    keyrings = list(releases()["debian12"].keyrings)
    assert keyrings and all(k.is_file() for k in keyrings)
    return keyrings


@pytest.fixture
def empty_gnupghome(tmp_path, monkeypatch) -> Path:
    """gpgv falls back to $GNUPGHOME/trustedkeys.* without --keyring: make that empty."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    return home


@pytest.mark.network
def test_real_inrelease_verifies_with_the_shipped_keys(inrelease, bookworm_keyrings, empty_gnupghome):
    text = verify_release(inrelease, bookworm_keyrings)
    assert text.startswith(b"Origin: Debian\n")
    assert b"\nCodename: bookworm\n" in text
    assert b"PGP" not in text  # the signed text only, no armour
    assert b"main/binary-amd64/Packages.xz" in text
    # Exactly the signed part of the file (armour headers and dash-escaping aside).
    assert text.strip() in inrelease


@pytest.mark.network
def test_inrelease_with_one_byte_changed_is_refused(inrelease, bookworm_keyrings, empty_gnupghome):
    i = inrelease.index(b"Origin: Debian")
    tampered = inrelease[:i] + b"o" + inrelease[i + 1:]
    assert len(tampered) == len(inrelease) and tampered != inrelease
    with pytest.raises(PackItError) as e:
        verify_release(tampered, bookworm_keyrings)
    assert "signature" in e.value.message


@pytest.mark.network
def test_inrelease_with_a_changed_hash_line_is_refused(inrelease, bookworm_keyrings, empty_gnupghome):
    # What an attacker would change: a Packages index's SHA256.
    text = verify_release(inrelease, bookworm_keyrings)
    line = next(l for l in text.decode().splitlines() if l.endswith("main/binary-amd64/Packages.xz"))
    digest = line.split()[0]
    forged = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    tampered = inrelease.replace(digest.encode(), forged.encode())
    assert tampered != inrelease
    with pytest.raises(PackItError):
        verify_release(tampered, bookworm_keyrings)


def _generated_keyring(tmp_path: Path) -> Path:
    gpg = shutil.which("gpg")
    if gpg is None:
        pytest.skip("gpg is not installed (needed to make an unrelated key)")
    home = tmp_path / "keygen"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([gpg, "--batch", "--passphrase", "", "--quick-gen-key", "Not Debian <nobody@example.com>",
                    "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    keyring = tmp_path / "unrelated.gpg"
    keyring.write_bytes(subprocess.run([gpg, "--export"], env=env, check=True, capture_output=True).stdout)
    assert keyring.stat().st_size > 0
    return keyring


@pytest.mark.network
@pytest.mark.parametrize("kind", ["empty-file", "unrelated-key"])
def test_inrelease_is_refused_with_an_unrelated_keyring(inrelease, tmp_path, empty_gnupghome, kind):
    if kind == "empty-file":
        keyring = tmp_path / "empty.gpg"
        keyring.write_bytes(b"")
    else:
        keyring = _generated_keyring(tmp_path)
    with pytest.raises(PackItError) as e:
        verify_release(inrelease, [keyring])
    assert "does not verify" in e.value.message


@pytest.mark.network
def test_inrelease_is_refused_with_no_keyring(inrelease, empty_gnupghome):
    with pytest.raises(PackItError):
        verify_release(inrelease, [])


@pytest.mark.network
def test_no_keyring_does_not_fall_back_to_the_users_trusted_keys(inrelease, bookworm_keyrings, empty_gnupghome):
    shutil.copy(bookworm_keyrings[0], empty_gnupghome / "trustedkeys.gpg")  # bookworm-stable signs InRelease
    shutil.copy(bookworm_keyrings[1], empty_gnupghome / "trustedkeys.kbx")
    with pytest.raises(PackItError):
        verify_release(inrelease, [])


# Downloads --------------------------------------------------------------------------------

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


BODY = b"not really a .deb\n" * 100_000  # 1.8 MB: more than one read chunk


def test_download_with_the_right_sha256(server, tmp_path):
    root, url = server
    (root / "pkg.deb").write_bytes(BODY)
    dest = tmp_path / "cache" / "blobs" / "pkg"
    download(f"{url}/pkg.deb", dest, hashlib.sha256(BODY).hexdigest())
    assert dest.read_bytes() == BODY
    assert sorted(p.name for p in dest.parent.iterdir()) == ["pkg"]


def test_download_with_a_wrong_sha256_raises_and_leaves_nothing(server, tmp_path):
    root, url = server
    (root / "pkg.deb").write_bytes(BODY)
    dest = tmp_path / "cache" / "blobs" / "pkg"
    wrong = hashlib.sha256(BODY + b"x").hexdigest()
    with pytest.raises(PackItError) as e:
        download(f"{url}/pkg.deb", dest, wrong)
    assert wrong in e.value.message and hashlib.sha256(BODY).hexdigest() in e.value.message
    assert e.value.exit_code == EXPORT_FAILED
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no .partial-* either


def test_download_of_a_missing_file_raises_and_leaves_nothing(server, tmp_path):
    _, url = server
    dest = tmp_path / "cache" / "pkg"
    with pytest.raises(PackItError) as e:
        download(f"{url}/missing.deb", dest, "0" * 64)
    assert f"{url}/missing.deb" in e.value.message
    assert list(dest.parent.iterdir()) == []


@pytest.mark.network
def test_packages_index_not_matching_inrelease_is_refused(server, inrelease, bookworm_keyrings, empty_gnupghome,
                                                          monkeypatch):
    """A mirror serving the real, signed InRelease with a forged Packages.xz."""
    root, url = server
    dists = root / "dists" / "bookworm"
    (dists / "main" / "binary-amd64").mkdir(parents=True)
    (dists / "InRelease").write_bytes(inrelease)
    (dists / "main" / "binary-amd64" / "Packages.xz").write_bytes(b"forged index")
    monkeypatch.setenv("PACK_IT_DEBIAN_MIRROR", url)
    assert debian.mirror("debian") == url
    with pytest.raises(PackItError) as e:
        load_suite("debian", "bookworm", bookworm_keyrings)
    assert "Packages.xz does not match the SHA256 in InRelease" in e.value.message
