"""The start command: Django, then FastAPI/Starlette/Litestar, Flask, bare WSGI/ASGI callables,
entry points, plain scripts; the first rule that finds something wins."""

from __future__ import annotations

import ast

import pytest

from pack_it.detectors.facts import Framework, Process
from pack_it.detectors.python import SIGNALS, detect
from pack_it.detectors.python.commands import gunicorn, script, uvicorn, written
from pack_it.errors import PackItError

from .trees import FASTAPI_APP, FLASK_APP, write_tree

MANAGE = ('import os\nimport sys\n\n\ndef main():\n'
          '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_x.settings")\n'
          '    from django.core.management import execute_from_command_line\n'
          '    execute_from_command_line(sys.argv)\n')
DJANGO = {"manage.py": MANAGE, "site_x/__init__.py": "", "site_x/settings.py": "DEBUG = False\n",
          "site_x/wsgi.py": "application = None\n", "requirements.txt": "django\ngunicorn\n"}
PRINTS = "print('hello')\n"


def detected(tmp_path, files: dict[str, str], env: dict[str, str] | None = None):
    """The detection; a tree with only packages gets an empty requirements.txt as its Python signal."""
    if not any(name in files for name in SIGNALS):
        files = {**files, "requirements.txt": ""}
    return detect(write_tree(tmp_path, files), env or {})


def process(tmp_path, files: dict[str, str]) -> Process:
    (found,) = detected(tmp_path, files).processes
    return found


def ambiguity(tmp_path, files: dict[str, str]) -> PackItError:
    with pytest.raises(PackItError) as err:
        detected(tmp_path, files)
    assert err.value.exit_code == 23
    return err.value


# --- commands --------------------------------------------------------------------------------


