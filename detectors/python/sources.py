"""The app's Python modules, found the way the interpreter would import them from the app
directory, and read with `ast` (never run). A file that does not parse is skipped with a
warning: the app may still start without it."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Mapping

from pack_it.detectors.source import SourceTree

SKIPPED_DIRS = {"tests", "test", "node_modules", "migrations", "site-packages", "__pycache__", ".venv", "venv"}
# Where a module is preferred when several match a rule; other names rank after these.
NAME_RANK = {"main.py": 0, "app.py": 1, "wsgi.py": 2, "asgi.py": 2, "server.py": 3}


@dataclass(eq=False)
class Module:
    path: str  # app/main.py
    name: str  # app.main
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)  # local name -> what it is, e.g. "flask.Flask"
    stars: tuple[str, ...] = ()  # the modules of its `from M import *` lines, e.g. "fasthtml.common"

    @cached_property
    def imported(self) -> frozenset[str]:
        """Every module it imports (absolute), e.g. "http.server"."""
        found: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
        return frozenset(found)

    def imports_any(self, packages: tuple[str, ...] | frozenset[str]) -> bool:
        return any(m == p or m.startswith(p + ".") for m in self.imported for p in packages)

    def resolve(self, node: ast.expr, star_exports: Mapping[str, tuple[str, ...]] | None = None) -> str | None:
        """The dotted name an expression refers to through the imports ("fastapi.FastAPI" for
        `FastAPI` after `from fastapi import FastAPI`); None if it is not imported. A name no
        line imports is found through a `from M import *` only when `star_exports[M]` lists it
        (what M is known to export: a star import cannot be followed without the package)."""
        if isinstance(node, ast.Name):
            if node.id in self.imports:
                return self.imports[node.id]
            return next((f"{m}.{node.id}" for m in self.stars if node.id in (star_exports or {}).get(m, ())), None)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    @property
    def rank(self) -> tuple[int, int]:
        """Lower is preferred: main.py, app.py, wsgi.py/asgi.py, server.py, then the shallowest."""
        path = PurePosixPath(self.path)
        return NAME_RANK.get(path.name, len(NAME_RANK)), len(path.parts)


def import_map(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:  # `import a.b` binds `a`
                    names[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def module_name(path: str, packages: set[str]) -> str | None:
    """The import name of a file, or None when it is not importable from the app directory
    (or from src/): each directory above it must be a package."""
    parts = PurePosixPath(path).parts
    if parts[0] == "src" and "src" not in packages and len(parts) > 2:
        parts = parts[1:]
        prefix = "src/"
    else:
        prefix = ""
    dirs = parts[:-1]
    if any(prefix + "/".join(dirs[: i + 1]) not in packages for i in range(len(dirs))):
        return None
    stem = PurePosixPath(parts[-1]).stem
    return ".".join(dirs if stem == "__init__" else (*dirs, stem)) or None


def is_skipped(path: str, venvs: set[str]) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
        return True
    return any(path.startswith(v + "/") for v in venvs)


class Sources:
    """The app's modules, parsed once; `warnings` names every file that could not be read."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.warnings: list[str] = []
        self._parsed: dict[str, ast.Module | None] = {}

    def parse(self, path: str) -> ast.Module | None:
        if path not in self._parsed:
            try:
                self._parsed[path] = ast.parse(self.tree.read_bytes(path), filename=path)
            except SyntaxError as e:
                self._parsed[path] = None
                self.warnings.append(f"{path} has a syntax error (line {e.lineno}): it is skipped when "
                                     "looking for the app.")
            except ValueError as e:  # null bytes, undecodable source
                self._parsed[path] = None
                self.warnings.append(f"{path} cannot be read as Python ({e}): it is skipped when "
                                     "looking for the app.")
            except (MemoryError, RecursionError):  # CPython's parser gives up on deep nesting
                self._parsed[path] = None
                self.warnings.append(f"{path} is nested too deeply to parse: it is skipped when "
                                     "looking for the app.")
        return self._parsed[path]

    def module(self, path: str, name: str | None = None) -> Module | None:
        parsed = self.parse(path)
        if parsed is None:
            return None
        stars = tuple(node.module for node in parsed.body if isinstance(node, ast.ImportFrom) and node.level == 0
                      and node.module and any(alias.name == "*" for alias in node.names))
        return Module(path, name or PurePosixPath(path).stem, parsed, import_map(parsed), stars)

    @cached_property
    def modules(self) -> tuple[Module, ...]:
        """Root-level modules first, then the modules of packages (at the root or under src/)."""
        files = self.tree.files()
        venvs = {str(PurePosixPath(f).parent) for f in files if PurePosixPath(f).name == "pyvenv.cfg"}
        packages = {str(PurePosixPath(f).parent) for f in files if PurePosixPath(f).name == "__init__.py"}
        candidates = [f for f in files if f.endswith(".py") and not is_skipped(f, venvs)]
        found = []
        for path in sorted(candidates, key=lambda f: ("/" in f, f)):
            name = module_name(path, packages)
            module = self.module(path, name) if name else None
            if module is not None:
                found.append(module)
        return tuple(found)

    def by_name(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)
