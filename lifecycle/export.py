"""The export phase: the run image's layers, then each launch layer, and a config that
starts the default process as a non-root user. Everything is derived from content and the
one fixed epoch, so the same inputs give the same manifest digest."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Mapping, Sequence

from pack_it.lifecycle import oci
from pack_it.lifecycle.archive import LayerBlob, timestamp, tree_entries, write_layer
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.oci import Descriptor, Image
from pack_it.lifecycle.plan import Plan
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.oci import INIT_LABEL
from pack_it.lifecycle.runimage import NONROOT_UID, RunImage

if TYPE_CHECKING:
    from pack_it.lifecycle.native import Added

DEFAULT_PORT = "8080"
WORKDIR = "/workspace"
# A docker-archive run image's layers keep their bytes; only the media type is renamed.
TO_OCI_MEDIA_TYPE = {oci.DOCKER_LAYER_GZIP: oci.LAYER_GZIP, oci.DOCKER_LAYER_TAR: oci.LAYER_TAR}


def compress_layer(layer: Layer, cache: Cache, epoch: int) -> Layer:
    """Writes a freshly built launch layer into the cache as a blob and records it under its
    key, so the next build with the same inputs reuses it."""
    if layer.blob is not None:
        return layer
    assert layer.path is not None  # only a reused layer has no directory, and it has its blob
    with cache.new_blob() as (f, holder):
        entries = tree_entries(layer.path, layer.image_path.lstrip("/"), uid=layer.owner, gid=layer.owner)
        blob = write_layer(entries, f, epoch)
        holder.append(blob.digest)
    has_bin = (layer.path / "bin").is_dir()
    cache.save_layer_record(layer.pack, layer.name, layer.key, epoch, {
        "digest": blob.digest, "size": blob.size, "diff_id": blob.diff_id,
        "uncompressed_size": blob.uncompressed_size, "env": layer.env, "has_bin": has_bin,
    })
    return replace(layer, blob=blob, has_bin=has_bin)


def _blob(layer: Layer) -> LayerBlob:
    assert layer.blob is not None  # export() passes only layers compress_layer returned
    return layer.blob


def _env(base: list[str], layers: list[Layer], plan: Plan, launch_env: Mapping[str, str] | None = None) -> list[str]:
    env = dict(item.split("=", 1) for item in base if "=" in item)
    path = env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    for layer in layers:
        if layer.has_bin:
            path = f"{layer.image_path}/bin:{path}"
        env.update(layer.env)
    env["PATH"] = path
    env.update(launch_env or {})  # --env-launch: the user's word wins
    if plan.default_process and plan.default_process.type == "web":
        env.setdefault("PORT", DEFAULT_PORT)
    return [f"{k}={v}" for k, v in sorted(env.items())]


def _entrypoint(command: tuple[str, ...], run_config: dict) -> list[str]:
    """The default process, under the run image's init when it names one (PID 1 must forward
    signals, which node and python do not do by themselves)."""
    init = (run_config.get("Labels") or {}).get(INIT_LABEL)
    return [init, "--", *command] if init else list(command)


def metadata_label(plan: Plan, run: RunImage, layers: list[Layer], pack_versions: dict[str, str],
                   native: Sequence[Added] = ()) -> str:
    """The pack-it label: enough for `inspect` to name each layer's pack, and for a later
    rebase to swap the run image's layers (its reference, digest and layer count); and the
    Debian packages added for native code, each with the file that needed it."""
    extra = {"native": [a.to_json() for a in native]} if native else {}
    return json.dumps({**extra,
        "packs": [{"id": p, "version": pack_versions[p]} for p in plan.packs],
        "processes": [{"type": p.type, "command": list(p.command), "default": p.default, "written": p.written,
                       "runs": p.runs} for p in plan.processes],
        "layers": [{"pack": l.pack, "name": l.name, "diff_id": _blob(l).diff_id} for l in layers],
        "run_image": {"reference": run.reference, "digest": run.image.digest,
                      "layers": len(run.image.layers), "top_layer": run.image.diff_ids[-1] if run.image.diff_ids else None},
    }, sort_keys=True, separators=(",", ":"))


def export(plan: Plan, run: RunImage, layers: list[Layer], cache: Cache, epoch: int,
           labels: dict[str, str], pack_versions: dict[str, str], reporter: Reporter,
           launch_env: Mapping[str, str] | None = None, native: Sequence[Added] = ()) -> Image:
    launch = []
    for layer in (l for l in layers if l.launch):
        if not layer.reused and layer.blob is None:
            reporter.step(f"layer {layer.pack}/{layer.name}: compressing")
        launch.append(compress_layer(layer, cache, epoch))

    base = run.image.config_json
    base_config = base.get("config") or {}
    default = plan.default_process
    all_labels = {**(base_config.get("Labels") or {}), **labels,
                  oci.METADATA_LABEL: metadata_label(plan, run, launch, pack_versions, native)}
    config = {
        "architecture": base.get("architecture", "amd64"),
        "os": base.get("os", "linux"),
        "created": timestamp(epoch),
        "config": {
            "User": f"{NONROOT_UID}:{NONROOT_UID}",
            "Env": _env(base_config.get("Env") or [], launch, plan, launch_env),
            "Entrypoint": _entrypoint(default.command, base_config) if default else None,
            "WorkingDir": WORKDIR,
            "Labels": all_labels,
        },
        "rootfs": {"type": "layers", "diff_ids": run.image.diff_ids + [_blob(l).diff_id for l in launch]},
        "history": [*(base.get("history") or []),
                    *({"created": timestamp(epoch), "created_by": f"pack-it: {l.pack}/{l.name}"} for l in launch)],
    }
    if default and default.type == "web":
        config["config"]["ExposedPorts"] = {f"{DEFAULT_PORT}/tcp": {}}
    if not config["config"]["Entrypoint"]:
        del config["config"]["Entrypoint"]
    descriptors = [replace(d, media_type=TO_OCI_MEDIA_TYPE.get(d.media_type, d.media_type), annotations={})
                   for d in run.image.layers]
    descriptors += [Descriptor(oci.LAYER_GZIP, _blob(l).digest, _blob(l).size) for l in launch]
    image = Image.assemble(config, descriptors)
    cache.put_bytes(image.config)
    cache.put_bytes(image.manifest)
    return image
