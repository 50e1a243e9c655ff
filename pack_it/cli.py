"""The command line: a thin layer over the lifecycle. It catches PackItError only, printing
its two lines (what went wrong, what to do) and exiting with its code; anything else is a
bug and keeps its traceback."""

from __future__ import annotations

import json
import re
import signal
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from pack_it import __version__
from pack_it.errors import EXIT_CODES, USAGE, PackItError
from pack_it.lifecycle.reporter import Reporter

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Turn a source tree into a small, reproducible OCI image with no configuration.",
                  epilog="Exit codes: " + "; ".join(f"{c} {d}" for c, d in EXIT_CODES.items()))


class ConsoleReporter(Reporter):
    """Progress to stderr: one line per phase and pack; tool output with -v; nothing with -q."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity
        self.current = ""
        self.started = time.monotonic()

    def _say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def phase(self, name: str) -> None:
        self.current = name
        if self.verbosity >= 0:
            self._say(f"[{name}]")

    def step(self, message: str) -> None:
        if self.verbosity >= 0:
            self._say(f"  {message}")

    def warn(self, message: str) -> None:
        self._say(f"warning: {message}")

    def detail(self, message: str) -> None:
        if self.verbosity > 0:
            self._say(f"    {message}")


def _stack_names() -> str:
    """The stacks, for help texts: one per definition file (read without importing the stack
    machinery, which every command would pay for)."""
    definitions = Path(__file__).parent / "lifecycle" / "stacks" / "definitions"
    return ", ".join(sorted(p.stem for p in definitions.glob("*.toml") if p.stem not in ("releases", "exclude")))


state = {"verbosity": 0}
CLICK_USAGE_EXIT = 2


def _version(value: bool) -> None:
    if value:
        print(f"pack-it {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show the commands run and their output."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only print results and errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    state["verbosity"] = 1 if verbose else -1 if quiet else 0


def _parse_env(values: list[str], option: str = "--env") -> dict[str, str]:
    env = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            # The item may be a secret given without its name: only a name is ever shown.
            what = repr(key) if not sep and re.fullmatch(r"[A-Z][A-Z0-9_]{0,39}", key) else "a value"
            raise PackItError(f"{option} {what} is not of the form KEY=VALUE.", exit_code=USAGE,
                              phase="usage", hint=f"Write it as {option} GOFLAGS=-tags=prod.")
        env[key] = value
    return env


def _describe(value, *fields) -> str:
    if value is None:
        return "none"
    return f"{' '.join(str(getattr(value, f)) for f in fields)} (from {value.source})"


@app.command()
def detect(
    path: Path = typer.Argument(..., help="The app's source directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as one JSON object."),
    env: List[str] = typer.Option([], "--env", "-e", help="KEY=VALUE, as given to build."),
) -> None:
    """Show what pack-it would build, and which file decided each thing."""
    from pack_it.detectors.source import SourceTree
    from pack_it.lifecycle import versions
    from pack_it.lifecycle.cache import default_cache_dir
    from pack_it.lifecycle.detect import detect as run_detect

    from pack_it.packs import REGISTRY

    from pack_it.lifecycle import secrets

    build_env = _parse_env(env)
    with secrets.masked_errors(secrets.secret_values(build_env)):
        tree = SourceTree(path)
        plan = run_detect(tree, REGISTRY, build_env, index=versions.load(default_cache_dir()))
    for rel, why in tree.secret_files().items():
        print(f"warning: {secrets.secret_warning(rel, why)}", file=sys.stderr)
    if as_json:
        print(json.dumps(plan.to_json(), indent=2))
        return
    print(f"Packs:            {', '.join(plan.packs)}")
    print(f"Language:         {plan.language}")
    print(f"Runtime:          {_describe(plan.runtime, 'name', 'version')}")
    print(f"Package manager:  {_describe(plan.package_manager, 'name')}")
    print(f"Framework:        {_describe(plan.framework, 'name')}")
    print(f"Run image:        {_describe(plan.run_image, 'name')}")
    from pack_it.lifecycle import launch

    print("Processes:")
    for p in plan.processes:
        print(f"  {p.type}{' (default)' if p.default else ''}: {p.written}  (from {p.source})")
        print(f"      runs {launch.how(p.written, p.runs, p.command)}")
    for pack_id, facts in plan.details.items():
        for key, value in facts.to_json().items():
            print(f"  {pack_id}.{key}: {value}")
    for warning in plan.warnings:
        print(f"warning: {warning}")


def _human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def _registry_options(creds: Optional[str], registry_ca: Optional[Path], insecure: List[str], reporter: Reporter):
    """What --creds, --registry-ca and --insecure-registry say about reaching registries."""
    from pack_it.lifecycle.registry.client import RegistryOptions
    from pack_it.lifecycle.registry.credentials import parse_creds

    return RegistryOptions(credentials=parse_creds(creds) if creds else None, ca_file=registry_ca,
                           insecure_hosts=frozenset(insecure), on_retry=reporter.warn)


def _reaches_a_registry(output: Optional[str], run_image: Optional[str], *options: object) -> bool:
    """Whether a build pushes to or pulls from a registry (else the registry client, which
    loads http.client and ssl, is never imported: a no-op rebuild stays fast)."""
    from pack_it.lifecycle.registry import names

    return (any(options) or (output or "").startswith("registry:")
            or (run_image is not None and (run_image.startswith("registry:") or names.names_registry(run_image))))


CREDS_HELP = "USER:PASSWORD for the registry (else PACK_IT_REGISTRY_USERNAME/PASSWORD, podman's auth.json, ~/.docker/config.json)."
CA_HELP = "A PEM file of the CA that signed the registry's certificate (besides the system's)."
INSECURE_HELP = "HOST[:PORT] to reach over plain HTTP (nothing else ever is). Repeatable."


@app.command()
def build(
    path: Path = typer.Argument(..., help="The app's source directory."),
    tag: Optional[str] = typer.Option(None, "-t", "--tag", help="NAME[:TAG]; default: the directory's name, tag latest."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="oci:DIR, tar:FILE, registry:HOST/REPO[:TAG] or docker; default: the engine if one answers, else tar:./NAME.tar."),
    run_image: Optional[str] = typer.Option(None, "--run-image", help=f"A stack ({_stack_names()}; -debian13 for Debian 13), base, oci:DIR, tar:FILE or HOST/REPO[:TAG] (pulled, verified). Default: the stack the app needs."),
    env: List[str] = typer.Option([], "--env", "-e", help="KEY=VALUE for the build's tools (e.g. GOFLAGS, a registry token); a secret: never in the image, the plan or the output."),
    env_launch: List[str] = typer.Option([], "--env-launch", help="KEY=VALUE for the image's Env (the running app), not the build."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Default: $PACK_IT_CACHE_DIR or ~/.cache/pack-it."),
    locked: bool = typer.Option(False, "--locked", help="Build a stack from its shipped lock only; fail (exit 61) rather than re-lock it when a locked package is gone."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show the commands run and their output."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only print results and errors."),
    publish: bool = typer.Option(False, "--publish", help="Push to the registry -t names (HOST/REPO:TAG); same as --output registry:HOST/REPO:TAG."),
    digest_file: Optional[Path] = typer.Option(None, "--digest-file", help="Write the image's manifest digest (as pushed) to FILE."),
    image_url_file: Optional[Path] = typer.Option(None, "--image-url-file", help="Write where the image went (HOST/REPO:TAG when pushed) to FILE: Tekton's IMAGE_URL result."),
    image_size_file: Optional[Path] = typer.Option(None, "--image-size-file", help="Write the image's compressed size in bytes to FILE: Shipwright's shp-image-size result."),
    creds: Optional[str] = typer.Option(None, "--creds", help=CREDS_HELP),
    registry_ca: Optional[Path] = typer.Option(None, "--registry-ca", help=CA_HELP),
    insecure_registry: List[str] = typer.Option([], "--insecure-registry", help=INSECURE_HELP),
    sandbox: str = typer.Option("bwrap", "--sandbox", help="bwrap: every build step under bubblewrap, on the build root; none: on the host (inside a CI container, which is the sandbox)."),
    toolchain: str = typer.Option("pack-it", "--toolchain", help="pack-it: Go, Node.js, npm, Python, uv, Rust provisioned and checked by pack-it; host: the host's tools (today's laptop behaviour)."),
    network: str = typer.Option("default", "--network", help="default: build steps reach the network; none: they do not (after pack-it fetched the build root and toolchains)."),
    cache_image: Optional[str] = typer.Option(None, "--cache-image", help="HOST/REPO:TAG: read the cache from it before the build and push it after (--cache-from and --cache-to in one)."),
    cache_from: Optional[str] = typer.Option(None, "--cache-from", help="HOST/REPO:TAG: fill the local cache from this cache image, never push it (e.g. for pull requests)."),
    cache_to: Optional[str] = typer.Option(None, "--cache-to", help="HOST/REPO:TAG: push this build's cache (dependency layers, the packs' caches) as an image."),
) -> None:
    """Build an OCI image of the app."""
    if verbose or quiet:
        main_options(verbose, quiet, False)
    from pack_it.lifecycle.pipeline import BuildOptions, build as run_build
    from pack_it.packs import REGISTRY

    reporter = ConsoleReporter(state["verbosity"])
    if publish:
        if output or not tag:
            raise PackItError("--publish pushes to the registry -t names, and takes no --output.", exit_code=USAGE,
                              phase="usage", hint="Write --publish -t HOST/REPO:TAG, or --output registry:HOST/REPO:TAG.")
        output = f"registry:{tag}"
    cache_from, cache_to = cache_from or cache_image, cache_to or cache_image
    options = BuildOptions(path, tag, output, run_image, _parse_env(env), cache_dir, locked,
                           _registry_options(creds, registry_ca, insecure_registry, reporter)
                           if _reaches_a_registry(output, run_image, creds, registry_ca, insecure_registry,
                                                  cache_from, cache_to) else None,
                           launch_env=_parse_env(env_launch, "--env-launch"), sandbox=sandbox, toolchain=toolchain,
                           network=network, cache_from=cache_from, cache_to=cache_to)
    started = time.monotonic()
    result = run_build(options, REGISTRY, reporter)
    if digest_file:
        digest_file.write_text(result.image.digest + "\n")
    if image_url_file:
        image_url_file.write_text(result.destination.removeprefix("registry:") + "\n")
    if image_size_file:
        image_size_file.write_text(f"{result.compressed_size + len(result.image.manifest) + len(result.image.config)}\n")
    print(f"Built {result.reference} in {time.monotonic() - started:.1f}s -> {result.destination}")
    print(f"  digest: {result.image.digest}")
    print(f"  size:   {_human_size(result.uncompressed_size)} ({_human_size(result.compressed_size)} compressed)")
    port = " -p 127.0.0.1:8080:8080" if (result.plan.default_process and result.plan.default_process.type == "web") else ""
    kind, _, target = result.destination.partition(":")
    if kind == "tar":
        print(f"  run:    podman load -i {target} && podman run --rm{port} {result.reference}")
    elif kind == "registry":
        from pack_it.lifecycle.registry import names

        pushed = names.parse(target)
        print(f"  run:    podman run --rm{port} {pushed.host}/{pushed.repository}@{result.image.digest}")
    elif kind == "docker":
        print(f"  run:    docker run --rm{port} {result.reference}")
    else:
        print(f"  run:    skopeo copy oci:{target}:{result.reference} containers-storage:{result.reference}"
              f" && podman run --rm{port} {result.reference}")


@app.command()
def inspect(
    image: str = typer.Argument(..., help="oci:DIR[:REF], tar:FILE, docker:REF (the engine's), registry:REF or HOST/REPO[:TAG]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    creds: Optional[str] = typer.Option(None, "--creds", help=CREDS_HELP),
    registry_ca: Optional[Path] = typer.Option(None, "--registry-ca", help=CA_HELP),
    insecure_registry: List[str] = typer.Option([], "--insecure-registry", help=INSECURE_HELP),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where pulled blobs are kept; default: $PACK_IT_CACHE_DIR or ~/.cache/pack-it."),
) -> None:
    """Show an image's layers (and the pack that made each), entrypoint, user, env, ports, labels."""
    from pack_it.lifecycle.cache import Cache
    from pack_it.lifecycle.inspect import describe, render

    registry = _registry_options(creds, registry_ca, insecure_registry, ConsoleReporter(state["verbosity"]))
    info = describe(image, registry, Cache(cache_dir) if cache_dir else None)
    print(json.dumps(info, indent=2) if as_json else render(info))


