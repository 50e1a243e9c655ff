"""`pack-it inspect`: what is in an image file, with each layer traced to the pack that
made it (through the pack-it metadata label) or to the run image."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

from pack_it.errors import INVALID_IMAGE, export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.archive import uncompressed_size
from pack_it.lifecycle.cache import Cache, default_cache_dir
from pack_it.lifecycle.imagefile import open_image
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.registry import names


class CachedImage:
    """An image whose blobs are in the cache (pulled from a registry, verified)."""

    def __init__(self, image: Image, cache: Cache, where: str) -> None:
        self.image = image
        self.cache = cache
        self.where = where

    def verify_blob(self, digest: str, size: int | None = None) -> None:
        """The pull verified every blob; the cache checks it again if its file changed since."""
        if not self.cache.verify_blob(digest, size):
            raise export_error(f"{self.where}: blob {digest} in pack-it's cache does not match its digest.",
                               "Run the command again: the damaged blob was removed.", exit_code=INVALID_IMAGE)

    def open_blob(self, digest: str):
        return self.cache.blob_path(digest).open("rb")


@contextmanager
def open_any(spec: str, registry=None, cache: Cache | None = None) -> Iterator:
    """oci:DIR[:REF], tar:FILE, docker:REF (the engine's), registry:REF or HOST/REPO[:TAG]."""
    if spec.startswith(("oci:", "tar:")):
        with open_image(spec) as source:
            yield source
    elif spec.startswith("docker:"):
        from pack_it.lifecycle import engine

        cache = cache or Cache(default_cache_dir())
        with engine.saved_image(spec.removeprefix("docker:"), cache.root / "tmp") as path:
            with open_image(f"tar:{path}") as source:
                yield source
    elif spec.startswith("registry:") or names.names_registry(spec):
        from pack_it.lifecycle.registry.client import RegistryClient, RegistryOptions

        cache = cache or Cache(default_cache_dir())
        ref = names.parse(spec)
        yield CachedImage(RegistryClient(ref, registry or RegistryOptions()).pull(cache), cache, str(ref))
    else:
        with open_image(spec) as source:  # says what an image reference may look like
            yield source


def _metadata(labels: dict, where: str) -> dict:
    """pack-it's label, checked for the shape `describe` reads; refused if it is damaged."""
    raw = labels.pop(oci.METADATA_LABEL, "{}") or "{}"
    try:
        metadata = json.loads(raw)
    except (ValueError, RecursionError):
        metadata = None
    ok = isinstance(metadata, dict)
    if ok:
        layers, run = metadata.get("layers", []), metadata.get("run_image") or {}
        ok = (isinstance(layers, list) and all(isinstance(l, dict) and all(isinstance(l.get(k), str) for k in
                                                                               ("diff_id", "pack", "name")) for l in layers)
              and isinstance(run, dict) and (not run or {"reference", "digest", "layers"} <= set(run))
              and isinstance(metadata.get("packs", []), list)
              and all(isinstance(p, dict) and {"id", "version"} <= set(p) for p in metadata.get("packs", []))
              and isinstance(metadata.get("native", []), list)
              and all(isinstance(a, dict) and all(isinstance(a.get(k), str) for k in ("package", "version", "needed_by"))
                      for a in metadata.get("native", []))
              and isinstance(metadata.get("processes", []), list)
              and all(isinstance(p, dict) and {"type", "command", "default"} <= set(p)
                      for p in metadata.get("processes", [])))
    if not ok:
        raise export_error(f"{where}: the {oci.METADATA_LABEL} label is not the JSON pack-it writes.",
                           "Rebuild the image with pack-it, or inspect it with skopeo.", exit_code=INVALID_IMAGE)
    return metadata


def describe(spec: str, registry=None, cache: Cache | None = None) -> dict:
    with open_any(spec, registry, cache) as source:
        image = source.image
        config = image.config_json.get("config") or {}
        labels = dict(config.get("Labels") or {})
        metadata = _metadata(labels, source.where)
        made_by = {l["diff_id"]: f"{l['pack']}/{l['name']}" for l in metadata.get("layers", [])}
        run = metadata.get("run_image") or {}
        layers = []
        for descriptor, diff_id in zip(image.layers, image.diff_ids):
            # What inspect shows is what the blobs hold: each one is checked against its digest.
            source.verify_blob(descriptor.digest, size=descriptor.size)
            with source.open_blob(descriptor.digest) as blob:
                size = uncompressed_size(blob, descriptor.media_type)
            layers.append({
                "digest": descriptor.digest, "diff_id": diff_id, "size": descriptor.size,
                "uncompressed_size": size,
                "made_by": made_by.get(diff_id, f"run image {run['reference']}" if run else "base image"),
            })
        return {
            "image": spec,
            "digest": image.digest,
            "run_image": run or None,
            "packs": metadata.get("packs", []),
            "processes": metadata.get("processes", []),
            "native": metadata.get("native", []),
            "entrypoint": config.get("Entrypoint"),
            "cmd": config.get("Cmd"),
            "user": config.get("User", ""),
            "working_dir": config.get("WorkingDir", ""),
            "env": config.get("Env", []),
            "ports": sorted(config.get("ExposedPorts") or {}),
            "labels": labels,
            "layers": layers,
        }


def _process_lines(process: dict) -> list[str]:
    """A process as written and how it runs (images from before the launcher: the argv)."""
    from pack_it.lifecycle import launch

    head = f"  {process['type']}{' (default)' if process['default'] else ''}: "
    if not isinstance(process.get("written"), str) or not isinstance(process.get("runs"), str):
        return [head + json.dumps(process["command"])]
    return [head + process["written"], f"      runs {launch.how(process['written'], process['runs'], process['command'])}"]


def render(info: dict) -> str:
    run = info["run_image"]
    lines = [
        f"Image:       {info['image']}",
        f"Digest:      {info['digest']}",
        "Run image:   " + (f"{run['reference']} ({run['digest']}, {run['layers']} layers)" if run else "unknown (not built by pack-it)"),
        "Packs:       " + (", ".join(f"{p['id']} {p['version']}" for p in info["packs"]) or "none"),
        f"Entrypoint:  {json.dumps(info['entrypoint'])}",
    ]
    if info["cmd"]:
        lines.append(f"Cmd:         {json.dumps(info['cmd'])}")
    lines += [
        f"User:        {info['user'] or 'root (unset)'}",
        f"WorkingDir:  {info['working_dir']}",
        f"Ports:       {', '.join(info['ports']) or 'none'}",
        "Env:",
        *(f"  {e}" for e in info["env"]),
        "Processes:",
        *(line for p in info["processes"] for line in _process_lines(p)),
        "Labels:",
        *(f"  {k}={v}" for k, v in sorted(info["labels"].items())),
    ]
    if info["native"]:  # Debian packages pack-it added for the native code it found
        lines += ["Native libraries:", *(
            f"  {a['package']} {a['version']}: " + (f"{a['soname']}, needed by {a['needed_by']}" if a.get("soname")
                                                   else f"needed by {a['needed_by']}") for a in info["native"])]
    lines += [
        "Layers:",
        f"  {'#':>2}  {'compressed':>10}  {'size':>10}  made by",
    ]
    for i, layer in enumerate(info["layers"], start=1):
        lines.append(f"  {i:>2}  {layer['size']:>10}  {layer['uncompressed_size']:>10}  {layer['made_by']}")
    return "\n".join(lines)
