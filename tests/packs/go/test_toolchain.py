"""Go toolchains: the release go.mod asks for, the h1: dirhash, safe unpacking, and fetching from
a Go module proxy (a fake one on 127.0.0.1; the real one only in `network` tests)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import stat
import threading
import zipfile
from pathlib import Path

import pytest

from pack_it.errors import MISSING_TOOLCHAIN, PackItError
from pack_it.lifecycle import versions
from pack_it.packs.go import toolchain as tc

RELEASES = {v: {"h1": "h1:x"} for v in ("1.21.0", "1.22.0", "1.22.5", "1.22.12", "1.23rc1", "1.23.0", "1.23.4")}
FAKE = "1.26.99"  # a release no Go project made: only the fake proxy and a test index have it


# --- which release ----------------------------------------------------------------------------


@pytest.mark.parametrize("version, exact, expected", [
    ("1.22", False, "1.22.12"),  # a minimum: the newest patch of that minor
    ("1.22.5", True, "1.22.5"),  # a pin: that patch, not a newer one
    ("1.23rc1", True, "1.23rc1"),
    ("1.23", False, "1.23.4"),  # pre-releases are never "the newest patch"
    ("any", False, "1.23.4"),
    ("1.22.7", True, None),  # not in the index
    ("1.99", False, None),
])
def test_choose(version, exact, expected):
    assert tc.choose(version, exact, RELEASES) == expected


@pytest.mark.parametrize("host, version, exact, ok", [
    ("1.26.8", "1.22", False, True),
    ("1.22.0", "1.22", False, True),
    ("1.21.13", "1.22", False, False),
    ("1.26.8", "1.26.9", True, False),
    ("1.27.0", "1.26.9", True, False),  # a pin is that release, even when the host's is newer
    ("1.26.9", "1.26.9", True, True),
    ("1.26.8", "any", False, True),
])
def test_satisfies(host, version, exact, ok):
    assert tc.satisfies(host, version, exact) is ok


def test_the_shipped_index_has_go_releases_with_h1_hashes():
    releases = versions.shipped().releases("go")
    assert releases["1.22.5"] == {"h1": "h1:LQChnsjY/4sr12W+7pci1Qg1+X/n7vmLOOaq2aTBG0w="}  # sum.golang.org's
    assert tc.choose("1.22", False, releases) == "1.22.12"
    assert all(facts["h1"].startswith("h1:") and len(facts) == 1 for facts in releases.values())


# --- dirhash and unpacking --------------------------------------------------------------------


def _zip(path: Path, version: str, files: dict[str, bytes], *, raw: dict[str, tuple[bytes, int]] | None = None) -> Path:
    prefix = f"golang.org/toolchain@v0.0.1-go{version}.linux-amd64/"
    with zipfile.ZipFile(path, "w") as z:
        for name, body in files.items():
            info = zipfile.ZipInfo(prefix + name)
            info.external_attr = (0o100755 if name.startswith("bin/") else 0o100644) << 16
            z.writestr(info, body)
        for name, (body, mode) in (raw or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            z.writestr(info, body)
    return path


def test_dirhash_is_go_h1(tmp_path):
    archive = _zip(tmp_path / "t.zip", "1.0.0", {"b": b"two\n", "a": b"one\n"})
    prefix = "golang.org/toolchain@v0.0.1-go1.0.0.linux-amd64/"
    lines = "".join(f"{hashlib.sha256(body).hexdigest()}  {prefix}{name}\n" for name, body in (("a", b"one\n"), ("b", b"two\n")))
    assert tc.dirhash(archive) == "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def test_unpack_strips_the_module_prefix_and_keeps_executables(tmp_path):
    archive = _zip(tmp_path / "t.zip", "1.0.0", {"bin/go": b"#!/bin/sh\n", "VERSION": b"go1.0.0\n"})
    tc.unpack(archive, "1.0.0", tmp_path / "out")
    assert (tmp_path / "out" / "VERSION").read_bytes() == b"go1.0.0\n"
    assert stat.S_IMODE((tmp_path / "out" / "bin" / "go").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out" / "VERSION").stat().st_mode) == 0o644


@pytest.mark.parametrize("name, mode, what", [
    ("/etc/evil", 0o100644, "unsafe path"),
    ("golang.org/toolchain@v0.0.1-go1.0.0.linux-amd64/../../evil", 0o100644, "unsafe path"),
    ("golang.org/toolchain@v0.0.1-go1.0.0.linux-amd64/bin/link", 0o120777, "link"),
    ("elsewhere/file", 0o100644, "outside"),
])
def test_unpack_refuses_entries_leaving_the_root_before_writing_anything(tmp_path, name, mode, what):
    archive = _zip(tmp_path / "t.zip", "1.0.0", {"bin/go": b"x"}, raw={name: (b"/etc/passwd", mode)})
    with pytest.raises(PackItError) as err:
        tc.unpack(archive, "1.0.0", tmp_path / "out")
    assert err.value.exit_code == MISSING_TOOLCHAIN and what in err.value.message
    assert not (tmp_path / "out").exists()


# --- fetching from a proxy --------------------------------------------------------------------


class FakeProxy:
    """A Go module proxy on 127.0.0.1 serving golang.org/toolchain zips from a dict."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests = files, []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                proxy.requests.append(self.path)
                body = proxy.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def fake_toolchain(tmp_path: Path, real_go: str, log: Path) -> tuple[bytes, str]:
    """A toolchain zip whose bin/go logs its arguments and runs the host's go, and its h1."""
    script = f'#!/bin/sh\necho "$*" >> {log}\nexec {real_go} "$@"\n'.encode()
    archive = _zip(tmp_path / "fake.zip", FAKE, {"bin/go": script, "VERSION": f"go{FAKE}\n".encode()})
    return archive.read_bytes(), tc.dirhash(archive)


