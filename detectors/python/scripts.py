"""Apps that are not a framework's app object: a console-script entry point of the project,
or a plain main.py/app.py/server.py run as a script. Either is a web process when its module
serves HTTP (imports a server library or calls serve_forever/run_app), else a worker."""

from __future__ import annotations

import ast
import re

from packaging.utils import canonicalize_name

from pack_it.detectors.python.commands import Start, script
from pack_it.detectors.python.sources import Module, Sources
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, detect_error

PLAIN_SCRIPTS = ("main.py", "app.py", "server.py")
SERVER_LIBRARIES = ("http.server", "socketserver", "wsgiref", "aiohttp", "tornado", "bottle", "waitress",
                    "uvicorn", "gunicorn", "hypercorn", "cherrypy", "cheroot", "twisted", "flask", "fastapi",
                    "starlette", "litestar", "quart", "sanic", "falcon", "pyramid", "django", "werkzeug")
SERVING_CALLS = ("serve_forever", "run_app")
ENTRY_POINT = re.compile(r"^\s*([\w.]+)\s*:\s*([\w.]+)\s*(\[.*\])?\s*$")  # module:attr [extras]


def serves_http(module: Module) -> bool:
    if module.imports_any(SERVER_LIBRARIES):
        return True
    return any(isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
               in SERVING_CALLS for node in ast.walk(module.tree))


def _scripts(pyproject: dict) -> tuple[str, dict[str, str]]:
    """(the project's name, its console scripts as name -> "module:attr")."""
    project = pyproject.get("project", {})
    poetry = pyproject.get("tool", {}).get("poetry", {})
    scripts = dict(project.get("scripts") or {})
    for name, value in (poetry.get("scripts") or {}).items():
        if isinstance(value, dict):  # {callable = "..."} or {reference = "...", type = "console"}
            value = value.get("callable") or (value.get("reference") if value.get("type") == "console" else None)
        if isinstance(value, str):
            scripts.setdefault(name, value)
    return project.get("name") or poetry.get("name") or "", scripts


def entry_point(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    name, scripts = _scripts(pyproject or {})
    if not scripts:
        return None
    if len(scripts) > 1:
        same = [s for s in scripts if canonicalize_name(s) == canonicalize_name(name)]
        if not same:
            raise detect_error(f"pyproject.toml declares several scripts ({', '.join(scripts)}) and none "
                               f"is named after the project{f' ({name})' if name else ''}.",
                               "Add a Procfile with a `web:` line that runs the one to start.",
                               exit_code=AMBIGUOUS)
        scripts = {same[0]: scripts[same[0]]}
    (script_name, value), = scripts.items()
    match = ENTRY_POINT.match(value)
    if not match:
        raise detect_error(f"pyproject.toml: the script {script_name} = {value!r:.80} is not of the form "
                           "module:function.", 'Write it as in `serve = "app.cli:main"`.')
    module = sources.by_name(match.group(1))
    kind = "web" if module is not None and serves_http(module) else "worker"
    return Start(f"script {script_name}", "pyproject.toml", script(match.group(1), match.group(2)), type=kind)


def plain_script(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    for path in PLAIN_SCRIPTS:
        module = sources.module(path) if tree.has_file(path) else None
        if module is not None:
            kind = "web" if serves_http(module) else "worker"
            return Start(path, path, ("python", path), type=kind)
    return None