def test_uvicorn_command_is_what_a_person_types_and_reads_port():
    argv = uvicorn("app.main:app")
    assert argv == ("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "$PORT")
    assert written(argv) == "uvicorn app.main:app --host 0.0.0.0 --port $PORT"  # $PORT left to the launcher


def test_a_plain_argv_needs_nothing_written():
    assert written(gunicorn("blog:create_app()")) == ""


def test_gunicorn_command_binds_by_itself():
    assert gunicorn("app:app") == ("gunicorn", "app:app")


@pytest.mark.parametrize("module, attribute, code", [
    ("pkg.cli", "main", "import sys; from pkg.cli import main; sys.exit(main())"),
    ("pkg.cli", "App.run", "import sys; from pkg.cli import App; sys.exit(App.run())"),
])
def test_script_command(module, attribute, code):
    assert script(module, attribute) == ("python", "-c", code)
    ast.parse(code)


# --- Django ----------------------------------------------------------------------------------


def test_django_without_gunicorn_gets_it_added(tmp_path):
    found = detected(tmp_path, {**DJANGO, "requirements.txt": "Django==5.0.6\n"})
    assert found.processes == (Process("web", gunicorn("site_x.wsgi"), "site_x/wsgi.py", default=True),)
    assert found.facts.to_json()["added"] == ["gunicorn"]
    assert found.warnings == ("Django app without gunicorn in requirements.txt: pack-it adds gunicorn to the "
                              "image (never a development server).",)


def test_django_wins_over_other_apps(tmp_path):
    found = detected(tmp_path, {**DJANGO, "main.py": FASTAPI_APP, "app.py": FLASK_APP})
    assert found.framework == Framework("django", "manage.py")


def test_django_settings_by_assignment_and_as_a_package(tmp_path):
    files = {**DJANGO, "manage.py": 'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "site_x.settings"\n'}
    del files["site_x/settings.py"]
    files["site_x/settings/__init__.py"] = "STATIC_ROOT = '/workspace/static'\n"
    found = detected(tmp_path, files)
    assert found.facts.to_json()["django"] == {"settings": "site_x.settings", "collectstatic": True}


@pytest.mark.parametrize("settings, collect", [
    ("STATIC_ROOT = BASE_DIR / 'staticfiles'\n", True),
    ("STATIC_ROOT: str = '/srv/static'\n", True),
    ("STATIC_ROOT = None\n", False),
    ("STATIC_URL = '/static/'\n", False),
    ("import os\nif os.environ.get('PROD'):\n    STATIC_ROOT = '/srv/static'\n", True),
    ("def configure():\n    STATIC_ROOT = '/srv/static'\n", False),  # a local, not a setting
    ("# STATIC_ROOT = '/srv/static'\n", False),
])
def test_collectstatic_when_settings_assign_static_root(tmp_path, settings, collect):
    found = detected(tmp_path, {**DJANGO, "site_x/settings.py": settings})
    assert found.facts.to_json()["django"]["collectstatic"] is collect


@pytest.mark.parametrize("star_import", ["from .base import *", "from site_x.base import *"])
def test_static_root_from_star_imported_settings(tmp_path, star_import):
    found = detected(tmp_path, {**DJANGO, "site_x/settings.py": star_import + "\nDEBUG = False\n",
                                "site_x/base.py": "STATIC_ROOT = '/srv/static'\n"})
    assert found.facts.to_json()["django"]["collectstatic"] is True


def test_star_import_cycle_terminates(tmp_path):
    found = detected(tmp_path, {**DJANGO, "site_x/settings.py": "from .base import *\n",
                                "site_x/base.py": "from .settings import *\n"})
    assert found.facts.to_json()["django"]["collectstatic"] is False


def test_settings_module_not_in_the_app_is_not_django(tmp_path):
    files = {**DJANGO, "app.py": FLASK_APP}
    del files["site_x/settings.py"]
    found = detected(tmp_path, files)
    assert found.framework == Framework("flask", "app.py")
    assert ("manage.py names the settings module site_x.settings, which is not in the app: it is not started "
            "as a Django project.") in found.warnings


def test_django_without_wsgi_or_asgi_falls_through_with_a_warning(tmp_path):
    files = {**DJANGO}
    del files["site_x/wsgi.py"]
    found = detected(tmp_path, files)
    assert found.framework is None
    assert found.warnings[0] == ("manage.py names the settings module site_x.settings, but site_x/ has neither "
                                 "wsgi.py nor asgi.py for a server to import.")


def test_manage_py_without_settings_is_not_django(tmp_path):
    found = detected(tmp_path, {**DJANGO, "manage.py": "import sys\nprint(sys.argv)\n"})
    assert found.framework is None
    assert found.facts.django is None


def test_manage_py_with_a_syntax_error(tmp_path):
    found = detected(tmp_path, {**DJANGO, "manage.py": "import os\nos.environ.setdefault(\n"})
    assert found.framework is None
    assert found.warnings[0] == "manage.py has a syntax error (line 2): it is skipped when looking for the app."


def test_django_never_runs_the_development_server(tmp_path):
    found = detected(tmp_path, DJANGO)
    assert "runserver" not in found.processes[0].command


# --- FastAPI, Starlette, Litestar -----------------------------------------------------------


@pytest.mark.parametrize("source, target", [
    ("from fastapi import FastAPI\napp = FastAPI()\n", "main:app"),
    ("import fastapi\napi = fastapi.FastAPI(title='x')\n", "main:api"),
    ("from fastapi import FastAPI as API\nservice = API()\n", "main:service"),
    ("from fastapi import FastAPI\napp: FastAPI = FastAPI()\n", "main:app"),
    ("from fastapi.applications import FastAPI\napp = FastAPI()\n", "main:app"),
    ("import starlette.applications\napp = starlette.applications.Starlette()\n", "main:app"),
    ("from litestar import Litestar\napp = Litestar([])\n", "main:app"),
    ("from quart import Quart\napp = Quart(__name__)\n", "main:app"),
    ("from fasthtml.common import *\n\napp, rt = fast_app()\n", "main:app"),
    ("from fasthtml.common import fast_app\nweb, route = fast_app(live=False)\n", "main:web"),
    ("from fasthtml import FastHTML\napp = FastHTML()\n", "main:app"),
])
def test_asgi_framework_app_objects(tmp_path, source, target):
    found = detected(tmp_path, {"main.py": source})
    assert found.processes == (Process("web", uvicorn(target), "main.py", default=True, written=written(uvicorn(target))),)
    assert found.facts.to_json()["app"] == target
    assert found.facts.to_json()["added"] == ["uvicorn"]


@pytest.mark.parametrize("source", [
    "from fastapi_ipware import FastAPI\napp = FastAPI()\n",  # the same class name from another package
    "class FastAPI:\n    pass\n\napp = FastAPI()\n",  # not imported
    "from fastapi import FastAPI\n\ndef build():\n    app = FastAPI()\n    return app\n",  # not module level
    "from fastapi import APIRouter\nrouter = APIRouter()\n",
    "from fastapi import FastAPI\napp = FastAPI\n",  # the class, not an app
    "from fasthtml.common import *\napp = fast_app()\n",  # the (app, rt) tuple itself is no app
    "from mylib import *\napp, rt = fast_app()\n",  # a star import fast_app is not known to come from
    "from fasthtml.common import *\nrt, app = other()\n",
])
def test_not_an_asgi_framework_app(tmp_path, source):
    found = detected(tmp_path, {"main.py": source})
    assert found.framework is None
    assert found.processes[0].command == ("python", "main.py")


@pytest.mark.parametrize("files, chosen", [
    ({"main.py": FASTAPI_APP, "api/__init__.py": "", "api/app.py": FASTAPI_APP}, "main.py"),
    ({"server.py": FASTAPI_APP, "app.py": FASTAPI_APP}, "app.py"),
    ({"asgi.py": FASTAPI_APP, "server.py": FASTAPI_APP}, "asgi.py"),
    ({"pkg/__init__.py": "", "pkg/main.py": FASTAPI_APP, "pkg/sub/__init__.py": "", "pkg/sub/main.py": FASTAPI_APP},
     "pkg/main.py"),
    ({"app/__init__.py": "", "app/main.py": FASTAPI_APP, "service.py": FASTAPI_APP}, "app/main.py"),
])
def test_several_apps_prefer_by_file_then_depth(tmp_path, files, chosen):
    assert process(tmp_path, files).source == chosen


def test_several_apps_in_one_module_prefer_app(tmp_path):
    source = "from fastapi import FastAPI\nadmin = FastAPI()\napp = FastAPI()\napp.mount('/admin', admin)\n"
    assert detected(tmp_path, {"main.py": source}).facts.app == "main:app"


def test_several_apps_in_one_module_none_named_app_is_ambiguous(tmp_path):
    source = "from fastapi import FastAPI\npublic = FastAPI()\nadmin = FastAPI()\n"
    error = ambiguity(tmp_path, {"main.py": source})
    assert error.message == ("Several ASGI framework apps (FastAPI, Starlette, Litestar, Quart, FastHTML) could be the web process: "
                             "main.py (public), main.py (admin).")
    assert "Procfile" in error.hint


def test_an_ambiguity_a_procfile_settles_is_a_warning(tmp_path):
    found = detected(tmp_path, {"users/__init__.py": "", "users/main.py": FASTAPI_APP, "orders/__init__.py": "",
                                "orders/main.py": FASTAPI_APP, "Procfile": "web: python -m users.main\n"})
    assert found.processes == ()
    assert found.framework is None
    assert found.warnings == ("Several ASGI framework apps (FastAPI, Starlette, Litestar, Quart, FastHTML) could be the web process: "
                              "orders/main.py (app), users/main.py (app). The Procfile says what to start.",)


def test_equally_ranked_apps_are_ambiguous(tmp_path):
    error = ambiguity(tmp_path, {"users/__init__.py": "", "users/main.py": FASTAPI_APP,
                                 "orders/__init__.py": "", "orders/main.py": FASTAPI_APP})
    assert error.message == ("Several ASGI framework apps (FastAPI, Starlette, Litestar, Quart, FastHTML) could be the web process: "
                             "orders/main.py (app), users/main.py (app).")


def test_fastapi_wins_over_flask(tmp_path):
    found = detected(tmp_path, {"app.py": FLASK_APP, "main.py": FASTAPI_APP})
    assert found.framework == Framework("fastapi", "main.py")


def test_a_module_with_a_syntax_error_is_skipped_with_a_warning(tmp_path):
    found = detected(tmp_path, {"app.py": "from fastapi import FastAPI\napp = FastAPI(\n",
                                "web/__init__.py": "", "web/main.py": FASTAPI_APP})
    assert found.framework == Framework("fastapi", "web/main.py")
    assert found.warnings[0] == "app.py has a syntax error (line 2): it is skipped when looking for the app."


def test_a_module_that_is_not_utf8_is_skipped_with_a_warning(tmp_path):
    tree = write_tree(tmp_path, {"main.py": FASTAPI_APP})
    (tmp_path / "legacy.py").write_bytes(b"name = '\xe9'\n")
    found = detect(tree, {})
    assert found.facts.to_json()["app"] == "main:app"
    assert found.warnings[0].startswith("legacy.py has a syntax error")


def test_a_declared_source_encoding_is_honoured(tmp_path):
    tree = write_tree(tmp_path, {})
    (tmp_path / "main.py").write_bytes(b"# -*- coding: latin-1 -*-\nfrom fastapi import FastAPI\n"
                                       b"app = FastAPI(title='caf\xe9')\n")
    assert detect(tree, {}).facts.app == "main:app"


# --- Flask -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source, target", [
    ("from flask import Flask\napp = Flask(__name__)\n", "wsgi:app"),
    ("import flask\napplication = flask.Flask('site')\n", "wsgi:application"),
])
def test_flask_app_objects(tmp_path, source, target):
    found = detected(tmp_path, {"wsgi.py": source})
    assert found.processes == (Process("web", gunicorn(target), "wsgi.py", default=True),)
    assert found.framework == Framework("flask", "wsgi.py")