stacks_app = typer.Typer(no_args_is_help=True, help="Run images assembled from Debian packages.")
app.add_typer(stacks_app, name="stacks")


@stacks_app.command("list")
def stacks_list() -> None:
    """The stacks, what each holds, and their releases."""
    from pack_it.lifecycle.stacks import definitions, lockfile

    for name in definitions.STACKS:
        for release in definitions.releases():
            stack = definitions.load(name, release)
            count = len(lockfile.read(name, release)) if lockfile.lock_path(name, release).is_file() else 0
            parent = f" (on {stack.parent})" if stack.parent else ""
            print(f"{stack.reference:18} {count:3} packages{parent:14} {stack.description}")


@stacks_app.command("show")
def stacks_show(stack: str = typer.Argument(..., help="e.g. python, cc-debian13")) -> None:
    """The packages of a stack, level by level, with their sizes."""
    from pack_it.lifecycle.stacks import definitions, lockfile

    name, release = definitions.parse_reference(stack)
    total = 0
    for level in definitions.chain(name, release):
        packages = lockfile.read(level.name, release)
        print(f"{level.reference}: {level.description}")
        for p in packages:
            print(f"  {p.name:32} {p.version:32} {p.size / 1e3:9.1f} kB  {p.archive}")
        total += sum(p.size for p in packages)
    print(f"{total / 1e6:.1f} MB of .deb files")


