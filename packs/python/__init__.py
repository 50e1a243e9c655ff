"""Python pack: the app's dependencies in one layer, its source in another, on the python
stack (or python-build-standalone on cc for the versions Debian lacks).

    detect  detectors/python: manifests, runtime version, framework and start command
    build   deps     uv installs the locked dependencies for the target Python and platform
                     into /layers/python/deps/site-packages; key: the lock, Python, platform
            app      the source, without VCS, caches, virtualenvs or .dockerignore'd files,
                     in /workspace; Django's static files collected into it
            runtime  CPython from python-build-standalone, when Debian's does not satisfy the
                     app (runtime.py); key: the release's sha256 from the versions index
    Bytecode is compiled with --invalidation-mode unchecked-hash (stable digests, fast
    start-up) by an interpreter of the target's version: the host's when its minor matches,
    else the run image's own python, run on the host through the image's dynamic loader.
"""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.detectors import python as python_detector
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.detectors.python.facts import PythonFacts
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.packs.python import runtime

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

# dependencies (which imports the detectors' whole Python reading), django and runimage are
# imported by the build functions that use them: `pack-it detect` of a Node or Go app tries
# this pack too, and must not pay for them (see bench/detect_bench.py).

ID = "python"
VERSION = "0.1.1"
LOOKS_FOR = "requirements.txt, pyproject.toml, Pipfile, setup.py, main.py or a package/__main__.py"
DEPS = f"/layers/{ID}/deps"
RUNTIME = f"/layers/{ID}/runtime"
WORKSPACE = "/workspace"
FACTS = PythonFacts
RELEASES: ReleaseFetchers = {runtime.INDEX_RUNTIME: runtime.releases_from_uv}


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    return python_detector.detect(tree, env, index.releases(runtime.INDEX_RUNTIME))


def _interpreter(ctx: BuildContext, python: str) -> tuple[list[str], str] | None:
    """A command that runs CPython `python` here, to compile bytecode for the image, and what
    identifies that interpreter (part of the layers' keys: another compiler, other bytes). In
    the sandbox on the build root: Debian's python there (the python stack's own), or the
    python-build-standalone release the image gets, unpacked into the cache; never the host's."""
    if ctx.sandbox.root is not None:
        if ctx.plan.facts(ID, PythonFacts).python_source == "standalone":
            home = _standalone_home(ctx, ctx.plan.facts(ID, PythonFacts).version)
            return [str(home / "bin" / f"python{python}")], f"standalone {home.name}"
        if (ctx.sandbox.root / "usr" / "bin" / f"python{python}").exists():
            return [f"/usr/bin/python{python}"], f"build root {ctx.sandbox.root.name}"
        # A --run-image of another Debian release chose the build root: the stack's own
        # Python, below (its files are in the pack's cache directory, which every step sees).
    elif f"{sys.version_info.major}.{sys.version_info.minor}" == python:
        return [sys.executable], sys.version
    if ctx.plan.facts(ID, PythonFacts).python_source == "standalone" or ctx.plan.run_image is None:
        return None
    digest, root = _stack_root(ctx, ctx.plan.run_image.name)
    # The image's python needs the image's glibc: run it through the image's own loader.
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    loader = root / "lib64" / "ld-linux-x86-64.so.2"
    return [str(loader), "--library-path", libs, str(root / f"usr/bin/python{python}")], digest


def _standalone_home(ctx: BuildContext, version: str) -> Path:
    """The python-build-standalone release, unpacked once into the cache (the runtime layer may
    be reused from the cache without its files on disk); read-only in every step."""
    releases = ctx.index.releases(runtime.INDEX_RUNTIME)
    home = ctx.cache_dir("interpreters") / f"standalone-{version}-{releases.get(version, {}).get('sha256', '')[:16]}"
    if not (home / "bin").is_dir():
        staging = Path(tempfile.mkdtemp(dir=ctx.cache.staging_dir(), prefix="standalone-"))
        runtime.materialize(runtime.entries(version, runtime.archive(version, releases, ctx.cache_dir("standalone"))),
                            staging)
        ctx.cache.place_dir(staging, home, ready=home / "bin")
    ctx.bind_tools(home)
    return home


def sandbox_builder(ctx: BuildContext, interpreter: list[str] | None) -> str | None:
    """The Python that builds sdists (and the app's own packages) in the sandbox: the one that
    compiles the image's bytecode, when it runs as a plain command (the build root's, or the
    python-build-standalone release the image gets, whose headers are in the release). None:
    wheels only (the target's Python runs only through another release's loader). Without the
    sandbox, dependencies.build_python picks this machine's."""
    if ctx.sandbox.root is None or not interpreter or len(interpreter) != 1:
        return None
    return interpreter[0]


def _stack_root(ctx: BuildContext, reference: str) -> tuple[str, Path]:
    """The run image's files on disk, extracted once per image into the cache."""
    from pack_it.lifecycle import runimage

    run = runimage.resolve(reference, ctx.cache, ctx.epoch, ctx.reporter)
    root = ctx.cache_dir("interpreters") / run.image.digest.removeprefix("sha256:")
    if not root.is_dir():
        staging = Path(tempfile.mkdtemp(dir=ctx.cache.staging_dir(), prefix="interpreter-"))
        for layer in run.image.layers:
            with tarfile.open(ctx.cache.blob_path(layer.digest)) as tar:
                tar.extractall(staging, filter="tar")  # our own layers: no absolute paths or ..
        ctx.cache.place_dir(staging, root)
    return run.image.digest, root


