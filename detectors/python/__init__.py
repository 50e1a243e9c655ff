"""Python: the runtime version, the installer and its files, the direct dependencies, and the
start command (a production server for a framework's app, never a development server).

    version.py       which Python: every version request is a constraint, newest fit wins
    manifests.py     which installer (locks first: uv > poetry > pdm > pipenv > pip) and files
    conda.py         environment.yml: its pip: section and PyPI's namesakes of its conda packages
    requirements.py  requirements.txt with its -r/-c includes, as pip reads it
    sources.py       the app's modules, read with ast
    start.py         the start command, first matching rule wins (django, apps, scripts)
    commands.py      gunicorn and uvicorn commands that honour $PORT without a shell
    apps.py          framework apps (Flask, FastAPI, ...) and WSGI/ASGI callables in the modules
    django.py        manage.py -> settings -> wsgi.py/asgi.py, and whether to collectstatic
    scripts.py       [project.scripts] entry points, and whether they serve
    detection.py     the whole Detection of a tree that has a Python signal
    facts.py         PythonFacts: what the Python pack builds from
"""

from __future__ import annotations

from typing import Mapping

from pack_it.detectors.facts import Detection
from pack_it.detectors.source import SourceTree

SIGNALS = ("requirements.txt", "pyproject.toml", "uv.lock", "poetry.lock", "pdm.lock", "Pipfile",
           "Pipfile.lock", "setup.py", "setup.cfg", "main.py", "app.py", "server.py", "environment.yml",
           "environment.yaml")


def detect(tree: SourceTree, env: dict[str, str] | None = None,
           releases: Mapping[str, Mapping[str, str]] | None = None) -> Detection | None:
    """`releases`: the versions index's python section (python-build-standalone's builds);
    by default the shipped index's."""
    if not any(tree.has_file(f) for f in SIGNALS) and not any(
            f.count("/") == 1 and f.endswith("/__main__.py") for f in tree.source_files()):  # python -m package
        return None
    # Imported only for trees that look like Python: a Node or Go build never pays for it.
    from pack_it.detectors.python.detection import detect_app

    if releases is None:
        from pack_it.lifecycle import versions

        releases = versions.shipped().releases("python")
    return detect_app(tree, env or {}, releases)
