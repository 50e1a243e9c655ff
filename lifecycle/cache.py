"""pack-it's cache directory: content-addressed blobs, layer records keyed by their inputs,
and the packs' persistent caches (compilers' and package managers').

    <cache>/blobs/sha256/<hex>        layer blobs, configs, manifests
    <cache>/blobs/checked/<hex>       the file identity a blob had when its digest was last checked
    <cache>/layers/<hex>.json         a built layer: its cache key -> its blob
    <cache>/packs/<pack>/<name>/      a pack's persistent cache (e.g. GOCACHE)
    <cache>/stacks/locks/             stacks re-locked because a locked .deb left the archive
    <cache>/locks/<hex>.lock          per-key locks (fcntl.flock) for directories renamed into place
    <cache>/tmp/                      scratch: build-*, staging-* and download/unpack directories
                                      (scratch_dir), each beside a .lock file its process holds
                                      (flock) while it runs

Every write is renamed into place whole. A blob is trusted on reuse only while its file
identity (inode, size, mtime, ctime) is the one recorded when its digest was last checked;
otherwise it is rehashed, and a blob that does not match its digest is deleted with the
record that led to it, so the layer is rebuilt. Scratch left by a killed build is removed
by the next one: a live build holds the flock on its scratch's lock file, a dead one cannot.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from pack_it.errors import export_error

CHUNK = 1 << 20
MAX_RECORD = 1 << 20  # a layer record is a few hundred bytes
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def default_cache_dir() -> Path:
    if os.environ.get("PACK_IT_CACHE_DIR"):
        return Path(os.environ["PACK_IT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pack-it"


def _same_file(path: Path | str, fd: int) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def create_locked(directory: Path, prefix: str, suffix: str = "") -> tuple[int, str]:
    """A new file in `directory`, flocked by the caller (fd, path). A sweeper that takes the
    lock of a file not yet flocked deletes it; the path then no longer names our file, so we
    make another one."""
    while True:
        fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(path, fd):
            return fd, path
        os.close(fd)


def _take_if_abandoned(path: str) -> int | None:
    """An fd holding the flock of `path` if no live process holds it, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    if not _same_file(path, fd):
        os.close(fd)
        return None
    return fd


