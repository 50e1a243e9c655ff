"""Cargo.toml and Cargo.lock: the packages of the app (one package, or a workspace's members),
the binaries each builds, and the locked crates. Every semantic error names the file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

CARGO_TOML = "Cargo.toml"
CARGO_LOCK = "Cargo.lock"
# A crate name as cargo accepts it (letters, digits, - and _).
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Binary:
    name: str
    package: str
    manifest: str  # the Cargo.toml that declares the package
    path: str  # the source file of its main function, relative to the tree
    source: str  # what makes it a binary: `[[bin]]` at a line, or the file cargo infers it from


@dataclass(frozen=True)
class Package:
    name: str
    manifest: str
    directory: str  # "." for the root
    binaries: tuple[Binary, ...]
    default_run: str | None
    default_run_line: int
    dependencies: tuple[str, ...]  # crate names (after `package = ` renames), all dependency tables
    rust_version: str | None
    rust_version_line: int
    rust_version_file: str  # the manifest, or the workspace root's when inherited
    edition: str


def line_of(text: str, pattern: str, after: str | None = None) -> int:
    """The 1-based line of the first line matching `pattern` (a regex on the stripped line),
    searching below the first line matching `after` when given; 0 when there is none."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next((i + 1 for i, line in enumerate(lines) if re.match(after, line.strip())), 0)
    for i in range(start, len(lines)):
        if re.match(pattern, lines[i].strip()):
            return i + 1
    return 0


def _at(manifest: str, line: int) -> str:
    return f"{manifest} line {line}" if line else manifest