@stacks_app.command("build")
def stacks_build(
    stack: str = typer.Argument(..., help="e.g. static, python-debian13"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Also write the stack image: oci:DIR or tar:FILE."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Default: $PACK_IT_CACHE_DIR or ~/.cache/pack-it."),
    locked: bool = typer.Option(False, "--locked", help="Build a stack from its shipped lock only; fail (exit 61) rather than re-lock it when a locked package is gone."),
) -> None:
    """Build a stack's layers into the cache (every app on it then shares them)."""
    from pack_it.lifecycle.archive import source_date_epoch
    from pack_it.lifecycle.cache import Cache, default_cache_dir
    from pack_it.lifecycle.pipeline import image_sizes
    from pack_it.lifecycle.publish import publisher_for
    from pack_it.lifecycle.runimage import resolve

    cache = Cache(cache_dir or default_cache_dir())
    started = time.monotonic()
    run = resolve(stack, cache, source_date_epoch(), ConsoleReporter(state["verbosity"]), locked=locked)
    compressed, uncompressed = image_sizes(run.image, cache)
    print(f"Built stack {run.reference} in {time.monotonic() - started:.1f}s")
    print(f"  digest: {run.image.digest}")
    for i, (layer, diff_id) in enumerate(zip(run.image.layers, run.image.diff_ids), start=1):
        print(f"  layer {i}: {layer.digest} ({diff_id})")
    print(f"  size:   {_human_size(uncompressed)} ({_human_size(compressed)} compressed)")
    if output:
        print(f"  wrote:  {publisher_for(output).publish(run.image, cache, f'pack-it-stack-{run.reference}:latest')}")


