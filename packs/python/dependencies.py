"""The app's dependencies as one requirements file, whatever manifest or lock declares them,
and their installation with uv for the run image's Python and platform (not the host's).

A lock (uv.lock, poetry.lock, pdm.lock, Pipfile.lock) becomes exact pins with their hashes,
installed with --no-deps --require-hashes: exactly what the lock says, nothing resolved anew.

The tree's own packages (the project itself, `-e .` and `./libs/x` lines of requirements.txt,
uv workspace members and path dependencies, poetry directory dependencies) have no hash and
no wheel on an index: each is built to a wheel from a copy of the source (its build backend,
from its build-system table, runs on the host's Python; a pure-Python wheel installs on any
target) and installed with the rest.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator


from pack_it.detectors.python.facts import InstallFacts
from pack_it.detectors.shape import AnyOf, Array, Each, Table, check
from pack_it.detectors.source import SourceTree
from pack_it.errors import INVALID_INPUT, MISSING_TOOLCHAIN, PackItError, build_error

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

# Production servers pack-it adds when the start command needs one the app does not list.
SERVERS = {"gunicorn": "gunicorn==27.0.1", "uvicorn": "uvicorn==0.54.0"}
# Wheels for the run images' glibc (Debian 12 has 2.36; Debian 13's 2.41 runs them too).
PLATFORM = "x86_64-manylinux_2_36"
# pip takes a platform tag literally, so the fallback lists every tag glibc 2.36 accepts.
PIP_PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(36, 16, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


# The locks' keys this module reads, and their types (a wrong one is an error naming the file).
_FILES = Array(Table({"hash": str}))
POETRY_LOCK = Table({"package": Array(Table({
    "name": str, "version": str, "groups": Array(str), "category": str, "source": Table({"type": str}),
    "markers": AnyOf((str, Each(str))), "files": _FILES}))})
PDM_LOCK = Table({"package": Array(Table({"name": str, "version": str, "groups": Array(str), "marker": str,
                                          "files": _FILES}))})
PIPFILE_LOCK = Table({"default": Each(Table({"version": str, "markers": str, "hashes": Array(str)}))})

PEP508_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
HASH = re.compile(r"(sha256|sha384|sha512):[0-9a-f]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A requirements line naming a directory of the tree: `.`, `-e .`, `./libs/x`, `--editable=../x`
LOCAL_LINE = re.compile(r"^(?:(?:-e|--editable)(?:=|\s+))?(?P<path>\.\.?(?:/[^\s;#]*)?)\s*(?:[;#].*)?$")
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# An editable VCS requirement, `-e git+https://host/x.git@v1#egg=x`: pip clones it into src/,
# uv refuses it ("Git sources cannot be editable"); an image has no use for an editable
# checkout, so it becomes the same requirement installed from the same commit.
EDITABLE_VCS_LINE = re.compile(r"^(?:-e|--editable)(?:=|\s+)(?P<url>(?:git|hg|svn|bzr)\+[^\s#]+)(?:#(?P<fragment>\S*))?(?P<rest>.*)$")


def _invalid(source: str, name: object, what: str) -> PackItError:
    return build_error(f"{source} has an invalid {what} for package {str(name)[:60]!r}.",
                       f"Fix {source} (or regenerate it with its tool).", exit_code=INVALID_INPUT)


def _checked(source: str, name: object, what: str, value: object, parse):
    """`value` parsed by `parse` (packaging's own parsers), or an error naming the file: the
    generated requirements file is made of parsed values only, so no raw string from the
    app (a newline and `-r /etc/shadow`, say) can become a line that uv reads."""
    if not isinstance(value, str) or CONTROL.search(value):
        raise _invalid(source, name, what)
    try:
        return parse(value)
    except ValueError:  # packaging's Invalid* errors are ValueErrors
        raise _invalid(source, name, what) from None


# packaging's parsers, imported on first use: a rebuild with unchanged locks never parses them.
def _version(text: str) -> object:
    from packaging.version import Version

    return Version(text)


def _marker(text: str) -> object:
    from packaging.markers import Marker

    return Marker(text)


def _specifier(text: str) -> object:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def _name(source: str, name: object) -> str:
    def parse(text: str) -> str:
        if not PEP508_NAME.fullmatch(text):
            raise ValueError(text)
        return text
    return _checked(source, name, "name", name, parse)


def _hash(source: str, name: str, value: object) -> str:
    def parse(text: str) -> str:
        if not HASH.fullmatch(text):
            raise ValueError(text)
        return text
    return _checked(source, name, "hash", value, parse)


def _line(source: str, name: object, version: object, marker: object, hashes: list) -> str:
    checked = _name(source, name)
    line = f"{checked}=={_checked(source, name, 'version', version, _version)}"
    if marker:
        line += f" ; {_checked(source, name, 'marker', marker, _marker)}"
    return line + "".join(f" \\\n    --hash={_hash(source, checked, h)}" for h in hashes)


def _metadata_files(lock: dict, *keys: str) -> list:
    """Older lock formats keep the hashes apart, in [metadata.files]: Poetry 1.1 by package name,
    old pdm locks by "name version"."""
    files = (lock.get("metadata") or {}).get("files") or {}
    if not isinstance(files, dict):
        return []
    for key in keys:
        for candidate in (key, key.lower(), key.replace("_", "-").lower()):
            if isinstance(files.get(candidate), list):
                return files[candidate]
    return []


def _hashes(package: dict, lock: dict, *keys: str) -> list:
    files = package.get("files") or _metadata_files(lock, *keys)
    return [f["hash"] for f in files if isinstance(f, dict) and f.get("hash")]


def _poetry(tree: SourceTree) -> list[str]:
    lines = []
    lock = tree.read_toml("poetry.lock")
    check(lock, POETRY_LOCK, "poetry.lock")
    for package in lock.get("package", []):
        groups = package.get("groups") or [package.get("category", "main")]
        if "main" not in groups or package.get("source", {}).get("type") in ("directory", "git", "url"):
            continue
        marker = package.get("markers")
        marker = marker.get("main") if isinstance(marker, dict) else marker
        lines.append(_line("poetry.lock", package.get("name"), package.get("version"), marker,
                           _hashes(package, lock, str(package.get("name")))))
    return lines


def _pdm(tree: SourceTree) -> list[str]:
    lines = []
    lock = tree.read_toml("pdm.lock")
    check(lock, PDM_LOCK, "pdm.lock")
    for package in lock.get("package", []):
        if "default" not in package.get("groups", ["default"]) or package.get("path") or package.get("editable"):
            continue  # a path dependency is the tree's own package, or not reproducible from the lock
        name, version = package.get("name"), package.get("version")
        lines.append(_line("pdm.lock", name, version, package.get("marker"),
                           _hashes(package, lock, f"{name} {version}")))
    return lines


def _pipfile_lock(tree: SourceTree) -> list[str]:
    lines = []
    lock = tree.read_json("Pipfile.lock")
    check(lock, PIPFILE_LOCK, "Pipfile.lock")
    assert isinstance(lock, dict)  # check() says so
    for name, spec in sorted((lock.get("default") or {}).items()):
        version = spec.get("version", "").removeprefix("==")
        if not version:  # a VCS or path dependency: not reproducible from the lock alone
            raise build_error(f"Pipfile.lock pins {name} without a version (a VCS or path dependency).",
                              "Publish it as a package, or vendor it into the app.")
        lines.append(_line("Pipfile.lock", name, version, spec.get("markers"), spec.get("hashes", [])))
    return lines


def _pipfile(tree: SourceTree) -> list[str]:
    # Detection's schema for it; imported here because detection.py loads every Python reader
    # (packaging's markers among them), which a no-op rebuild never needs.
    from pack_it.detectors.python.detection import PIPFILE

    lines = []
    pipfile = tree.read_toml("Pipfile")
    check(pipfile, PIPFILE, "Pipfile")
    for name, spec in (pipfile.get("packages") or {}).items():
        version = spec if isinstance(spec, str) else spec.get("version", "*")
        checked = _name("Pipfile", name)
        lines.append(checked if version in ("*", "") else
                     f"{checked}{_checked('Pipfile', name, 'version', version, _specifier)}")
    return lines


def _conda(tree: SourceTree, file: str) -> list[str]:
    """environment.yml's PyPI requirements (packaging-parsed lines, detectors/python/conda.py)."""
    from pack_it.detectors.python import conda  # imported on first use, as packaging's parsers are

    return list(conda.environment(tree, file).requirements)


def _uv_lock(ctx: BuildContext, uv: str, out: Path, src: Path) -> None:
    # Workspace members (`-e ./packages/x`) and path dependencies (`./libs/y`) come out as paths
    # with no hash, which --require-hashes refuses: they are the tree's own packages
    # (local_packages), built from source, so their lines are dropped here.
    ctx.run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-header",
             "--format", "requirements-txt", "--project", str(src), "-o", str(out)],
            env=uv_env(ctx), cwd=src, what="uv export (uv.lock)")
    out.write_text("".join(line for line in out.read_text().splitlines(keepends=True)
                           if not LOCAL_LINE.match(line.strip())))


