"""The app's dependencies as one requirements file, whatever manifest or lock declares them,
and their installation with uv for the run image's Python and platform (not the host's).

A lock (uv.lock, poetry.lock, pdm.lock, Pipfile.lock) becomes exact pins with their hashes,
installed with --no-deps --require-hashes: exactly what the lock says, nothing resolved anew.
"""

from __future__ import annotations

import json
import re
import shutil
from functools import lru_cache
import subprocess
import sys
from pathlib import Path


from pack_it.detectors.python.detection import PIPFILE
from pack_it.detectors.python.facts import InstallFacts
from pack_it.detectors.shape import AnyOf, Array, Each, Table, check
from pack_it.detectors.source import SourceTree
from pack_it.errors import INVALID_INPUT, MISSING_TOOLCHAIN, PackItError, build_error
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
                           [f["hash"] for f in package.get("files", []) if f.get("hash")]))
    return lines


def _pdm(tree: SourceTree) -> list[str]:
    lines = []
    lock = tree.read_toml("pdm.lock")
    check(lock, PDM_LOCK, "pdm.lock")
    for package in lock.get("package", []):
        if "default" not in package.get("groups", ["default"]):
            continue
        lines.append(_line("pdm.lock", package.get("name"), package.get("version"), package.get("marker"),
                           [f["hash"] for f in package.get("files", []) if f.get("hash")]))
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
    lines = []
    pipfile = tree.read_toml("Pipfile")
    check(pipfile, PIPFILE, "Pipfile")
    for name, spec in (pipfile.get("packages") or {}).items():
        version = spec if isinstance(spec, str) else spec.get("version", "*")
        checked = _name("Pipfile", name)
        lines.append(checked if version in ("*", "") else
                     f"{checked}{_checked('Pipfile', name, 'version', version, _specifier)}")
    return lines


def project_copy(ctx: BuildContext) -> Path:
    """The app's source files copied once into the build's scratch: what uv and pip read
    (`uv pip install <project>`, `-r requirements.txt` with its relative paths, `uv export`), never
    the app directory, where a link can lead to any host file."""
    copy = ctx.work / "python-project"
    if not copy.is_dir():
        ctx.copy_source(copy)
    return copy


def _uv_lock(ctx: BuildContext, uv: str, out: Path) -> None:
    ctx.run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-header",
             "--format", "requirements-txt", "--project", str(project_copy(ctx)), "-o", str(out)],
            env=uv_env(ctx), cwd=ctx.work, what="uv export (uv.lock)")


def uv_env(ctx: BuildContext) -> dict[str, str]:
    return {"UV_CACHE_DIR": str(ctx.cache_dir("uv-cache")), "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1", "UV_LINK_MODE": "copy", "UV_NO_CONFIG": "1"}


def find_uv() -> str | None:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def requirements(ctx: BuildContext, install: InstallFacts, uv: str | None) -> tuple[Path | None, bool]:
    """(a requirements file for the app's dependencies, whether it is a hashed lock)."""
    kind = install.kind
    out = ctx.work / "requirements.lock.txt"
    if kind == "requirements":
        return project_copy(ctx) / install.files[0], False
    if kind == "uv.lock":
        if uv is None:  # pip cannot read uv.lock
            raise build_error("uv.lock needs uv to export it, and uv is not installed.",
                              "Reinstall pack-it (it depends on uv), or put uv on PATH.", exit_code=MISSING_TOOLCHAIN)
        _uv_lock(ctx, uv, out)
        return out, True
    lines = {"poetry.lock": _poetry, "pdm.lock": _pdm, "Pipfile.lock": _pipfile_lock, "Pipfile": _pipfile}.get(kind)
    if lines is None:
        return None, False
    out.write_text("\n".join(lines(ctx.tree)) + "\n")
    return out, kind != "Pipfile"


def install(ctx: BuildContext, target: Path, python: str, install_spec: InstallFacts,
            added: tuple[str, ...]) -> None:
    """Installs into `target` (a site-packages directory) for CPython `python` on Linux x86_64.
    sdists are built only when the host's Python has the same minor version; otherwise a
    package without a wheel for the target fails with uv's message, which names it."""
    uv = find_uv()
    reqs, locked = requirements(ctx, install_spec, uv)
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    common = ["--target", str(target), "--python-version", python, "--python-platform", PLATFORM]
    if host != python:
        common += ["--only-binary", ":all:"]
    what = f"installing the dependencies for Python {python}"
    if uv is None:  # pip as the fallback installer
        pip = [sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
               "--target", str(target), "--python-version", python, "--only-binary", ":all:",
               *(f"--platform={tag}" for tag in PIP_PLATFORMS)]
        steps = ([[*pip, "--no-deps", "--require-hashes", "-r", str(reqs)]] if locked else
                 [[*pip, "-r", str(reqs)]] if reqs else [])
        # --upgrade: pip --target otherwise skips directories (bin/) an earlier step made.
        steps += [[*pip, "--upgrade", *(SERVERS[a] for a in added)]] if added else []
        for argv in steps:
            ctx.run(argv, env={}, cwd=project_copy(ctx), what=what + " (pip)")
        return
    base = [uv, "pip", "install", "--quiet", *common]
    project = project_copy(ctx)
    if install_spec.kind == "project":
        ctx.run([*base, str(project)], env=uv_env(ctx), cwd=project, what=what)
    elif reqs is not None:
        extra = ["--no-deps", "--require-hashes"] if locked else []
        ctx.run([*base, *extra, "-r", str(reqs)], env=uv_env(ctx), cwd=project, what=what)
    if added:
        ctx.run([*base, *(SERVERS[a] for a in added)], env=uv_env(ctx), cwd=project,
                what=f"adding {', '.join(added)}")


def point_at_workspace(site: Path, copy: Path, workspace: str) -> None:
    """A project installed from the source copy records that scratch path (PEP 610's
    direct_url.json), a new one each build: it names the app's place in the image instead, so
    the layer is the same for the same source."""
    for record in sorted(site.glob("*.dist-info/direct_url.json")):
        try:
            data = json.loads(record.read_text())
        except (OSError, ValueError):
            continue
        url = data.get("url") if isinstance(data, dict) else None
        if isinstance(url, str) and url.startswith(copy.as_uri()):
            data["url"] = "file://" + workspace + url[len(copy.as_uri()):]
            record.write_text(json.dumps(data, sort_keys=True))


def rewrite_scripts(bin_dir: Path, python: str) -> None:
    """Console scripts carry the installing interpreter's path; point them at the image's."""
    for script in sorted(bin_dir.iterdir()) if bin_dir.is_dir() else []:
        data = script.read_bytes()
        if data.startswith(b"#!") and b"python" in data.split(b"\n", 1)[0]:
            script.write_bytes(f"#!{python}\n".encode() + data.split(b"\n", 1)[1])


@lru_cache(maxsize=None)
def installer_version() -> str:
    uv = find_uv()
    if uv is None:
        return "pip"
    return subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()

