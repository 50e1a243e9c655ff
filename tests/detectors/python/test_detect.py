"""The whole Detection for each fixture app: what the Python pack builds from."""

from __future__ import annotations

import pytest

from pack_it.detectors.python.facts import PythonFacts
from pack_it.detectors.facts import Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.python import detect
from pack_it.errors import PackItError

from pack_it.detectors.python.commands import uvicorn, written

from .trees import FLASK_APP, fixture, write_tree


def test_flask_app():
    assert detect(fixture("flask-app"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.11.2", ".python-version"),
        package_manager=PackageManager("pip", "requirements.txt"),
        framework=Framework("flask", "app.py"),
        run_image=RunImageChoice("python-debian12", ".python-version"),
        processes=(Process("web", ("gunicorn", "app:app"), "app.py", default=True),),
        warnings=("Flask app without gunicorn in requirements.txt: pack-it adds gunicorn to the image "
                  "(never a development server).",),
        facts=PythonFacts.from_json({
            "python": "3.11",
            "version": "3.11.2",
            "python_source": "debian",
            "install": {"kind": "requirements", "files": ["requirements.txt"]},
            "dependencies": ["flask", "jinja2"],
            "added": ["gunicorn"],
            "app": "app:app",
        }),
    )


def test_flask_factory_in_a_package_with_gunicorn_listed():
    found = detect(fixture("flask-factory"), {})
    assert found.framework == Framework("flask", "blog/__init__.py")
    # tests/test_views.py assigns a module-level Flask app too: tests are never searched.
    assert found.processes == (Process("web", ("gunicorn", "blog:create_app()"),
                                       "blog/__init__.py", default=True),)
    assert found.facts.to_json()["app"] == "blog:create_app()"
    assert found.facts.to_json()["added"] == []
    assert found.facts.to_json()["dependencies"] == ["flask", "gunicorn"]
    assert found.warnings == ()


def test_fastapi_with_uv_lock():
    assert detect(fixture("fastapi-uv"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.13.5", ".python-version"),
        package_manager=PackageManager("uv", "uv.lock"),
        framework=Framework("fastapi", "app/main.py"),
        run_image=RunImageChoice("python-debian13", ".python-version"),
        processes=(Process("web", uvicorn("app.main:app"), "app/main.py", default=True, written=written(uvicorn("app.main:app"))),),
        warnings=("FastAPI app without uvicorn in pyproject.toml: pack-it adds uvicorn to the image "
                  "(never a development server).",),
        facts=PythonFacts.from_json({
            "python": "3.13",
            "version": "3.13.5",
            "python_source": "debian",
            "install": {"kind": "uv.lock", "files": ["uv.lock", "pyproject.toml"]},
            "dependencies": ["fastapi", "pydantic-settings"],  # not the dev group
            "added": ["uvicorn"],
            "app": "app.main:app",
        }),
    )


def test_django_with_poetry_lock_and_static_files():
    assert detect(fixture("django-poetry"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.13.5", "pyproject.toml"),  # python = "^3.11"
        package_manager=PackageManager("poetry", "poetry.lock"),
        framework=Framework("django", "manage.py"),
        run_image=RunImageChoice("python-debian13", "pyproject.toml"),
        processes=(Process("web", ("gunicorn", "mysite.wsgi"), "mysite/wsgi.py", default=True),),
        warnings=(),
        facts=PythonFacts.from_json({
            "python": "3.13",
            "version": "3.13.5",
            "python_source": "debian",
            "install": {"kind": "poetry.lock", "files": ["poetry.lock", "pyproject.toml"]},
            # psycopg is optional (an extra), pytest-django a dev group: neither is a runtime dependency
            "dependencies": ["django", "gunicorn", "whitenoise"],
            "added": [],
            "app": "mysite.wsgi:application",
            "django": {"settings": "mysite.settings", "collectstatic": True},
        }),
    )


def test_django_asgi_only_with_split_settings():
    found = detect(fixture("django-asgi-only"), {})
    assert found.framework == Framework("django", "manage.py")
    assert found.processes == (Process("web", uvicorn("config.asgi:application"), "config/asgi.py", default=True, written=written(uvicorn("config.asgi:application"))),)
    assert found.facts.to_json()["app"] == "config.asgi:application"
    # base.py, star-imported by production.py, sets no STATIC_ROOT
    assert found.facts.to_json()["django"] == {"settings": "config.settings.production", "collectstatic": False}
    assert found.facts.to_json()["added"] == []  # uvicorn[standard] is listed
    assert found.warnings == ()


def test_pipfile_lock_with_starlette():
    assert detect(fixture("pipenv-starlette"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.11.2", "Pipfile"),
        package_manager=PackageManager("pipenv", "Pipfile.lock"),
        framework=Framework("starlette", "server.py"),
        run_image=RunImageChoice("python-debian12", "Pipfile"),
        processes=(Process("web", uvicorn("server:app"), "server.py", default=True, written=written(uvicorn("server:app"))),),
        warnings=(),
        facts=PythonFacts.from_json({
            "python": "3.11",
            "version": "3.11.2",
            "python_source": "debian",
            "install": {"kind": "Pipfile.lock", "files": ["Pipfile.lock", "Pipfile"]},
            "dependencies": ["starlette", "uvicorn"],  # pywin32 is for win32, pytest for development
            "added": [],
            "app": "server:app",
        }),
    )


def test_requirements_with_includes_markers_and_hashes():
    assert detect(fixture("requirements-includes"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.13.5", "default"),
        package_manager=PackageManager("pip", "requirements.txt"),
        framework=Framework("litestar", "main.py"),
        run_image=RunImageChoice("python-debian13", "default"),
        processes=(Process("web", uvicorn("main:app"), "main.py", default=True, written=written(uvicorn("main:app"))),),
        warnings=(),
        facts=PythonFacts.from_json({
            "python": "3.13",
            "version": "3.13.5",
            "python_source": "debian",
            "install": {"kind": "requirements", "files": [
                "requirements.txt", "requirements/base.txt", "requirements/common.txt", "constraints.txt"]},
            # acme-auth from an editable's #egg=, acme-metrics from a wheel's file name; anyio is only
            # a constraint, pywin32 only for win32
            "dependencies": ["acme-auth", "acme-metrics", "litestar", "msgspec", "python-dateutil",
                             "structlog", "uvicorn"],
            "added": [],
            "app": "main:app",
        }),
    )


def test_setup_cfg_only_with_a_bare_wsgi_callable():
    assert detect(fixture("setup-cfg-only"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.13.5", "default"),
        package_manager=PackageManager("pip", "setup.cfg"),
        framework=Framework("wsgi", "greeter/wsgi.py"),
        run_image=RunImageChoice("python-debian13", "default"),
        processes=(Process("web", ("gunicorn", "greeter.wsgi:application"), "greeter/wsgi.py",
                           default=True),),
        warnings=("WSGI app without gunicorn in setup.cfg: pack-it adds gunicorn to the image "
                  "(never a development server).",),
        facts=PythonFacts.from_json({
            "python": "3.13",
            "version": "3.13.5",
            "python_source": "debian",
            "install": {"kind": "project", "files": ["setup.cfg"]},
            "dependencies": ["markupsafe", "waitress"],
            "added": ["gunicorn"],
            "app": "greeter.wsgi:application",
        }),
    )


def test_bare_main_that_prints_is_a_worker():
    assert detect(fixture("bare-main-print"), {}) == Detection(
        language="python",
        runtime=Runtime("python", "3.13.5", "default"),
        package_manager=None,
        framework=None,
        run_image=RunImageChoice("python-debian13", "default"),
        processes=(Process("worker", ("python", "main.py"), "main.py", default=True),),
        warnings=(),
        facts=PythonFacts.from_json({
            "python": "3.13",
            "version": "3.13.5",
            "python_source": "debian",
            "install": {"kind": "none", "files": []},
            "dependencies": [],
            "added": [],
            "app": None,
        }),
    )


def test_bare_server_that_serves_is_web():
    found = detect(fixture("bare-server"), {})
    assert found.processes == (Process("web", ("python", "server.py"), "server.py", default=True),)
    assert found.package_manager is None
    assert found.framework is None
    assert found.facts.to_json()["install"] == {"kind": "none", "files": []}
    assert found.facts.to_json()["app"] is None


def test_src_layout_fastapi_project():
    found = detect(fixture("src-layout"), {})
    assert found.runtime == Runtime("python", "3.13.5", "pyproject.toml")
    assert found.package_manager == PackageManager("pip", "pyproject.toml")
    assert found.framework == Framework("fastapi", "src/shop/app.py")  # `fastapi.FastAPI(...)`
    assert found.processes == (Process("web", uvicorn("shop.app:app"), "src/shop/app.py", default=True, written=written(uvicorn("shop.app:app"))),)
    assert found.facts.to_json()["install"] == {"kind": "project", "files": ["pyproject.toml"]}
    # colorama is for win32; psycopg an optional extra
    assert found.facts.to_json()["dependencies"] == ["fastapi", "sqlalchemy", "uvicorn", "uvloop"]
    assert found.facts.to_json()["added"] == []
    assert found.warnings == ()


def test_fastapi_ipware_is_not_fastapi():
    found = detect(fixture("fastapi-ipware-lookalike"), {})
    assert found.framework is None
    assert found.processes == (Process("worker", ("python", "main.py"), "main.py", default=True),)
    assert found.facts.to_json()["dependencies"] == ["fastapi-ipware", "requests"]
    assert found.facts.to_json()["added"] == []


def test_entry_point_worker_named_after_the_project():
    found = detect(fixture("entry-point-worker"), {})
    assert found.framework is None
    assert found.processes == (Process(
        "worker", ("python", "-c", "import sys; from ticker.cli import main; sys.exit(main())"),
        "pyproject.toml", default=True),)
    assert found.package_manager == PackageManager("pip", "pyproject.toml")
    assert found.facts.to_json()["install"] == {"kind": "project", "files": ["pyproject.toml"]}
    assert found.facts.to_json()["app"] is None


def test_poetry_entry_point_that_serves_is_web():
    found = detect(fixture("entry-point-web"), {})
    assert found.processes == (Process(
        "web", ("python", "-c", "import sys; from hub.server import main; sys.exit(main())"),
        "pyproject.toml", default=True),)
    assert found.runtime == Runtime("python", "3.13.5", "pyproject.toml")  # ">=3.11,<3.14"
    assert found.facts.to_json()["dependencies"] == ["aiohttp"]


def test_runtime_txt_is_accepted_with_a_deprecation_warning():
    found = detect(fixture("runtime-txt"), {})
    assert found.runtime == Runtime("python", "3.11.9", "runtime.txt")  # the pinned patch, not Debian's 3.11.2
    assert found.run_image == RunImageChoice("cc", "runtime.txt")
    assert found.warnings == ("runtime.txt is deprecated: write the version in .python-version (e.g. 3.11.9) "
                              "and delete runtime.txt.",)


def test_python_version_with_a_comment_first():
    found = detect(fixture("python-version-comment"), {})
    assert found.runtime == Runtime("python", "3.11.9", ".python-version")  # the pinned patch
    assert found.facts.to_json()["python"] == "3.11"


def test_broken_pyproject_names_the_file():
    with pytest.raises(PackItError) as err:
        detect(fixture("broken-pyproject"), {})
    assert err.value.exit_code == 21
    assert err.value.message.startswith("pyproject.toml is not valid TOML")


def test_broken_requirements_names_the_file_and_line():
    with pytest.raises(PackItError) as err:
        detect(fixture("broken-requirements"), {})
    assert err.value.exit_code == 21
    assert err.value.message == "requirements.txt line 2 cannot be parsed: 'gunicorn>=>22'."


# --- signals -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile"])
def test_each_manifest_alone_is_a_python_signal(tmp_path, name):
    found = detect(write_tree(tmp_path, {name: ""}), {})
    assert found is not None and found.language == "python"


@pytest.mark.parametrize("lock, companion", [("uv.lock", "pyproject.toml"), ("poetry.lock", "pyproject.toml"),
                                             ("pdm.lock", "pyproject.toml"), ("Pipfile.lock", "Pipfile")])
def test_each_lock_is_a_python_signal(tmp_path, lock, companion):
    text = "{}" if lock == "Pipfile.lock" else ""
    found = detect(write_tree(tmp_path, {lock: text, companion: ""}), {})
    assert found.facts.to_json()["install"]["kind"] == lock


@pytest.mark.parametrize("script", ["main.py", "app.py", "server.py"])
def test_bare_script_is_a_python_signal(tmp_path, script):
    found = detect(write_tree(tmp_path, {script: "print('hi')\n"}), {})
    assert found.processes == (Process("worker", ("python", script), script, default=True),)


@pytest.mark.parametrize("files", [
    {},
    {"README.md": "# docs\n"},
    {"worker.py": "print('hi')\n"},  # not one of the names a bare script goes by
    {"src/app.py": FLASK_APP},  # only root-level scripts count
    {"package.json": "{}", "index.js": ""},
])
def test_no_python_signal(tmp_path, files):
    assert detect(write_tree(tmp_path, files), {}) is None


def test_no_start_command_is_a_warning_not_an_error(tmp_path):
    found = detect(write_tree(tmp_path, {"requirements.txt": "requests\n", "lib/__init__.py": ""}), {})
    assert found.processes == ()
    assert found.facts.to_json()["app"] is None
    assert found.warnings == ("No start command found (no framework app, entry point, or main.py/app.py/"
                              "server.py): add a Procfile that names it, e.g. `web: python serve.py`.",)


def test_no_start_command_with_a_procfile_is_no_warning(tmp_path):
    tree = write_tree(tmp_path, {"requirements.txt": "requests\n", "worker.py": "print('tick')\n",
                                 "Procfile": "worker: python worker.py\n"})
    found = detect(tree, {})
    assert (found.processes, found.warnings) == ((), ())


def test_details_are_json():
    import json

    found = detect(fixture("django-poetry"), {})
    assert json.loads(json.dumps(found.facts.to_json())) == found.facts.to_json()
