"""`pack-it build` end to end: detect, build, export, publish, with a scratch directory that
is always removed and a cache that only ever receives complete files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle import build as build_phase
from pack_it.lifecycle import detect as detect_phase
from pack_it.lifecycle import gitinfo, runimage
from pack_it.lifecycle.archive import source_date_epoch, uncompressed_size
from pack_it.lifecycle.cache import DISK_FULL, Cache, default_cache_dir
from pack_it.lifecycle.export import export
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.plan import Plan
from pack_it.lifecycle.publish import publisher_for
from pack_it.lifecycle.publish import reference as refs
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle import versions
from pack_it import packs


@dataclass(frozen=True)
class BuildOptions:
    app_dir: Path
    tag: str | None = None  # NAME[:TAG]; default: the directory's name, tag latest
    output: str | None = None  # oci:DIR or tar:FILE; default: tar:./<name>.tar
    run_image: str | None = None  # default: the one the plan chose (a stack)
    env: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None


@dataclass(frozen=True)
class BuildResult:
    plan: Plan
    image: Image
    reference: str
    destination: str
    reused_layers: int
    compressed_size: int
    uncompressed_size: int


def source_labels(app: Path) -> dict[str, str]:
    labels = {}
    if url := gitinfo.source_url(app):
        labels["org.opencontainers.image.source"] = url
    if rev := gitinfo.revision(app):
        labels["org.opencontainers.image.revision"] = rev
    return labels


def build(options: BuildOptions, reporter: Reporter = Reporter()) -> BuildResult:
    tree = SourceTree(options.app_dir)
    ref = refs.parse(options.tag) if options.tag else refs.from_directory(tree.root.name)
    publisher = publisher_for(options.output or f"tar:{ref.name.rsplit('/', 1)[-1]}.tar")
    cache = Cache(options.cache_dir or default_cache_dir())
    epoch = source_date_epoch()

    reporter.phase("detect")
    index = versions.load(cache.root)
    plan = detect_phase.detect_cached(tree, options.env, cache.root, index)
    for warning in plan.warnings:
        reporter.warn(warning)
    reporter.step(f"{plan.language}: packs {', '.join(plan.packs)}")

    work = cache.work_dir()
    cache.defer_records()  # recorded only if the source did not change while it was built
    try:
        reporter.phase("build")
        layers = build_phase.build(plan, tree, options.env, cache, work, epoch, reporter, index)
        reporter.phase("export")
        chosen = options.run_image or (plan.run_image.name if plan.run_image else runimage.DEFAULT_RUN_IMAGE)
        node_version = plan.runtime.version if plan.runtime and plan.runtime.name == "node" else None
        run = runimage.resolve(chosen, cache, epoch, reporter, node_version, index)
        reporter.step(f"run image {run.reference} ({run.image.digest[:19]})")
        image = export(plan, run, layers, cache, epoch, source_labels(tree.root), packs.versions(plan.packs), reporter)
        _record_if_unchanged(tree, cache, reporter)
        destination = publisher.publish(image, cache, str(ref))
    except OSError as e:
        if e.errno in DISK_FULL:
            raise cache.disk_error(e) from None
        raise
    finally:
        cache.discard_records()
        cache.release(work)
        cache.close()
    reused = sum(1 for layer in layers if layer.reused)
    return BuildResult(plan, image, str(ref), destination, reused, *image_sizes(image, cache))


def _record_if_unchanged(tree: SourceTree, cache: Cache, reporter: Reporter) -> None:
    """Writes the build's layer records, unless a source file changed while it ran: its keys
    were made from the old content, its layers may hold the new."""
    if not cache.pending_records():
        return
    if SourceTree(tree.root).digest() != tree.digest():
        reporter.warn("The source changed during the build: its layers are not cached; build again "
                      "once the files are saved.")
        cache.discard_records()
        return
    cache.commit_records()


def image_sizes(image: Image, cache: Cache) -> tuple[int, int]:
    """(compressed, uncompressed) bytes of the image's layers."""
    compressed = sum(d.size for d in image.layers)
    uncompressed = 0
    for d in image.layers:
        with cache.blob_path(d.digest).open("rb") as f:
            uncompressed += uncompressed_size(f, d.media_type)
    return compressed, uncompressed
