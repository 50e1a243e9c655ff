"""How an app is started: a production server (gunicorn for WSGI, uvicorn for ASGI), never a
development server. The run image has no shell, so both honour $PORT by themselves: gunicorn
binds 0.0.0.0:$PORT when PORT is set (the image sets PORT=8080), uvicorn is started from
Python with the port read from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from pack_it.detectors.python.facts import DjangoFacts

UVICORN = ("import os, uvicorn; uvicorn.run({target!r}, host='0.0.0.0', "
           "port=int(os.environ.get('PORT', '8080')))")


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
    return ("python", "-m", "gunicorn", target)


def uvicorn(target: str) -> tuple[str, ...]:
    return ("python", "-c", UVICORN.format(target=target))


def script(module: str, attribute: str) -> tuple[str, ...]:
    """Calls an entry point `module:attribute` as its console script would."""
    head = attribute.split(".")[0]
    return ("python", "-c", f"import sys; from {module} import {head}; sys.exit({attribute}())")
