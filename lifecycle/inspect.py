"""`pack-it inspect`: what is in an image file, with each layer traced to the pack that
made it (through the pack-it metadata label) or to the run image."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

from pack_it.lifecycle import oci
from pack_it.lifecycle.archive import uncompressed_size
from pack_it.lifecycle.cache import Cache, default_cache_dir
from pack_it.lifecycle.imagefile import open_image
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.registry import names


class CachedImage:
    """An image whose blobs are in the cache (pulled from a registry, verified)."""

    def __init__(self, image: Image, cache: Cache) -> None:
        self.image = image
        self.cache = cache

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
        yield CachedImage(RegistryClient(names.parse(spec), registry or RegistryOptions()).pull(cache), cache)
    else:
        with open_image(spec) as source:  # says what an image reference may look like
            yield source


def describe(spec: str, registry=None, cache: Cache | None = None) -> dict:
    with open_any(spec, registry, cache) as source:
        image = source.image
        config = image.config_json.get("config") or {}
        labels = dict(config.get("Labels") or {})
        metadata = json.loads(labels.pop(oci.METADATA_LABEL, "{}") or "{}")
        made_by = {l["diff_id"]: f"{l['pack']}/{l['name']}" for l in metadata.get("layers", [])}
        run = metadata.get("run_image") or {}
        layers = []
        for descriptor, diff_id in zip(image.layers, image.diff_ids):
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
            "entrypoint": config.get("Entrypoint"),
            "cmd": config.get("Cmd"),
            "user": config.get("User", ""),
            "working_dir": config.get("WorkingDir", ""),
            "env": config.get("Env", []),
            "ports": sorted(config.get("ExposedPorts") or {}),
            "labels": labels,
            "layers": layers,
        }


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
        *(f"  {p['type']}{' (default)' if p['default'] else ''}: {json.dumps(p['command'])}" for p in info["processes"]),
        "Labels:",
        *(f"  {k}={v}" for k, v in sorted(info["labels"].items())),
        "Layers:",
        f"  {'#':>2}  {'compressed':>10}  {'size':>10}  made by",
    ]
    for i, layer in enumerate(info["layers"], start=1):
        lines.append(f"  {i:>2}  {layer['size']:>10}  {layer['uncompressed_size']:>10}  {layer['made_by']}")
    return "\n".join(lines)
