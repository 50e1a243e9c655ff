"""The start command: the first rule that finds something wins. A Procfile is not read here
(the procfile detector does, and its processes override these by type), but its presence
matters once: an ambiguity it can settle is then a warning, not an error."""

from __future__ import annotations

from pack_it.detectors.python import apps, django, functions, scripts
from pack_it.detectors.python.commands import Start
from pack_it.detectors.python.sources import Sources
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, PackItError

PROCFILE = "Procfile"

# Frameworks before bare callables: a Django project or a FastAPI app says exactly what to
# serve. Entry points and plain scripts last: they say what to run, not whether it serves.
RULES = (
    django.find,  # manage.py -> settings -> wsgi.py/asgi.py
    functions.find,  # main.py's @functions_framework.http function (its server is the framework's)
    apps.asgi_app,  # NAME = FastAPI()/Starlette()/Litestar()
    apps.flask_app,  # NAME = Flask(__name__), else a create_app()/make_app() factory
    apps.callable_app,  # def application(environ, start_response), async def app(scope, receive, send)
    scripts.entry_point,  # [project.scripts] / [tool.poetry.scripts]
    scripts.plain_script,  # main.py, app.py, server.py
)


def find(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    for rule in RULES:
        try:
            start = rule(tree, sources, pyproject)
        except PackItError as e:
            if e.exit_code != AMBIGUOUS or not tree.has_file(PROCFILE):
                raise
            sources.warnings.append(f"{e.message} The Procfile says what to start.")
            return None
        if start is not None:
            return start
    return None
