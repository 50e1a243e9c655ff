"""Deterministic layer tarballs: the same files give the same bytes on any machine, any day.

As the CNB lifecycle's archive writer does: entries sorted, every parent directory written
explicitly, one fixed mtime (integer, so no PAX time records), fixed owners with empty
names, normalised modes; gzip with header mtime 0, no file name, one pinned level.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import BinaryIO, IO, Iterable, cast

# 1980-01-01T00:00:01Z, the CNB lifecycle's fixed time: after the DOS epoch, so zip-based
# formats inside layers keep valid dates. SOURCE_DATE_EPOCH overrides it.
DEFAULT_EPOCH = 315532801
GZIP_LEVEL = 6
ROOT = 0


def source_date_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else DEFAULT_EPOCH


def timestamp(epoch: int) -> str:
    """The RFC 3339 form image configs use for `created`."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Entry:
    """One file, directory or symlink at `path` (relative to the image root, no leading /)."""

    path: str
    kind: str  # "file", "dir" or "symlink"
    mode: int
    data: bytes | None = None  # file content given inline
    source: Path | None = None  # file content read from here
    target: str = ""  # symlink target
    uid: int = ROOT
    gid: int = ROOT


def file_entry(path: str, data: bytes, mode: int = 0o644, uid: int = ROOT, gid: int = ROOT) -> Entry:
    return Entry(path, "file", mode, data=data, uid=uid, gid=gid)


def dir_entry(path: str, mode: int = 0o755, uid: int = ROOT, gid: int = ROOT) -> Entry:
    return Entry(path, "dir", mode, uid=uid, gid=gid)


def tree_entries(directory: Path, prefix: str, uid: int = ROOT, gid: int = ROOT) -> list[Entry]:
    """Everything below `directory`, placed under `prefix` in the image, modes normalised:
    0755 for directories and executables, 0644 for other files."""
    entries = [dir_entry(prefix, uid=uid, gid=gid)]
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(directory).as_posix()
        base = prefix if rel_dir == "." else f"{prefix}/{rel_dir}"
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            path = f"{base}/{name}"
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                entries.append(Entry(path, "symlink", 0o777, target=os.readlink(full), uid=uid, gid=gid))
            elif stat.S_ISDIR(st.st_mode):
                entries.append(dir_entry(path, uid=uid, gid=gid))
            elif stat.S_ISREG(st.st_mode):
                mode = 0o755 if st.st_mode & 0o111 else 0o644
                entries.append(Entry(path, "file", mode, source=full, uid=uid, gid=gid))
    return entries


def _with_parents(entries: Iterable[Entry]) -> list[Entry]:
    by_path = {}
    for entry in entries:
        path = str(PurePosixPath(entry.path))
        by_path[path] = Entry(**{**entry.__dict__, "path": path})
    for path in list(by_path):
        for parent in PurePosixPath(path).parents:
            if str(parent) != "." and str(parent) not in by_path:
                by_path[str(parent)] = dir_entry(str(parent))
    return [by_path[p] for p in sorted(by_path)]


def write_tar(entries: Iterable[Entry], out: BinaryIO, mtime: int) -> None:
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for entry in _with_parents(entries):
            info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
            info.mtime = mtime
            info.uid, info.gid = entry.uid, entry.gid
            info.uname = info.gname = ""
            info.mode = entry.mode
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif entry.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry.target
                tar.addfile(info)
            elif entry.data is not None:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
            else:
                assert entry.source is not None  # a file entry has its data inline or a source
                with entry.source.open("rb") as f:
                    info.size = os.fstat(f.fileno()).st_size
                    tar.addfile(info, f)


class _Hashing:
    """A write-only stream that hashes and counts what passes through to `inner`."""

    def __init__(self, inner: IO[bytes] | gzip.GzipFile | None) -> None:
        self.inner = inner
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        if self.inner is not None:
            self.inner.write(data)
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here (write passes straight through); gzip and tarfile call it."""


@dataclass(frozen=True)
class LayerBlob:
    """A compressed layer: `digest`/`size` of the gzip blob, `diff_id` of the tar inside."""

    digest: str
    size: int
    diff_id: str
    uncompressed_size: int


def write_layer(entries: Iterable[Entry], out: BinaryIO, mtime: int) -> LayerBlob:
    """Writes the gzipped tar of `entries` to `out`, hashing both forms in one pass."""
    compressed = _Hashing(out)
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=GZIP_LEVEL, mtime=0) as gz:
        uncompressed = _Hashing(gz)
        write_tar(entries, cast(BinaryIO, uncompressed), mtime)  # tarfile's "w|" mode only writes
    return LayerBlob(
        digest="sha256:" + compressed.sha.hexdigest(),
        size=compressed.size,
        diff_id="sha256:" + uncompressed.sha.hexdigest(),
        uncompressed_size=uncompressed.size,
    )


def uncompressed_size(blob: BinaryIO, media_type: str) -> int:
    """A layer's tar size: for gzip, read from the trailer (ISIZE, exact below 4 GiB)."""
    blob.seek(0, os.SEEK_END)
    end = blob.tell()
    if not media_type.endswith("gzip") or end < 18:
        return end
    blob.seek(end - 4)
    return int.from_bytes(blob.read(4), "little")