def tamper(data: bytes) -> bytes:
    """The same zip with one byte of bin/go changed (sizes and CRC fixed up, so it still unzips)."""
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith("/bin/go"):
                body = body.replace(b"exec", b"exec ")
            dst.writestr(info, body)
    return out.getvalue()


@pytest.fixture
def proxy():
    made = []

    def start(files):
        made.append(FakeProxy(files))
        return made[-1]

    yield start
    for p in made:
        p.close()


ZIP_PATH = f"/golang.org/toolchain/@v/v0.0.1-go{FAKE}.linux-amd64.zip"


def test_fetch_verifies_and_installs_atomically_then_uses_the_cache(tmp_path, proxy, go_tool):
    data, h1 = fake_toolchain(tmp_path, go_tool, tmp_path / "log")
    served = proxy({ZIP_PATH: data})
    goroot = tc.fetch(FAKE, h1, tmp_path / "toolchains", served.url, tmp_path)
    assert goroot == tmp_path / "toolchains" / f"go{FAKE}.linux-amd64"
    assert (goroot / "bin" / "go").stat().st_mode & 0o111
    assert sorted(p.name for p in (tmp_path / "toolchains").iterdir()) == [goroot.name]  # no staging left
    assert tc.fetch(FAKE, h1, tmp_path / "toolchains", served.url, tmp_path) == goroot
    assert served.requests == [ZIP_PATH]  # the second time from the cache


def test_a_tampered_toolchain_is_refused_and_nothing_is_left(tmp_path, proxy, go_tool):
    data, h1 = fake_toolchain(tmp_path, go_tool, tmp_path / "log")
    served = proxy({ZIP_PATH: tamper(data)})
    with pytest.raises(PackItError) as err:
        tc.fetch(FAKE, h1, tmp_path / "toolchains", served.url, tmp_path)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message.startswith(f"The Go {FAKE} toolchain from {served.url}")
    assert "does not match the " + h1 in err.value.message and err.value.message.endswith("refusing it.")
    assert list((tmp_path / "toolchains").iterdir()) == []


def test_a_proxy_without_the_release_names_the_url(tmp_path, proxy):
    served = proxy({})
    with pytest.raises(PackItError) as err:
        tc.fetch(FAKE, "h1:x", tmp_path / "toolchains", served.url, tmp_path)
    assert err.value.exit_code == MISSING_TOOLCHAIN
    assert err.value.message == f"{served.url}{ZIP_PATH} answered HTTP 404 Not Found."
    assert "PACK_IT_GOPROXY" in err.value.hint
    assert list((tmp_path / "toolchains").iterdir()) == []


def test_releases_from_proxy_read_the_list_and_the_checksum_database(proxy):
    lookup = "/sumdb/sum.golang.org/lookup/golang.org/toolchain@v0.0.1-go{}.linux-amd64"
    served = proxy({
        "/golang.org/toolchain/@v/list": b"v0.0.1-go1.22.5.linux-amd64\nv0.0.1-go1.22.5.darwin-arm64\n"
                                         b"v0.0.1-go1.23rc1.linux-amd64\nv0.0.1-go1.22.5.linux-amd64.zip\n",
        lookup.format("1.22.5"): b"66\ngolang.org/toolchain v0.0.1-go1.22.5.linux-amd64 h1:A=\n"
                                 b"golang.org/toolchain v0.0.1-go1.22.5.linux-amd64/go.mod h1:B=\n\ngo.sum database tree\n",
        lookup.format("1.23rc1"): b"golang.org/toolchain v0.0.1-go1.23rc1.linux-amd64 h1:C=\n",
    })
    assert tc.releases_from_proxy(served.url) == {"1.22.5": {"h1": "h1:A="}, "1.23rc1": {"h1": "h1:C="}}


def test_releases_the_proxy_serves_but_does_not_list_are_in_the_index(proxy):
    """The proxy's list holds only what someone fetched through it (go 1.22.3 and 1.25.14 were
    missing from the real one): the patches below a listed one and after it are asked for."""
    lookup = "/sumdb/sum.golang.org/lookup/golang.org/toolchain@v0.0.1-go{}.linux-amd64"
    info = "/golang.org/toolchain/@v/v0.0.1-go{}.linux-amd64.info"
    served = proxy({
        "/golang.org/toolchain/@v/list": b"v0.0.1-go1.22.2.linux-amd64\nv0.0.1-go1.22.5.linux-amd64\n",
        **{lookup.format(v): f"golang.org/toolchain v0.0.1-go{v}.linux-amd64 h1:{v}=\n".encode()
           for v in ("1.22.2", "1.22.3", "1.22.5", "1.22.6")},
        info.format("1.22.3"): b"{}", info.format("1.22.6"): b"{}",  # served, not listed
    })
    assert list(tc.releases_from_proxy(served.url)) == ["1.22.2", "1.22.3", "1.22.5", "1.22.6"]
    assert info.format("1.22.7") in served.requests  # it stopped at the first patch after that is not served


def write_index(cache: Path, go_releases: dict[str, dict[str, str]]) -> None:
    """A refreshed versions index in the cache: the shipped one plus `go_releases`."""
    shipped = json.loads(versions.SHIPPED.read_text())
    shipped["runtimes"]["go"] = {**shipped["runtimes"]["go"], **go_releases}
    path = versions.refreshed_path(cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(shipped))
