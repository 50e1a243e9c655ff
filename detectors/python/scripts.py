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


def _setup_cfg(tree: SourceTree) -> tuple[str, dict[str, str]]:
    """setup.cfg's [metadata] name and [options.entry_points] console_scripts."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(tree.read_text("setup.cfg"), "setup.cfg")
    except configparser.Error as e:
        raise detect_error(f"setup.cfg cannot be parsed ({str(e).splitlines()[0]}).", "Fix setup.cfg.") from None
    text = parser.get("options.entry_points", "console_scripts", fallback="")
    scripts = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            scripts[name.strip()] = value.strip()
    return parser.get("metadata", "name", fallback=""), scripts


def _setup_py(tree: SourceTree) -> tuple[str, dict[str, str]]:
    """setup.py's literal name= and entry_points={"console_scripts": [...]} (read, never run)."""
    try:
        module = ast.parse(tree.read_bytes("setup.py"), filename="setup.py")
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # manifests.py says why, once
        return "", {}
    name, scripts = "", {}
    for node in ast.walk(module):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "setup"):
            continue
        for keyword in node.keywords:
            try:
                value = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, MemoryError, RecursionError):
                continue
            if keyword.arg == "name" and isinstance(value, str):
                name = value
            if keyword.arg == "entry_points" and isinstance(value, dict):
                lines = value.get("console_scripts") or []
                for line in lines.splitlines() if isinstance(lines, str) else lines:
                    script_name, sep, target = str(line).partition("=")
                    if sep and script_name.strip():
                        scripts[script_name.strip()] = target.strip()
    return name, scripts


def _declared_scripts(tree: SourceTree, pyproject: dict | None) -> tuple[str, str, dict[str, str]]:
    """(the file, the project's name, its console scripts): pyproject.toml, else a setuptools
    project's setup.cfg or setup.py."""
    name, scripts = _scripts(pyproject or {})
    if scripts:
        return "pyproject.toml", name, scripts
    for rel, read in (("setup.cfg", _setup_cfg), ("setup.py", _setup_py)):
        if tree.has_file(rel):
            found_name, found = read(tree)
            if found:
                return rel, found_name or name, found
    return "pyproject.toml", name, {}


def entry_point(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    where, name, scripts = _declared_scripts(tree, pyproject)
    if not scripts:
        return None
    if len(scripts) > 1:
        same = [s for s in scripts if canonicalize_name(s) == canonicalize_name(name)]
        if not same:
            raise detect_error(f"{where} declares several scripts ({', '.join(scripts)}) and none "
                               f"is named after the project{f' ({name})' if name else ''}.",
                               "Add a Procfile with a `web:` line that runs the one to start.",
                               exit_code=AMBIGUOUS)
        scripts = {same[0]: scripts[same[0]]}
    (script_name, value), = scripts.items()
    match = ENTRY_POINT.match(value)
    if not match:
        raise detect_error(f"{where}: the script {script_name} = {value!r:.80} is not of the form "
                           "module:function.", 'Write it as in `serve = "app.cli:main"`.')
    module = sources.by_name(match.group(1))
    kind = "web" if module is not None and serves_http(module) else "worker"
    return Start(f"script {script_name}", where, script(match.group(1), match.group(2)), type=kind)


def plain_script(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    for path in PLAIN_SCRIPTS:
        module = sources.module(path) if tree.has_file(path) else None
        if module is not None:
            kind = "web" if serves_http(module) else "worker"
            return Start(path, path, ("python", path), type=kind)
    return package_main(tree, sources)


def package_main(tree: SourceTree, sources: Sources) -> Start | None:
    """A package at the root with a __main__.py, run as `python -m package` (when only one has it)."""
    mains = sorted(f for f in tree.source_files()
                   if f.count("/") == 1 and f.endswith("/__main__.py") and f.split("/")[0].isidentifier())
    if len(mains) != 1:
        return None
    module = sources.module(mains[0])
    if module is None:
        return None
    package = mains[0].split("/")[0]
    kind = "web" if serves_http(module) or any(
        serves_http(m) for rel in tree.source_files() if rel.startswith(package + "/") and rel.endswith(".py")
        for m in [sources.module(rel)] if m is not None) else "worker"
    return Start(f"python -m {package}", mains[0], ("python", "-m", package), type=kind)