@pytest.mark.parametrize("name", ["create_app", "make_app"])
def test_flask_factory(tmp_path, name):
    source = f"from flask import Flask\n\n\ndef {name}():\n    app = Flask(__name__)\n    return app\n"
    found = detected(tmp_path, {"web/__init__.py": "", "web/factory.py": source})
    assert found.processes == (Process("web", gunicorn(f"web.factory:{name}()"), "web/factory.py", default=True),)
    assert found.facts.to_json()["app"] == f"web.factory:{name}()"


def test_module_level_flask_app_wins_over_a_factory(tmp_path):
    factory = "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"
    found = detected(tmp_path, {"main.py": factory, "site/__init__.py": "", "site/web.py": FLASK_APP})
    assert found.facts.to_json()["app"] == "site.web:app"


@pytest.mark.parametrize("source", [
    "def create_app():\n    return object()\n",  # builds no Flask app
    "from flask import Flask\n\ndef build_app():\n    return Flask(__name__)\n",  # not a factory name
    "from quart import Flask\n\ndef create_app():\n    return Flask(__name__)\n",  # not flask's Flask
])
def test_not_a_flask_factory(tmp_path, source):
    assert detected(tmp_path, {"main.py": source}).framework is None


def test_two_factories_of_the_same_rank_are_ambiguous(tmp_path):
    factory = "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"
    error = ambiguity(tmp_path, {"a/__init__.py": factory, "b/__init__.py": factory})
    assert error.message == "Several Flask app factories could be the web process: a/__init__.py (create_app()), " \
                            "b/__init__.py (create_app())."