def _inside(tree: SourceTree, rel: str) -> str | None:
    """`rel` normalised ("." for the root) when it is a directory of the tree holding a project."""
    import posixpath

    path = posixpath.normpath(rel.removeprefix("file:").strip() or ".")
    if path.startswith("../") or path == ".." or path.startswith("/"):
        return None
    prefix = "" if path == "." else path + "/"
    return path if any(tree.has_file(prefix + f) for f in PROJECT_FILES) else None


def local_packages(tree: SourceTree, install: InstallFacts) -> tuple[str, ...]:
    """The tree's own packages the install builds from source, as directories ("." the root)."""
    kind, found = install.kind, []
    if kind == "project":
        found = ["."]
    elif kind == "requirements":
        for line in tree.read_text(install.files[0]).splitlines():
            match = LOCAL_LINE.match(line.strip())
            if match:
                found.append(match["path"])
    elif kind == "uv.lock":
        for package in tree.read_toml("uv.lock").get("package", []):
            source = package.get("source") if isinstance(package, dict) else None
            where = next((source[k] for k in ("editable", "directory") if isinstance(source, dict)
                          and isinstance(source.get(k), str)), None)
            if where is not None:
                found.append(where)
    elif kind == "pdm.lock":
        for package in tree.read_toml("pdm.lock").get("package", []):
            if isinstance(package, dict) and isinstance(package.get("path"), str):
                found.append(package["path"])
    elif kind == "poetry.lock":
        for package in tree.read_toml("poetry.lock").get("package", []):
            source = package.get("source") or {}
            if package.get("groups", ["main"]) and "main" in (package.get("groups") or [package.get("category", "main")]) \
                    and source.get("type") == "directory" and isinstance(source.get("url"), str):
                found.append(source["url"])
    dirs = []
    for rel in found:
        inside = _inside(tree, rel)
        if inside is not None and inside not in dirs:
            dirs.append(inside)
    return tuple(dirs)


