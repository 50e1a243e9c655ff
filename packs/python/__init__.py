"""Python pack: the app's dependencies in one layer, its source in another, on the python
stack (or python-build-standalone on cc for the versions Debian lacks).

    detect  detectors/python: manifests, runtime version, framework and start command
    build   deps     uv installs the locked dependencies for the target Python and platform
                     into /layers/python/deps/site-packages; key: the lock, Python, platform
            app      the source, without VCS, caches, virtualenvs or .dockerignore'd files,
                     in /workspace; Django's static files collected into it
            runtime  (3.10, 3.12, 3.14 only) CPython from python-build-standalone
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
from pathlib import Path, PurePosixPath

from pack_it.detectors import python as python_detector
from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.lifecycle import runimage
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.layers import Layer, layer_key
from pack_it.packs.python import dependencies, django, runtime

ID = "python"
VERSION = "0.1.0"
LOOKS_FOR = "requirements.txt, pyproject.toml, Pipfile, setup.py or main.py"
DEPS = f"/layers/{ID}/deps"
RUNTIME = f"/layers/{ID}/runtime"
WORKSPACE = "/workspace"
NOT_SOURCE = {"__pycache__", ".venv", "venv", ".tox", ".nox", ".pytest_cache", ".mypy_cache",
              ".ruff_cache", "node_modules", ".eggs", "build", "dist"}


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    return python_detector.detect(tree, env)


def _interpreter(ctx: BuildContext, python: str) -> tuple[list[str], str] | None:
    """A command that runs CPython `python` here, to compile bytecode for the image, and what
    identifies that interpreter (part of the layers' keys: another compiler, other bytes)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python:
        return [sys.executable], sys.version
    if ctx.plan.details[ID].get("python_source") == "standalone" or ctx.plan.run_image is None:
        return None
    digest, root = _stack_root(ctx, ctx.plan.run_image.name)
    # The image's python needs the image's glibc: run it through the image's own loader.
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    loader = root / "lib64" / "ld-linux-x86-64.so.2"
    return [str(loader), "--library-path", libs, str(root / f"usr/bin/python{python}")], digest


def _stack_root(ctx: BuildContext, reference: str) -> tuple[str, Path]:
    """The run image's files on disk, extracted once per image into the cache."""
    run = runimage.resolve(reference, ctx.cache, ctx.epoch, ctx.reporter)
    root = ctx.cache_dir("interpreters") / run.image.digest.removeprefix("sha256:")
    if not root.is_dir():
        staging = Path(tempfile.mkdtemp(dir=ctx.cache.staging_dir(), prefix="interpreter-"))
        for layer in run.image.layers:
            with tarfile.open(ctx.cache.blob_path(layer.digest)) as tar:
                tar.extractall(staging, filter="tar")  # our own layers: no absolute paths or ..
        ctx.cache.place_dir(staging, root)
    return run.image.digest, root


def _compile(ctx: BuildContext, interpreter: list[str], directory: Path, image_path: str) -> None:
    # Worker processes would start sys.executable without the loader: one process then.
    workers = "0" if interpreter == [sys.executable] else "1"
    ctx.run([*interpreter, "-m", "compileall", "-q", "-j", workers, "--invalidation-mode", "unchecked-hash",
             "-d", image_path, str(directory)], env={"SOURCE_DATE_EPOCH": str(ctx.epoch)},
            cwd=ctx.work, what="compiling bytecode")


def _source_files(tree: SourceTree) -> list[str]:
    """The app's files, without caches and virtual environments (a directory with pyvenv.cfg)."""
    venvs = {str(PurePosixPath(f).parent) for f in tree.files() if PurePosixPath(f).name == "pyvenv.cfg"}
    kept = []
    for rel in tree.files():
        path = PurePosixPath(rel)
        if any(part in NOT_SOURCE for part in path.parts[:-1]) or path.suffix in (".pyc", ".pyo"):
            continue
        if any(rel.startswith(v + "/") for v in venvs):
            continue
        kept.append(rel)
    return kept


def _python_path(ctx: BuildContext) -> str:
    paths = [f"{DEPS}/site-packages", WORKSPACE]
    if ctx.tree.has_dir("src") and not ctx.tree.has_file("src/__init__.py"):
        paths.append(f"{WORKSPACE}/src")
    return ":".join(paths)


def build(ctx: BuildContext) -> list[Layer]:
    details = ctx.plan.details[ID]
    python = details["python"]
    standalone = details.get("python_source") == "standalone"
    image_python = f"{RUNTIME}/bin/python{python}" if standalone else f"/usr/bin/python{python}"
    interpreter, compiler = _interpreter(ctx, python) or (None, None)
    if interpreter is None:
        ctx.reporter.warn(f"Python {python} bytecode is not precompiled (no interpreter of that version "
                          "can run here); the app starts a little slower.")
    layers: list[Layer] = [_runtime_layer(ctx, python)] if standalone else []

    has_deps = details["install"]["kind"] != "none" or bool(details["added"])
    deps_key = _deps_key(ctx, details, python, compiler) if has_deps else None
    deps = ctx.reuse("deps", deps_key) if has_deps else None
    files = _source_files(ctx.tree)
    env = {"PYTHONPATH": _python_path(ctx), "PYTHONUNBUFFERED": "1"}
    collect = details.get("django", {}).get("collectstatic", False)
    app_key = layer_key(pack=VERSION, source=ctx.tree.digest(files), python=python, compiler=compiler,
                        env=env, collectstatic=collect, deps=deps_key)
    app = ctx.reuse("app", app_key, at=WORKSPACE)

    site = None
    if has_deps and (deps is None or (app is None and collect)):
        # The installed packages are kept in the cache under the layer's key: collectstatic
        # needs them on disk after a source change, and must not reinstall them.
        installed = ctx.cache_dir("installed") / deps_key
        if not installed.is_dir():
            staging = ctx.layer_dir("deps")
            _install(ctx, details, python, image_python, interpreter, staging)
            ctx.cache.place_dir(staging, installed)
        site = installed / "site-packages"
        deps = deps or Layer(ID, "deps", deps_key, path=installed, launch=True)
    elif deps is not None:
        ctx.reporter.step("  reusing layer deps (dependencies unchanged)")
    if deps is not None:
        layers.append(deps)

    if app is None:
        app = _app_layer(ctx, details, files, env, app_key, interpreter, site if collect else None)
    else:
        ctx.reporter.step("  reusing layer app (source unchanged)")
    layers.append(app)
    return layers


def _runtime_layer(ctx: BuildContext, python: str) -> Layer:
    entries, version = runtime.fetch(python, ctx.cache_dir("standalone"))
    key = layer_key(pack=VERSION, runtime=version, files=len(entries))
    reused = ctx.reuse("runtime", key)
    if reused:
        return reused
    ctx.reporter.step(f"  layer runtime: CPython {version} (python-build-standalone)")
    directory = ctx.layer_dir("runtime")
    runtime.materialize(entries, directory)
    return Layer(ID, "runtime", key, path=directory, launch=True)


def _deps_key(ctx: BuildContext, details: dict, python: str, compiler: str | None) -> str:
    install = details["install"]
    inputs = [f for f in install["files"] if ctx.tree.has_file(f)]
    if install["kind"] == "uv.lock":
        inputs.append("pyproject.toml")
    source = ctx.tree.digest() if install["kind"] == "project" else ctx.tree.digest(inputs)
    added = [dependencies.SERVERS[a] for a in details["added"]]
    return layer_key(pack=VERSION, install=install, inputs=source, added=added, python=python,
                     platform=dependencies.PLATFORM, installer=dependencies.installer_version(),
                     compiler=compiler)


def _install(ctx: BuildContext, details: dict, python: str, image_python: str, interpreter: list[str] | None,
             directory: Path) -> None:
    site = directory / "site-packages"
    ctx.reporter.step(f"  installing dependencies for Python {python} ({details['install']['kind']})")
    dependencies.install(ctx, site, python, details["install"], details["added"])
    if (site / "bin").is_dir():
        shutil.move(str(site / "bin"), str(directory / "bin"))
        dependencies.rewrite_scripts(directory / "bin", image_python)
    if interpreter:
        _compile(ctx, interpreter, site, f"{DEPS}/site-packages")


def _app_layer(ctx: BuildContext, details: dict, files: list[str], env: dict, key: str,
               interpreter: list[str] | None, site: Path | None) -> Layer:
    directory = ctx.layer_dir("app")
    for rel in files:
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ctx.tree.path(rel), directory / rel)
    if site is not None:
        django.collectstatic(ctx, directory, site, details["django"]["settings"])
    if interpreter:
        _compile(ctx, interpreter, directory, WORKSPACE)
    return Layer(ID, "app", key, path=directory, launch=True, env=env, at=WORKSPACE)