@stacks_app.command("lock")
def stacks_lock(
    stack: Optional[str] = typer.Argument(None, help="A stack or release (e.g. python-debian13, debian12); default: every release."),
    lock_dir: Optional[Path] = typer.Option(None, "--lock-dir", help="Where to write the locks; default: the ones shipped with pack-it."),
) -> None:
    """Re-resolve stacks (and the release's build root) against the Debian archive and rewrite their lock files; prints what changed."""
    from pack_it.lifecycle.stacks import assemble, buildroot, definitions

    if stack is None:
        release_ids = list(definitions.releases())
    elif stack in definitions.releases():
        release_ids = [stack]
    else:
        release_ids = [definitions.parse_reference(stack)[1]]
    reporter = ConsoleReporter(state["verbosity"])
    for release_id in release_ids:
        reporter.phase(f"lock {release_id}")
        changed = assemble.lock(release_id, lock_dir, reporter)
        # The release's build root too: locked on the same day, it matches its run stacks.
        changed[f"{buildroot.NAME}-{release_id}"] = buildroot.lock(release_id, lock_dir, reporter)
        for reference, lines in changed.items():
            print(f"{reference}: " + ("unchanged" if not lines else f"{len(lines)} changes"))
            for line in lines:
                print(f"  {line}")


versions_app = typer.Typer(no_args_is_help=True, help="The runtime releases pack-it knows (its versions index).")
app.add_typer(versions_app, name="versions")


