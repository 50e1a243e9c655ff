"""Missing sonames -> Debian packages -> one locked layer.

Which release: a stack names it (`cc-debian12`); any other run image says it in its
os-release (VERSION_CODENAME). A soname is shipped by a package when Contents lists a file of
that name in a directory the loader searches; several packages (alternatives, -dev links do
not count: they are not in those directories under the soname) are chosen between by name,
so the choice is the same every time. Dependencies are resolved as the stacks' are (Depends
and Pre-Depends, minus the exclude list and what the run image's status.d lists).
"""

from __future__ import annotations

import hashlib
import json

from pack_it.lifecycle.archive import Entry, LayerBlob, file_entry, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.native import FORMAT, LAYER, PACK, Added, NativeResult, _load, _records, _save
from pack_it.lifecycle.native import archive
from pack_it.lifecycle.native.scan import ImageScan
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.runimage import RunImage
from pack_it.lifecycle.stacks import lockfile, trim
from pack_it.lifecycle.stacks.debian import Index, Package, resolve
from pack_it.lifecycle.stacks.definitions import STACKS, Release, excluded, parse_reference, releases

FIELDS = lockfile.FIELDS


def release_of(run: RunImage, image: ImageScan) -> Release | None:
    known = releases()
    label = ((run.image.config_json.get("config") or {}).get("Labels") or {}).get("io.pack-it.stack")
    for reference in (label, run.reference):
        if reference:
            try:
                return known[parse_reference(reference)[1]]
            except Exception:  # not a stack name: ask the image itself
                pass
    if image.os_release.get("ID") == "debian":
        codename = image.os_release.get("VERSION_CODENAME")
        return next((r for r in known.values() if r.codename == codename), None)
    return None


def _locked_versions(release: Release) -> dict[str, Package]:
    pinned: dict[str, Package] = {}
    for stack in STACKS:
        try:
            for package in lockfile.read(stack, release.id):
                pinned.setdefault(package.name, package)
        except Exception:  # a stack without a lock for this release
            continue
    return pinned


def choose(soname: str, candidates: list[str], index: Index) -> str | None:
    """The package to add for `soname`: one that exists in the release's Packages, preferring
    a library package (lib*) over a program that happens to ship the same file name."""
    present = [c for c in candidates if c in index.by_name]
    if not present:
        return None
    return sorted(present, key=lambda name: (not name.startswith("lib"), name.endswith("-dev"), len(name), name))[0]


def _resolution(needs: dict[str, list[str]], release: Release, image: ImageScan, cache: Cache,
                reporter: Reporter) -> dict:
    """What to add for these sonames: recorded per (release, sonames, run image packages),
    so that a rebuild reads no index."""
    key = json.dumps([release.id, sorted(needs), sorted(image.packages)])
    path = _records(cache, "resolutions", key)
    if (known := _load(path)) is not None:
        return known
    snap = archive.snapshot(cache, release, reporter)
    sonames = archive.soname_index(cache, snap, reporter)
    index = archive.package_index(cache, snap)
    roots: dict[str, str] = {}  # soname -> package
    unresolved = []
    for soname in needs:
        pick = choose(soname, sonames.get(soname, []), index)
        if pick is None:
            unresolved.append(soname)
        else:
            roots[soname] = pick
    exclude, installed = excluded(), set(image.packages)
    chosen = resolve(sorted(set(roots.values())), index, exclude, installed)
    pinned = _locked_versions(release)
    chosen = [pinned.get(p.name, p) for p in chosen]
    # Why each package is there: the first root (by soname) whose closure holds it.
    why: dict[str, str] = {}
    for soname, root in sorted(roots.items()):
        for package in resolve([root], index, exclude, installed):
            why.setdefault(package.name, root)
    record = {
        "snapshot": snap.id, "release": release.id,
        "packages": [{k: getattr(p, k) for k in FIELDS} for p in chosen],
        "roots": roots, "why": why, "unresolved": unresolved,
    }
    _save(cache, path, record)
    return record


