"""Hostile source trees (issue 14, deliver 3): links to host files and out of the tree, link
loops, FIFOs, sockets, devices, huge, setuid and oddly named files (not UTF-8, newlines,
2000 directories deep), directories where files are expected. Each is planted in a small
Python app that builds offline (Debian's Python 3.11 on the generated `base` run image) and
goes through `pack-it build` in this process: the exit code written here, at most one
sentence naming the file, nothing written outside the cache and the output, and no host file's
content, no device, FIFO, socket or setuid bit in any layer of the image.

One parametrised test, so the count of hostile trees is the count of its cases."""

from __future__ import annotations

import gzip
import io
import os
import socket
import stat
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import REPO
from tests.security.hostile import assert_one_sentence, run_cli

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network

SECRET = b"TOPSECRET-host-content-8d2f"


def _host(root: Path) -> Path:
    """Outside the app: a secret file, a secret Python module, a directory of them."""
    host = root / "host"
    (host / "dir").mkdir(parents=True, exist_ok=True)
    (host / "shadow").write_bytes(SECRET + b"\n")
    (host / "secret.py").write_bytes(b'TOKEN = "' + SECRET + b'"\nprint(TOKEN)\n')
    (host / "dir" / "inner.txt").write_bytes(SECRET)
    (host / "go.mod").write_bytes(b"module host\n\ngo 1.22\n// " + SECRET + b"\n")
    return host


def _deep(app: Path, depth: int) -> None:
    # os.makedirs would hit PATH_MAX: walk down with relative paths instead
    fd = os.open(app, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            new = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        leaf = os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, b"print('deep')\n")
        os.close(leaf)
    finally:
        os.close(fd)