def test_flask_never_runs_the_development_server(tmp_path):
    found = detected(tmp_path, {"app.py": FLASK_APP + "\nif __name__ == '__main__':\n    app.run(debug=True)\n"})
    assert found.processes[0].command == gunicorn("app:app")


# --- bare WSGI / ASGI callables -------------------------------------------------------------


@pytest.mark.parametrize("source, command, framework", [
    ("def application(environ, start_response):\n    return []\n", gunicorn("app:application"), "wsgi"),
    ("def app(env, start_response):\n    return []\n", gunicorn("app:app"), "wsgi"),
    ("async def app(scope, receive, send):\n    pass\n", uvicorn("app:app"), "asgi"),
])
def test_bare_callables(tmp_path, source, command, framework):
    found = detected(tmp_path, {"app.py": source})
    assert found.processes == (Process("web", command, "app.py", default=True, written=written(command)),)
    assert found.framework == Framework(framework, "app.py")


@pytest.mark.parametrize("source", [
    "def application(request):\n    return []\n",
    "def handler(environ, start_response):\n    return []\n",
    "def app(request, response):\n    return response\n",
    "def app(scope, receive, send):\n    pass\n",  # ASGI callables are coroutines
    "async def app(request):\n    pass\n",
])
def test_not_bare_callables(tmp_path, source):
    found = detected(tmp_path, {"app.py": source})
    assert found.framework is None
    assert found.processes[0].command == ("python", "app.py")


