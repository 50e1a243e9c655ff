"""How an app is started: a production server (gunicorn for WSGI, uvicorn for ASGI), never a
development server, written as a person would type it. gunicorn binds 0.0.0.0:$PORT by itself
when PORT is set (the image sets PORT=8080); uvicorn is told `--port $PORT`, which pack-it's
launcher expands when the container starts (lifecycle/launch)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from pack_it.detectors.python.facts import DjangoFacts

PORT = "$PORT"  # expanded when the container starts
EXPANSION = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Start:
    """What starts the app, and the evidence."""

    label: str  # "Flask app", for messages
    source: str  # the file that decided the command
    command: tuple[str, ...]
    type: str = "web"
    framework: str | None = None  # "flask"; "wsgi"/"asgi" for a bare callable
    framework_source: str | None = None  # when another file decided the framework (manage.py)
    app: str | None = None  # "module:NAME", what the server imports
    server: str | None = None  # the production server the command runs
    django: DjangoFacts | None = None


def gunicorn(target: str) -> tuple[str, ...]:
    return ("gunicorn", target)


def uvicorn(target: str) -> tuple[str, ...]:
    return ("uvicorn", target, "--host", "0.0.0.0", "--port", PORT)


def written(argv: tuple[str, ...]) -> str:
    """The command as a person types it, for the launcher to expand its $NAME words when the
    container starts; "" for a plain argv, which runs as it is."""
    if not any(EXPANSION.fullmatch(word) for word in argv):
        return ""
    return " ".join(word if EXPANSION.fullmatch(word) else shlex.quote(word) for word in argv)


def script(module: str, attribute: str) -> tuple[str, ...]:
    """Calls an entry point `module:attribute` as its console script would."""
    head = attribute.split(".")[0]
    return ("python", "-c", f"import sys; from {module} import {head}; sys.exit({attribute}())")
