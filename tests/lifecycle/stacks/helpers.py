"""Helpers shared by the stack tests (not a test module)."""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import tarfile
from dataclasses import dataclass
from pathlib import Path

import zstandard


def leftovers(root: Path) -> list[str]:
    """Staging files a failed write left anywhere below `root`."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.startswith(".partial-"))


def cache_contents(root: Path) -> dict[str, list[str]]:
    """What a pack-it cache holds: blob names, layer records, staging files. A live process's
    own (empty) staging directory and the lock files beside scratch are not staging files."""
    def names(sub: str) -> list[str]:
        d = root / sub
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    tmp = root / "tmp"
    staged = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*")
                    if not p.is_dir() and p.suffix != ".lock") if tmp.is_dir() else []
    return {"blobs": names("blobs/sha256"), "layers": names("layers"), "tmp": staged}


def layer_members(blob: Path) -> dict[str, tarfile.TarInfo]:
    """A gzipped layer tarball's members by path (no trailing slash)."""
    with tarfile.open(blob, "r:gz") as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


def layer_file(blob: Path, path: str) -> bytes:
    with tarfile.open(blob, "r:gz") as tar:
        f = tar.extractfile(path)
        assert f is not None, f"{path} is not a regular file in {blob.name}"
        return f.read()


def layer_files(blob: Path, prefix: str) -> dict[str, bytes]:
    """The regular files under `prefix` in a layer, with their contents."""
    out = {}
    with tarfile.open(blob, "r:gz") as tar:
        for m in tar:
            if m.isreg() and m.name.startswith(prefix):
                out[m.name] = tar.extractfile(m).read()
    return out


# Building .debs (ar archive with debian-binary, control.tar.*, data.tar.*) -----------------

CONTROL = """\
Package: hello
Version: 1.2-3
Architecture: amd64
Maintainer: Test <test@example.com>
Description: a test package
"""


def ar_archive(members: list[tuple[str, bytes]]) -> bytes:
    """The common ar format, as dpkg-deb writes it: a magic line, then per member a 60-byte
    header (name, mtime, uid, gid, octal mode, size, `\\n) and the data padded to even size."""
    out = [b"!<arch>\n"]
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        assert len(header) == 60
        out += [header, data, b"\n" if len(data) % 2 else b""]
    return b"".join(out)


@dataclass
class M:
    """One data.tar member."""

    name: str
    kind: str = "file"  # file, dir, symlink, hardlink, chr, blk, fifo
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    target: str = ""

    def info(self) -> tarfile.TarInfo:
        info = tarfile.TarInfo(self.name)
        info.mode, info.uid, info.gid, info.mtime = self.mode, self.uid, self.gid, 1700000000
        info.uname = info.gname = "root"
        info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                     "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE,
                     "fifo": tarfile.FIFOTYPE}[self.kind]
        if self.kind in ("symlink", "hardlink"):
            info.linkname = self.target
        if self.kind in ("chr", "blk"):
            info.devmajor, info.devminor = 1, 3
        if self.kind == "file":
            info.size = len(self.data)
        return info


def tar_bytes(members: list[M]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for m in members:
            tar.addfile(m.info(), io.BytesIO(m.data) if m.kind == "file" else None)
    return buf.getvalue()


COMPRESS = {
    "xz": lzma.compress,
    "gz": lambda b: gzip.compress(b, mtime=0),
    "zst": lambda b: zstandard.ZstdCompressor().compress(b),
    "": lambda b: b,
}


def make_deb(path: Path, data: list[M], control: str = CONTROL, md5sums: str | None = None,
             data_compression: str = "xz", control_compression: str = "gz") -> Path:
    """A .deb; md5sums defaults to the real sums of `data`'s regular files ("" for none)."""
    if md5sums is None:
        md5sums = "".join(f"{hashlib.md5(m.data).hexdigest()}  {m.name.removeprefix('./')}\n"
                          for m in data if m.kind == "file")
    control_members = [M("./", "dir", mode=0o755), M("./control", data=control.encode())]
    if md5sums:
        control_members.append(M("./md5sums", data=md5sums.encode()))
    suffix = lambda c: f".{c}" if c else ""  # noqa: E731
    path.write_bytes(ar_archive([
        ("debian-binary", b"2.0\n"),
        (f"control.tar{suffix(control_compression)}", COMPRESS[control_compression](tar_bytes(control_members))),
        (f"data.tar{suffix(data_compression)}", COMPRESS[data_compression](tar_bytes(data))),
    ]))
    return path
