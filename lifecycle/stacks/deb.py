"""Reading a .deb without dpkg: its control fields, md5sums and data files as layer entries.

Extraction is by reading, never by writing to disk: every member of data.tar becomes an
Entry after checks that refuse absolute paths, `..`, links that leave the root, and device
nodes or other special files.
"""

from __future__ import annotations

import io
import lzma
import os
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path

from debian import arfile

from pack_it.errors import INVALID_IMAGE, export_error
from pack_it.lifecycle.archive import Entry


def _unsafe(deb: str, what: str) -> Exception:
    return export_error(f"{deb}: {what}; refusing to use it.",
                        "The package is malformed or malicious: rebuild the lock (pack-it stacks lock) "
                        "or use another mirror.", exit_code=INVALID_IMAGE)


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".zst"):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    if name.endswith(".gz"):
        import gzip

        return gzip.decompress(data)
    if name.endswith(".tar"):
        return data
    raise ValueError(name)


def _member(deb_path: Path, prefix: str) -> tuple[str, bytes]:
    ar = arfile.ArFile(str(deb_path))
    for name in ar.getnames():
        if name.startswith(prefix):
            return name, ar.getmember(name).read()
    raise _unsafe(deb_path.name, f"it has no {prefix}* member")


def safe_path(deb: str, name: str) -> str:
    """A member name made relative to the root ("./usr/bin/x" -> "usr/bin/x"), or an error."""
    if name.startswith("/"):
        raise _unsafe(deb, f"member {name!r} has an absolute path")
    path = posixpath.normpath(name)
    if path == "." or path == "":
        return ""
    if path == ".." or path.startswith("../"):
        raise _unsafe(deb, f"member {name!r} points outside the root")
    return path


def _link_stays_inside(path: str, target: str) -> bool:
    if target.startswith("/"):
        return True  # resolved against the container's root: cannot leave it
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return not (resolved == ".." or resolved.startswith("../"))


@dataclass(frozen=True)
class DebContents:
    control: str  # the control file's text
    md5sums: str
    entries: list[Entry]


def _regular_data(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    assert f is not None  # extractfile is None only for non-file members; callers check isreg()
    return f.read()


def entries_from_tar(label: str, tar_bytes: bytes) -> list[Entry]:
    """The members of a data tarball as layer entries, after the safety checks."""
    entries: list[Entry] = []
    contents: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for member in tar:
            path = safe_path(label, member.name)
            if not path:
                continue
            mode = member.mode & 0o7777
            if member.isdir():
                entries.append(Entry(path, "dir", mode or 0o755, uid=member.uid, gid=member.gid))
            elif member.isreg():
                data = _regular_data(tar, member)
                contents[path] = data
                entries.append(Entry(path, "file", mode, data=data, uid=member.uid, gid=member.gid))
            elif member.issym():
                if not _link_stays_inside(path, member.linkname):
                    raise _unsafe(label, f"symlink {path} -> {member.linkname} leaves the root")
                entries.append(Entry(path, "symlink", 0o777, target=member.linkname))
            elif member.islnk():
                target = safe_path(label, member.linkname)
                if target not in contents:
                    raise _unsafe(label, f"hard link {path} -> {member.linkname} names no earlier file")
                entries.append(Entry(path, "file", mode, data=contents[target], uid=member.uid, gid=member.gid))
            else:
                raise _unsafe(label, f"member {member.name!r} is a device node or other special file")
    return entries


def read_deb(deb_path: Path) -> DebContents:
    control_name, control_data = _member(deb_path, "control.tar")
    control_text, md5sums = "", ""
    with tarfile.open(fileobj=io.BytesIO(_decompress(control_name, control_data))) as tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            if name == "control" and member.isreg():
                control_text = _regular_data(tar, member).decode("utf-8")
            elif name == "md5sums" and member.isreg():
                md5sums = _regular_data(tar, member).decode("utf-8")
    if not control_text:
        raise _unsafe(deb_path.name, "it has no control file")
    data_name, data = _member(deb_path, "data.tar")
    return DebContents(control_text, md5sums, entries_from_tar(deb_path.name, _decompress(data_name, data)))


def unpack_root(debs: list[tuple[str, Path]], root: Path, dpkg_status: bool = False) -> None:
    """Writes each (name, .deb path)'s files under `root` as a file system root, for a
    toolchain unpacked into the cache (packs/java/jdk.py, packs/rust/debian.py); read_deb has
    refused unsafe members. Absolute links are made relative to `root`, so that a link into
    /usr or /etc resolves to the package's own file, never the build root's or the host's.
    `dpkg_status`: each package's control and md5sums in var/lib/dpkg/status.d, where
    scanners read what an image holds."""
    for name, deb_path in debs:
        contents = read_deb(deb_path)
        for entry in contents.entries:
            target = root / entry.path
            if entry.kind == "dir":
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if entry.kind == "symlink":
                link = entry.target
                if link.startswith("/"):
                    link = posixpath.relpath(link.lstrip("/"), posixpath.dirname(entry.path))
                os.symlink(link, target)
            else:
                assert entry.data is not None  # read_deb's files carry their content inline
                target.write_bytes(entry.data)
                target.chmod(0o755 if entry.mode & 0o111 else 0o644)
        if dpkg_status:
            status = root / "var/lib/dpkg/status.d"
            status.mkdir(parents=True, exist_ok=True)
            (status / name).write_text(contents.control)
            if contents.md5sums:
                (status / f"{name}.md5sums").write_text(contents.md5sums)
