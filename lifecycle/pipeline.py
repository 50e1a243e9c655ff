"""`pack-it build` end to end: detect, build, export, publish, with a scratch directory that
is always removed and a cache that only ever receives complete files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle import build as build_phase
from pack_it.lifecycle import detect as detect_phase
from pack_it.lifecycle import gitinfo, native, runimage
from pack_it.lifecycle.archive import source_date_epoch, uncompressed_size
from pack_it.lifecycle.cache import DISK_FULL, Cache, default_cache_dir
from pack_it.lifecycle.export import export
from pack_it.lifecycle.oci import Image
from pack_it.lifecycle.plan import Plan
from pack_it.lifecycle.publish import default_output, publisher_for
from pack_it.lifecycle.publish import reference as refs
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle import versions
from pack_it.lifecycle.contract import PackRegistry
from pack_it.lifecycle import secrets

if TYPE_CHECKING:  # imported by builds that reach a registry only (http.client, ssl)
    from pack_it.lifecycle.registry.client import RegistryOptions


@dataclass(frozen=True)
class BuildOptions:
    app_dir: Path
    tag: str | None = None  # NAME[:TAG]; default: the directory's name, tag latest
    output: str | None = None  # oci:DIR or tar:FILE; default: tar:./<name>.tar
    run_image: str | None = None  # default: the one the plan chose (a stack)
    env: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    locked: bool = False  # a stack is built from its shipped lock only, never re-locked
    registry: RegistryOptions | None = None  # credentials, CA, insecure hosts
    launch_env: dict[str, str] = field(default_factory=dict)  # --env-launch: the image's Env, not the build's
    sandbox: str = "bwrap"  # --sandbox: bwrap (build steps under bubblewrap) or none (on the host)
    toolchain: str = "pack-it"  # --toolchain: pack-it (provisioned, on the build root) or host
    network: str = "default"  # --network: default (shared) or none (no network in build steps)
    cache_from: str | None = None  # HOST/REPO[:TAG] of a cache image to fill the local cache from
    cache_to: str | None = None  # HOST/REPO[:TAG] to push this build's cache image to


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


def check_options(options: BuildOptions) -> None:
    """Every usage error, found before any build work (detection, a toolchain, a download)."""
    from pack_it.lifecycle import sandbox

    sandbox.check_options(options.sandbox, options.toolchain, options.network)
    secrets.check_env(options.env)
    secrets.check_env(options.launch_env, "--env-launch")
    if options.tag:
        refs.parse(options.tag)
    if options.output:
        publisher_for(options.output, options.registry)
    if options.run_image:
        runimage_check(options.run_image)
    for flag, reference in (("--cache-from", options.cache_from), ("--cache-to", options.cache_to)):
        if reference:
            cache_image_check(flag, reference)


def cache_image_check(flag: str, reference: str) -> None:
    """A cache image lives in a registry: HOST/REPO[:TAG], or registry:HOST/REPO[:TAG]."""
    from pack_it.errors import USAGE, PackItError
    from pack_it.lifecycle.registry import names

    if not (reference.startswith("registry:") or names.names_registry(reference)):
        raise PackItError(f"{flag} {reference!r} names no registry: a cache image lives in one.", exit_code=USAGE,
                          phase="usage", hint=f"Write {flag} HOST/REPO:TAG (e.g. registry.example.com/app:cache).")
    names.parse(reference)


def runimage_check(reference: str) -> None:
    """The --run-image forms `runimage.resolve` takes: a name that is none of them is a usage
    error; a missing image file, an unreadable input (62), as resolving it would say."""
    from pack_it.errors import INVALID_IMAGE, USAGE, PackItError
    from pack_it.lifecycle.registry import names
    from pack_it.lifecycle.stacks import definitions

    kind, _, target = reference.partition(":")
    if reference == runimage.GENERATED:
        return
    if kind in ("oci", "tar"):
        path = target.split(":", 1)[0] if kind == "oci" and not Path(target).exists() else target
        if not path:
            raise PackItError(f"--run-image {reference!r} names no {'directory' if kind == 'oci' else 'file'}.",
                              exit_code=USAGE, phase="usage", hint=f"Write --run-image {kind}:PATH.")
        if not Path(path).exists():
            raise PackItError(f"The run image {path} does not exist (--run-image {reference}).",
                              exit_code=INVALID_IMAGE, phase="usage", hint="Check the path.")
        return
    if reference.startswith("registry:") or names.names_registry(reference):
        names.parse(reference)
        return
    definitions.parse_reference(reference)


def build(options: BuildOptions, packs: PackRegistry, reporter: Reporter = Reporter()) -> BuildResult:
    check_options(options)
    hidden = tuple(v for v in secrets.secret_values(options.env) if v not in options.launch_env.values())
    with secrets.masked_errors(hidden):
        return _build(options, packs, secrets.MaskingReporter(reporter, hidden) if hidden else reporter)


def _build(options: BuildOptions, packs: PackRegistry, reporter: Reporter) -> BuildResult:
    tree = SourceTree(options.app_dir)
    ref = refs.parse(options.tag) if options.tag else refs.from_directory(tree.root.name)
    output, chosen_because = (options.output, "") if options.output else default_output(f"{ref.name.rsplit('/', 1)[-1]}.tar")
    publisher = publisher_for(output, options.registry, reporter)
    cache = Cache(options.cache_dir or default_cache_dir())
    epoch = source_date_epoch()
    if options.cache_from:
        from pack_it.lifecycle import cacheimage

        cacheimage.restore(options.cache_from, cache, options.registry, reporter)

    reporter.phase("detect")
    for rel, why in tree.secret_files().items():
        reporter.warn(secrets.secret_warning(rel, why))
    index = versions.load(cache.root)
    plan = detect_phase.detect_cached(tree, packs, options.env, cache.root, index)
    for warning in plan.warnings:
        reporter.warn(warning)
    reporter.step(f"{plan.language}: packs {', '.join(plan.packs)}")

    work = cache.work_dir()
    cache.defer_records()  # recorded only if the source did not change while it was built
    try:
        reporter.phase("build")
        layers = build_phase.build(plan, packs, tree, options.env, cache, work, epoch, reporter, index,
                                   make_sandbox(options, plan, cache, work, reporter))
        reporter.phase("export")
        if chosen_because:
            reporter.step(chosen_because)
        chosen = options.run_image or (plan.run_image.name if plan.run_image else runimage.DEFAULT_RUN_IMAGE)
        run = runimage.resolve(chosen, cache, epoch, reporter, locked=options.locked, registry=options.registry)
        reporter.step(f"run image {run.reference} ({run.image.digest[:19]})")
        layers = [*layers, *launch_layers(plan, run.reference, cache, epoch, reporter, options.locked)]
        libraries = native.libraries(run, layers, cache, epoch, reporter)
        image = export(plan, run, ([libraries.layer] if libraries.layer else []) + layers, cache, epoch,
                       source_labels(tree.root), packs.versions(plan.packs), reporter,
                       launch_env=options.launch_env, native=libraries.added)
        _record_if_unchanged(tree, cache, reporter)
        destination = publisher.publish(image, cache, str(ref))
        if options.cache_to:
            from pack_it.lifecycle import cacheimage

            cacheimage.save(options.cache_to, plan.packs, layers, cache, epoch, options.registry,
                            reporter, run_image=chosen, locked=options.locked)
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


def launch_layers(plan: Plan, run_reference: str, cache: Cache, epoch: int, reporter: Reporter,
                  locked: bool) -> list:
    """The launcher, when a process runs through it, and a shell, when one needs it: only the
    images that use them carry them (lifecycle/launch)."""
    if not (plan.needs_launcher or plan.needs_shell):
        return []
    from pack_it.lifecycle.launch import layers as launch

    added = [launch.launcher_layer(cache, epoch)] if plan.needs_launcher else []
    if plan.needs_shell and (shell := launch.shell_layer(run_reference, cache, epoch, reporter, locked)):
        added.append(shell)
    return added


def make_sandbox(options: BuildOptions, plan: Plan, cache: Cache, work: Path, reporter: Reporter):
    """The sandbox the build steps run in: with pack-it's toolchains, the build root of the plan's
    Debian release (assembled into the cache the first time); with the host's, the host's /."""
    from pack_it.lifecycle.sandbox import Sandbox
    from pack_it.lifecycle.stacks import buildroot, definitions

    if options.sandbox == "none":
        return Sandbox("none", toolchain=options.toolchain)
    # bubblewrap is checked (one bwrap run, 7 ms) by the first step, before it runs: its one
    # sentence, never a tool's failure (a build root still to be assembled checks it before its
    # download); a rebuild whose layers are all reused runs no step and no bwrap.
    root = None
    if options.toolchain == "pack-it":
        # The run image's release, so what is compiled links what the image has; debian12 for
        # a run image that is not a stack.
        chosen = options.run_image or (plan.run_image.name if plan.run_image else "")
        release = definitions.DEFAULT_RELEASE
        if chosen.partition("-")[0] in definitions.STACKS:
            release = definitions.parse_reference(chosen)[1]
        root = buildroot.ensure(release, cache, reporter)
    return Sandbox("bwrap", root, network=options.network != "none", scratch=(work,), toolchain=options.toolchain)


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