def _index_fetchers() -> dict:
    """Each runtime the index holds, and the function that asks its registry for the releases:
    the packs that provide runtimes say."""
    from pack_it.packs import REGISTRY

    return REGISTRY.release_fetchers()


@versions_app.command("show")
def versions_show(
    runtime: Optional[str] = typer.Argument(None, help="e.g. node: list its releases, newest first."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Default: $PACK_IT_CACHE_DIR or ~/.cache/pack-it."),
) -> None:
    """Which index detection uses (shipped or refreshed), its date and digest, and its releases."""
    from pack_it.lifecycle import versions
    from pack_it.lifecycle.cache import default_cache_dir

    index = versions.load(cache_dir or default_cache_dir())
    print(f"versions index {index.date} ({index.origin}) {index.digest}")
    if runtime is None:
        for name in sorted(index.runtimes):
            print(f"  {name}: {len(index.releases(name))} releases")
        return
    if runtime not in index.runtimes:
        raise PackItError(f"The versions index has no runtime {runtime!r}.", exit_code=USAGE, phase="usage",
                          hint=f"Known: {', '.join(sorted(index.runtimes))}.")
    for version in sorted(index.versions(runtime), key=_version_key, reverse=True):
        print(f"  {version}")


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


@versions_app.command("update")
def versions_update(
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Default: $PACK_IT_CACHE_DIR or ~/.cache/pack-it."),
    into: Optional[Path] = typer.Option(None, "--into", help="Write the index to this file instead of the cache (a release step: lifecycle/versions.json)."),
) -> None:
    """Ask the registries for their current releases and write a new index into the cache; later
    detections use it (their plans name it)."""
    from pack_it.lifecycle import versions
    from pack_it.lifecycle.cache import default_cache_dir

    index, counts = versions.update(cache_dir or default_cache_dir(), _index_fetchers(), into=into)
    print(f"versions index {index.date} {index.digest} -> {index.origin}")
    for name, (before, after) in sorted(counts.items()):
        print(f"  {name}: {before} -> {after} releases")


class Terminated(BaseException):
    """SIGTERM, raised where the program is, like KeyboardInterrupt for SIGINT: every `finally`
    and cleanup handler runs, so nothing partial is left in the cache or beside the output."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the cleanup must not be interrupted
    raise Terminated()


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except Terminated:
        print("error: pack-it was terminated (SIGTERM) before it finished; the output was not written.", file=sys.stderr)
        sys.exit(128 + signal.SIGTERM)
    except PackItError as e:
        print(f"error: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"hint: {e.hint}", file=sys.stderr)
        sys.exit(e.exit_code)
    except SystemExit as e:
        # click exits 2 on a usage error; pack-it documents 1, and uses 2x for detect.
        if e.code == CLICK_USAGE_EXIT:
            sys.exit(USAGE)
        raise