def _local_wheels(ctx: BuildContext, uv: str | None, dirs: tuple[str, ...], builder: str | None) -> list[Path]:
    """Each of the tree's own packages built to a wheel, from a copy of the source, by `builder`
    (else the sandbox's python3, or the one running pack-it)."""
    python = builder or ("/usr/bin/python3" if ctx.sandbox.root is not None else sys.executable)
    source = ctx.copy_source(ctx.work / "local-src")
    out = ctx.work / "local-wheels"
    out.mkdir(parents=True, exist_ok=True)
    for rel in dirs:
        project = source / rel
        if not (project / "pyproject.toml").exists() and not (project / "setup.py").exists():
            # setup.cfg alone: what setuptools reads through the setup.py every such project
            # had (the copy only; the app's directory is never written)
            (project / "setup.py").write_text("from setuptools import setup\n\nsetup()\n")
        # setuptools' own output from a build on the developer's machine (build/lib is copied
        # into the wheel as it is, however stale): never an input of this one.
        shutil.rmtree(project / "build", ignore_errors=True)
        ctx.reporter.step(f"  building {'the project' if rel == '.' else rel} from source (a wheel)")
        argv = ([uv, "build", "--wheel", "--out-dir", str(out), "--python", python, str(source / rel)]
                if uv else [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source / rel)])
        ctx.run(argv, env=uv_env(ctx) if uv else {}, cwd=source, what=f"building {rel} (the app's own package)")
    return sorted(out.glob("*.whl"))