def _entries(packages: list[Package], cache: Cache) -> list[Entry]:
    from pack_it.lifecycle.stacks.deb import read_deb  # only when the layer is made, not on a rebuild

    entries: list[Entry] = []
    for package in packages:
        contents = read_deb(cache.blob_path("sha256:" + package.sha256))
        entries += [e for e in contents.entries if not trim.removed(e.path)]
        entries.append(file_entry(f"var/lib/dpkg/status.d/{package.name}", contents.control.encode()))
        if contents.md5sums:
            entries.append(file_entry(f"var/lib/dpkg/status.d/{package.name}.md5sums", contents.md5sums.encode()))
    return entries


def _layer_key(release: Release, packages: list[Package]) -> str:
    return hashlib.sha256(json.dumps({
        "format": FORMAT, "trim": trim.VERSION, "release": release.id,
        "packages": [[p.name, p.version, p.sha256] for p in packages],
    }, sort_keys=True).encode()).hexdigest()


def _blob(release: Release, packages: list[Package], cache: Cache, epoch: int,
          reporter: Reporter) -> tuple[str, LayerBlob, bool]:
    key = _layer_key(release, packages)
    record = cache.layer_record(PACK, LAYER, key, epoch)
    if record:
        return key, LayerBlob(record["digest"], record["size"], record["diff_id"], record["uncompressed_size"]), True
    from pack_it.lifecycle.stacks.retention import fetch_locked

    missing = [p for p in packages if not cache.has_blob("sha256:" + p.sha256)]
    if missing:
        reporter.step(f"downloading {len(missing)} packages ({sum(p.size for p in missing) / 1e6:.1f} MB)")
    for package in missing:
        if not fetch_locked(package, cache.blob_path("sha256:" + package.sha256), reporter):
            from pack_it.errors import export_error

            raise export_error(f"{package.name} {package.version}, which native code in the image needs, is gone "
                               "from the Debian archive and every retention mirror.",
                               f"Delete {archive.snapshot_path(cache, release.id)} to resolve it anew from the "
                               "current index, or set PACK_IT_DEBIAN_RETENTION_MIRRORS.")
    with cache.new_blob() as (f, holder):
        blob = write_layer(_entries(packages, cache), f, epoch)
        holder.append(blob.digest)
    cache.save_layer_record(PACK, LAYER, key, epoch, {
        "digest": blob.digest, "size": blob.size, "diff_id": blob.diff_id, "uncompressed_size": blob.uncompressed_size,
    })
    return key, blob, False


def packages_layer(needs: dict[str, list[str]], run: RunImage, image: ImageScan, cache: Cache, epoch: int,
                   reporter: Reporter) -> NativeResult:
    release = release_of(run, image)
    if release is None:
        for soname, files in needs.items():
            reporter.warn(f"{files[0]} needs {soname}, which the run image {run.reference} lacks; pack-it adds "
                          "Debian packages only to Debian run images. Use a stack (--run-image cc) or add it "
                          "to your run image.")
        return NativeResult(None, (), needs)
    record = _resolution(needs, release, image, cache, reporter)
    unresolved = {s: needs[s] for s in record["unresolved"] if s in needs}
    for soname, files in unresolved.items():
        reporter.warn(f"{files[0]} needs {soname}, and no package of Debian {release.codename} ships it; the "
                      "program will not start unless the app brings the library itself.")
    packages = [Package(**p) for p in record["packages"]]
    if not packages:
        return NativeResult(None, (), unresolved)
    package_of: dict[str, str] = {}
    for name, root in sorted(record["roots"].items()):
        package_of.setdefault(root, name)
    added = []
    for p in packages:
        shipped = package_of.get(p.name)
        if shipped is not None:
            added.append(Added(p.name, p.version, p.sha256, shipped, needs[shipped][0]))
        else:
            root = record["why"].get(p.name, "")
            added.append(Added(p.name, p.version, p.sha256, None, f"{root} (Depends)"))
    key, blob, reused = _blob(release, packages, cache, epoch, reporter)
    for a in added:
        reporter.step(f"  + {a.package} {a.version}: " +
                      (f"{a.soname} for {a.needed_by}" if a.soname else f"for {a.needed_by}"))
    layer = Layer(PACK, LAYER, key, launch=True, blob=blob, reused=reused, at="/")
    return NativeResult(layer, tuple(added), unresolved)
