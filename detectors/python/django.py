"""Django: manage.py names the settings module; its project package holds wsgi.py (served by
gunicorn) or asgi.py (uvicorn). Static files are collected at build time when the settings
assign STATIC_ROOT."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import PurePosixPath

from pack_it.detectors.python.facts import DjangoFacts
from pack_it.detectors.python.commands import Start, gunicorn, uvicorn
from pack_it.detectors.python.sources import Module, Sources
from pack_it.detectors.source import SourceTree

MANAGE = "manage.py"
SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def settings_module(manage: Module) -> str | None:
    """The value of `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x.settings")` (or of
    `os.environ["DJANGO_SETTINGS_MODULE"] = "x.settings"`)."""
    for node in ast.walk(manage.tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setdefault" and manage.resolve(node.func.value) == "os.environ"
                and len(node.args) == 2 and _text(node.args[0]) == SETTINGS_VARIABLE):
            return _text(node.args[1])
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if (isinstance(target, ast.Subscript) and manage.resolve(target.value) == "os.environ"
                    and _text(target.slice) == SETTINGS_VARIABLE):
                return _text(node.value)
    return None


def module_file(tree: SourceTree, dotted: str) -> str | None:
    path = dotted.replace(".", "/")
    return next((f for f in (f"{path}.py", f"{path}/__init__.py") if tree.has_file(f)), None)


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import, including those under if/try/with (not in functions)."""
    for stmt in body:
        yield stmt
        for block in ("body", "orelse", "finalbody"):
            if isinstance(stmt, (ast.If, ast.Try, ast.With)) and hasattr(stmt, block):
                yield from _module_level(getattr(stmt, block))
        for handler in getattr(stmt, "handlers", []):
            yield from _module_level(handler.body)


def _star_import(path: str, node: ast.ImportFrom) -> str:
    """The dotted module of `from X import *` in the file `path`."""
    if node.level == 0:
        return node.module or ""
    package = list(PurePosixPath(path).parent.parts)
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def assigns_static_root(tree: SourceTree, sources: Sources, path: str, seen: set[str] | None = None) -> bool:
    """Whether the settings module (or one it star-imports, as split settings do) sets
    STATIC_ROOT to something other than None."""
    seen = seen if seen is not None else set()
    seen.add(path)
    parsed = sources.parse(path)
    for stmt in _module_level(parsed.body if parsed else []):
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            is_none = isinstance(stmt.value, ast.Constant) and stmt.value.value is None
            if not is_none and any(isinstance(t, ast.Name) and t.id == "STATIC_ROOT" for t in targets):
                return True
        if isinstance(stmt, ast.ImportFrom) and [a.name for a in stmt.names] == ["*"]:
            imported = module_file(tree, _star_import(path, stmt))
            if imported and imported not in seen and assigns_static_root(tree, sources, imported, seen):
                return True
    return False


def find(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    if not tree.has_file(MANAGE):
        return None
    manage = sources.module(MANAGE)
    settings = settings_module(manage) if manage else None
    if settings is None:
        return None
    settings_file = module_file(tree, settings)
    if settings_file is None:
        sources.warnings.append(f"{MANAGE} names the settings module {settings}, which is not in the app: "
                                "it is not started as a Django project.")
        return None
    project = settings.split(".")[0]
    django = DjangoFacts(settings, assigns_static_root(tree, sources, settings_file))
    if tree.has_file(f"{project}/wsgi.py"):
        return Start("Django app", f"{project}/wsgi.py", gunicorn(f"{project}.wsgi"), framework="django",
                     framework_source=MANAGE, app=f"{project}.wsgi:application", server="gunicorn", django=django)
    if tree.has_file(f"{project}/asgi.py"):
        target = f"{project}.asgi:application"
        return Start("Django app", f"{project}/asgi.py", uvicorn(target), framework="django",
                     framework_source=MANAGE, app=target, server="uvicorn", django=django)
    sources.warnings.append(f"{MANAGE} names the settings module {settings}, but {project}/ has neither "
                            "wsgi.py nor asgi.py for a server to import.")
    return None
