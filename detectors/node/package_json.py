"""package.json: the fields the Node detector reads, type-checked once so that every later
step can trust them. A field of the wrong type is an error naming the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pack_it.errors import detect_error
from pack_it.detectors.source import SourceTree

PACKAGE_JSON = "package.json"


@dataclass(frozen=True)
class PackageJson:
    name: str | None = None
    scripts: dict[str, str] = field(default_factory=dict)
    main: str | None = None
    module: str | None = None  # Bun's entry point (`bun init` writes "module": "index.ts")
    engines_node: str | None = None
    engines_bun: str | None = None
    package_manager: str | None = None  # the Corepack field, e.g. "pnpm@9.1.0"
    workspaces: bool = False
    dependencies: dict[str, str] = field(default_factory=dict)
    dev_dependencies: dict[str, str] = field(default_factory=dict)

    def dependency_field(self, name: str) -> str | None:
        """Where `name` is declared ("dependencies" or "devDependencies"), or None."""
        if name in self.dependencies:
            return "dependencies"
        if name in self.dev_dependencies:
            return "devDependencies"
        return None

    def where(self, name: str) -> str:
        """The evidence for a dependency, e.g. "package.json (dependencies.next)"."""
        return f"{PACKAGE_JSON} ({self.dependency_field(name)}.{name})"


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _wrong(key: str, expected: str, value: object):
    return detect_error(
        f"{PACKAGE_JSON}: `{key}` must be {expected}, not {json_type(value)} ({json.dumps(value)[:60]}).",
        f"Fix `{key}` in {PACKAGE_JSON}.",
    )


def _string(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _wrong(key, "a string", value)
    return value


def _strings(data: dict, key: str, what: str) -> dict[str, str]:
    value = data.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(key, f"an object of {what}", value)
    for name, item in value.items():
        if not isinstance(item, str):
            raise _wrong(f"{key}.{name}", "a string", item)
    return value


def _engine(engines: dict, name: str, example: str) -> str | None:
    value = engines.get(name)
    if value is not None and not isinstance(value, str):
        raise _wrong(f"engines.{name}", f'a version range such as "{example}"', value)
    return value


def _workspaces(data: dict) -> bool:
    value = data.get("workspaces")
    if isinstance(value, dict):  # Yarn's form: {"packages": [...], "nohoist": [...]}
        value = value.get("packages")
    if value is None:
        return False
    if not isinstance(value, list):
        raise _wrong("workspaces", "a list of folder patterns", value)
    return bool(value)


def load(tree: SourceTree) -> PackageJson | None:
    """The root package.json, or None when there is none. Broken JSON is SourceTree's error."""
    if not tree.has_file(PACKAGE_JSON):
        return None
    data = tree.read_json(PACKAGE_JSON)
    if not isinstance(data, dict):
        raise detect_error(
            f"{PACKAGE_JSON} must hold a JSON object, not {json_type(data)}.",
            f'Write {PACKAGE_JSON} as {{"name": ..., "scripts": {{...}}, ...}}.',
        )
    engines = data.get("engines") or {}
    if not isinstance(engines, dict):
        raise _wrong("engines", 'an object such as {"node": "^20"}', engines)
    return PackageJson(
        name=_string(data, "name"),
        scripts=_strings(data, "scripts", "commands"),
        main=_string(data, "main"),
        module=_string(data, "module"),
        engines_node=_engine(engines, "node", "^20"),
        engines_bun=_engine(engines, "bun", "^1.2"),
        package_manager=_string(data, "packageManager"),
        workspaces=_workspaces(data),
        dependencies=_strings(data, "dependencies", "version ranges"),
        dev_dependencies=_strings(data, "devDependencies", "version ranges"),
    )