# Below this many modules, compileall in one process: its worker pool costs about 0.15 s to
# start in the sandbox (one module: 0.20 s pooled, 0.05 s in one process, on the debian13
# build root), more than it saves on 2 cores for an app's own source or a small deps layer
# (python-flask's has ~200 modules).
POOL_FROM_MODULES = 500


def _compile(ctx: BuildContext, interpreter: list[str], directory: Path, image_path: str) -> None:
    # Worker processes would start sys.executable without the loader: one process then.
    pooled = len(interpreter) == 1 and sum(1 for _ in directory.rglob("*.py")) >= POOL_FROM_MODULES
    workers = "0" if pooled else "1"
    ctx.run([*interpreter, "-m", "compileall", "-q", "-j", workers, "--invalidation-mode", "unchecked-hash",
             "-d", image_path, str(directory)], env={"SOURCE_DATE_EPOCH": str(ctx.epoch)},
            cwd=ctx.work, what="compiling bytecode")


def _python_path(ctx: BuildContext) -> str:
    paths = [f"{DEPS}/site-packages", WORKSPACE]
    if ctx.tree.has_dir("src") and not ctx.tree.has_file("src/__init__.py"):
        paths.append(f"{WORKSPACE}/src")
    return ":".join(paths)


def build(ctx: BuildContext) -> list[Layer]:
    from pack_it.packs.python import django

    facts = ctx.plan.facts(ID, PythonFacts)
    python = facts.python
    standalone = facts.python_source == "standalone"
    image_python = f"{RUNTIME}/bin/python{python}" if standalone else f"/usr/bin/python{python}"
    interpreter, compiler = _interpreter(ctx, python) or (None, None)
    if interpreter is None:
        ctx.reporter.warn(f"Python {python} bytecode is not precompiled (no interpreter of that version "
                          "can run here); the app starts a little slower.")
    layers: list[Layer] = [_runtime_layer(ctx, facts.version)] if standalone else []

    has_deps = facts.install.kind != "none" or bool(facts.added)
    deps_inputs = _deps_inputs(ctx, facts, compiler) if has_deps else {}
    # The installed packages are kept in the cache under the deps key: collectstatic needs them
    # on disk after a source change, and must not reinstall them.
    installed = ctx.cache_dir("installed") / ctx.key(**deps_inputs)

    def install() -> Path:
        if not installed.is_dir():
            staging = ctx.work / "deps"
            _install(ctx, facts, image_python, interpreter, staging)
            ctx.cache.place_dir(staging, installed)
        return installed

    if has_deps:
        layers.append(ctx.layer("deps", deps_inputs, lambda _: install(), unchanged="dependencies unchanged"))

    files = ctx.tree.source_files()
    env = {"PYTHONPATH": _python_path(ctx), "PYTHONUNBUFFERED": "1"}
    collect = facts.django is not None and facts.django.collectstatic

    def app(directory: Path) -> None:
        ctx.copy_source(directory, files)
        if collect and facts.django is not None:
            django.collectstatic(ctx, directory, install() / "site-packages", facts.django.settings,
                                 interpreter[0] if interpreter and ctx.sandbox.root is not None else sys.executable)
        if interpreter:
            _compile(ctx, interpreter, directory, WORKSPACE)

    layers.append(ctx.layer("app", {"source": ctx.tree.digest(files), "python": python, "compiler": compiler,
                                    "env": env, "collectstatic": collect, "deps": deps_inputs},
                            app, at=WORKSPACE, env=env, unchanged="source unchanged"))
    return layers


def _runtime_layer(ctx: BuildContext, version: str) -> Layer:
    releases = ctx.index.releases(runtime.INDEX_RUNTIME)
    release = releases.get(version, {})

    def fill(directory: Path) -> None:  # downloads only when the layer is not in the cache
        tarball = runtime.archive(version, releases, ctx.cache_dir("standalone"), ctx.cache.staging_dir())
        runtime.materialize(runtime.entries(version, tarball), directory)

    return ctx.layer("runtime", {"runtime": version, "sha256": release.get("sha256")}, fill,
                     unchanged=f"CPython {version} (python-build-standalone)")


def _deps_inputs(ctx: BuildContext, facts: PythonFacts, compiler: str | None) -> dict[str, object]:
    from pack_it.packs.python import dependencies

    install = facts.install
    inputs = [f for f in install.files if ctx.tree.has_file(f)]
    if install.kind == "uv.lock":
        inputs.append("pyproject.toml")
    local = dependencies.local_packages(ctx.tree, install)  # built from source: their files are inputs too
    if local:
        inputs += [f for f in ctx.tree.source_files() if "." in local or f.startswith(tuple(d + "/" for d in local))]
    source = ctx.tree.digest(sorted(set(inputs)))
    return {"install": install.to_json(), "inputs": source, "added": [dependencies.SERVERS[a] for a in facts.added],
            "python": facts.python, "platform": dependencies.PLATFORM,
            "installer": dependencies.installer_version(), "compiler": compiler}


def _install(ctx: BuildContext, facts: PythonFacts, image_python: str, interpreter: list[str] | None,
             directory: Path) -> None:
    from pack_it.packs.python import dependencies

    site = directory / "site-packages"
    ctx.reporter.step(f"  installing dependencies for Python {facts.python} ({facts.install.kind})")
    dependencies.install(ctx, site, facts.python, facts.install, facts.added, sandbox_builder(ctx, interpreter))
    dependencies.point_at_workspace(site, ctx.work, WORKSPACE)
    if (site / "bin").is_dir():
        shutil.move(str(site / "bin"), str(directory / "bin"))
        dependencies.rewrite_scripts(directory / "bin", image_python)
        dependencies.fix_records(site, directory / "bin")
    if interpreter:
        _compile(ctx, interpreter, site, f"{DEPS}/site-packages")
