"""Native code's runtime libraries follow it into the image.

Between build and export, every launch layer (whichever pack made it) is scanned for ELF
files; the sonames they need that neither the run image nor the layers provide (searched as
glibc's loader does: search.py) are mapped to the Debian packages that ship them in the run
image's release (archive.py: Contents and Packages of one verified snapshot), resolved with
their dependencies minus what the run image holds, and added as one layer right above the
run image: each package's files (trimmed like the stacks') and its control fields in
/var/lib/dpkg/status.d for scanners. libpq.so.5 needed by psycopg2's extension brings libpq5.

A package a stack's lock pins is taken at that version; any other at the snapshot's. The
resolution of a set of sonames is recorded in the cache, so rebuilds pick the same packages
without reading any index, and the layer is keyed by the packages' SHA256s.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

from pack_it.lifecycle.cache import Cache, atomic_file
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.native import search
from pack_it.lifecycle.native.scan import ImageScan, LayerScan, scan_directory, scan_image_layer, scan_tar
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.runimage import RunImage

PACK = "native"  # the layer's owner in the image metadata: the lifecycle, not a pack
LAYER = "packages"
FORMAT = "1"  # bump when what a scan records, or what goes into the layer, changes
METADATA_KEY = "native"


@dataclass(frozen=True)
class Added:
    """One Debian package added to the image, and why: the soname and the first file that
    needed it, or the package whose Depends brought it."""

    package: str
    version: str
    sha256: str
    soname: str | None
    needed_by: str  # an image path, or "<package> (Depends)"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NativeResult:
    layer: Layer | None
    added: tuple[Added, ...]
    unresolved: dict[str, list[str]]  # sonames no package of the release ships -> files


def _records(cache: Cache, kind: str, key: str) -> Path:
    return cache.root / "native" / kind / f"{hashlib.sha256(key.encode()).hexdigest()}.json"


def _load(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _save(cache: Cache, path: Path, data: dict) -> None:
    with atomic_file(path, cache.root / "tmp") as f:
        f.write(json.dumps({**data, "format": FORMAT}, sort_keys=True).encode())


def layer_scan(layer: Layer, cache: Cache, epoch: int) -> LayerScan:
    """A layer's scan: fresh for a layer just built, else the one recorded with it (keyed as
    the layer's record is), else read from its blob."""
    path = _records(cache, "scans", json.dumps([layer.pack, layer.name, layer.key, epoch]))
    if layer.path is None and (known := _load(path)) is not None:
        return LayerScan.from_json(known["scan"])
    if layer.path is not None:
        scan = scan_directory(layer.path, layer.image_path)
    else:
        assert layer.blob is not None  # a reused layer has its blob
        with cache.blob_path(layer.blob.digest).open("rb") as f:
            scan = scan_tar(f, layer.image_path)
    _save(cache, path, {"scan": scan.to_json()})
    return scan


def image_scan(run: RunImage, cache: Cache, reporter: Reporter = Reporter()) -> ImageScan:
    path = _records(cache, "images", run.image.digest)
    if (known := _load(path)) is not None:
        return ImageScan.from_json(known["scan"])
    scan = ImageScan()
    for descriptor in run.image.layers:
        with cache.blob_path(descriptor.digest).open("rb") as f:
            try:
                scan_image_layer(f, scan)
            except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
                # A layer this reader cannot list (zstd, say): its libraries count as absent,
                # so at worst a package the image already has is added again.
                reporter.warn(f"The run image {run.reference}'s layer {descriptor.digest[:19]} cannot be read "
                              f"for its libraries ({e}); native libraries are looked for without it.")
    _save(cache, path, {"scan": scan.to_json()})
    return scan


def _ld_library_path(layers: list[Layer], base_env: list[str]) -> list[str]:
    value = next((e.split("=", 1)[1] for e in base_env if e.startswith("LD_LIBRARY_PATH=")), "")
    for layer in layers:
        value = layer.env.get("LD_LIBRARY_PATH", value)
    return [d for d in value.split(":") if d]


def libraries(run: RunImage, layers: list[Layer], cache: Cache, epoch: int,
              reporter: Reporter = Reporter()) -> NativeResult:
    """The layer of Debian packages the launch layers' native code needs (None when the run
    image has everything), with what each package is there for."""
    launch = [layer for layer in layers if layer.launch]
    scans = [layer_scan(layer, cache, epoch) for layer in launch]
    if not any(scan.elves for scan in scans):
        return NativeResult(None, (), {})
    image = image_scan(run, cache, reporter)
    env = (run.image.config_json.get("config") or {}).get("Env") or []
    needs = search.missing(scans, image, _ld_library_path(launch, env))
    if not needs:
        return NativeResult(None, (), {})
    from pack_it.lifecycle.native import resolve  # the Debian machinery, only when something is missing

    return resolve.packages_layer(needs, run, image, cache, epoch, reporter)