def _non_editable(line: str) -> str:
    """`-e git+URL#egg=name&subdirectory=d` as `name @ git+URL#subdirectory=d` (PEP 508)."""
    match = EDITABLE_VCS_LINE.match(line.strip())
    if match is None:
        return line
    fragments = [f for f in (match["fragment"] or "").split("&") if f]
    names = [f[4:] for f in fragments if f.startswith("egg=")]
    others = "&".join(f for f in fragments if not f.startswith("egg="))
    url = match["url"] + (f"#{others}" if others else "")
    return f"{names[0]} @ {url}{match['rest']}\n" if names else f"{url}{match['rest']}\n"


def _for_installer(path: Path) -> Path:
    """requirements.txt as uv installs it: without the lines naming the tree's own packages
    (they are built), editable VCS lines made plain. A changed file is written beside the
    original (in the source copy), so its `-r`/`-c` includes resolve as they did."""
    lines = path.read_text().splitlines(keepends=True)
    kept = [_non_editable(line) for line in lines if not LOCAL_LINE.match(line.strip())]
    if kept == lines:
        return path
    out = path.with_name(f".pack-it-{path.name}")
    out.write_text("".join(kept))
    return out


def source_dir(ctx: BuildContext) -> Path:
    """Where the installer reads the app: a copy of what SourceTree admits, never the app
    directory (where a link can lead to any host file, and which a build must not write), in
    the sandbox the step's writable /workspace."""
    copy = ctx.work / "python-src"
    if not copy.is_dir():
        ctx.copy_source(copy)
    return copy


def uv_env(ctx: BuildContext) -> dict[str, str]:
    return {"UV_CACHE_DIR": str(ctx.cache_dir("uv-cache")), "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1", "UV_LINK_MODE": "copy", "UV_NO_CONFIG": "1"}


def find_uv() -> str | None:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def requirements(ctx: BuildContext, install: InstallFacts, uv: str | None,
                 src: Path | None = None) -> tuple[Path | None, bool]:
    """(a requirements file for the app's dependencies, whether it is a hashed lock)."""
    kind = install.kind
    src = src or ctx.tree.root
    out = ctx.work / "requirements.lock.txt"
    if kind == "requirements":
        return _for_installer(src / install.files[0]), False
    if kind == "uv.lock":
        if uv is None:  # pip cannot read uv.lock
            raise build_error("uv.lock needs uv to export it, and uv is not installed.",
                              "Reinstall pack-it (it depends on uv), or put uv on PATH.", exit_code=MISSING_TOOLCHAIN)
        _uv_lock(ctx, uv, out, src)
        return out, True
    lines = {"poetry.lock": _poetry, "pdm.lock": _pdm, "Pipfile.lock": _pipfile_lock, "Pipfile": _pipfile,
             "conda": lambda tree: _conda(tree, install.files[0])}.get(kind)
    if lines is None:
        return None, False
    out.write_text("\n".join(lines(ctx.tree)) + "\n")
    return out, kind not in ("Pipfile", "conda")