def _table(data: dict, key: str, manifest: str, text: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        where = _at(manifest, line_of(text, re.escape(key) + r"\s*="))
        raise detect_error(f"{where}: `{key}` must be a table.",
                           f"Write it as [{key}] (see https://doc.rust-lang.org/cargo/reference/manifest.html).")
    return value


def _string(table: dict, key: str, manifest: str, text: str, section: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    line = line_of(text, rf"{re.escape(key)}\s*=", after=rf"\[{re.escape(section)}\]")
    raise detect_error(f"{_at(manifest, line)}: `{key}` must be a string, not {value!r}.",
                       f'Quote it: {key} = "{value}".')


def _dependencies(data: dict, manifest: str, text: str, workspace_deps: dict) -> tuple[str, ...]:
    """Crate names of [dependencies], [build-dependencies] and [target.*.dependencies], with
    `package = "real-name"` renames resolved (also through `workspace = true`)."""
    tables = [data.get("dependencies", {})]
    for target in (data.get("target") or {}).values():
        if isinstance(target, dict):
            tables.append(target.get("dependencies", {}))
    names = set()
    for table in tables:
        if not isinstance(table, dict):
            continue
        for key, spec in table.items():
            if isinstance(spec, dict) and spec.get("workspace") is True:
                spec = workspace_deps.get(key, spec)
            real = spec.get("package") if isinstance(spec, dict) else None
            names.add(real if isinstance(real, str) else key)
    return tuple(sorted(names))


def _binaries(tree: SourceTree, package: str, manifest: str, directory: str, data: dict, text: str,
              autobins: bool) -> tuple[Binary, ...]:
    """The binary targets cargo builds for a package: each [[bin]], plus, unless `autobins =
    false`, src/main.rs (named after the package), src/bin/<name>.rs and src/bin/<name>/main.rs."""
    base = PurePosixPath(directory)

    def rel(path: str) -> str:
        return str(base / path) if directory != "." else str(PurePosixPath(path))

    found: dict[str, Binary] = {}
    explicit_paths: set[str] = set()
    bins = data.get("bin", [])
    if not isinstance(bins, list):
        where = _at(manifest, line_of(text, r"bin\s*="))
        raise detect_error(f"{where}: `bin` must be an array of tables.",
                           "Write each binary as a [[bin]] table with a name.")
    bin_lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().startswith("[[bin]]")]
    for n, target in enumerate(bins):
        line = bin_lines[n] if n < len(bin_lines) else 0
        if not isinstance(target, dict) or not isinstance(target.get("name"), str) or not NAME.match(target["name"]):
            raise detect_error(f"{_at(manifest, line)}: a [[bin]] target needs a `name` (a crate name).",
                               'Add name = "<binary>" to the [[bin]] table.')
        name = target["name"]
        path = target.get("path")
        if path is not None and not isinstance(path, str):
            raise detect_error(f"{_at(manifest, line)}: [[bin]] {name}'s `path` must be a string.",
                               'Write path = "src/bin/<name>.rs".')
        if path is None:
            candidates = [f"src/bin/{name}.rs", f"src/bin/{name}/main.rs"] + (["src/main.rs"] if name == package else [])
            path = next((c for c in candidates if tree.has_file(rel(c))), candidates[0])
        if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
            raise detect_error(f"{_at(manifest, line)}: [[bin]] {name}'s path {path!r} leaves the app.",
                               "pack-it builds what is inside the app's directory.", exit_code=UNSUPPORTED)
        explicit_paths.add(str(PurePosixPath(path)))
        found[name] = Binary(name, package, manifest, rel(path), f"{manifest} line {line} ([[bin]])" if line else manifest)
    if autobins:
        inferred: list[tuple[str, str]] = []
        if tree.has_file(rel("src/main.rs")):
            inferred.append((package, "src/main.rs"))
        prefix = rel("src/bin") + "/"
        for f in tree.files():
            if not f.startswith(prefix):
                continue
            parts = PurePosixPath(f[len(prefix):]).parts
            if len(parts) == 1 and parts[0].endswith(".rs"):
                inferred.append((parts[0][:-3], f"src/bin/{parts[0]}"))
            elif len(parts) == 2 and parts[1] == "main.rs":
                inferred.append((parts[0], f"src/bin/{parts[0]}/main.rs"))
        for name, path in sorted(inferred):
            if name not in found and path not in explicit_paths:
                found[name] = Binary(name, package, manifest, rel(path), rel(path))
    return tuple(found[name] for name in sorted(found))


def read_package(tree: SourceTree, manifest: str, workspace: dict | None = None,
                 workspace_manifest: str = CARGO_TOML) -> Package | None:
    """The [package] of `manifest` (None for a virtual manifest, with only [workspace])."""
    text = tree.read_text(manifest)
    data = tree.read_toml(manifest)
    directory = str(PurePosixPath(manifest).parent)
    if "package" not in data:
        return None
    package = _table(data, "package", manifest, text)
    package_line = line_of(text, r"\[package\]")
    name = package.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        what = "has no `name`" if name is None else f"has the name {name!r}, which is not a crate name"
        raise detect_error(f"{_at(manifest, package_line)}: [package] {what}.",
                           'Add name = "<crate name>" (letters, digits, - and _) under [package].')
    inherited = (workspace or {}).get("package", {}) if isinstance((workspace or {}).get("package", {}), dict) else {}

    def field(key: str) -> tuple[str | None, int, str]:
        value = package.get(key)
        line = line_of(text, rf"{re.escape(key)}(\.workspace)?\s*=", after=r"\[package\]")
        if isinstance(value, dict) and value.get("workspace") is True:
            if workspace is None:
                raise detect_error(f"{_at(manifest, line)}: `{key}.workspace = true`, and this package is "
                                   "in no workspace.", f"Set {key} here, or add the package to a [workspace].")
            wtext = tree.read_text(workspace_manifest)
            return (_string(inherited, key, workspace_manifest, wtext, "workspace.package"),
                    line_of(wtext, rf"{re.escape(key)}\s*=", after=r"\[workspace\.package\]"), workspace_manifest)
        return _string(package, key, manifest, text, "package"), line, manifest

    rust_version, rv_line, rv_file = field("rust-version")
    edition = field("edition")[0] or "2015"
    default_run = _string(package, "default-run", manifest, text, "package")
    dr_line = line_of(text, r"default-run\s*=", after=r"\[package\]")
    autobins = package.get("autobins", True) is not False
    binaries = _binaries(tree, name, manifest, directory, data, text, autobins)
    if default_run is not None and default_run not in {b.name for b in binaries}:
        raise detect_error(f"{_at(manifest, dr_line)}: default-run = {default_run!r} is not a binary of {name} "
                           f"(its binaries: {', '.join(b.name for b in binaries) or 'none'}).",
                           "Name one of its binaries, or add that [[bin]].")
    wdeps = (workspace or {}).get("dependencies", {})
    deps = _dependencies(data, manifest, text, wdeps if isinstance(wdeps, dict) else {})
    return Package(name, manifest, directory, binaries, default_run, dr_line, deps, rust_version, rv_line, rv_file,
                   edition)


def _members(tree: SourceTree, workspace: dict, text: str) -> list[str]:
    """The member manifests a [workspace] lists (globs expanded, `exclude` applied)."""
    members = workspace.get("members", [])
    exclude = workspace.get("exclude", [])
    line = line_of(text, r"members\s*=", after=r"\[workspace\]")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise detect_error(f"{_at(CARGO_TOML, line)}: [workspace] members must be a list of paths.",
                           'Write members = ["crates/*"].')
    excluded = {str(PurePosixPath(e)) for e in exclude if isinstance(e, str)} if isinstance(exclude, list) else set()
    manifests = []
    for member in members:
        path = PurePosixPath(member)
        if path.is_absolute() or ".." in path.parts:
            raise detect_error(f"{_at(CARGO_TOML, line)}: the workspace member {member!r} is outside the app.",
                               "pack-it builds what is inside the app's directory; move the crate in.",
                               exit_code=UNSUPPORTED)
        if any(c in member for c in "*?["):
            matched = sorted(str(PurePosixPath(f).parent) for f in tree.glob(f"{member}/{CARGO_TOML}"))
        else:
            matched = [str(path)]
            if not tree.has_file(f"{path}/{CARGO_TOML}"):
                raise detect_error(f"{_at(CARGO_TOML, line)}: the workspace member {member!r} has no {CARGO_TOML}.",
                                   f"Create {member}/{CARGO_TOML} (`cargo new {member}`) or drop it from members.")
        manifests += [f"{m}/{CARGO_TOML}" for m in matched if m not in excluded and m != "."]
    return sorted(set(manifests))


def read_workspace(tree: SourceTree) -> tuple[list[Package], bool]:
    """Every package of the app (the root package first), and whether it is a workspace."""
    data = tree.read_toml(CARGO_TOML)
    text = tree.read_text(CARGO_TOML)
    if "package" not in data and "workspace" not in data:
        raise detect_error(f"{CARGO_TOML} has neither a [package] nor a [workspace] table.",
                           "Add [package] with a name (`cargo init` writes one).")
    if "workspace" not in data:
        root = read_package(tree, CARGO_TOML)
        assert root is not None
        return [root], False
    workspace = _table(data, "workspace", CARGO_TOML, text)
    packages = [p for p in [read_package(tree, CARGO_TOML, workspace)] if p is not None]
    for manifest in _members(tree, workspace, text):
        member = read_package(tree, manifest, workspace)
        if member is None:
            raise detect_error(f"{manifest} has no [package] table: a workspace member must be a package.",
                               f"Add [package] with a name to {manifest}.")
        packages.append(member)
    return packages, True


@dataclass(frozen=True)
class LockedCrate:
    name: str
    version: str
    dependencies: tuple[str, ...]


def read_lock(tree: SourceTree) -> tuple[LockedCrate, ...]:
    """Cargo.lock's [[package]] entries (name, version, the names of its dependencies)."""
    if not tree.has_file(CARGO_LOCK):
        return ()
    data = tree.read_toml(CARGO_LOCK)
    entries = data.get("package", [])
    if not isinstance(entries, list):
        raise detect_error(f"{CARGO_LOCK}: `package` must be an array of [[package]] tables.",
                           "Regenerate it with `cargo generate-lockfile`.")
    crates = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or not isinstance(entry.get("version"), str):
            raise detect_error(f"{CARGO_LOCK}: [[package]] number {n} has no name or version.",
                               "Regenerate it with `cargo generate-lockfile`.")
        deps = entry.get("dependencies", [])
        names = tuple(d.split()[0] for d in deps if isinstance(d, str) and d.strip()) if isinstance(deps, list) else ()
        crates.append(LockedCrate(entry["name"], entry["version"], names))
    return tuple(crates)
