"""The layers launching adds to an image: the launcher binary, and the shell a command needs.

The launcher ships prebuilt inside pack-it (launcher-linux-amd64, made by
`python tools/build_launcher.py` from launcher/main.go with a pinned Go; a test rebuilds it and
compares the bytes), so building an image needs no Go toolchain and every machine adds the same
bytes. The shell is a level of the verified Debian pipeline (stacks/definitions/dash.toml,
busybox.toml): locked, sha256-checked .debs, as every stack is."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pack_it.lifecycle.archive import LayerBlob, dir_entry, file_entry, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.launch import LAUNCHER, LAYER_NAME, LAYER_PACK
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.reporter import Reporter

BINARY = Path(__file__).parent / "launcher-linux-amd64"
FORMAT = "1"  # bump when the layer's layout changes


def _blob_layer(name: str, key: str, cache: Cache, epoch: int, entries_of) -> Layer:
    record = cache.layer_record(LAYER_PACK, name, key, epoch)
    if record is not None and cache.verify_blob(record["digest"], record["size"]):
        blob = LayerBlob(record["digest"], record["size"], record["diff_id"], record["uncompressed_size"])
        return Layer(LAYER_PACK, name, key, launch=True, blob=blob, reused=True)
    with cache.new_blob() as (f, holder):
        blob = write_layer(entries_of(), f, epoch)
        holder.append(blob.digest)
    cache.save_layer_record(LAYER_PACK, name, key, epoch, {
        "digest": blob.digest, "size": blob.size, "diff_id": blob.diff_id,
        "uncompressed_size": blob.uncompressed_size, "env": {}, "has_bin": False})
    return Layer(LAYER_PACK, name, key, launch=True, blob=blob)


def launcher_layer(cache: Cache, epoch: int) -> Layer:
    """The launcher at LAUNCHER, one blob for every image that uses it."""
    data = BINARY.read_bytes()
    key = hashlib.sha256(FORMAT.encode() + b"\0" + data).hexdigest()
    directory = LAUNCHER.rsplit("/", 1)[0].lstrip("/")
    return _blob_layer(LAYER_NAME, key, cache, epoch, lambda: [
        dir_entry("layers"), dir_entry(f"layers/{LAYER_PACK}"), dir_entry(directory),
        file_entry(LAUNCHER.lstrip("/"), data, mode=0o755)])


def shell_level(run_reference: str) -> tuple[str, str] | None:
    """(shell level, Debian release) for a stack run image (`python-debian12`): dash where the
    stack has a libc, busybox-static on `static`; None for an image pack-it did not assemble."""
    from pack_it.lifecycle.stacks.definitions import DEFAULT_RELEASE, STACKS, releases

    name, _, release = run_reference.partition("-")
    release = release or DEFAULT_RELEASE
    if name == "base":
        return "busybox", "debian12"
    if name not in STACKS or release not in releases():
        return None
    return ("dash" if has_libc(name, release) else "busybox"), release


def has_libc(stack: str, release: str) -> bool:
    """Whether a stack's levels carry glibc (dash needs it; busybox-static does not)."""
    from pack_it.lifecycle.stacks.definitions import chain

    return any("libc6" in level.packages for level in chain(stack, release))


def shell_layer(run_reference: str, cache: Cache, epoch: int, reporter: Reporter, locked: bool) -> Layer | None:
    """The shell's layer for an image on `run_reference`, or None when the run image is not a
    stack (it brings its own /bin/sh, or the command fails there as it would anywhere)."""
    from pack_it.lifecycle.stacks import assemble, relock
    from pack_it.lifecycle.stacks.definitions import load

    found = shell_level(run_reference)
    if found is None:
        reporter.warn(f"The run image {run_reference} is not a pack-it stack: a command that needs a shell uses "
                      "its /bin/sh, if it has one.")
        return None
    name, release = found
    relocked = None if locked else relock.current(cache, release)
    packages = relocked.stacks.get(name) if relocked else None
    blob = assemble.level_layer(load(name, release), cache, epoch, reporter, packages)
    return Layer(LAYER_PACK, f"shell-{name}", blob.digest, launch=True, blob=blob, reused=True)