def install(ctx: BuildContext, target: Path, python: str, install_spec: InstallFacts,
            added: tuple[str, ...], sandbox_builder: str | None = None) -> None:
    """Installs into `target` (a site-packages directory) for CPython `python` on Linux x86_64.
    sdists are built (C extensions included, with the build root's compiler and -dev headers)
    by a Python of the target's minor version: in the sandbox `sandbox_builder` (the pack's
    choice), else this machine's (`build_python`); without one, a package without a wheel for
    the target fails with uv's message, which names it, and a hint."""
    uv = find_uv()
    if uv is not None:
        ctx.bind_tools(Path(uv))  # pack-it's own uv (a pinned dependency from PyPI), read-only
    src = source_dir(ctx)
    reqs, locked = requirements(ctx, install_spec, uv, src)
    builder = sandbox_builder if ctx.sandbox.root is not None else build_python(python)
    local = local_packages(ctx.tree, install_spec)
    wheels = _local_wheels(ctx, uv, local, builder) if local else []
    common = ["--target", str(target), "--python-version", python, "--python-platform", PLATFORM]
    # A package with no wheel for the target is built from its sdist by a Python of the
    # target's minor version (the C extension's ABI is that minor's); without one, wheels only.
    common += ["--python", builder] if builder else ["--only-binary", ":all:"]
    what = f"installing the dependencies for Python {python}"
    if uv is None:  # pip as the fallback installer
        # pack-it's own interpreter runs it, read-only in the sandbox (it is not the build root's)
        # (a system interpreter under /usr is not bound over the build root's /usr)
        ctx.bind_tools(*sorted({Path(sys.base_prefix), Path(sys.prefix)} - {Path("/usr"), Path("/")}))
        pip = [sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
               "--target", str(target), "--python-version", python, "--only-binary", ":all:",
               *(f"--platform={tag}" for tag in PIP_PLATFORMS)]
        steps = ([[*pip, "--no-deps", "--require-hashes", "-r", str(reqs)]] if locked else
                 [[*pip, "-r", str(reqs)]] if reqs else [])
        steps += [[*pip, *(["--no-deps"] if locked else []), *map(str, wheels)]] if wheels else []
        # --upgrade: pip --target otherwise skips directories (bin/) an earlier step made.
        steps += [[*pip, "--upgrade", *(SERVERS[a] for a in added)]] if added else []
        for argv in steps:
            ctx.run(argv, env={}, cwd=src, what=what + " (pip)")
        return
    base = [uv, "pip", "install", "--quiet", *common]
    env = {**uv_env(ctx), **SDIST_ENV}
    with _sdist_hint(python, builder, ctx.sandbox.root is not None), _conda_hint(install_spec):
        if reqs is not None:
            extra = ["--no-deps", "--require-hashes"] if locked else []
            ctx.run([*base, *extra, "-r", str(reqs)], env=env, cwd=src, what=what)
        if wheels:  # a lock already pinned their dependencies; a project or requirements.txt did not
            ctx.run([*base, *(["--no-deps"] if locked else []), *map(str, wheels)], env=env,
                    cwd=ctx.work, what=what + " (the app's own packages)")
        if added:
            ctx.run([*base, *(SERVERS[a] for a in added)], env=env, cwd=src,
                    what=f"adding {', '.join(added)}")


# What an sdist's C extension is compiled with: no debug info, which would carry the random
# build directory (DW_AT_comp_dir) into the image, so the same sdist gives the same bytes.
SDIST_ENV = {"CFLAGS": "-g0", "CXXFLAGS": "-g0"}


