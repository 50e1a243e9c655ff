"""pack-it's cache directory: content-addressed blobs, layer records keyed by their inputs,
and the packs' persistent caches (compilers' and package managers').

    <cache>/blobs/sha256/<hex>        layer blobs, configs, manifests
    <cache>/layers/<hex>.json         a built layer: its cache key -> its blob
    <cache>/packs/<pack>/<name>/      a pack's persistent cache (e.g. GOCACHE)
    <cache>/stacks/locks/             stacks re-locked because a locked .deb left the archive
    <cache>/tmp/                      staging; every write is renamed into place whole
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from pack_it.errors import export_error


def default_cache_dir() -> Path:
    if os.environ.get("PACK_IT_CACHE_DIR"):
        return Path(os.environ["PACK_IT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pack-it"


@contextmanager
def atomic_file(path: Path, staging: Path | None = None) -> Iterator[BinaryIO]:
    """Yields a file that appears at `path` only once it is completely written."""
    staging = staging or path.parent
    staging.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=staging, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            for sub in ("blobs/sha256", "layers", "packs", "tmp"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise export_error(f"Cannot use the cache directory {self.root}: {e.strerror}.",
                               "Pass a writable one with --cache-dir.")

    # Blobs ------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest.removeprefix("sha256:")

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def put_bytes(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if not self.has_blob(digest):
            with atomic_file(self.blob_path(digest), self.root / "tmp") as f:
                f.write(data)
        return digest

    @contextmanager
    def new_blob(self) -> Iterator[tuple[BinaryIO, list[str]]]:
        """Yields (file, holder): write the blob, put its digest in holder[0]; on exit it is
        renamed to its content address, or removed if anything failed."""
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp", prefix=".partial-")
        holder: list[str] = []
        try:
            with os.fdopen(fd, "wb") as f:
                yield f, holder
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.blob_path(holder[0]))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # Layer records --------------------------------------------------------------------

    def _record_path(self, pack: str, name: str, key: str, epoch: int) -> Path:
        # The epoch is part of the layer's bytes (every mtime), so it is part of its identity.
        h = hashlib.sha256(f"{pack}\0{name}\0{key}\0{epoch}".encode()).hexdigest()
        return self.root / "layers" / f"{h}.json"

    def layer_record(self, pack: str, name: str, key: str, epoch: int) -> dict | None:
        path = self._record_path(pack, name, key, epoch)
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return record if self.has_blob(record.get("digest", "")) else None

    def save_layer_record(self, pack: str, name: str, key: str, epoch: int, record: dict) -> None:
        with atomic_file(self._record_path(pack, name, key, epoch), self.root / "tmp") as f:
            f.write(json.dumps(record, sort_keys=True).encode())

    # Packs' persistent caches -----------------------------------------------------------

    def pack_dir(self, pack: str, name: str) -> Path:
        path = self.root / "packs" / pack / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def work_dir(self) -> Path:
        """A fresh scratch directory for one build; the caller removes it."""
        return Path(tempfile.mkdtemp(dir=self.root / "tmp", prefix="build-"))

    @staticmethod
    def remove(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
