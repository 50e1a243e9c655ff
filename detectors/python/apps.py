"""Web apps found in the code: a framework's app object assigned at module level (FastAPI,
Starlette, Litestar, Quart, FastHTML's `app, rt = fast_app()` served by uvicorn; Flask by gunicorn), a Flask app factory, or a bare
WSGI/ASGI callable. A class counts only when the module imports it from its framework's
package: `from fastapi_ipware import FastAPI` is not FastAPI."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from pack_it.detectors.python.commands import Start, gunicorn, uvicorn
from pack_it.detectors.python.sources import Module, Sources
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, detect_error

# package -> the callables that return its app object. FastHTML's fast_app() returns a
# tuple, (app, route decorator): `app, rt = fast_app()` serves its first element.
APP_CLASSES = {"fastapi": ("FastAPI",), "starlette": ("Starlette",), "litestar": ("Litestar",),
               "quart": ("Quart",), "fasthtml": ("FastHTML", "fast_app"), "flask": ("Flask",)}
RETURNS_TUPLE = ("fast_app",)
# What a star import is known to bring in: FastHTML's apps are written `from fasthtml.common import *`.
STAR_EXPORTS = {"fasthtml.common": ("FastHTML", "fast_app"), "fasthtml": ("FastHTML", "fast_app")}
ASGI = ("fastapi", "starlette", "litestar", "quart", "fasthtml")
LABELS = {"fastapi": "FastAPI app", "starlette": "Starlette app", "litestar": "Litestar app", "quart": "Quart app",
          "fasthtml": "FastHTML app", "flask": "Flask app", "wsgi": "WSGI app", "asgi": "ASGI app"}
# Frameworks whose package requires an ASGI server already (python-fasthtml requires uvicorn):
# nothing is added when the app lists the package.
SERVER_INCLUDED = {"fasthtml": "python-fasthtml"}
FACTORIES = ("create_app", "make_app")
CALLABLE_NAMES = ("application", "app")
PREFERRED_NAMES = ("app", "application")  # when one module holds several apps


@dataclass(frozen=True)
class Found:
    module: Module
    name: str  # what the server imports from the module: "app", "create_app()"
    framework: str

    @property
    def target(self) -> str:
        return f"{self.module.name}:{self.name}"


def _maker(value: ast.AST | None, module: Module) -> tuple[str, str] | None:
    """(framework, callable) when `value` calls one that makes an app, e.g. ("fastapi", "FastAPI")."""
    if not isinstance(value, ast.Call):
        return None
    dotted = module.resolve(value.func, STAR_EXPORTS)
    if dotted is None:
        return None
    package, _, name = dotted.partition(".")
    name = name.rsplit(".", 1)[-1]
    return (package, name) if name in APP_CLASSES.get(package, ()) else None


def framework_of(value: ast.AST | None, module: Module) -> str | None:
    """The framework whose app class `value` instantiates, e.g. "fastapi" for `FastAPI()`."""
    made = _maker(value, module)
    return made[0] if made else None


def _app_names(target: ast.expr, made: tuple[str, str]) -> list[str]:
    """The names an assignment binds to the app: `app = FastAPI()`, `app, rt = fast_app()`."""
    if isinstance(target, ast.Name):
        return [] if made[1] in RETURNS_TUPLE else [target.id]
    if isinstance(target, ast.Tuple) and made[1] in RETURNS_TUPLE and target.elts:
        first = target.elts[0]
        return [first.id] if isinstance(first, ast.Name) else []
    return []


def app_objects(module: Module) -> list[Found]:
    """`NAME = Framework(...)` (or annotated) statements at module level."""
    found = []
    value: ast.expr | None
    for stmt in module.tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        else:
            continue
        made = _maker(value, module)
        found += [Found(module, name, made[0]) for t in targets if made for name in _app_names(t, made)]
    return found


def factories(module: Module) -> list[Found]:
    """Module-level create_app/make_app functions that build a Flask app."""
    return [Found(module, f"{stmt.name}()", "flask") for stmt in module.tree.body
            if isinstance(stmt, ast.FunctionDef) and stmt.name in FACTORIES
            and any(framework_of(node, module) == "flask" for node in ast.walk(stmt))]


def callables(module: Module) -> list[Found]:
    """`def application(environ, start_response)` (WSGI), `async def app(scope, receive, send)` (ASGI)."""
    found = []
    for stmt in module.tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) or stmt.name not in CALLABLE_NAMES:
            continue
        params = [a.arg for a in stmt.args.posonlyargs + stmt.args.args]
        if isinstance(stmt, ast.FunctionDef) and len(params) == 2 and params[1] == "start_response":
            found.append(Found(module, stmt.name, "wsgi"))
        elif isinstance(stmt, ast.AsyncFunctionDef) and len(params) == 3 and params[0] == "scope":
            found.append(Found(module, stmt.name, "asgi"))
    return found


def pick(found: list[Found], what: str) -> Found:
    """The preferred candidate: by file (main.py, app.py, wsgi.py/asgi.py, server.py, then the
    shallowest), then by name within one module (app, application)."""
    best = min(f.module.rank for f in found)
    first = [f for f in found if f.module.rank == best]
    if len(first) == 1:
        return first[0]
    if len({f.module.path for f in first}) == 1:
        named = [f for name in PREFERRED_NAMES for f in first if f.name == name]
        if named:
            return named[0]
    listed = ", ".join(f"{f.module.path} ({f.name})" for f in first)
    raise detect_error(
        f"Several {what} could be the web process: {listed}.",
        "Add a Procfile with a `web:` line that starts the one to run.",
        exit_code=AMBIGUOUS)


def _start(found: Found) -> Start:
    wsgi = found.framework in ("flask", "wsgi")
    return Start(LABELS[found.framework], found.module.path,
                 gunicorn(found.target) if wsgi else uvicorn(found.target),
                 framework=found.framework, app=found.target, server="gunicorn" if wsgi else "uvicorn")


def asgi_app(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    found = [f for m in sources.modules for f in app_objects(m) if f.framework in ASGI]
    return _start(pick(found, "ASGI framework apps (FastAPI, Starlette, Litestar, Quart, FastHTML)")) if found else None


def flask_app(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    found = [f for m in sources.modules for f in app_objects(m) if f.framework == "flask"]
    if found:
        return _start(pick(found, "Flask apps"))
    found = [f for m in sources.modules for f in factories(m)]
    return _start(pick(found, "Flask app factories")) if found else None


def callable_app(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    found = [f for m in sources.modules for f in callables(m)]
    return _start(pick(found, "WSGI or ASGI callables")) if found else None
