"""What the Python pack builds from: the facts detection found, typed."""

from __future__ import annotations

from dataclasses import dataclass

from pack_it.detectors.facts import Facts


@dataclass(frozen=True)
class DjangoFacts(Facts):
    settings: str  # the settings module manage.py names
    collectstatic: bool  # the settings assign STATIC_ROOT: run collectstatic at build time


@dataclass(frozen=True)
class InstallFacts(Facts):
    kind: str  # requirements, uv.lock, poetry.lock, pdm.lock, Pipfile.lock, Pipfile, conda, project, none
    files: tuple[str, ...]  # the files the install reads


@dataclass(frozen=True)
class PythonFacts(Facts):
    python: str  # the minor version: "3.12"
    version: str  # the exact release: "3.12.3" (python-build-standalone's), "3.13.5" (Debian's)
    python_source: str  # "debian" (the stack's python) or "standalone" (python-build-standalone)
    install: InstallFacts
    dependencies: tuple[str, ...]  # the normalised names the app's dependency files list
    added: tuple[str, ...]  # servers pack-it adds (gunicorn, uvicorn) because the app lacks them
    app: str | None  # the WSGI/ASGI target ("module:app"), if any
    django: DjangoFacts | None = None