def sweep_partials(directory: Path) -> None:
    """Removes the `.partial-*` files in `directory` that no live writer holds (a writer holds
    the flock of its partial file until it is renamed into place)."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(".partial-")]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        fd = _take_if_abandoned(path)
        if fd is not None:
            try:
                os.unlink(path)
            except OSError:
                pass
            finally:
                os.close(fd)


def _locked_dir(tmp: Path, prefix: str) -> tuple[int, Path]:
    """A new directory in `tmp` beside its flocked lock file (fd, directory): `Cache.sweep`
    removes both once no live process holds the lock."""
    fd, lock = create_locked(tmp, prefix, ".lock")
    path = Path(lock.removesuffix(".lock"))
    try:
        path.mkdir()
    except BaseException:
        os.unlink(lock)
        os.close(fd)
        raise
    return fd, path


def _drop_locked_dir(fd: int, path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    try:
        os.unlink(f"{path}.lock")
    except OSError:
        pass
    os.close(fd)


@contextmanager
def scratch_dir(cache_root: Path, prefix: str) -> Iterator[Path]:
    """A fresh directory under the cache's tmp/ for one download or unpack, to be renamed into
    place (same filesystem) when complete: removed on exit, and by the next build's sweep if
    this process is killed first (its lock file's flock dies with it). The one way packs stage
    a runtime or tool in the cache (`.partial-*` directories beside the result are never
    swept)."""
    tmp = Path(cache_root) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    fd, path = _locked_dir(tmp, prefix)
    try:
        yield path
    finally:
        _drop_locked_dir(fd, path)


@contextmanager
def atomic_file(path: Path, staging: Path | None = None) -> Iterator[BinaryIO]:
    """Yields a file that appears at `path` only once it is completely written. The partial
    file is flocked while it is written, so `sweep_partials` can tell a dead writer's."""
    staging = staging or path.parent
    staging.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_locked(staging, ".partial-")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()  # tools run in other directories
        self._locks: dict[str, int] = {}  # scratch dir -> fd holding its lock file's flock
        self._staging: Path | None = None
        self._pending: dict[Path, dict] | None = None  # deferred layer records, see defer_records
        try:
            for sub in ("blobs/sha256", "blobs/checked", "layers", "packs", "tmp", "locks"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise export_error(f"Cannot use the cache directory {self.root}: {e.strerror}.",
                               "Pass a writable one with --cache-dir.")
        self.sweep()
        atexit.register(self.close)

    def disk_error(self, e: OSError) -> Exception:
        hint = ("Free some space on that filesystem (or pass another --cache-dir), then build again."
                if e.errno in DISK_FULL else "Check the cache directory's permissions, or pass another --cache-dir.")
        return export_error(f"Cannot write to the cache {self.root}: {e.strerror or e}.", hint)

    # Scratch ----------------------------------------------------------------------------

    def sweep(self) -> None:
        """Removes the scratch directories and partial files of builds that are no longer
        running: the ones whose lock file no live process holds."""
        tmp = self.root / "tmp"
        try:
            names = os.listdir(tmp)
        except OSError:
            return
        for name in names:
            if not name.endswith(".lock"):
                continue
            lock = tmp / name
            fd = _take_if_abandoned(str(lock))
            if fd is None:
                continue
            try:
                shutil.rmtree(tmp / name.removesuffix(".lock"), ignore_errors=True)
                os.unlink(lock)
            except OSError:
                pass
            finally:
                os.close(fd)
        sweep_partials(tmp)  # from writers that staged beside tmp/ itself

    def _scratch(self, prefix: str) -> Path:
        fd, path = _locked_dir(self.root / "tmp", prefix)
        self._locks[str(path)] = fd
        return path

    def staging_dir(self) -> Path:
        """This process's staging directory for partial files (swept if the process dies)."""
        if self._staging is None or not self._staging.is_dir():
            self._staging = self._scratch("staging-")
        return self._staging

    def work_dir(self) -> Path:
        """A fresh scratch directory for one build; the caller removes it (Cache.remove)."""
        try:
            return self._scratch("build-")
        except OSError as e:
            raise self.disk_error(e)

    def release(self, path: Path) -> None:
        """Removes a scratch directory and its lock file."""
        fd = self._locks.pop(str(path), None)
        if fd is None:
            shutil.rmtree(path, ignore_errors=True)
        else:
            _drop_locked_dir(fd, path)

    def close(self) -> None:
        for path in list(self._locks):
            self.release(Path(path))
        self._staging = None

    @staticmethod
    def remove(path: Path) -> None:
        """Removes a scratch directory and its lock file (the flock goes with its fd, at
        close() or exit at the latest)."""
        shutil.rmtree(path, ignore_errors=True)
        try:
            os.unlink(f"{path}.lock")
        except OSError:
            pass

    # Locks ------------------------------------------------------------------------------

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive lock on `name` among every build sharing this cache."""
        path = self.root / "locks" / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def place_dir(self, staging: Path, final: Path, ready: Path | None = None) -> None:
        """Renames the complete directory `staging` to `final`, unless another build already
        put one there (`ready`, default `final`, tells that it is complete): then `staging`
        is dropped. A complete `final` is never replaced, so a build reading it is safe."""
        with self.lock(str(final)):
            if (ready or final).exists():
                shutil.rmtree(staging, ignore_errors=True)
                return
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():  # incomplete: from a build killed midway
                shutil.rmtree(final)
            os.replace(staging, final)

    # Blobs ------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest.removeprefix("sha256:")

    def _checked_path(self, digest: str) -> Path:
        return self.root / "blobs" / "checked" / digest.removeprefix("sha256:")

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    @staticmethod
    def _identity(st: os.stat_result) -> list[int]:
        return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]

    def _mark_checked(self, digest: str) -> None:
        try:
            identity = self._identity(os.stat(self.blob_path(digest)))
            with atomic_file(self._checked_path(digest), self.staging_dir()) as f:
                f.write(json.dumps(identity).encode())
        except OSError:
            pass  # only costs a rehash next time

    def forget_blob(self, digest: str) -> None:
        for path in (self.blob_path(digest), self._checked_path(digest)):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def verify_blob(self, digest: object, size: int | None = None) -> bool:
        """Whether the blob is there and matches its digest (and size). Its file identity is
        compared with the one recorded at the last check; only a change costs a rehash. A
        blob that does not match is deleted."""
        if not isinstance(digest, str) or len(digest) != 71 or not digest.startswith("sha256:"):
            return False
        path = self.blob_path(digest)
        try:
            st = os.stat(path)
        except OSError:
            return False
        if size is not None and st.st_size != size:
            self.forget_blob(digest)
            return False
        try:
            if json.loads(self._checked_path(digest).read_bytes()[:200]) == self._identity(st):
                return True
        except (OSError, ValueError, RecursionError):
            pass
        sha = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    sha.update(chunk)
        except OSError:
            return False
        if "sha256:" + sha.hexdigest() != digest:
            self.forget_blob(digest)
            return False
        self._mark_checked(digest)
        return True

    def put_bytes(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if not self.verify_blob(digest, len(data)):
            try:
                with atomic_file(self.blob_path(digest), self.staging_dir()) as f:
                    f.write(data)
            except OSError as e:
                raise self.disk_error(e)
            self._mark_checked(digest)
        return digest

    @contextmanager
    def new_blob(self) -> Iterator[tuple[BinaryIO, list[str]]]:
        """Yields (file, holder): write the blob, put its digest in holder[0]; on exit it is
        renamed to its content address, or removed if anything failed."""
        try:
            fd, tmp = create_locked(self.staging_dir(), ".partial-")
        except OSError as e:
            raise self.disk_error(e)
        holder: list[str] = []
        try:
            try:
                with os.fdopen(fd, "wb") as f:
                    yield f, holder
                    f.flush()
                    os.chmod(tmp, 0o644)
                    os.replace(tmp, self.blob_path(holder[0]))
            except OSError as e:
                raise self.disk_error(e)
        except BaseException:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise
        self._mark_checked(holder[0])

    # Layer records --------------------------------------------------------------------

    def _record_path(self, pack: str, name: str, key: str, epoch: int) -> Path:
        # The epoch is part of the layer's bytes (every mtime), so it is part of its identity.
        h = hashlib.sha256(f"{pack}\0{name}\0{key}\0{epoch}".encode()).hexdigest()
        return self.root / "layers" / f"{h}.json"

    def layer_record(self, pack: str, name: str, key: str, epoch: int) -> dict | None:
        """The record of a layer built earlier from the same inputs, if its blob is intact.
        A corrupt record, or one whose blob is damaged, is deleted (the layer is rebuilt)."""
        path = self._record_path(pack, name, key, epoch)
        if self._pending is not None and path in self._pending:
            return self._pending[path]
        try:
            with path.open("rb") as f:
                record = json.loads(f.read(MAX_RECORD))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError):
            record = None
        size = record.get("size") if isinstance(record, dict) else None
        if (isinstance(record, dict) and (size is None or type(size) is int)
                and self.verify_blob(record.get("digest"), size)):
            return record
        try:
            path.unlink()
        except OSError:
            pass
        return None

    def save_layer_record(self, pack: str, name: str, key: str, epoch: int, record: dict) -> None:
        path = self._record_path(pack, name, key, epoch)
        if self._pending is not None:
            self._pending[path] = record
            return
        self._write_record(path, record)

    def _write_record(self, path: Path, record: dict) -> None:
        try:
            with atomic_file(path, self.staging_dir()) as f:
                f.write(json.dumps(record, sort_keys=True).encode())
        except OSError as e:
            raise self.disk_error(e)

    def defer_records(self) -> None:
        """From now on, layer records are kept in memory (and seen by layer_record) until
        commit_records writes them, or discard_records drops them: a build whose source
        changed while it ran must not record its layers under the old content's keys."""
        self._pending = {}

    def pending_records(self) -> int:
        return len(self._pending or {})

    def commit_records(self) -> None:
        pending, self._pending = self._pending or {}, None
        for path, record in pending.items():
            self._write_record(path, record)

    def discard_records(self) -> None:
        self._pending = None

    # Packs' persistent caches -----------------------------------------------------------

    def pack_dir(self, pack: str, name: str) -> Path:
        path = self.root / "packs" / pack / name
        path.mkdir(parents=True, exist_ok=True)
        return path