# --- what is searched -------------------------------------------------------------------------


@pytest.mark.parametrize("decoy", [
    "tests/app.py", "tests/__init__.py", "test/main.py", "pkg/test_app.py", "pkg/api_test.py", "conftest.py",
    "pkg/migrations/main.py", "node_modules/x/main.py", ".venv/lib/site-packages/x/main.py",
    "lib/site-packages/x/main.py", "venv/main.py", "env/lib/main.py", ".hidden/main.py",
])
def test_decoys_are_not_searched(tmp_path, decoy):
    """Each decoy sits in packages (every directory has __init__.py): only the skip rules exclude it."""
    parts = decoy.split("/")[:-1]
    packages = {"/".join(parts[: i + 1]) + "/__init__.py": "" for i in range(len(parts))}
    files = {"requirements.txt": "fastapi\n", "env/pyvenv.cfg": "home = /usr/bin\n", **packages, decoy: FASTAPI_APP}
    assert detected(tmp_path, files).processes == ()


def test_a_directory_that_is_not_a_package_is_not_searched(tmp_path):
    files = {"requirements.txt": "fastapi\n", "scripts/serve.py": FASTAPI_APP, "pkg/__init__.py": "",
             "pkg/inner/app.py": FASTAPI_APP}
    assert detected(tmp_path, files).processes == ()


def test_a_package_named_like_a_skipped_directory_elsewhere_is_searched(tmp_path):
    files = {"requirements.txt": "fastapi\n", "testing/__init__.py": "", "testing/app.py": FASTAPI_APP}
    assert detected(tmp_path, files).facts.app == "testing.app:app"


def test_src_layout_module_names(tmp_path):
    found = detected(tmp_path, {"src/acme/__init__.py": "", "src/acme/web/__init__.py": "",
                                "src/acme/web/server.py": FLASK_APP})
    assert found.facts.to_json()["app"] == "acme.web.server:app"
    assert found.processes[0].source == "src/acme/web/server.py"


def test_a_package_app_in_init(tmp_path):
    found = detected(tmp_path, {"site/__init__.py": FLASK_APP})
    assert found.facts.to_json()["app"] == "site:app"


# --- entry points ----------------------------------------------------------------------------


def pyproject(scripts: str, name: str = "svc") -> str:
    return f'[project]\nname = "{name}"\nversion = "1"\n\n[project.scripts]\n{scripts}\n'


def test_entry_point_whose_module_serves_is_web(tmp_path):
    found = detected(tmp_path, {"pyproject.toml": pyproject('svc = "svc.main:run"'), "svc/__init__.py": "",
                                "svc/main.py": "import waitress\n\ndef run():\n    waitress.serve(None)\n"})
    assert found.processes == (Process("web", script("svc.main", "run"), "pyproject.toml", default=True),)
    assert found.framework is None


def test_entry_point_of_a_module_outside_the_tree_is_a_worker(tmp_path):
    found = detected(tmp_path, {"pyproject.toml": pyproject('svc = "elsewhere.cli:main"')})
    assert found.processes == (Process("worker", script("elsewhere.cli", "main"), "pyproject.toml", default=True),)


def test_entry_point_with_extras_and_an_attribute(tmp_path):
    found = detected(tmp_path, {"pyproject.toml": pyproject('svc = "svc.cli:App.main [cli]"')})
    assert found.processes[0].command == script("svc.cli", "App.main")


def test_framework_rules_win_over_entry_points(tmp_path):
    found = detected(tmp_path, {"pyproject.toml": pyproject('svc = "svc.cli:main"'), "main.py": FASTAPI_APP})
    assert found.framework == Framework("fastapi", "main.py")