def build_python(python: str) -> str | None:
    """A CPython of minor version `python` that can build sdists on this machine: the one
    running pack-it, else `python3.X` on PATH (the build root will carry it)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python:
        return sys.executable
    found = shutil.which(f"python{python}")
    if found is None:
        return None
    # It must run, and be that minor: a pyenv shim on PATH names every version and fails for
    # those not installed ("pyenv: python3.13: command not found").
    try:
        proc = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if proc.returncode == 0 and proc.stdout.strip() == python else None


@contextmanager
def _conda_hint(install_spec: InstallFacts) -> Iterator[None]:
    """A conda package PyPI has under no such name fails the install: the hint says where it is."""
    try:
        yield
    except PackItError as e:
        if install_spec.kind == "conda":
            e.hint = (f"{install_spec.files[0]} names packages as conda does, and pack-it installs them from PyPI "
                      "by the same names: rename the one above to its PyPI name (or move it under `pip:`), or "
                      "remove it if the app does not import it.")
        raise


@contextmanager
def _sdist_hint(python: str, builder: str | None, sandboxed: bool) -> Iterator[None]:
    """A failed wheels-only install says why sdists were not built, and how to get them built."""
    try:
        yield
    except PackItError as e:
        if builder is None and ("--no-build" in e.message or "no usable wheels" in e.message):
            if sandboxed:
                e.hint = (f"A package without a wheel for Python {python} is built from its sdist only by a Python "
                          f"{python} that runs in the build sandbox, and the run image's Python runs only on its "
                          "own Debian release: use that release's stack as the run image, or pin an exact Python "
                          "patch in .python-version (a python-build-standalone release builds sdists).")
            else:
                e.hint = (f"A package without a wheel for Python {python} is built from its sdist only by a Python "
                          f"{python} on this machine, and there is none (python{python} on PATH): install it, or "
                          f"pin the Python this machine has ({sys.version_info.major}.{sys.version_info.minor}) in "
                          ".python-version.")
        raise


def point_at_workspace(site: Path, scratch: Path, workspace: str) -> None:
    """A package installed from the build's scratch (the source copy, or a wheel built from it)
    records that path (PEP 610's direct_url.json), a new one each build: it names the app's
    place in the image instead, and its RECORD line is rehashed, so the layer is the same for
    the same source."""
    import base64
    import hashlib

    prefix = scratch.as_uri()
    for direct in sorted(site.glob("*.dist-info/direct_url.json")):
        try:
            data = json.loads(direct.read_text())
        except (OSError, ValueError):
            continue
        url = data.get("url") if isinstance(data, dict) else None
        if not (isinstance(url, str) and url.startswith(prefix)):
            continue
        data = {"url": "file://" + workspace, "dir_info": {}}  # the app's own source, at /workspace
        text = json.dumps(data, sort_keys=True)
        direct.write_text(text)
        record = direct.parent / "RECORD"
        if record.is_file():
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            rel = f"{direct.parent.name}/direct_url.json"
            lines = [f"{rel},sha256={digest},{len(text.encode())}" if line.split(",", 1)[0] == rel else line
                     for line in record.read_text().splitlines()]
            record.write_text("\n".join(lines) + "\n")


def rewrite_scripts(bin_dir: Path, python: str) -> None:
    """Console scripts carry the installing interpreter's path; point them at the image's."""
    for script in sorted(bin_dir.iterdir()) if bin_dir.is_dir() else []:
        data = script.read_bytes()
        if data.startswith(b"#!") and b"python" in data.split(b"\n", 1)[0]:
            script.write_bytes(f"#!{python}\n".encode() + data.split(b"\n", 1)[1])


def fix_records(site: Path, bin_dir: Path) -> None:
    """Each dist-info RECORD line for a rewritten console script gets the script's new hash and
    size: the installer hashed it with the installing interpreter's path in its shebang, which
    would make the layer depend on where that interpreter was (the host's, or the sandbox's)."""
    import base64
    import hashlib

    for record in sorted(site.glob("*.dist-info/RECORD")):
        lines = record.read_text().splitlines()
        changed = False
        for i, line in enumerate(lines):
            path, _, rest = line.partition(",")
            if not path.startswith("bin/") or not (bin_dir / path[4:]).is_file():
                continue
            data = (bin_dir / path[4:]).read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines[i] = f"{path},sha256={digest},{len(data)}"
            changed = True
        if changed:
            record.write_text("\n".join(lines) + "\n")


@lru_cache(maxsize=None)
def installer_version() -> str:
    uv = find_uv()
    if uv is None:
        return "pip"
    return subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()