def _socket(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(path.parent)  # AF_UNIX paths are limited to 108 bytes
    try:
        s.bind(path.name)
    finally:
        os.chdir(cwd)
        s.close()


def _mknod(path: Path, kind: int, device: tuple[int, int]) -> None:
    try:
        os.mknod(path, kind | 0o666, os.makedev(*device))
    except PermissionError:
        pytest.skip("creating device nodes needs root (CAP_MKNOD)")


Plant = Callable[[Path, Path], None]  # (app, host)
# name -> (what to plant, the exit code, the names the error may give)
CASES: dict[str, tuple[Plant, int, tuple[str, ...]]] = {
    "link-to-host-file": (lambda a, h: (a / "data.txt").symlink_to(h / "shadow"), 0, ()),
    "link-to-host-file-relative": (lambda a, h: (a / "data.txt").symlink_to(os.path.relpath(h / "shadow", a)), 0, ()),
    "link-to-host-module": (lambda a, h: (a / "settings.py").symlink_to(h / "secret.py"), 0, ()),
    "link-to-host-dir": (lambda a, h: (a / "vendor").symlink_to(h / "dir", target_is_directory=True), 0, ()),
    "link-to-root": (lambda a, h: (a / "root").symlink_to("/", target_is_directory=True), 0, ()),
    "link-to-etc-passwd": (lambda a, h: (a / "passwd").symlink_to("/etc/passwd"), 0, ()),
    "nested-link-to-host": (lambda a, h: ((a / "pkg").mkdir(), (a / "pkg" / "conf.py").symlink_to(h / "secret.py")), 0, ()),
    "link-through-inner-link": (lambda a, h: ((a / "up").symlink_to(".."), (a / "x.txt").symlink_to("up/../host/shadow")), 0, ()),
    "link-loop-pair": (lambda a, h: ((a / "a").symlink_to("b"), (a / "b").symlink_to("a")), 0, ()),
    "link-loop-self": (lambda a, h: (a / "self").symlink_to("self"), 0, ()),
    "link-dir-loop": (lambda a, h: ((a / "sub").mkdir(), (a / "sub" / "loop").symlink_to("..", target_is_directory=True)), 0, ()),
    "dangling-link": (lambda a, h: (a / "gone.py").symlink_to(a / "nowhere.py"), 0, ()),
    "link-to-proc": (lambda a, h: (a / "environ").symlink_to("/proc/self/environ"), 0, ()),
    "manifest-is-link-to-host": (lambda a, h: (a / "requirements.txt").symlink_to("/etc/passwd"), 0, ()),
    "python-version-link-to-host": (lambda a, h: ((a / ".python-version").unlink(), (a / ".python-version").symlink_to(h / "shadow")), 0, ()),
    "go-mod-link-to-host": (lambda a, h: (a / "go.mod").symlink_to(h / "go.mod"), 0, ()),
    "ignore-file-link-to-host": (lambda a, h: (a / ".dockerignore").symlink_to(h / "shadow"), 0, ()),
    "fifo": (lambda a, h: os.mkfifo(a / "pipe"), 0, ()),
    "fifo-named-like-a-manifest": (lambda a, h: os.mkfifo(a / "requirements.txt"), 0, ()),
    "socket": (lambda a, h: _socket(a / "app.sock"), 0, ()),
    "char-device": (lambda a, h: _mknod(a / "null", stat.S_IFCHR, (1, 3)), 0, ()),
    "block-device": (lambda a, h: _mknod(a / "disk", stat.S_IFBLK, (7, 0)), 0, ()),
    "device-named-like-a-module": (lambda a, h: _mknod(a / "app.py", stat.S_IFCHR, (1, 8)), 0, ()),
    "setuid-file": (lambda a, h: ((a / "tool").write_bytes(b"#!/bin/sh\n"), os.chmod(a / "tool", 0o6755)), 0, ()),
    "world-writable-file": (lambda a, h: ((a / "w.txt").write_bytes(b"w"), os.chmod(a / "w.txt", 0o777)), 0, ()),
    "sticky-dir": (lambda a, h: ((a / "t").mkdir(), os.chmod(a / "t", 0o1777), (a / "t" / "f").write_bytes(b"f")), 0, ()),
    "huge-sparse-file": (lambda a, h: os.truncate(_touch(a / "big.bin"), 256 << 20), 0, ()),
    "non-utf8-name": (lambda a, h: Path(os.fsdecode(bytes(a) + b"/\xff\xfe-name.py")).write_bytes(b"x = 1\n"), 21,
                      ("\\xff\\xfe-name.py has a file name that is not UTF-8",)),
    "non-utf8-dir": (lambda a, h: (Path(os.fsdecode(bytes(a) + b"/\xc3\x28")).mkdir(),
                                   Path(os.fsdecode(bytes(a) + b"/\xc3\x28/m.py")).write_bytes(b"")), 21,
                     ("\\xc3(/m.py has a file name that is not UTF-8",)),
    "newline-in-name": (lambda a, h: (a / "evil\nname.py").write_bytes(b"x = 1\n"), 0, ()),
    "newline-requirement-name": (lambda a, h: (a / "requirements\n.txt").write_bytes(b"-r /etc/shadow\n"), 0, ()),
    "leading-dash-name": (lambda a, h: (a / "-rf").write_bytes(b"x"), 0, ()),
    "backslash-and-quotes": (lambda a, h: (a / "a\\b'\"$(x).txt").write_bytes(b"x"), 0, ()),
    # CPython's bytecode file for it would need a longer name than the filesystem allows
    "255-byte-name": (lambda a, h: (a / ("n" * 252 + ".py")).write_bytes(b"x = 1\n"), 51, ("compiling bytecode",)),
    "2000-deep": (lambda a, h: _deep(a, 2000), 21, ("directories deep",)),
    "150-deep": (lambda a, h: _deep(a, 150), 0, ()),
    "dir-named-main-py": (lambda a, h: ((a / "main.py").unlink(), (a / "main.py").mkdir(), (a / "app.py").write_bytes(b"print(1)\n")), 0, ()),
    "dir-named-requirements": (lambda a, h: (a / "requirements.txt").mkdir(), 0, ()),
    "dir-named-python-version": (lambda a, h: ((a / ".python-version").unlink(), (a / ".python-version").mkdir()), 0, ()),
    "ignore-everything": (lambda a, h: (a / ".dockerignore").write_bytes(b"*\n"), 20, ("app/",)),
    "ignore-file-is-binary": (lambda a, h: (a / ".pack-itignore").write_bytes(b"\xff\x00\xfe\n*.py\n!main.py\n"), 0, ()),
    "git-head-to-host": (lambda a, h: ((a / ".git").mkdir(), (a / ".git" / "HEAD").write_bytes(b"ref: ../../host/shadow\n")), 0, ()),
    "git-ref-link-to-host": (lambda a, h: ((a / ".git" / "refs" / "heads").mkdir(parents=True),
                                           (a / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n"),
                                           (a / ".git" / "refs" / "heads" / "main").symlink_to(h / "shadow")), 0, ()),
    "git-is-link-to-host": (lambda a, h: (a / ".git").symlink_to(h / "dir", target_is_directory=True), 0, ()),
    "node-modules-link-to-host": (lambda a, h: (a / "node_modules").symlink_to(h / "dir", target_is_directory=True), 0, ()),
    "venv-with-host-link": (lambda a, h: ((a / ".venv").mkdir(), (a / ".venv" / "pyvenv.cfg").write_bytes(b""),
                                          (a / ".venv" / "lib").symlink_to(h / "dir", target_is_directory=True)), 0, ()),
}


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _app(root: Path) -> Path:
    app = root / "app"
    app.mkdir()
    (app / "main.py").write_bytes(b'print("hello")\n')
    (app / ".python-version").write_bytes(b"3.11\n")
    return app


def _layers(tarball: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    """Every entry of every layer in the output, with its data."""
    found = []
    with tarfile.open(tarball) as outer:
        for member in outer:
            if not member.isfile():
                continue
            data = outer.extractfile(member).read()  # type: ignore[union-attr]
            if data[:2] != b"\x1f\x8b":
                assert SECRET not in data, member.name  # config, manifest, index
                continue
            with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as layer:
                for entry in layer:
                    found.append((entry, layer.extractfile(entry).read() if entry.isfile() else b""))  # type: ignore[union-attr]
    return found


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One cache for every case: the runtime layer is built once."""
    return tmp_path_factory.mktemp("hostile-trees-cache")


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_tree_builds_without_host_content(tmp_path, monkeypatch, capsys, cache, name):
    plant, code, names = CASES[name]
    host = _host(tmp_path)
    app = _app(tmp_path)
    try:
        _build_and_check(tmp_path, monkeypatch, capsys, cache, app, host, plant, code, names)
    finally:
        subprocess.run(["rm", "-rf", str(app)], check=False)  # 2000 levels: pytest's rmtree recurses


def _build_and_check(tmp_path, monkeypatch, capsys, cache, app, host, plant, code, names):
    plant(app, host)
    out = tmp_path / "out" / "image.tar"
    out.parent.mkdir()
    monkeypatch.chdir(tmp_path)
    answer = run_cli(monkeypatch, capsys, ["build", str(app), "-o", f"tar:{out}", "--run-image", "base",
                                            "--cache-dir", str(cache), "-q"], watch=(app, host, tmp_path / "out"),
                     cache=cache, allowed=(out,))
    assert_one_sentence(answer, names, code)
    if code != 0:
        assert not out.exists()
        return
    layers = _layers(out)
    entries = [entry for entry, _ in layers]
    assert any(e.name.endswith("workspace/main.py") or e.name.endswith("workspace/app.py") for e in entries)
    for entry, data in layers:
        assert SECRET not in data, entry.name
        assert entry.isfile() or entry.isdir() or entry.issym() or entry.islnk(), (entry.name, entry.type)
        assert not entry.mode & (stat.S_ISUID | stat.S_ISGID), (entry.name, oct(entry.mode))
        if entry.issym():
            assert not entry.linkname.startswith(str(tmp_path)), (entry.name, entry.linkname)
    app_files = [e.name.split("workspace/", 1)[1] for e in entries if "workspace/" in e.name]
    assert not [f for f in app_files if f.split("/")[0] in ("host", "data.txt", "passwd", "environ", "root", "vendor")
                or f.endswith(("settings.py", "conf.py", "x.txt", "shadow"))], app_files


def test_there_are_many_hostile_trees():
    assert len(CASES) >= 40


# Root reads any file: the build runs without the capabilities that allow it (setpriv).
NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search"]


@pytest.mark.parametrize("what", ["file", "dir", "manifest"])
def test_an_unreadable_file_is_one_sentence_naming_it(tmp_path, what):
    prefix = NO_DAC if os.geteuid() == 0 else []
    if prefix and subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here")
    root = tmp_path
    try:
        app = root / "app"
        app.mkdir()
        (app / "main.py").write_bytes(b'print("hello")\n')
        (app / ".python-version").write_bytes(b"3.11\n")
        target = {"file": app / "data.txt", "dir": app / "private", "manifest": app / "requirements.txt"}[what]
        if what == "dir":
            target.mkdir()
            (target / "f.txt").write_bytes(b"x")
        else:
            target.write_bytes(b"flask==3.0.0\n")
        os.chmod(target, 0)
        home = root / "home"
        home.mkdir()
        proc = subprocess.run([*prefix, sys.executable, "-m", "pack_it", "build", str(app), "-o", f"tar:{root / 'out.tar'}",
                               "--run-image", "base", "--cache-dir", str(home / "cache"), "-q"],
                              capture_output=True, text=True, timeout=300, cwd=root,
                              env={"PYTHONPATH": str(REPO), "HOME": str(home), "PATH": os.environ["PATH"]})
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 21, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert lines[0].startswith("error: ") and target.name in lines[0] and "cannot be read" in lines[0], lines
        assert lines[1].startswith("hint: ") and len(lines) == 2, lines
        assert not (root / "out.tar").exists()
    finally:
        os.chmod(target, 0o755)