def test_entry_points_win_over_plain_scripts(tmp_path):
    found = detected(tmp_path, {"pyproject.toml": pyproject('svc = "svc.cli:main"'), "main.py": PRINTS})
    assert found.processes[0].source == "pyproject.toml"


def test_poetry_script_tables(tmp_path):
    text = ('[tool.poetry]\nname = "svc"\n\n[tool.poetry.scripts]\n'
            'svc = { callable = "svc.cli:main", extras = ["cli"] }\n')
    assert process(tmp_path, {"pyproject.toml": text}).command == script("svc.cli", "main")


def test_several_entry_points_none_named_after_the_project_is_ambiguous(tmp_path):
    error = ambiguity(tmp_path, {"pyproject.toml": pyproject('one = "svc.a:main"\ntwo = "svc.b:main"')})
    assert error.message == ("pyproject.toml declares several scripts (one, two) and none is named after the "
                             "project (svc).")


def test_the_entry_point_named_after_the_project_is_matched_canonically(tmp_path):
    found = process(tmp_path, {"pyproject.toml": pyproject('my_svc = "svc.a:main"\nother = "svc.b:main"',
                                                           name="My.Svc")})
    assert found.command == script("svc.a", "main")


def test_malformed_entry_point(tmp_path):
    with pytest.raises(PackItError) as err:
        detected(tmp_path, {"pyproject.toml": pyproject('svc = "svc.cli.main"')})
    assert err.value.exit_code == 21
    assert err.value.message == "pyproject.toml: the script svc = 'svc.cli.main' is not of the form module:function."


# --- plain scripts -----------------------------------------------------------------------------


@pytest.mark.parametrize("files, chosen", [
    ({"main.py": PRINTS, "app.py": PRINTS, "server.py": PRINTS}, "main.py"),
    ({"app.py": PRINTS, "server.py": PRINTS}, "app.py"),
    ({"server.py": PRINTS}, "server.py"),
    ({"main.py": "print(\n", "app.py": PRINTS}, "app.py"),  # main.py does not parse
])
def test_plain_script_order(tmp_path, files, chosen):
    assert process(tmp_path, files).command == ("python", chosen)


@pytest.mark.parametrize("source, kind", [
    ("print('hello')\n", "worker"),
    ("import json\nprint(json.dumps({}))\n", "worker"),
    ("import requests\nrequests.get('https://example.com')\n", "worker"),  # a client, not a server
    ("import http.server\n", "web"),
    ("from http.server import HTTPServer\n", "web"),
    ("import socketserver\n", "web"),
    ("from wsgiref.simple_server import make_server\n", "web"),
    ("from aiohttp import web\n", "web"),
    ("import tornado.web\n", "web"),
    ("from bottle import route, run\n", "web"),
    ("import waitress\n", "web"),
    ("import cherrypy\n", "web"),
    ("from twisted.web import server\n", "web"),
    ("import uvicorn\n", "web"),
    ("server.serve_forever()\n", "web"),
    ("web.run_app(application)\n", "web"),
    ("import http.client\n", "worker"),
    ("import tornadofx\n", "worker"),  # a prefix of a name is not the name
])
def test_plain_script_web_or_worker(tmp_path, source, kind):
    assert process(tmp_path, {"main.py": source}).type == kind


def test_a_script_that_does_not_parse_is_skipped_with_a_warning(tmp_path):
    found = detected(tmp_path, {"main.py": "def broken(:\n", "requirements.txt": "requests\n"})
    assert found.processes == ()
    assert found.warnings[0] == "main.py has a syntax error (line 1): it is skipped when looking for the app."


def test_fasthtml_listed_brings_its_own_uvicorn(tmp_path):
    found = detected(tmp_path, {"main.py": "from fasthtml.common import *\n\napp, rt = fast_app()\n",
                                "requirements.txt": "python-fasthtml==0.12.21\n"})
    assert found.processes[0].command == uvicorn("main:app")
    assert found.framework == Framework("fasthtml", "main.py")
    assert found.facts.to_json()["added"] == []
